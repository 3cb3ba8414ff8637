//! 郵便番号: NNN-NNNN marked as a postal code.
//!
//! A bare 7-digit or NNN-NNNN number is not reported; it needs one of:
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `postal_code.mark` | `〒` right before it, or a 郵便番号 label or column header | high |
//! | `postal_code.address` | NNN-NNNN followed by an address (a prefecture name) | medium |

use super::address::starts_with_prefecture;
use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds postal codes.
pub struct PostalCodeDetector;

impl Detector for PostalCodeDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        for run in &input.runs {
            let shape = run.shape();
            let hyphenated = shape == [3, 4] && run.separators == [b'-'];
            if !(hyphenated || shape == [7]) || run.touches_letter {
                continue;
            }
            let before = text[..run.start].trim_end();
            let marked = before.ends_with('〒');
            let labelled = matches!(input.label_before(run.start), Some(Signal::PostalCode));
            let address_after = starts_with_prefecture(text[run.end..].trim_start());
            let (rule, confidence) = if marked || labelled {
                ("postal_code.mark", Confidence::High)
            } else if hyphenated && address_after {
                ("postal_code.address", Confidence::Medium)
            } else {
                continue;
            };
            let digits = run.digits(text);
            let (start, end) = input.original_range(run.start, run.end);
            out.push(Candidate {
                category: Category::PostalCode,
                rule,
                confidence,
                start,
                end,
                masked: format!("{}-****", &digits[..3]),
                value: digits,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on;
    use crate::unit::TextUnit;

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        run_on(&PostalCodeDetector, &unit)
    }

    fn find(text: &str) -> Vec<Candidate> {
        find_in(TextUnit::line(text.into(), 1, 0, 0))
    }

    #[test]
    fn marked_labelled_or_followed_by_an_address() {
        assert_eq!(
            find("〒511-4612 茨城県つくば市")[0].confidence,
            Confidence::High
        );
        assert_eq!(find("〒５１１－４６１２")[0].masked, "511-****");
        assert_eq!(find("郵便番号：1000001")[0].confidence, Confidence::High);
        assert_eq!(
            find("100-0001 東京都千代田区千代田1-1")[0].confidence,
            Confidence::Medium
        );
        let mut unit = TextUnit::line("486-3410".into(), 2, 0, 0);
        unit.column_header = Some("郵便番号".into());
        assert_eq!(find_in(unit)[0].confidence, Confidence::High);
    }

    #[test]
    fn bare_numbers_are_not_postal_codes() {
        for s in [
            "486-3410",
            "品番 123-4567 を発注",
            "1234567",
            "〒12-34567",
            "03-1234-5678",
        ] {
            assert!(find(s).is_empty(), "{s}");
        }
    }
}
