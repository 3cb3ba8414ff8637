//! Detection: from a [`TextUnit`] to candidate findings with a confidence.
//!
//! Each detector looks at one unit through an [`Input`], which carries the
//! normalised text, its digit runs and the context keywords, all computed
//! once per unit. Detectors report [`Candidate`]s in terms of the unit's
//! original text; the scanner turns them into [`crate::Finding`]s.

pub mod address;
pub mod birth_date;
pub mod card;
pub mod columns;
pub mod corporate_number;
pub mod digits;
pub mod email;
pub mod gate;
mod gazetteer;
pub mod keywords;
pub mod labelled_id;
pub mod my_number;
pub mod person_name;
pub mod phone;
pub mod postal_code;
pub mod sensitive;

use crate::finding::{Category, Confidence};
use crate::normalize::{Normalized, normalize};
use crate::tokenize::{Span, Token, Tokenizer};
use crate::unit::TextUnit;
use keywords::{Keywords, Signal};

/// How many characters before a value are searched for its label.
pub const LABEL_WINDOW_BEFORE: usize = 24;
/// How many characters after a value are searched for a trailing label.
pub const LABEL_WINDOW_AFTER: usize = 12;
/// A person makes a sensitive term in the same unit medium when at most
/// this many bytes (about 50 Japanese characters) separate them.
const PERSON_REACH_BYTES: usize = 150;
/// The longest span a person is found in (a name with its honorific, a
/// label): longer spans reach a term only from within this many bytes.
const PERSON_SPAN_BYTES: usize = 256;
/// Person labels that make a record about its subject: a sensitive term
/// next to them is about a person even when the name is missed.
const SUBJECT_LABELS: &[&str] = &[
    "候補者",
    "対象者",
    "応募者",
    "受験者",
    "面談記録",
    "面接記録",
    "相談記録",
    "指導記録",
    "身上書",
];
/// Labels of identifiers that number people, not things.
const PERSON_IDS: &[&str] = &[
    "社員番号",
    "従業員番号",
    "職員番号",
    "学籍番号",
    "会員番号",
    "顧客番号",
    "顧客コード",
    "受験番号",
    "患者番号",
    "カルテ番号",
];
/// The previous line or cell labels a value only if the value starts within
/// this many characters of its unit's start.
const PRECEDING_REACH: usize = 8;

/// A value a detector believes is personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What it is.
    pub category: Category,
    /// Stable rule id (`my_number.keyword`).
    pub rule: &'static str,
    /// How sure the detector is.
    pub confidence: Confidence,
    /// Byte range in the unit's original text.
    pub start: usize,
    /// End of the range (exclusive).
    pub end: usize,
    /// The normalised value, input of the fingerprint.
    pub value: String,
    /// The value as shown in reports.
    pub masked: String,
}

/// One unit prepared for detection.
pub struct Input<'a> {
    /// The unit.
    pub unit: &'a TextUnit,
    /// Its normalised text.
    pub norm: Normalized<'a>,
    /// Digit runs of the normalised text.
    pub runs: Vec<digits::Run>,
    /// Context keywords.
    pub keywords: &'a Keywords,
    /// Candidates below this confidence will be dropped: a detector may skip
    /// work (tokenizing) that can only produce them.
    pub min_confidence: Confidence,
    /// Tables: what each column of the unit's table holds.
    pub profile: Option<&'a columns::TableProfile>,
    /// What the gate saw in the unit: detectors skip what cannot be there.
    pub seen: gate::Seen,
    hits: std::cell::OnceCell<Vec<keywords::Hit>>,
    header_signal: std::cell::OnceCell<Option<Signal>>,
    preceding_signal: std::cell::OnceCell<Option<Signal>>,
}

impl<'a> Input<'a> {
    /// Prepares `unit`.
    pub fn new(unit: &'a TextUnit, keywords: &'a Keywords) -> Self {
        let norm = normalize(&unit.text);
        let runs = digits::runs(norm.as_str());
        Input {
            unit,
            norm,
            runs,
            keywords,
            min_confidence: Confidence::Low,
            profile: None,
            seen: gate::Seen::ALL,
            hits: std::cell::OnceCell::new(),
            header_signal: std::cell::OnceCell::new(),
            preceding_signal: std::cell::OnceCell::new(),
        }
    }

