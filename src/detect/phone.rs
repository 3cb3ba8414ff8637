//! 電話番号: Japanese phone numbers by the numbering plan, not "digits with
//! hyphens".
//!
//! * fixed lines: 10 digits, area code (with its 0) + local exchange = 6
//!   digits, subscriber 4 (03-1234-5678, 045-123-4567, 0123-45-6789,
//!   01234-5-6789);
//! * mobile and IP (090/080/070/060/050): 11 digits, 3-4-4;
//! * 0120 and 0570: 4-3-3; 0800: 4-3-4;
//! * +81 forms without the trunk 0 (+81-90-…, +81 3 …), parentheses
//!   ((03)1234-5678, 03(1234)5678), any dash look-alike, full width.
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `phone.keyword` | a phone keyword (電話, TEL, 携帯, 連絡先, 折り返し…) is the nearest label, or the column header | high |
//! | `phone.grouped` | a valid grouped or international form, or an 11-digit mobile number | medium |
//! | `phone.plain` | ten plain digits that fit the plan | low |
//! | `phone.keyword` | under a phone label, also ten digits in fixed-line grouping with a mobile prefix (070-523-3066) | high |
//! | — | under another identifier's label, or part of a longer number | not reported |

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input, mask_digits};
use crate::finding::{Category, Confidence};

/// Finds phone numbers.
pub struct PhoneDetector;

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?: \+81 [\ -]? (?:\(0\)[\ -]?)? )?
        (?:
            \( [0-9]{1,5} \) [\ -]? [0-9]{1,4} [\ -]? [0-9]{3,4}
          | [0-9]{1,5} \( [0-9]{1,4} \) [0-9]{3,4}
          | [0-9]{1,5} [\ -] [0-9]{1,4} [\ -] [0-9]{3,4}
          | [0-9]{10,11}
        )",
    )
    .expect("valid phone regex")
});
local_copy!(PHONE_HERE = PHONE);

const MOBILE: [&str; 5] = ["090", "080", "070", "060", "050"];

/// 090/080/070/060/050 but not the 0800 free-dial prefix.
fn is_mobile(digits: &str) -> bool {
    MOBILE.iter().any(|m| digits.starts_with(m)) && !digits.starts_with("0800")
}

/// How well digit groups fit the numbering plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// A valid number of its kind.
    Plan,
    /// Ten digits in fixed-line grouping but with a mobile prefix: taken as
    /// a phone only under a phone label (an old or mistyped number).
    ShapeOnly,
}

/// Checks digit groups against the numbering plan; `plain` is one group.
fn fit(groups: &[&str]) -> Option<Fit> {
    let all: String = groups.concat();
    let n = all.len();
    if !all.starts_with('0') || all.starts_with("00") {
        return None;
    }
    let prefix4 = &all[..4.min(n)];
    let is_mobile = is_mobile(&all);
    let ok = |b: bool| b.then_some(Fit::Plan);
    match groups {
        [_] => match n {
            10 => ok(!is_mobile && prefix4 != "0800"),
            11 => ok(is_mobile || prefix4 == "0800"),
            _ => None,
        },
        [a, b, c] => {
            let shape = (a.len(), b.len(), c.len());
            let fixed_shape =
                n == 10 && (2..=5).contains(&a.len()) && a.len() + b.len() == 6 && c.len() == 4;
            if is_mobile {
                if shape == (3, 4, 4) {
                    Some(Fit::Plan)
                } else if fixed_shape {
                    Some(Fit::ShapeOnly)
                } else {
                    None
                }
            } else if *a == "0120" || *a == "0570" {
                ok(shape == (4, 3, 3))
            } else if *a == "0800" {
                ok(shape == (4, 3, 4))
            } else {
                ok(fixed_shape)
            }
        }
        _ => None,
    }
}

fn is_sep(b: u8) -> bool {
    matches!(b, b'-' | b' ' | b'.')
}

/// No digit (or separator and digit) touches the match: it is not part of
/// a longer number, a date or an IP address.
fn isolated(text: &[u8], start: usize, end: usize) -> bool {
    let before_ok = start == 0
        || !(text[start - 1].is_ascii_digit()
            || text[start - 1] == b'+'
            || (start >= 2 && is_sep(text[start - 1]) && text[start - 2].is_ascii_digit()));
    let after_ok = end >= text.len()
        || !(text[end].is_ascii_digit()
            || (end + 1 < text.len() && is_sep(text[end]) && text[end + 1].is_ascii_digit()));
    before_ok && after_ok
}

