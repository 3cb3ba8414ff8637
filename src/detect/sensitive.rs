//! Sensitive categories from dictionaries: `health` (病歴, 保健医療),
//! `criminal` (犯罪の経歴) and `crime_victim`.
//!
//! Terms live in `dictionaries/*.tsv` (format in `dictionaries/health.tsv`):
//! Aho-Corasick finds candidates in normalised text, then lindera confirms
//! that a term ends on a token boundary and starts on one (or inside a noun
//! compound ending with it, as 胃がん), so がん is not found in がんばる nor
//! 前科 in 前科学的. Offence names (…罪, …法違反) are matched by pattern.
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `<category>.column` | a non-empty value under a column such as 既往歴, 病名, 傷病名, 賞罰, 前科 | high |
//! | `<category>.labelled` | a term after a label such as 既往歴, 診断名, 病歴, 犯罪歴 in the same line or cell | high |
//! | `<category>.term` | a term alone | low; medium when a person is in the same line or cell (a name, My Number, phone, e-mail) |
//! | `<category>.weak_term` | a term that is medical or criminal only in context (入院, 妊娠, 逮捕…), alone | low |

use std::sync::LazyLock;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::gate::Seen;
use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input, is_kanji, is_katakana};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Category, Confidence};
use crate::tokenize::{Span, Token};

/// The built-in dictionaries, `(file name, contents)`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("health.tsv", include_str!("../../dictionaries/health.tsv")),
    (
        "criminal.tsv",
        include_str!("../../dictionaries/criminal.tsv"),
    ),
    (
        "special_care.tsv",
        include_str!("../../dictionaries/special_care.tsv"),
    ),
];

/// The categories a dictionary line may name.
pub const SENSITIVE_IDS: &str = "health, criminal, crime_victim, race_ethnicity, creed, social_status, union_membership, sex_life";

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The term, normalised.
    pub term: String,
    /// Its category.
    pub category: Category,
    /// Free-text subcategory.
    pub subcategory: String,
    /// 0.0–1.0; below 0.5 the term needs context.
    pub weight: f32,
}

/// Parses a dictionary; errors name the file and line.
pub fn parse_dictionary(src: &str, name: &str) -> Result<Vec<Term>> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: String| Error::new(ErrorKind::Config, format!("{name}:{}: {why}", i + 1));
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 2 || f.len() > 4 || f[0].trim().is_empty() {
            return Err(bad(
                "expected `term<TAB>category[<TAB>subcategory[<TAB>weight]]`".into(),
            ));
        }
        let category = match Category::from_id(f[1].trim()) {
            Some(c) if c.is_sensitive_term() => c,
            _ => {
                return Err(bad(format!(
                    "unknown category `{}` ({SENSITIVE_IDS})",
                    f[1].trim()
                )));
            }
        };
        let weight = match f.get(3) {
            None => 1.0,
            Some(w) => match w.trim().parse::<f32>() {
                Ok(w) if (0.0..=1.0).contains(&w) => w,
                _ => return Err(bad(format!("weight `{w}` is not a number from 0 to 1"))),
            },
        };
        out.push(Term {
            term: crate::normalize::normalize(f[0].trim())
                .as_str()
                .to_string(),
            category,
            subcategory: f.get(2).map_or("", |s| s.trim()).to_string(),
            weight,
        });
    }
    Ok(out)
}

/// Characters of context tokenized on each side of a term to decide its
/// boundaries.
const BOUNDARY_MARGIN: usize = 6;

/// Finds dictionary terms and offence names.
pub struct SensitiveDetector {
    terms: Vec<Term>,
    /// Every distinct (lower-cased) term, valued with the index of its
    /// first entry in `terms`. A character-wise double array: for some
    /// 8,000 kanji and kana terms it builds three times as fast as a byte
    /// automaton (every scan starts by building it) and searches Japanese
    /// text twice as fast.
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
}

/// The automaton of the built-in lists, as `build.rs` serialized it.
static BUILTIN_AUTOMATON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sensitive_terms.daac"));

/// What an offence name ends with (窃盗罪, 道路交通法違反): the offence
/// pattern is tried only where one of them is.
const OFFENCE_ENDINGS: [&str; 2] = ["罪", "法違反"];

static OFFENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}]{2,8}罪|[\p{Han}\p{Katakana}ー・]{2,15}法違反")
        .expect("valid offence regex")
});
local_copy!(OFFENCE_HERE = OFFENCE);

const NOT_OFFENCES: [&str; 8] = [
    "謝罪", "功罪", "犯罪", "原罪", "贖罪", "免罪", "断罪", "無罪",
];

const NONE_VALUES: [&str; 8] = [
    "なし",
    "無し",
    "無",
    "特になし",
    "特記事項なし",
    "-",
    "ー",
    "該当なし",
];

impl SensitiveDetector {
    /// The built-in dictionaries plus `extra` ones (`(name, contents)`).
    pub fn new(extra: &[(String, String)]) -> Result<Self> {
        let terms = Self::terms(extra)?;
        let automaton = Self::automaton(&terms, extra.is_empty())?;
        Ok(Self::with_automaton(terms, automaton))
    }

    /// The terms of the built-in dictionaries and of `extra` ones, in order.
    pub fn terms(extra: &[(String, String)]) -> Result<Vec<Term>> {
        let mut terms = Vec::new();
        for (name, src) in BUILTIN {
            terms.extend(parse_dictionary(src, name)?);
        }
        for (name, src) in extra {
            terms.extend(parse_dictionary(src, name)?);
        }
        Ok(terms)
    }

    /// The automaton of `terms`: with `builtin_only` (`terms` are
    /// [`Self::terms`] of no extra lists), the one `build.rs` made of the
    /// built-in lists; otherwise built here, the largest part of the
    /// detectors to build (a caller may build it on a thread of its own).
    pub fn automaton(
        terms: &[Term],
        builtin_only: bool,
    ) -> Result<CharwiseDoubleArrayAhoCorasick<u32>> {
        if builtin_only
            && let Ok((automaton, rest)) =
                CharwiseDoubleArrayAhoCorasick::deserialize(BUILTIN_AUTOMATON)
            && rest.is_empty()
        {
            return Ok(automaton);
        }
        Self::build_automaton(terms)
    }

    fn build_automaton(terms: &[Term]) -> Result<CharwiseDoubleArrayAhoCorasick<u32>> {
        // ASCII case is folded by lower-casing terms and text rather than by
        // the automaton. A term listed twice keeps its first entry. In term
        // order, as `build.rs` builds the built-in one.
        let mut first = std::collections::BTreeMap::new();
        for (i, t) in terms.iter().enumerate() {
            let i = u32::try_from(i)
                .map_err(|_| Error::new(ErrorKind::Config, "dictionaries: too many terms"))?;
            first.entry(t.term.to_ascii_lowercase()).or_insert(i);
        }
        CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build_with_values(first)
            .map_err(|e| Error::new(ErrorKind::Config, format!("dictionaries: {e}")))
    }

    /// The detector of `terms` with their [`Self::automaton`].
    pub fn with_automaton(
        terms: Vec<Term>,
        automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    ) -> Self {
        SensitiveDetector { terms, automaton }
    }

    /// The literals a match starts from among `terms`: every term, and the
    /// offence endings (…罪, …法違反).
    pub fn literals_of(terms: &[Term]) -> impl Iterator<Item = &str> {
        terms.iter().map(|t| t.term.as_str()).chain(OFFENCE_ENDINGS)
    }