    /// Every keyword in the normalised text (computed once per unit).
    pub fn hits(&self) -> &[keywords::Hit] {
        self.hits
            .get_or_init(|| self.keywords.find_all(self.norm.as_str()).collect())
    }

    /// What the unit's table column holds, when the unit is a table value
    /// and its table was profiled.
    pub fn role(&self) -> Option<columns::Role> {
        let pos = self.unit.table.as_ref()?;
        Some(self.profile?.role(pos.column))
    }

    /// What the column says the value is (computed once): the column's
    /// role (its header, or its values when the header does not say), else
    /// the keyword of its header, else the label in the row's first cell.
    pub fn header_signal(&self) -> Option<Signal> {
        *self.header_signal.get_or_init(|| {
            let from_role = |role| match role {
                columns::Role::Holds { signal, .. } => Some(signal),
                columns::Role::AddressPart { .. } => Some(Signal::Address),
                _ => None,
            };
            let from_header = || {
                self.unit
                    .column_header
                    .as_deref()
                    .and_then(|h| from_role(columns::header_role(h)))
            };
            let column = match self.role() {
                Some(columns::Role::Unknown) | None => from_header(),
                Some(role) => from_role(role),
            };
            column.or_else(|| {
                self.unit
                    .row_header
                    .as_deref()
                    .and_then(|h| from_role(columns::header_role(h)))
            })
        })
    }

    /// The column's role was inferred from its values, not read from a
    /// header.
    pub fn inferred(&self) -> bool {
        matches!(
            self.role(),
            Some(columns::Role::Holds {
                evidence: columns::Evidence::Values,
                ..
            })
        ) && self.unit.row_header.is_none()
    }

    fn preceding_signal(&self) -> Option<Signal> {
        *self.preceding_signal.get_or_init(|| {
            self.keywords
                .last(normalize(&self.unit.preceding).as_str())
                .map(|h| h.signal)
        })
    }

