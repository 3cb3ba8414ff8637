//! 個人番号 (My Number): 12 digits, plain or grouped 4-4-4, with a check digit.
//!
//! Confidence comes from context, because about one random 12-digit number
//! in eleven passes the check:
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `my_number.keyword` | a My Number keyword is the nearest label before the value (same line or cell, column header, previous line or cell) | high |
//! | `my_number.keyword_after` | no label before; a My Number keyword right after (`…（マイナンバー）`) | medium |
//! | `my_number.checksum` | no label at all | low |
//! | `my_number.lost_leading_zero` | a spreadsheet number of 11 digits under a My Number column that is valid with its leading zero restored | high |
//! | — | the nearest label names another identifier (注文番号, 口座, JAN, 法人番号…) | not reported |
//!
//! Never taken from a longer number: the whole digit run must be 12 digits
//! or three groups of four joined by one kind of separator.

use super::digits::{Run, is_valid_my_number};
use super::keywords::Signal;
use super::{Candidate, Detector, Input, mask_digits};
use crate::finding::{Category, Confidence};

/// Finds My Numbers.
pub struct MyNumberDetector;

fn is_my_number_shape(run: &Run) -> bool {
    let shape = run.shape();
    shape == [12] || (shape == [4, 4, 4] && run.uniform_separators())
}

/// A spreadsheet stored a My Number as a number and dropped its leading
/// zero: eleven digits in a numeric cell under a My Number column.
fn lost_leading_zero(input: &Input<'_>, out: &mut Vec<Candidate>) {
    let text = input.norm.as_str();
    let numeric = input.unit.cell.as_ref().is_some_and(|c| c.numeric);
    if !numeric || text.len() != 11 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let digits = format!("0{text}");
    if is_valid_my_number(&digits) && input.label_before(0) == Some(Signal::MyNumber) {
        out.push(Candidate {
            category: Category::MyNumber,
            rule: "my_number.lost_leading_zero",
            confidence: Confidence::High,
            start: 0,
            end: text.len(),
            masked: mask_digits(&digits, 4),
            value: digits,
        });
    }
}

impl Detector for MyNumberDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        lost_leading_zero(input, out);
        let text = input.norm.as_str();
        for whole in &input.runs {
            for run in whole.split_at_spaces_if(|r| !is_my_number_shape(r)) {
                if run.touches_letter || !is_my_number_shape(&run) {
                    continue;
                }
                let digits = run.digits(text);
                if !is_valid_my_number(&digits) {
                    continue;
                }
                let (rule, confidence) = match input.label_before(run.start) {
                    Some(Signal::MyNumber) => ("my_number.keyword", Confidence::High),
                    Some(_) => continue,
                    None => match input.label_after(run.end) {
                        Some(Signal::MyNumber) => ("my_number.keyword_after", Confidence::Medium),
                        Some(_) => continue,
                        None => ("my_number.checksum", Confidence::Low),
                    },
                };
                out.push(input.run_candidate(&run, Category::MyNumber, rule, confidence, digits));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on;
    use crate::unit::TextUnit;

    fn find(text: &str) -> Vec<Candidate> {
        find_in(TextUnit::line(text.into(), 1, 0, 0))
    }

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        run_on(&MyNumberDetector, &unit)
    }

    #[test]
    fn every_separator_and_width() {
        for s in [
            "123456789018",
            "1234 5678 9018",
            "1234-5678-9018",
            "1234.5678.9018",
            "1234　5678　9018",
            "１２３４５６７８９０１８",
            "１２３４－５６７８－９０１８",
            "1234‐5678‑9018",
            "1234–5678–9018",
            "1234—5678—9018",
            "1234―5678―9018",
            "1234−5678−9018",
            "1234ー5678ー9018",
            "1234ｰ5678ｰ9018",
        ] {
            let text = format!("個人番号：{s}。");
            let got = find(&text);
            assert_eq!(got.len(), 1, "{s}");
            assert_eq!(got[0].confidence, Confidence::High, "{s}");
            assert_eq!(got[0].value, "123456789018");
            assert_eq!(&text[got[0].start..got[0].end], s);
            assert!(got[0].masked.ends_with("9018") && got[0].masked.starts_with("****"));
        }
    }

    #[test]
    fn check_digit_must_hold() {
        assert!(find("個人番号：123456789019").is_empty());
    }

    #[test]
    fn never_inside_a_longer_run() {
        for s in [
            "1123456789018",
            "1234567890180",
            "1234-5678-9018-1234",
            "9-1234-5678-9018",
            "1234-5678.9018",
            "AB123456789018",
            "123456789018X",
            "請求書No.123456789018-99",
        ] {
            assert!(find(&format!("個人番号 {s}")).is_empty(), "{s}");
        }
    }

    #[test]
    fn context_decides_confidence() {
        assert_eq!(
            find("マイナンバー 123456789018")[0].confidence,
            Confidence::High
        );
        assert_eq!(
            find("My Number: 1234-5678-9018")[0].confidence,
            Confidence::High
        );
        assert_eq!(
            find("123456789018（マイナンバー）")[0].confidence,
            Confidence::Medium
        );
        assert_eq!(find("番号 123456789018")[0].confidence, Confidence::Low);
        assert_eq!(find("2024 123456789018")[0].confidence, Confidence::Low);
        for label in [
            "注文番号",
            "伝票番号：",
            "管理番号",
            "受付番号",
            "JANコード",
            "口座番号",
            "法人番号",
        ] {
            assert!(find(&format!("{label} 123456789018")).is_empty(), "{label}");
        }
        // The nearest label wins.
        assert_eq!(
            find("伝票番号なし、個人番号：123456789018")[0].confidence,
            Confidence::High
        );
    }

    #[test]
    fn a_number_cell_that_lost_its_leading_zero() {
        use crate::unit::CellRef;
        let valid = (0..10)
            .map(|d| format!("01234567890{d}"))
            .find(|n| is_valid_my_number(n))
            .unwrap();
        let mut unit = TextUnit {
            text: valid[1..].to_string(),
            column_header: Some("マイナンバー".into()),
            cell: Some(CellRef {
                sheet: "s".into(),
                row: 1,
                column: 0,
                sheet_hidden: false,
                numeric: true,
            }),
            ..Default::default()
        };
        let got = find_in(unit.clone());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value, valid);
        assert_eq!(got[0].rule, "my_number.lost_leading_zero");
        // Text cells and other columns keep their digits as they are.
        unit.cell.as_mut().unwrap().numeric = false;
        assert!(find_in(unit.clone()).is_empty());
        unit.cell.as_mut().unwrap().numeric = true;
        unit.column_header = Some("社員番号".into());
        assert!(find_in(unit).is_empty());
    }

    #[test]
    fn column_header_and_previous_cell_are_context() {
        let mut unit = TextUnit::line("123456789018".into(), 2, 0, 0);
        unit.column_header = Some("個人番号".into());
        assert_eq!(find_in(unit.clone())[0].confidence, Confidence::High);
        unit.column_header = Some("注文番号".into());
        assert!(find_in(unit.clone()).is_empty());
        unit.column_header = None;
        unit.preceding = "マイナンバー".into();
        assert_eq!(find_in(unit)[0].confidence, Confidence::High);
    }
}