    /// Number of terms loaded.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True if no terms are loaded.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

fn label_category(signal: Option<Signal>) -> Option<Category> {
    match signal {
        Some(Signal::Sensitive(c)) => Some(c),
        _ => None,
    }
}

/// `[start, end)` (original offsets) of `text` sits on token boundaries, or
/// starts inside a noun compound that ends with it after a kanji prefix
/// (胃がん, 乳癌), never inside a katakana word (オルガン, ガンダム,
/// ハーフパンツ): IPADIC splits unknown katakana words into known pieces, so a
/// katakana term must be the whole katakana run.
fn on_boundaries(tokens: &[Token], text: &str, start: usize, end: usize) -> bool {
    let term = &text[start..end];
    let glued_before = term.chars().next().is_some_and(is_katakana)
        && text[..start].chars().next_back().is_some_and(is_katakana);
    let glued_after = term.chars().next_back().is_some_and(is_katakana)
        && text[end..].chars().next().is_some_and(is_katakana);
    if glued_before || glued_after {
        return false;
    }
    // Tokens are sorted and do not overlap: find them by binary search, so
    // a line with thousands of terms costs no more per term than a short one.
    let starting_at = |at: usize| {
        let i = tokens.partition_point(|t| t.start < at);
        tokens.get(i).filter(|t| t.start == at)
    };
    let ending_at = |at: usize| {
        let i = tokens.partition_point(|t| t.end < at);
        tokens.get(i).filter(|t| t.end == at)
    };
    // A hiragana term runs on into hiragana only through a particle or an
    // auxiliary (がんと, がんで), not into another word (言ってやがんだい).
    let hiragana = |c: char| matches!(c, '\u{3041}'..='\u{3096}');
    if term.chars().all(hiragana)
        && let Some(next) = starting_at(end)
        && next.surface.chars().next().is_some_and(hiragana)
        && !next.is(&["助詞"])
        && !next.is(&["助動詞"])
    {
        return false;
    }
    let ends = ending_at(end);
    let starts = starting_at(start).is_some()
        || ends.is_some_and(|t| {
            t.start < start && t.is(&["名詞"]) && text[t.start..start].chars().all(is_kanji)
        });
    ends.is_some() && starts
}

impl Detector for SensitiveDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let unit = input.unit;
        let norm = input.norm.as_str();
        // A column such as 既往歴 or 賞罰 makes its value sensitive.
        {
            let signal = input.header_signal();
            if let Some(category) = label_category(signal) {
                let v = unit.text.trim();
                if !v.is_empty() && !NONE_VALUES.contains(&v) {
                    let start = unit.text.len() - unit.text.trim_start().len();
                    out.push(Candidate {
                        category,
                        rule: rule_id(category, RuleKind::Column),
                        confidence: Confidence::High,
                        start,
                        end: start + v.len(),
                        value: v.to_string(),
                        masked: "＊＊＊".into(),
                    });
                }
                return;
            }
        }
        if !input.seen.any(Seen::TERM) {
            return;
        }
        // Weak terms are never more than low: skip them (and the tokenizing
        // they would cost) when the scan drops low candidates.
        let keep_weak = input.min_confidence == Confidence::Low;
        let lowered;
        let haystack = if norm.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = norm.to_ascii_lowercase();
            lowered.as_str()
        } else {
            norm
        };
        let mut hits: Vec<(usize, usize, Category, f32)> = self
            .automaton
            .leftmost_find_iter(haystack)
            .map(|m| {
                let t = &self.terms[m.value() as usize];
                (m.start(), m.end(), t.category, t.weight)
            })
            .filter(|h| keep_weak || h.3 >= 0.5)
            .collect();
        let offences = OFFENCE_ENDINGS.iter().any(|e| norm.contains(e));
        OFFENCE_HERE.with(|re| {
            for m in re.find_iter(if offences { norm } else { "" }) {
                let s = m.as_str();
                if !NOT_OFFENCES.iter().any(|n| s.ends_with(n)) {
                    hits.push((m.start(), m.end(), Category::Criminal, 1.0));
                }
            }
        });
        if hits.is_empty() {
            return;
        }
        let spans: Vec<Span> = hits
            .iter()
            .map(|h| {
                let (start, end) = input.original_range(h.0, h.1);
                Span::new(start, end, BOUNDARY_MARGIN, BOUNDARY_MARGIN)
            })
            .collect();
        let Some(tokens) = input.tokens_in(&spans) else {
            return;
        };
        let mut last_end = 0;
        hits.sort_by_key(|h| (h.0, std::cmp::Reverse(h.1)));
        for (s, e, category, weight) in hits {
            if s < last_end {
                continue;
            }
            let (start, end) = input.original_range(s, e);
            if !on_boundaries(&tokens, &unit.text, start, end) {
                continue;
            }
            last_end = e;
            // A weak term (病歴, 入院…) is often itself a label or a mention of
            // the category: a label before it does not make it a value.
            let label = label_category(input.label_before(s));
            // A term that is itself a label (前科, 既往歴) names the category
            // ("前科・前歴に関する情報") unless a person is in the record.
            let is_label_word = input.keywords.find_all(&norm[s..e]).any(|h| {
                h.start == 0 && h.end == e - s && label_category(Some(h.signal)).is_some()
            });
            let labelled = weight >= 0.5
                && !is_label_word
                && (label == Some(category)
                    || (category == Category::CrimeVictim && label == Some(Category::Criminal)));
            let (rule, confidence) = if labelled {
                (RuleKind::Labelled, Confidence::High)
            } else if weight < 0.5 {
                (RuleKind::WeakTerm, Confidence::Low)
            } else {
                (RuleKind::Term, Confidence::Low)
            };
            out.push(Candidate {
                category,
                rule: rule_id(category, rule),
                confidence,
                start,
                end,
                value: norm[s..e].to_string(),
                masked: unit.text[start..end].to_string(),
            });
        }
    }
}