    /// Tokens covering `spans` of the unit's original text, each with its
    /// own context ([`Span`]), or `None` if the tokenizer is unavailable.
    /// Tokenizing is the costly step of detection, so callers ask for the
    /// least context that decides their question: a term's boundaries need a
    /// few characters, a name a few more, on the side it is.
    pub fn tokens_in(&self, spans: &[Span]) -> Option<Vec<Token<'a>>> {
        Tokenizer::shared()
            .ok()?
            .tokenize_spans(&self.unit.text, spans)
            .ok()
    }

    /// The last keyword of the unit lying within `[start, end)` of the
    /// normalised text, with offsets relative to `start`: looked up among
    /// the unit's hits by binary search instead of searching the window
    /// again for every candidate.
    fn last_hit_within(&self, start: usize, end: usize) -> Option<keywords::Hit> {
        let hits = self.hits();
        let i = hits.partition_point(|h| h.end <= end);
        let h = hits[..i].last().filter(|h| h.start >= start)?;
        Some(keywords::Hit {
            start: h.start - start,
            end: h.end - start,
            ..*h
        })
    }

    /// The first keyword of the unit lying within `[start, end)` of the
    /// normalised text.
    fn first_hit_within(&self, start: usize, end: usize) -> Option<keywords::Hit> {
        let hits = self.hits();
        let i = hits.partition_point(|h| h.start < start);
        hits.get(i).filter(|h| h.end <= end).copied()
    }

    /// The normalised text before `at`, and where the last
    /// [`LABEL_WINDOW_BEFORE`] characters of it start.
    fn window_before(&self, at: usize) -> (&str, usize) {
        let before = &self.norm.as_str()[..at];
        let start = before
            .char_indices()
            .rev()
            .nth(LABEL_WINDOW_BEFORE - 1)
            .map_or(0, |(i, _)| i);
        (before, start)
    }

    /// The label nearest before normalised offset `at`: in the same unit
    /// within [`LABEL_WINDOW_BEFORE`] characters, else in the column header,
    /// else in the previous line or cell when `at` is near the unit's start.
    pub fn label_before(&self, at: usize) -> Option<Signal> {
        let (before, window_start) = self.window_before(at);
        if let Some(hit) = self.last_hit_within(window_start, at) {
            return Some(hit.signal);
        }
        if let Some(signal) = self.header_signal() {
            return Some(signal);
        }
        if before.chars().nth(PRECEDING_REACH).is_none() {
            return self.preceding_signal();
        }
        None
    }

    /// The label right before normalised offset `at`: the nearest keyword in
    /// the same unit with nothing but label punctuation (`:`, `No.`, `#`,
    /// brackets, 記号, 番号, spaces) and digits (a 記号 before its 番号)
    /// between it and `at`; else the column
    /// header. For short values (7-digit account numbers) where a label
    /// further away proves nothing.
    pub fn label_adjacent(&self, at: usize) -> Option<Signal> {
        let (before, window_start) = self.window_before(at);
        if let Some(hit) = self.last_hit_within(window_start, at) {
            let between = &before[window_start + hit.end..];
            let filler = between
                .replace("記号", "")
                .replace("番号", "")
                .replace("No", "")
                .replace("no", "")
                .replace(|c: char| c.is_ascii_digit(), "");
            if filler.chars().count() <= 4
                && filler
                    .chars()
                    .all(|c| c.is_whitespace() || ":.#()[]「」【】-・=は".contains(c))
            {
                return Some(hit.signal);
            }
            return None;
        }
        self.header_signal()
    }

    /// Whether a keyword with `signal` occurs anywhere in the unit, its
    /// column header or the preceding text.
    pub fn mentions(&self, signal: Signal) -> bool {
        let has = |t: &str| self.keywords.find_all(t).any(|h| h.signal == signal);
        self.hits().iter().any(|h| h.signal == signal)
            || self
                .unit
                .column_header
                .as_deref()
                .is_some_and(|h| has(normalize(h).as_str()))
            || has(normalize(&self.unit.preceding).as_str())
    }

    /// The first label within [`LABEL_WINDOW_AFTER`] characters after
    /// normalised offset `at`.
    pub fn label_after(&self, at: usize) -> Option<Signal> {
        let after = &self.norm.as_str()[at..];
        let end = after
            .char_indices()
            .nth(LABEL_WINDOW_AFTER)
            .map_or(after.len(), |(i, _)| i);
        self.first_hit_within(at, at + end).map(|h| h.signal)
    }

    /// Normalised offset of an original-text offset (on a character boundary).
    pub fn norm_offset(&self, original: usize) -> usize {
        self.norm.to_normalized(original)
    }

    /// A candidate for a whole digit run, masked to its last four digits.
    pub fn run_candidate(
        &self,
        run: &digits::Run,
        category: Category,
        rule: &'static str,
        confidence: Confidence,
        value: String,
    ) -> Candidate {
        let (start, end) = self.original_range(run.start, run.end);
        Candidate {
            category,
            rule,
            confidence,
            start,
            end,
            masked: mask_digits(&self.norm.as_str()[run.start..run.end], 4),
            value,
        }
    }

    /// Original-text byte range of a normalised range.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        (self.norm.to_original(start), self.norm.to_original(end))
    }
}

/// A CJK unified ideograph or 々.
pub(crate) fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3005}')
}

/// Katakana, full- or half-width, or the prolonged sound mark ー.
pub(crate) fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '\u{FF66}'..='\u{FF9F}')
}

/// The hashes of the built-in tables, computed by `build.rs`.
mod built {
    include!(concat!(env!("OUT_DIR"), "/builtin_hashes.rs"));
}

/// A hash (SHA-256, hex) of the built-in term lists, gazetteer and keyword
/// tables, which decide, with the code of this version, what the built-in
/// detectors find. A store rescans files recorded under other rules.
///
/// Computed when mamori is built (a scan used to spend a millisecond of its
/// start on it, twice): SHA-256 over each of [`builtin_tables`], in order,
/// of its name, its length as a little-endian u64 and its text.
pub fn builtin_rules_hash() -> &'static str {
    built::RULES
}

/// Each of [`builtin_tables`] by file name, with the SHA-256 (hex) of its
/// text, computed when mamori is built.
pub fn builtin_table_hashes() -> impl Iterator<Item = (&'static str, &'static str)> {
    built::TABLES.iter().copied()
}

/// The built-in term lists (`dictionaries/`), by file name, with their text.
pub fn builtin_tables() -> impl Iterator<Item = (&'static str, &'static str)> {
    sensitive::BUILTIN.iter().copied().chain([
        ("municipalities.tsv", address::MUNICIPALITIES),
        ("context_keywords.tsv", keywords::BUILTIN),
        ("column_names.tsv", columns::COLUMN_NAMES),
    ])
}

