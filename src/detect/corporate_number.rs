//! 法人番号 (corporate number): 13 digits whose first digit is a check digit.
//!
//! Reported as its own category so that a 13-digit number is never taken
//! for a My Number. `corporate_number.keyword` (high) needs a 法人番号
//! keyword as the nearest label; without one it is `corporate_number.checksum`
//! (low); under another identifier's label (JAN, 注文番号…) it is dropped.

use super::digits::is_valid_corporate_number;
use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds corporate numbers.
pub struct CorporateNumberDetector;

impl Detector for CorporateNumberDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        for whole in &input.runs {
            for run in whole.split_at_spaces_if(|r| r.shape() != [13]) {
                if run.touches_letter || run.shape() != [13] {
                    continue;
                }
                let digits = run.digits(text);
                if !is_valid_corporate_number(&digits) {
                    continue;
                }
                let (rule, confidence) = match input.label_before(run.start) {
                    Some(Signal::CorporateNumber) => ("corporate_number.keyword", Confidence::High),
                    Some(Signal::OtherId | Signal::Phone | Signal::Identifier(_)) => continue,
                    _ => ("corporate_number.checksum", Confidence::Low),
                };
                out.push(input.run_candidate(
                    &run,
                    Category::CorporateNumber,
                    rule,
                    confidence,
                    digits,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on_line;

    fn find(text: &str) -> Vec<Candidate> {
        run_on_line(&CorporateNumberDetector, text)
    }

    #[test]
    fn keyword_makes_it_high_and_other_labels_drop_it() {
        assert_eq!(
            find("法人番号 7000012050002")[0].confidence,
            Confidence::High
        );
        assert_eq!(find("7000012050002")[0].confidence, Confidence::Low);
        assert!(find("JANコード 7000012050002").is_empty());
        assert!(find("法人番号 8000012050002").is_empty());
        assert!(find("法人番号 T7000012050002").is_empty());
    }
}