/// How a sensitive finding was made.
#[derive(Debug, Clone, Copy)]
enum RuleKind {
    Column,
    Labelled,
    WeakTerm,
    Term,
}

/// The rule id (`health.term`), static for the built-in categories.
fn rule_id(category: Category, kind: RuleKind) -> &'static str {
    macro_rules! ids {
        ($($cat:ident => $id:literal),* $(,)?) => {
            match category {
                $(Category::$cat => match kind {
                    RuleKind::Column => concat!($id, ".column"),
                    RuleKind::Labelled => concat!($id, ".labelled"),
                    RuleKind::WeakTerm => concat!($id, ".weak_term"),
                    RuleKind::Term => concat!($id, ".term"),
                },)*
                other => {
                    let suffix = match kind {
                        RuleKind::Column => "column",
                        RuleKind::Labelled => "labelled",
                        RuleKind::WeakTerm => "weak_term",
                        RuleKind::Term => "term",
                    };
                    leak(format!("{}.{suffix}", other.id()))
                }
            }
        };
    }
    ids!(
        Health => "health",
        Criminal => "criminal",
        CrimeVictim => "crime_victim",
        RaceEthnicity => "race_ethnicity",
        Creed => "creed",
        SocialStatus => "social_status",
        UnionMembership => "union_membership",
        SexLife => "sex_life",
    )
}