/// Masks every digit of `value` but the last `keep`.
pub fn mask_digits(value: &str, keep: usize) -> String {
    let total = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= total.saturating_sub(keep) {
                    return '*';
                }
            }
            c
        })
        .collect()
}

/// Declares `$local`, this thread's copy of the regex `$shared`. A `Regex`
/// keeps its search caches in a pool whose fast slot belongs to the first
/// thread that searched with it; every other thread takes its cache from
/// behind a lock, beside fields the first one keeps writing. A clone has a
/// pool of its own: each worker makes its copy at its first search and is
/// that copy's first thread.
macro_rules! local_copy {
    ($local:ident = $shared:ident) => {
        thread_local! {
            static $local: regex::Regex = regex::Regex::clone(&$shared);
        }
    };
}
pub(crate) use local_copy;

/// A detector of one or more categories.
pub trait Detector: Send + Sync {
    /// Appends the candidates found in `input` to `out`.
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>);
}

/// The detectors a scan runs, with their shared keyword set.
pub struct DetectorSet {
    detectors: Vec<Box<dyn Detector>>,
    keywords: Keywords,
    gate: gate::Gate,
}

impl Default for DetectorSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl DetectorSet {
    /// Every built-in detector with the built-in keywords.
    pub fn builtin() -> Self {
        Self::with_dictionaries(&[]).expect("built-in dictionaries are valid")
    }

    /// The built-in detectors, with user dictionaries (`(name, contents)`,
    /// format of `dictionaries/health.tsv`) added to the built-in ones.
    /// A bad line is an error naming the file and line.
    pub fn with_dictionaries(extra: &[(String, String)]) -> crate::Result<Self> {
        Self::build(extra, true)
    }

    /// [`Self::with_dictionaries`], built on the calling thread alone unless
    /// `two_threads` (a scan told to use one thread uses one).
    pub fn build(extra: &[(String, String)], two_threads: bool) -> crate::Result<Self> {
        let mut detectors: Vec<Box<dyn Detector>> = vec![
            Box::new(my_number::MyNumberDetector),
            Box::new(corporate_number::CorporateNumberDetector),
            Box::new(phone::PhoneDetector),
            Box::new(email::EmailDetector),
            Box::new(postal_code::PostalCodeDetector),
            Box::new(address::AddressDetector),
            Box::new(card::CreditCardDetector),
            Box::new(labelled_id::LabelledIdDetector),
            Box::new(birth_date::BirthDateDetector),
        ];
        use sensitive::SensitiveDetector;
        let terms = SensitiveDetector::terms(extra)?;
        // Every scan starts by building this set, and its workers wait for
        // it: the keyword automaton and the dictionaries' one (built here
        // for user lists, else made by `build.rs`) are built on a second
        // thread meanwhile, which also loads the tokenizer and the person
        // names; the gazetteer and the gate's terms here.
        let (automaton, keywords, gate) = std::thread::scope(|s| {
            let side = || {
                let keywords = Keywords::builtin();
                // The first name met would otherwise load the names while
                // the other workers wait for them.
                let _ = crate::tokenize::Tokenizer::shared();
                crate::tokenize::NameLexicon::shared();
                (
                    SensitiveDetector::automaton(&terms, extra.is_empty()),
                    keywords,
                )
            };
            let spawned = two_threads.then(|| s.spawn(side));
            let mut gate = gate::GateBuilder::default();
            use gate::{Guard, Seen};
            gate.literals(
                SensitiveDetector::literals_of(&terms),
                Seen::TERM,
                Guard::None,
            );
            let places = address::place_names();
            let (automaton, keywords) = match spawned {
                Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                None => side(),
            };
            // Outside tables, only a person label finds something by itself
            // (the name after it); other labels qualify values found anyway.
            gate.literals(
                keywords
                    .terms()
                    .filter(|(_, s)| *s == Signal::Person)
                    .map(|(t, _)| t),
                Seen::PERSON,
                Guard::None,
            );
            gate.literals(places, Seen::PLACE, Guard::None);
            gate.literals(person_name::triggers(), Seen::PERSON, Guard::AfterName);
            (automaton, keywords, gate.build())
        });
        let sensitive = SensitiveDetector::with_automaton(terms, automaton?);
        detectors.push(Box::new(sensitive));
        // Runs last: it tokenizes only units where other data was found or
        // a name is signalled.
        if let Some(d) = person_name::PersonNameDetector::new() {
            detectors.push(Box::new(d));
        }
        Ok(DetectorSet {
            detectors,
            keywords,
            gate,
        })
    }

