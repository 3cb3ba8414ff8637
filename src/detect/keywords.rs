//! Context keywords: the labels that say what a nearby value is.
//!
//! Loaded from `dictionaries/context_keywords.tsv` (compiled in) and matched
//! with one Aho-Corasick automaton over normalised text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::error::{Error, ErrorKind, Result};
use crate::finding::Category;

/// What a keyword says about the value after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// A 個人番号 (My Number) follows.
    MyNumber,
    /// A 法人番号 follows.
    CorporateNumber,
    /// Some other identifier or number follows.
    OtherId,
    /// A phone number follows.
    Phone,
    /// An e-mail address follows.
    Email,
    /// A postal code follows.
    PostalCode,
    /// A residential or postal address follows.
    Address,
    /// A domicile of origin (本籍) follows.
    Domicile,
    /// A person's name follows.
    Person,
    /// The value of another identifier category follows (旅券番号 →
    /// passport, 口座番号 → bank_account…).
    Identifier(Category),
    /// A bank, branch or account type (銀行, 支店, 普通, 当座): context for a
    /// bank account number.
    Bank,
    /// A value of a sensitive category follows (既往歴 → health, 賞罰 →
    /// criminal, 宗教 → creed…); as a column header it makes the column's
    /// values that category.
    Sensitive(Category),
}

impl Signal {
    fn parse(s: &str) -> Option<Signal> {
        Some(match s {
            "my_number" => Signal::MyNumber,
            "corporate_number" => Signal::CorporateNumber,
            "other_id" => Signal::OtherId,
            "phone" => Signal::Phone,
            "email" => Signal::Email,
            "postal_code" => Signal::PostalCode,
            "address" => Signal::Address,
            "domicile" => Signal::Domicile,
            "person" => Signal::Person,
            "bank" => Signal::Bank,
            other => match Category::from_id(other) {
                Some(c) if c.is_sensitive_term() => Signal::Sensitive(c),
                Some(
                    c @ (Category::CreditCard
                    | Category::Passport
                    | Category::DriversLicense
                    | Category::ResidenceCard
                    | Category::PensionNumber
                    | Category::HealthInsuranceNumber
                    | Category::BankAccount
                    | Category::DateOfBirth),
                ) => Signal::Identifier(c),
                _ => return None,
            },
        })
    }
}

/// The signal names a keyword file may use.
pub const SIGNALS: &str = "my_number, corporate_number, other_id, phone, email, postal_code, address, domicile, person, bank, an identifier category (credit_card, passport, drivers_license, residence_card, pension_number, health_insurance_number, bank_account, date_of_birth), or a sensitive category (health, criminal, crime_victim, race_ethnicity, creed, social_status, union_membership, sex_life)";

/// A keyword found in some text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// What it signals.
    pub signal: Signal,
    /// Byte range in the searched text.
    pub start: usize,
    /// End of the keyword (exclusive).
    pub end: usize,
}

/// The compiled keyword set.
#[derive(Debug, Clone)]
pub struct Keywords {
    automaton: AhoCorasick,
    signals: Vec<Signal>,
    terms: Vec<String>,
}

/// The built-in keyword list.
pub const BUILTIN: &str = include_str!("../../dictionaries/context_keywords.tsv");

impl Keywords {
    /// The built-in keywords.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN, "context_keywords.tsv").expect("built-in keyword list is valid")
    }

    /// Parses a keyword list (`term<TAB>signal` lines); `name` is used in
    /// errors, which give the line number.
    pub fn parse(src: &str, name: &str) -> Result<Self> {
        let mut terms = Vec::new();
        let mut signals = Vec::new();
        for (i, line) in src.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| Error::new(ErrorKind::Config, format!("{name}:{}: {why}", i + 1));
            let (term, signal) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected `term<TAB>signal`"))?;
            let signal = Signal::parse(signal.trim())
                .ok_or_else(|| bad(&format!("unknown signal `{}` ({SIGNALS})", signal.trim())))?;
            let term = crate::normalize::normalize(term.trim())
                .as_str()
                .to_string();
            if term.is_empty() {
                return Err(bad("empty term"));
            }
            terms.push(term);
            signals.push(signal);
        }
        // A DFA: searched in every unit with a candidate, and a few hundred
        // terms make a small one, built in a few milliseconds.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&terms)
            .map_err(|e| Error::new(ErrorKind::Config, format!("{name}: {e}")))?;
        Ok(Keywords {
            automaton,
            signals,
            terms,
        })
    }

    /// The keywords, normalised, with what each signals.
    pub fn terms(&self) -> impl Iterator<Item = (&str, Signal)> {
        self.terms
            .iter()
            .map(String::as_str)
            .zip(self.signals.iter().copied())
    }

    /// Every keyword in `text`, left to right.
    pub fn find_all<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Hit> + 'a {
        self.automaton.find_iter(text).map(|m| Hit {
            signal: self.signals[m.pattern().as_usize()],
            start: m.start(),
            end: m.end(),
        })
    }

    /// The last keyword in `text` (the one nearest its end).
    pub fn last(&self, text: &str) -> Option<Hit> {
        self.find_all(text).last()
    }

    /// The first keyword in `text`.
    pub fn first(&self, text: &str) -> Option<Hit> {
        self.find_all(text).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_label_wins() {
        let k = Keywords::builtin();
        let hit = k.last("伝票番号 1, 個人番号：").unwrap();
        assert_eq!(hit.signal, Signal::MyNumber);
        assert_eq!(
            k.last("個人番号 1, 注文番号").unwrap().signal,
            Signal::OtherId
        );
        assert_eq!(k.last("My Number:").unwrap().signal, Signal::MyNumber);
        assert_eq!(k.last("本日もがんばりましょう"), None);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err =
            Keywords::parse("# c\n個人番号\tmy_number\n伝票番号\tslip\n", "x.tsv").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.tsv:3: unknown signal `slip`"),
            "{err}"
        );
        let err = Keywords::parse("no tab here\n", "y.tsv").unwrap_err();
        assert!(err.to_string().starts_with("y.tsv:1:"));
    }
}