/// Rule ids of other categories are a small fixed set too; intern them.
fn leak(rule: String) -> &'static str {
    static RULES: LazyLock<std::sync::Mutex<Vec<&'static str>>> = LazyLock::new(Default::default);
    let mut rules = RULES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = rules.iter().find(|r| **r == rule) {
        return r;
    }
    let r: &'static str = Box::leak(rule.into_boxed_str());
    rules.push(r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::unit::TextUnit;

    #[test]
    fn katakana_terms_are_whole_katakana_words() {
        let low = |text: &str| {
            let unit = TextUnit::line(text.into(), 1, 0, 0);
            DetectorSet::builtin()
                .detect(&unit)
                .into_iter()
                .filter(|c| c.category.is_sensitive_term())
                .map(|c| unit.text[c.start..c.end].to_string())
                .collect::<Vec<_>>()
        };
        assert!(low("ガンダムのプラモデルとハーフパンツを買った").is_empty());
        assert_eq!(low("父はガンで入院した"), ["ガン", "入院"]);
        // Hiragana runs on only through a particle.
        assert_eq!(low("昨年がんと診断された"), ["がん", "診断"]);
        assert!(low("何度言ってやがんだい").is_empty());
    }

    fn found(text: &str) -> Vec<(Category, String, Confidence)> {
        let unit = TextUnit::line(text.into(), 1, 0, 0);
        DetectorSet::builtin()
            .detect(&unit)
            .into_iter()
            .filter(|c| c.category.is_sensitive_term())
            .map(|c| (c.category, text[c.start..c.end].to_string(), c.confidence))
            .collect()
    }

    #[test]
    fn terms_on_token_boundaries_only() {
        assert!(found("本日もがんばりましょう").is_empty());
        assert!(found("前科学的な議論").is_empty());
        assert_eq!(found("胃がんの既往歴あり")[0].1, "胃がん");
        assert_eq!(found("糖尿病で通院")[0].1, "糖尿病");
        assert!(found("システム障害の対応、通信障害、障害対応").is_empty());
    }

    #[test]
    fn context_sets_confidence() {
        let f = found("岡田　智子の既往歴：過敏性腸症候群、自閉スペクトラム症");
        let diseases: Vec<_> = f.iter().filter(|x| x.1 != "既往歴").collect();
        assert_eq!(diseases.len(), 2, "{f:?}");
        assert!(
            diseases
                .iter()
                .all(|x| x.0 == Category::Health && x.2 == Confidence::High),
            "{f:?}"
        );
        assert_eq!(
            found("山田太郎さんから肺がんにより休職の相談")[0].2,
            Confidence::Medium
        );
        assert_eq!(
            found("肺がんの早期発見には検診が有効です")[0].2,
            Confidence::Low
        );
        assert!(
            found("インフルエンザ予防接種の社内案内")
                .iter()
                .all(|x| x.2 == Confidence::Low)
        );
        let f = found("採用候補者金子智子：傷害罪で罰金刑（2013年）");
        assert!(
            f.iter()
                .any(|x| x.1 == "傷害罪" && x.2 >= Confidence::Medium),
            "{f:?}"
        );
        assert!(found("先日の件について謝罪します").is_empty());
        assert!(found("半分謝罪的な言葉").is_empty());
        assert!(found("風は不断のオルガンを弾じ").is_empty());
        assert!(found("乳癌の手術").iter().any(|x| x.1 == "乳癌"));
    }

    #[test]
    fn columns_make_values_sensitive() {
        let mut unit = TextUnit::line("器物損壊で書類送検".into(), 2, 0, 0);
        unit.column_header = Some("賞罰".into());
        let got = DetectorSet::builtin().detect(&unit);
        assert!(
            got.iter()
                .any(|c| c.category == Category::Criminal && c.confidence == Confidence::High)
        );
        unit.text = "なし".into();
        assert!(DetectorSet::builtin().detect(&unit).is_empty());
    }

    #[test]
    fn other_special_care_categories() {
        let f = found("山田太郎さんは創価学会員で、労働組合員でもある");
        assert!(
            f.iter()
                .any(|x| x.0 == Category::Creed && x.2 == Confidence::Medium),
            "{f:?}"
        );
        assert!(
            found("人種、信条、社会的身分又は病歴")
                .iter()
                .all(|x| x.2 == Confidence::Low)
        );
        let mut unit = TextUnit::line("カトリック".into(), 2, 0, 0);
        unit.column_header = Some("宗教".into());
        let got = DetectorSet::builtin().detect(&unit);
        assert!(
            got.iter()
                .any(|c| c.category == Category::Creed && c.confidence == Confidence::High)
        );
    }

    #[test]
    fn the_built_in_automaton_is_the_one_the_term_lists_make() {
        // build.rs builds it from the same lists, in the same order, with
        // the same normalization: a list or normalization changed on one
        // side only would fail here.
        let terms = SensitiveDetector::terms(&[]).unwrap();
        let built = SensitiveDetector::build_automaton(&terms).unwrap();
        assert_eq!(built.serialize(), BUILTIN_AUTOMATON);
        let embedded = SensitiveDetector::automaton(&terms, true).unwrap();
        assert_eq!(embedded.serialize(), BUILTIN_AUTOMATON);
        // Extra lists are built here: their terms are found.
        let extra = [("extra.tsv".to_string(), "架空病\thealth\n".to_string())];
        let d = SensitiveDetector::new(&extra).unwrap();
        let text = "既往歴: 架空病";
        assert!(
            d.automaton
                .leftmost_find_iter(text)
                .any(|m| &text[m.start()..m.end()] == "架空病"),
            "an extra term is found"
        );
    }

    #[test]
    fn dictionary_errors_name_file_and_line() {
        let e = parse_dictionary("# x\n胃がん\thealth\n前科\tcrime\n", "mine.tsv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("mine.tsv:3: unknown category `crime`"),
            "{e}"
        );
        let e = parse_dictionary("a\thealth\tx\t2\n", "w.tsv").unwrap_err();
        assert!(e.to_string().starts_with("w.tsv:1: weight"), "{e}");
    }

    #[test]
    fn builtin_dictionaries_parse_with_breadth() {
        let d = SensitiveDetector::new(&[]).unwrap();
        assert!(d.len() > 1000);
    }
}