    /// The unit's table record has a value under a person or My Number
    /// column (氏名, フリガナ, 個人番号…): its values are about a person.
    fn record_has_person(&self, unit: &TextUnit, profile: Option<&columns::TableProfile>) -> bool {
        unit.record.as_ref().is_some_and(|r| {
            r.iter().any(|f| {
                let role = match profile {
                    Some(p) => p.role(f.column),
                    None => f
                        .header
                        .as_deref()
                        .map_or(columns::Role::Unknown, columns::header_role),
                };
                !f.text.trim().is_empty()
                    && matches!(
                        role,
                        columns::Role::Holds {
                            signal: Signal::Person | Signal::MyNumber,
                            ..
                        }
                    )
            })
        })
    }

    /// Runs every detector on `unit`. Candidates are sorted by position.
    pub fn detect(&self, unit: &TextUnit) -> Vec<Candidate> {
        self.detect_at(unit, Confidence::Low)
    }

    /// Like [`DetectorSet::detect`], for a scan that keeps only candidates at
    /// `min` or above: work that can only yield lower ones is skipped, so
    /// some lower candidates may be missing (never higher ones).
    pub fn detect_at(&self, unit: &TextUnit, min: Confidence) -> Vec<Candidate> {
        let profile = unit.table.as_ref().map(|t| columns::profile(&t.sample));
        self.detect_in(unit, profile.as_ref(), min)
    }

    /// False when no detector can find anything in `text` as a plain unit
    /// (a line of text outside any table): what [`DetectorSet::detect_in`]
    /// would return empty for at once. Readers ask it before building a
    /// unit (see [`crate::read::Visitor::wants`]).
    pub fn could_find_in(&self, text: &str) -> bool {
        !self.gate.scan(text).is_empty()
    }

    /// What the gate sees in `text` ([`gate::Seen`]): empty where
    /// [`DetectorSet::could_find_in`] is false. A reader that asked may hand
    /// it to [`DetectorSet::detect_seen`] for the unit of that same text.
    pub fn seen_in(&self, text: &str) -> gate::Seen {
        self.gate.scan(text)
    }

    /// Like [`DetectorSet::detect_at`], for a table value whose table was
    /// profiled already ([`columns::profile`], once per table: its units
    /// share the sample).
    pub fn detect_in(
        &self,
        unit: &TextUnit,
        profile: Option<&columns::TableProfile>,
        min: Confidence,
    ) -> Vec<Candidate> {
        self.detect_seen(unit, profile, min, None)
    }

