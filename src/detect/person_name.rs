//! 氏名: person names, confirmed with IPADIC.
//!
//! * In tables, a value under a name column (氏名, 名前, フリガナ, カナ, 担当者,
//!   患者名…) that looks like a name (kanji or kana, no digits) is a name;
//!   katakana and hiragana readings count there (`person_name.column`, high).
//! * In text, IPADIC's 名詞,固有名詞,人名,姓 followed by a given name (人名,名),
//!   or by an honorific (様, さん, 氏, 殿, 君: 名詞,接尾,人名), is a name:
//!   high with an honorific or a person label before it (氏名, 患者, 申請者,
//!   担当, 候補者…), medium otherwise (`person_name.token`).
//! * Company and place names are not: 株式会社佐藤商事 is one organisation
//!   token, 中村区 is a surname followed by a place suffix.
//!
//! Tokenizing is the slow step (about 14 MB/s), so a unit is tokenized only
//! if it holds a kanji and either an honorific, a person label, or other
//! personal data (a candidate of another detector): where a name decides
//! something.

use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};
use crate::tokenize::{Token, Tokenizer};

/// Finds person names.
pub struct PersonNameDetector {
    tokenizer: &'static Tokenizer,
}

impl PersonNameDetector {
    /// A detector using the shared tokenizer; `None` if the dictionary
    /// cannot be loaded.
    pub fn new() -> Option<Self> {
        Tokenizer::shared()
            .ok()
            .map(|tokenizer| PersonNameDetector { tokenizer })
    }
}

const HONORIFICS: [&str; 8] = ["様", "さま", "さん", "氏", "殿", "君", "くん", "ちゃん"];

/// Looks like a name written in one table cell.
fn name_like(text: &str) -> bool {
    let t = text.trim();
    let n = t.chars().count();
    (2..=16).contains(&n)
        && t.chars().all(|c| {
            matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3005}' | '\u{3040}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' | ' ' | '\u{3000}')
        })
        && t.chars().any(|c| !matches!(c, ' ' | '\u{3000}' | '・'))
}

/// `山＊＊`: the first character only.
fn mask_name(name: &str) -> String {
    let first: String = name.trim().chars().take(1).collect();
    format!("{first}＊＊")
}

fn is_surname(t: &Token) -> bool {
    t.is(&["名詞", "固有名詞", "人名", "姓"])
}

fn is_given(t: &Token) -> bool {
    t.is(&["名詞", "固有名詞", "人名", "名"])
}

fn is_honorific(t: &Token) -> bool {
    t.is(&["名詞", "接尾", "人名"]) || HONORIFICS.contains(&t.surface.as_str())
}

fn is_space(t: &Token) -> bool {
    t.surface.chars().all(char::is_whitespace)
}

impl Detector for PersonNameDetector {
    fn categories(&self) -> &'static [Category] {
        &[Category::PersonName]
    }

    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let unit = input.unit;
        let text = unit.text.as_str();
        // Tables: the column says it is a name.
        if let Some(h) = &unit.column_header
            && matches!(input.keywords.last(h), Some(hit) if hit.signal == Signal::Person)
        {
            if name_like(text) {
                let start = text.len() - text.trim_start().len();
                let end = text.trim_end().len();
                out.push(Candidate {
                    category: Category::PersonName,
                    rule: "person_name.column",
                    confidence: Confidence::High,
                    start,
                    end,
                    value: text.split_whitespace().collect(),
                    masked: mask_name(text),
                });
            }
            return;
        }
        if !text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
            return;
        }
        let has_trigger = !out.is_empty()
            || HONORIFICS.iter().any(|h| text.contains(h))
            || input
                .keywords
                .find_all(input.norm.as_str())
                .next()
                .is_some();
        if !has_trigger {
            return;
        }
        let Ok(tokens) = self.tokenizer.tokenize(text) else {
            return;
        };
        let mut i = 0;
        while i < tokens.len() {
            if !is_surname(&tokens[i]) {
                i += 1;
                continue;
            }
            let start = tokens[i].start;
            let mut end = tokens[i].end;
            let mut j = i + 1;
            while j < tokens.len() && is_space(&tokens[j]) {
                j += 1;
            }
            let mut given = false;
            if j < tokens.len() && is_given(&tokens[j]) {
                end = tokens[j].end;
                given = true;
                j += 1;
            }
            let honorific = j < tokens.len() && is_honorific(&tokens[j]);
            if !(given || honorific) {
                i += 1;
                continue;
            }
            let labelled = matches!(
                input.label_before(input.norm_offset(start)),
                Some(Signal::Person)
            );
            let confidence = if honorific || labelled {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let name = &text[start..end];
            out.push(Candidate {
                category: Category::PersonName,
                rule: "person_name.token",
                confidence,
                start,
                end,
                value: name.split_whitespace().collect(),
                masked: mask_name(name),
            });
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::keywords::Keywords;
    use crate::unit::TextUnit;

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        let k = Keywords::builtin();
        let input = Input::new(&unit, &k);
        let mut out = Vec::new();
        PersonNameDetector::new().unwrap().detect(&input, &mut out);
        out
    }

    fn names(text: &str) -> Vec<(String, Confidence)> {
        let unit = TextUnit::line(text.into(), 1, 0, 0);
        find_in(unit.clone())
            .into_iter()
            .map(|c| (unit.text[c.start..c.end].to_string(), c.confidence))
            .collect()
    }

    #[test]
    fn names_in_text() {
        assert_eq!(
            names("岡田　智子の既往歴：糖尿病"),
            [("岡田　智子".to_string(), Confidence::Medium)]
        );
        assert_eq!(
            names("山田太郎様より電話"),
            [("山田太郎".to_string(), Confidence::High)]
        );
        assert_eq!(
            names("〒129-9730 京都府 金子様方"),
            [("金子".to_string(), Confidence::High)]
        );
        assert_eq!(
            names("採用候補者金子智子：傷害罪"),
            [("金子智子".to_string(), Confidence::High)]
        );
    }

    #[test]
    fn not_names() {
        for s in [
            "株式会社藤井商事の件",
            "中村区役所で手続き",
            "お客様各位",
            "奥様によろしく",
            "本日もがんばりましょう",
        ] {
            assert!(names(s).is_empty(), "{s}: {:?}", names(s));
        }
    }

    #[test]
    fn name_columns_take_readings_too() {
        for (header, value) in [
            ("氏名", "林 結衣"),
            ("フリガナ", "イガラシ ユウコ"),
            ("ふりがな", "やまだ はなこ"),
        ] {
            let mut unit = TextUnit::line(value.into(), 2, 0, 0);
            unit.column_header = Some(header.into());
            let got = find_in(unit);
            assert_eq!(got.len(), 1, "{header}");
            assert_eq!(got[0].confidence, Confidence::High);
        }
        let mut unit = TextUnit::line("E12345".into(), 2, 0, 0);
        unit.column_header = Some("氏名".into());
        assert!(find_in(unit).is_empty());
    }
}