impl Detector for PhoneDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        if input.runs.is_empty() {
            return;
        }
        let text = input.norm.as_str();
        PHONE_HERE.with(|re| {
            for m in re.find_iter(text) {
                if !isolated(text.as_bytes(), m.start(), m.end()) {
                    continue;
                }
                let s = m.as_str();
                let international = s.starts_with("+81");
                let body = if international { &s[3..] } else { s };
                let body = body.replace("(0)", "");
                let mut groups: Vec<String> = body
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|g| !g.is_empty())
                    .map(str::to_string)
                    .collect();
                if international {
                    if groups.first().is_some_and(|g| g.starts_with('0')) {
                        continue;
                    }
                    if let Some(g) = groups.first_mut() {
                        g.insert(0, '0');
                    }
                }
                let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
                let Some(fit) = fit(&refs) else {
                    continue;
                };
                let grouped = refs.len() > 1 || international;
                let mobile = is_mobile(&groups.concat());
                let (rule, confidence) = match input.label_before(m.start()) {
                    Some(Signal::Phone) => ("phone.keyword", Confidence::High),
                    Some(
                        Signal::OtherId
                        | Signal::MyNumber
                        | Signal::CorporateNumber
                        | Signal::Identifier(_),
                    ) => continue,
                    _ if fit == Fit::ShapeOnly => continue,
                    _ if grouped || mobile => ("phone.grouped", Confidence::Medium),
                    _ => ("phone.plain", Confidence::Low),
                };
                let (start, end) = input.original_range(m.start(), m.end());
                out.push(Candidate {
                    category: Category::Phone,
                    rule,
                    confidence,
                    start,
                    end,
                    masked: mask_digits(s, 4),
                    value: groups.concat(),
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on_line;

    fn find(text: &str) -> Vec<Candidate> {
        run_on_line(&PhoneDetector, text)
    }

    #[test]
    fn the_numbering_plan() {
        for s in [
            "03-1234-5678",
            "045-123-4567",
            "0123-45-6789",
            "01234-5-6789",
            "090-1234-5678",
            "050 5408 9493",
            "0120-266-954",
            "0570-000-111",
            "0800-123-4567",
            "+81-90-1234-5678",
            "+81 3 2788 8165",
            "+81-(0)3-1234-5678",
            "(03)1234-5678",
            "(070)1757-3659",
            "03(1234)5678",
            "０３－１２３４－５６７８",
            "090ー1234ー5678",
            "07016634046",
        ] {
            let got = find(&format!("電話 {s} まで"));
            assert_eq!(got.len(), 1, "{s}");
            assert_eq!(got[0].confidence, Confidence::High, "{s}");
        }
    }

    #[test]
    fn not_phones() {
        for s in [
            "2024-01-15",
            "07-07-2026",
            "10:30",
            "16,339,254円",
            "v1.2.3",
            "03-1234-56789",
            "090-123-45678",
            "070-523-3066",
            "0120-26-6954",
            "1234-5678-9018",
            "123456789018",
            "069516060689",
            "192.168.0.1",
            "03-1234-5678-9",
            "4547839571050",
            "486-3410",
        ] {
            let got = find(&format!("メモ {s} です"));
            assert!(
                got.iter().all(|c| c.confidence < Confidence::Medium),
                "{s}: {got:?}"
            );
        }
    }

    #[test]
    fn context_and_kanji_neighbours() {
        assert_eq!(find("電話090-1234-5678")[0].confidence, Confidence::High);
        assert_eq!(
            find("090-1234-5678に連絡")[0].confidence,
            Confidence::Medium
        );
        assert_eq!(find("0312345678")[0].confidence, Confidence::Low);
        assert!(find("伝票番号：0312345678").is_empty());
        assert_eq!(find("携帯 0806-85-4691")[0].confidence, Confidence::High);
        assert_eq!(
            find("折り返し先：０１２０－２６６－９５４")[0].masked,
            "****-**6-954"
        );
    }
}