    /// [`DetectorSet::detect_in`], with what the gate saw in the unit's text
    /// when the caller has it already ([`DetectorSet::seen_in`] of exactly
    /// `unit.text`): the gate does not run twice.
    pub fn detect_seen(
        &self,
        unit: &TextUnit,
        profile: Option<&columns::TableProfile>,
        min: Confidence,
        seen: Option<gate::Seen>,
    ) -> Vec<Candidate> {
        let mut out = Vec::new();
        // Most text outside tables holds nothing a detector starts from, and
        // one pass of the gate says so.
        let plain = unit.table.is_none()
            && unit.record.is_none()
            && unit.column_header.is_none()
            && unit.row_header.is_none();
        // Table values pass whatever their text holds (their column decides
        // as much), but detectors still skip what their text cannot hold.
        let seen = seen.unwrap_or_else(|| self.gate.scan(&unit.text));
        if plain && seen.is_empty() {
            return out;
        }
        let mut input = Input::new(unit, &self.keywords);
        input.seen = seen;
        input.min_confidence = min;
        input.profile = profile;
        for d in &self.detectors {
            d.detect(&input, &mut out);
        }
        // In a column known from its values alone, the column's own category
        // is medium: inferred, not labelled.
        if input.inferred()
            && let Some(category) = input.header_signal().and_then(columns::signal_category)
        {
            for c in out.iter_mut().filter(|c| c.category == category) {
                c.confidence = Confidence::Medium;
                c.rule = columns::profile_rule(category);
            }
        }
        // A sensitive term about a person (a name, My Number, phone or
        // e-mail near it in the same unit, or a name in the same table
        // record) is medium, not low.
        // A person is also a label for one (採用候補者, 対象者, 面談記録) or an
        // identifier's label (社員番号): a name missed is not a person missed.
        let people: Vec<(usize, usize)> = out
            .iter()
            .filter(|c| {
                matches!(
                    c.category,
                    Category::PersonName | Category::MyNumber | Category::Phone | Category::Email
                ) && c.confidence >= Confidence::Medium
                    // A name with a title (高橋課長, 山田一郎弁護士) is often a
                    // public role, and an unknown katakana word before さん
                    // only perhaps a name: neither makes its surroundings
                    // about a person.
                    && c.rule != "person_name.title"
                    && !(c.rule == "person_name.honorific" && c.confidence < Confidence::High)
            })
            .map(|c| (c.start, c.end))
            .chain(
                input
                    .hits()
                    .iter()
                    .filter(|h| {
                        let word = &input.norm.as_str()[h.start..h.end];
                        (h.signal == Signal::Person
                            && SUBJECT_LABELS.iter().any(|p| word.ends_with(p)))
                            || (h.signal == Signal::OtherId
                                && PERSON_IDS.iter().any(|p| word.ends_with(p)))
                    })
                    .map(|h| input.original_range(h.start, h.end)),
            )
            .collect();
        let upgradable = out.iter().any(|c| {
            c.category.is_sensitive_term()
                && c.confidence == Confidence::Low
                && c.rule.ends_with(".term")
        });
        let person_in_record = upgradable && self.record_has_person(unit, profile);
        if !people.is_empty() || person_in_record {
            let mut people = people;
            people.sort_unstable();
            for c in out.iter_mut() {
                if !(c.category.is_sensitive_term()
                    && c.confidence == Confidence::Low
                    && c.rule.ends_with(".term"))
                {
                    continue;
                }
                // Only people starting near the term can be near it (a
                // person's span is short): found by binary search, so a long
                // line with many of both stays linear.
                let from = people
                    .partition_point(|p| p.0 + PERSON_SPAN_BYTES + PERSON_REACH_BYTES < c.start);
                let near = person_in_record
                    || people[from..]
                        .iter()
                        .take_while(|p| p.0 <= c.end + PERSON_REACH_BYTES)
                        .any(|&(s, e)| {
                            let gap = if s >= c.end {
                                s - c.end
                            } else {
                                c.start.saturating_sub(e)
                            };
                            gap <= PERSON_REACH_BYTES
                        });
                if near {
                    c.confidence = Confidence::Medium;
                }
            }
        }
        out.sort_by_key(|c| (c.start, c.end));
        out
    }
}

/// Runs one detector alone on a unit (for detector tests).
#[cfg(test)]
pub(crate) fn run_on(detector: &dyn Detector, unit: &TextUnit) -> Vec<Candidate> {
    let keywords = Keywords::builtin();
    let input = Input::new(unit, &keywords);
    let mut out = Vec::new();
    detector.detect(&input, &mut out);
    out
}

/// Runs one detector alone on one line of text (for detector tests).
#[cfg(test)]
pub(crate) fn run_on_line(detector: &dyn Detector, text: &str) -> Vec<Candidate> {
    run_on(detector, &TextUnit::line(text.into(), 1, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_digits() {
        assert_eq!(mask_digits("1234-5678-9018", 4), "****-****-9018");
        assert_eq!(mask_digits("123", 4), "123");
    }

    #[test]
    fn the_hashes_build_rs_wrote_are_those_of_the_tables_compiled_in() {
        use sha2::{Digest, Sha256};
        let mut all = Sha256::new();
        let mut each = Vec::new();
        for (name, text) in builtin_tables() {
            all.update(name.as_bytes());
            all.update((text.len() as u64).to_le_bytes());
            all.update(text.as_bytes());
            each.push((name, crate::report::audit::sha256(text.as_bytes())));
        }
        assert_eq!(builtin_rules_hash(), crate::mask::hex(&all.finalize()));
        let built: Vec<_> = builtin_table_hashes()
            .map(|(name, hash)| (name, hash.to_string()))
            .collect();
        assert_eq!(built, each);
        assert_eq!(built.len(), 6);
    }
}
