//! Identifiers that a value pattern alone cannot tell apart from other
//! numbers, so each needs its keyword, as in Purview and Google DLP:
//!
//! | category | value | keyword | rule, confidence |
//! |---|---|---|---|
//! | `passport` | 2 letters + 7 digits (TK1234567) | パスポート, 旅券番号 | `passport.keyword`, high |
//! | `drivers_license` | 12 digits | 運転免許, 免許証番号 | `drivers_license.keyword`, high |
//! | `residence_card` | 2 letters + 8 digits + 2 letters | 在留カード | `residence_card.keyword`, high; without it `residence_card.pattern`, low |
//! | `pension_number` | 4 + 6 digits (1234-567890) | 基礎年金番号, 年金手帳 | `pension_number.keyword`, high |
//! | `health_insurance_number` | 記号 and 番号 (1–8 digits each) right after the label | 被保険者証, 保険証, 被保険者番号 | `health_insurance_number.keyword`, high |
//! | `bank_account` | 7 digits right after the label | 口座番号 | `bank_account.keyword` high with a bank, branch or 普通/当座 in the same line or record, medium without |
//!
//! The keyword must be the nearest label before the value (in the same line
//! or cell, else the column header); for the short values it must be right
//! before it.

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds keyword-bound identifiers.
pub struct LabelledIdDetector;

static PASSPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z]{2}[0-9]{7}").expect("valid passport regex"));
local_copy!(PASSPORT_HERE = PASSPORT);
static RESIDENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z]{2}[0-9]{8}[A-Z]{2}").expect("valid residence card regex"));
local_copy!(RESIDENCE_HERE = RESIDENCE);

/// No letter or digit touches `[start, end)`.
fn isolated(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    (start == 0 || !b[start - 1].is_ascii_alphanumeric())
        && (end == b.len() || !b[end].is_ascii_alphanumeric())
}

/// Masks every ASCII letter and digit but the last `keep`.
fn mask_alnum(value: &str, keep: usize) -> String {
    let total = value.chars().filter(char::is_ascii_alphanumeric).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen <= total.saturating_sub(keep) {
                    return '*';
                }
            }
            c
        })
        .collect()
}

fn push(
    input: &Input<'_>,
    out: &mut Vec<Candidate>,
    category: Category,
    rule: &'static str,
    confidence: Confidence,
    (s, e): (usize, usize),
) {
    let text = input.norm.as_str();
    let (start, end) = input.original_range(s, e);
    out.push(Candidate {
        category,
        rule,
        confidence,
        start,
        end,
        value: text[s..e]
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect(),
        masked: mask_alnum(&text[s..e], 2),
    });
}

impl Detector for LabelledIdDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        if input.runs.is_empty() {
            return;
        }
        let is = |at: usize, c: Category| input.label_before(at) == Some(Signal::Identifier(c));
        let letters = text.bytes().any(|b| b.is_ascii_uppercase());
        PASSPORT_HERE.with(|re| {
            for m in re.find_iter(if letters { text } else { "" }) {
                if isolated(text, m.start(), m.end()) && is(m.start(), Category::Passport) {
                    push(
                        input,
                        out,
                        Category::Passport,
                        "passport.keyword",
                        Confidence::High,
                        (m.start(), m.end()),
                    );
                }
            }
        });
        RESIDENCE_HERE.with(|re| {
            for m in re.find_iter(if letters { text } else { "" }) {
                if !isolated(text, m.start(), m.end()) {
                    continue;
                }
                let (rule, conf) = if is(m.start(), Category::ResidenceCard) {
                    ("residence_card.keyword", Confidence::High)
                } else {
                    ("residence_card.pattern", Confidence::Low)
                };
                push(
                    input,
                    out,
                    Category::ResidenceCard,
                    rule,
                    conf,
                    (m.start(), m.end()),
                );
            }
        });
        for run in &input.runs {
            if run.touches_letter {
                continue;
            }
            let shape = run.shape();
            let span = (run.start, run.end);
            if (shape == [12] || (shape == [4, 4, 4] && run.uniform_separators()))
                && is(run.start, Category::DriversLicense)
            {
                push(
                    input,
                    out,
                    Category::DriversLicense,
                    "drivers_license.keyword",
                    Confidence::High,
                    span,
                );
            } else if (shape == [4, 6] || shape == [10]) && is(run.start, Category::PensionNumber) {
                push(
                    input,
                    out,
                    Category::PensionNumber,
                    "pension_number.keyword",
                    Confidence::High,
                    span,
                );
            } else if shape.iter().sum::<usize>() <= 16
                && shape.iter().all(|&g| g <= 8)
                && input.label_adjacent(run.start)
                    == Some(Signal::Identifier(Category::HealthInsuranceNumber))
            {
                push(
                    input,
                    out,
                    Category::HealthInsuranceNumber,
                    "health_insurance_number.keyword",
                    Confidence::High,
                    span,
                );
            } else if shape == [7]
                && input.label_adjacent(run.start)
                    == Some(Signal::Identifier(Category::BankAccount))
            {
                let conf = if input.mentions(Signal::Bank) {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                push(
                    input,
                    out,
                    Category::BankAccount,
                    "bank_account.keyword",
                    conf,
                    span,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on_line;

    fn find(text: &str) -> Vec<(Category, Confidence, String)> {
        let out = run_on_line(&LabelledIdDetector, text);
        out.into_iter()
            .map(|c| (c.category, c.confidence, c.masked))
            .collect()
    }

    #[test]
    fn each_needs_its_keyword() {
        assert_eq!(find("旅券番号：TK1234567")[0].0, Category::Passport);
        assert_eq!(find("旅券番号：TK1234567")[0].2, "*******67");
        assert!(find("型番 TK1234567").is_empty());
        assert_eq!(
            find("運転免許証番号 123456789012")[0].0,
            Category::DriversLicense
        );
        assert!(find("番号 123456789012").is_empty());
        assert_eq!(find("在留カード番号 AB12345678CD")[0].1, Confidence::High);
        assert_eq!(find("AB12345678CD")[0].1, Confidence::Low);
        assert_eq!(
            find("基礎年金番号 1234-567890")[0].0,
            Category::PensionNumber
        );
        let hi = find("保険証 記号 1234 番号 56");
        assert_eq!(hi.len(), 2, "{hi:?}");
        assert!(hi.iter().all(|c| c.0 == Category::HealthInsuranceNumber));
        assert!(find("保険証のコピーを2024年に提出").is_empty());
        assert_eq!(
            find("みずほ銀行 渋谷支店 普通 口座番号 1234567")[0].1,
            Confidence::High
        );
        assert_eq!(find("口座番号：1234567")[0].1, Confidence::Medium);
        assert!(find("口座開設は2024年1234567件").is_empty());
    }
}
