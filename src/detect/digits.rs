//! Digit runs in normalised text, and the check digits of Japanese numbers.
//!
//! A run is a maximal sequence of digit groups joined by single separators
//! (`-`, `.`, space). Detectors judge a run as a whole, so a value is never
//! taken from inside a longer number: `1234-5678-9012-3456` is one run of
//! four groups, not a My Number followed by four digits.

/// Separators that join digit groups (after normalisation, every dash
/// look-alike is `-` and the ideographic space is a space).
pub const SEPARATORS: &[u8] = b"-. ";

/// One maximal digit run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Byte offset in the normalised text.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// Byte ranges of the digit groups.
    pub groups: Vec<(usize, usize)>,
    /// The separator after each group but the last.
    pub separators: Vec<u8>,
    /// An ASCII letter touches the run (a product code such as `AB123456`).
    pub touches_letter: bool,
}

impl Run {
    /// Number of digits in each group.
    pub fn shape(&self) -> Vec<usize> {
        self.groups.iter().map(|(s, e)| e - s).collect()
    }

    /// The digits only.
    pub fn digits(&self, text: &str) -> String {
        self.groups.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    /// All separators are the same character.
    pub fn uniform_separators(&self) -> bool {
        self.separators.windows(2).all(|w| w[0] == w[1])
    }

    /// The run itself if `split` says no, else [`Run::split_at_spaces`].
    pub fn split_at_spaces_if(&self, split: impl Fn(&Run) -> bool) -> Vec<Run> {
        if split(self) {
            self.split_at_spaces()
        } else {
            vec![self.clone()]
        }
    }

    /// Splits the run at its spaces: a space is a weak separator, so
    /// `2024 123456789018` is a year and a number.
    pub fn split_at_spaces(&self) -> Vec<Run> {
        let mut out = Vec::new();
        let mut first = 0;
        for i in 0..=self.separators.len() {
            if i == self.separators.len() || self.separators[i] == b' ' {
                out.push(Run {
                    start: self.groups[first].0,
                    end: self.groups[i].1,
                    groups: self.groups[first..=i].to_vec(),
                    separators: self.separators[first..i].to_vec(),
                    touches_letter: (first == 0 || i == self.separators.len())
                        && self.touches_letter,
                });
                first = i + 1;
            }
        }
        out
    }
}

/// Every maximal digit run in `text` (normalised: ASCII digits).
pub fn runs(text: &str) -> Vec<Run> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut groups = Vec::new();
        let mut separators = Vec::new();
        loop {
            let g = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            groups.push((g, i));
            if i + 1 < b.len() && SEPARATORS.contains(&b[i]) && b[i + 1].is_ascii_digit() {
                separators.push(b[i]);
                i += 1;
            } else {
                break;
            }
        }
        let touches_letter = (start > 0 && b[start - 1].is_ascii_alphabetic())
            || (i < b.len() && b[i].is_ascii_alphabetic());
        out.push(Run {
            start,
            end: i,
            groups,
            separators,
            touches_letter,
        });
    }
    out
}

fn digit_values(digits: &str) -> Vec<u32> {
    digits.bytes().map(|d| u32::from(d - b'0')).collect()
}

/// The check digit of a My Number from its first 11 digits (番号法施行令
/// 第8条, 総務省令第85号 第5条): weights 6,5,4,3,2,7,6,5,4,3,2 from the left,
/// r = sum mod 11, check = 0 if r ≤ 1 else 11 − r.
pub fn my_number_check_digit(first11: &[u32]) -> u32 {
    const W: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let r = first11.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11;
    if r <= 1 { 0 } else { 11 - r }
}

/// `digits` (12 ASCII digits) is a My Number with a valid check digit.
pub fn is_valid_my_number(digits: &str) -> bool {
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d = digit_values(digits);
    my_number_check_digit(&d[..11]) == d[11]
}

/// `digits` (13 ASCII digits) is a 法人番号 with a valid check digit: the
/// first digit is 9 − (Σ weights 1,2,1,2… from the right over the other
/// twelve) mod 9.
pub fn is_valid_corporate_number(digits: &str) -> bool {
    if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d = digit_values(digits);
    let sum: u32 = d[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| v * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    d[0] == 9 - sum % 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_number_check_digit_worked_examples() {
        // 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212; 212 mod 11 = 3; 11−3 = 8
        assert!(is_valid_my_number("123456789018"));
        assert!(!is_valid_my_number("123456789019"));
        // r ≤ 1 gives check digit 0: 00000000001x → 1·2 = 2 → 9; 000000000000 → r=0 → 0
        assert!(is_valid_my_number("000000000000"));
        assert!(is_valid_my_number("000000000019"));
        // 6·1 = 6 → 11−6 = 5; with a leading 1 and a 1 in the 10th place: 6+3=9 → 2
        assert!(is_valid_my_number("100000000005"));
        assert!(is_valid_my_number("100000000102"));
        assert!(!is_valid_my_number("12345678901"));
        assert!(!is_valid_my_number("12345678901a"));
    }

    #[test]
    fn every_last_digit_but_one_fails() {
        let valid = (0..10)
            .filter(|d| is_valid_my_number(&format!("12345678901{d}")))
            .count();
        assert_eq!(valid, 1);
    }

    #[test]
    fn corporate_number_check_digit() {
        // 国税庁: 法人番号 of the National Tax Agency itself is 7000012050002.
        assert!(is_valid_corporate_number("7000012050002"));
        assert!(!is_valid_corporate_number("8000012050002"));
        // x234567890123: from the right 3,2,1,0,9,8,7,6,5,4,3,2 × 1,2,1,2… = 72;
        // 72 mod 9 = 0 → check digit 9.
        assert!(is_valid_corporate_number("9234567890123"));
        assert!(!is_valid_corporate_number("0234567890123"));
    }

    #[test]
    fn runs_are_maximal_and_keep_their_shape() {
        let t = "番号 1234-5678-9012-3456 と 2024 123456789018 x99";
        let r = runs(t);
        assert_eq!(r[0].shape(), [4, 4, 4, 4]);
        assert_eq!(r[1].shape(), [4, 12]);
        let parts = r[1].split_at_spaces();
        assert_eq!(parts[1].digits(t), "123456789018");
        assert!(r[2].touches_letter);
    }

    #[test]
    fn a_trailing_separator_is_not_part_of_the_run() {
        let r = runs("1234-5678-9012- です");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].shape(), [4, 4, 4]);
    }
}
