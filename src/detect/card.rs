//! クレジットカード番号: 13–19 digits, Luhn-valid, in an issuer's range
//! (Visa 4; Mastercard 51–55, 2221–2720; American Express 34, 37; JCB
//! 3528–3589; Diners 300–305, 36, 38; Discover 6011, 644–649, 65), plain or
//! grouped 4-4-4-4, 4-6-5 or 4-6-4.
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `credit_card.keyword` | a card keyword (クレジットカード, カード番号, VISA, JCB…) is the nearest label | high |
//! | `credit_card.grouped` | grouped like a card, no label | medium |
//! | `credit_card.checksum` | plain digits, no label | low |
//! | — | under another identifier's label | not reported |

use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds payment card numbers.
pub struct CreditCardDetector;

/// The Luhn check over ASCII digits.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The issuer of a card number, by its IIN and length.
pub fn issuer(digits: &str) -> Option<&'static str> {
    let n = digits.len();
    let p = |k: usize| digits[..k].parse::<u32>().unwrap_or(0);
    Some(match (p(1), p(2), p(3), p(4)) {
        (4, ..) if matches!(n, 13 | 16 | 19) => "visa",
        (_, 51..=55, ..) | (.., 2221..=2720) if n == 16 => "mastercard",
        (_, 34 | 37, ..) if n == 15 => "amex",
        (.., 3528..=3589) if (16..=19).contains(&n) => "jcb",
        (_, _, 300..=305, _) | (_, 36 | 38, ..) if (14..=19).contains(&n) => "diners",
        (.., 6011) | (_, _, 644..=649, _) | (_, 65, ..) if (16..=19).contains(&n) => "discover",
        _ => return None,
    })
}

impl Detector for CreditCardDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        for run in &input.runs {
            let shape = run.shape();
            let grouped = matches!(shape.as_slice(), [4, 4, 4, 4] | [4, 6, 5] | [4, 6, 4])
                && run.uniform_separators();
            let plain = shape.len() == 1 && (13..=19).contains(&shape[0]);
            if !(grouped || plain) || run.touches_letter {
                continue;
            }
            let digits = run.digits(text);
            if !luhn(&digits) || issuer(&digits).is_none() {
                continue;
            }
            let (rule, confidence) = match input.label_before(run.start) {
                Some(Signal::Identifier(Category::CreditCard)) => {
                    ("credit_card.keyword", Confidence::High)
                }
                Some(Signal::OtherId | Signal::Identifier(_) | Signal::MyNumber) => continue,
                _ if grouped => ("credit_card.grouped", Confidence::Medium),
                _ => ("credit_card.checksum", Confidence::Low),
            };
            out.push(input.run_candidate(run, Category::CreditCard, rule, confidence, digits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on_line;

    fn find(text: &str) -> Vec<Candidate> {
        run_on_line(&CreditCardDetector, text)
    }

    #[test]
    fn luhn_and_issuers() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert_eq!(issuer("4111111111111111"), Some("visa"));
        assert_eq!(issuer("5555555555554444"), Some("mastercard"));
        assert_eq!(issuer("378282246310005"), Some("amex"));
        assert_eq!(issuer("3530111333300000"), Some("jcb"));
        assert_eq!(issuer("30569309025904"), Some("diners"));
        assert_eq!(issuer("6011111111111117"), Some("discover"));
        assert_eq!(issuer("9111111111111111"), None);
    }

    #[test]
    fn context_decides() {
        assert_eq!(
            find("カード番号：4111 1111 1111 1111")[0].confidence,
            Confidence::High
        );
        assert_eq!(
            find("VISA 4111-1111-1111-1111")[0].masked,
            "****-****-****-1111"
        );
        assert_eq!(
            find("4111-1111-1111-1111")[0].confidence,
            Confidence::Medium
        );
        assert_eq!(find("3530111333300000")[0].confidence, Confidence::Low);
        assert!(find("注文番号 4111111111111111").is_empty());
        assert!(find("カード番号 4111111111111112").is_empty());
        assert!(find("4111-1111-1111-1111-1111").is_empty());
    }
}
