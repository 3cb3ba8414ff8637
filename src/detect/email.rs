//! メールアドレス, including full-width `＠` and letters (normalised first).
//!
//! `email.keyword` (high) with a mail keyword or column header, otherwise
//! `email.pattern` (medium): an address is personal data on its own. The
//! local part takes the characters people and mail systems use (`+tag`,
//! `=`, `-`, `_`, VERP's `bounce+user=example.jp`), so the address is found
//! whole and masked and fingerprinted as such.

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds e-mail addresses.
pub struct EmailDetector;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[a-z0-9_=+\-][a-z0-9._%+=!#$&*^~\-]{0,63}@[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?)*\.[a-z]{2,24}",
    )
    .expect("valid email regex")
});
local_copy!(EMAIL_HERE = EMAIL);

/// `n***@example.co.jp`: the first character of the local part and the domain.
pub fn mask_email(addr: &str) -> String {
    match addr.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

impl Detector for EmailDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        if !text.contains('@') {
            return;
        }
        EMAIL_HERE.with(|re| {
            for m in re.find_iter(text) {
                let b = text.as_bytes();
                // The local part must not continue to the left.
                if m.start() > 0
                    && (b[m.start() - 1].is_ascii_alphanumeric()
                        || b"._%+-=!#$&*^~".contains(&b[m.start() - 1]))
                {
                    continue;
                }
                let (rule, confidence) = match input.label_before(m.start()) {
                    Some(Signal::Email) => ("email.keyword", Confidence::High),
                    _ => ("email.pattern", Confidence::Medium),
                };
                let (start, end) = input.original_range(m.start(), m.end());
                let value = m.as_str().to_ascii_lowercase();
                out.push(Candidate {
                    category: Category::Email,
                    rule,
                    confidence,
                    start,
                    end,
                    masked: mask_email(&value),
                    value,
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
        run_on_line(&EmailDetector, text)
    }

    #[test]
    fn finds_addresses_in_any_width() {
        let got = find("連絡先メール：nakano-kazuya@docomo.ne.jp まで");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].confidence, Confidence::High);
        assert_eq!(got[0].masked, "n***@docomo.ne.jp");
        let text = "ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ";
        let got = find(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value, "yamada@example.co.jp");
        assert_eq!((got[0].start, got[0].end), (0, text.len()));
        assert_eq!(
            find("送信者 a.b+c@mail.example.com")[0].confidence,
            Confidence::Medium
        );
    }

    #[test]
    fn local_parts_with_plus_equals_and_hyphens_are_whole() {
        for addr in [
            "bounce+kakuu=example.jp@mail.example.com",
            "-taro@example.jp",
            "=taro=@example.jp",
            "first_last+tag@example.co.jp",
        ] {
            let text = format!("宛先 {addr} まで");
            let got = find(&text);
            assert_eq!(got.len(), 1, "{addr}");
            assert_eq!(&text[got[0].start..got[0].end], addr);
            assert_eq!(got[0].value, addr.to_ascii_lowercase());
            assert!(got[0].masked.ends_with(&addr[addr.find('@').unwrap()..]));
        }
    }

    #[test]
    fn not_addresses() {
        for s in [
            "@mention",
            "user@localhost",
            "a@b",
            "価格@100円",
            "foo@bar.",
            "ver@1.2",
        ] {
            assert!(find(s).is_empty(), "{s}");
        }
    }
}
