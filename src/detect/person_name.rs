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

use std::sync::LazyLock;

use regex::Regex;

use super::columns::{Evidence, Role};
use super::gate::Seen;
use super::keywords::Signal;
use super::local_copy;
use super::{Candidate, Detector, Input, is_kanji, is_katakana};
use crate::finding::{Category, Confidence};
use crate::tokenize::{NameLexicon, Span, Token, Tokenizer};

/// Characters of context tokenized around other personal data to find a
/// name next to it, and after a label to find the name it labels.
const NAME_MARGIN: usize = 16;
/// Characters tokenized before an honorific or title: the longest name with
/// a space, and a little context to start the segmentation right.
const NAME_BEFORE: usize = 12;
/// Characters of context on the other side of a name.
const AFTER_NAME: usize = 3;
/// The longest given name IPADIC does not know as one that still makes a
/// name after a surname (山田千尋様): see [`match_name`].
const GIVEN_LIKE_CHARS: usize = 3;

/// Finds person names.
pub struct PersonNameDetector;

impl PersonNameDetector {
    /// A detector using the shared tokenizer; `None` if the dictionary
    /// cannot be loaded.
    pub fn new() -> Option<Self> {
        Tokenizer::shared().ok().map(|_| PersonNameDetector)
    }
}

const HONORIFICS: [&str; 8] = ["様", "さま", "さん", "氏", "殿", "君", "くん", "ちゃん"];

/// Titles that, after a surname, refer to a person (佐藤部長).
const PERSON_TITLES: &[&str] = &[
    "部長",
    "課長",
    "係長",
    "次長",
    "室長",
    "所長",
    "店長",
    "社長",
    "会長",
    "専務",
    "常務",
    "取締役",
    "主任",
    "主査",
    "先生",
    "教授",
    "医師",
    "弁護士",
    "税理士",
    "議員",
    "容疑者",
    "被告",
    "被告人",
    "夫妻",
    "夫人",
];

/// Honorifics and titles: after a name, they signal a person.
pub fn triggers() -> impl Iterator<Item = &'static str> {
    HONORIFICS.iter().chain(PERSON_TITLES).copied()
}

/// Honorifics and titles, found in one pass.
static TRIGGERS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(HONORIFICS.iter().chain(PERSON_TITLES))
        .expect("valid honorific and title automaton")
});

/// Other words that follow a surname but are not given names.
const OTHER_AFTER_SURNAME: &[&str] = &["知事", "市長", "監督", "選手", "一家", "家", "さん"];

/// Follows a surname without being a given name.
fn is_title(word: &str) -> bool {
    PERSON_TITLES.contains(&word) || OTHER_AFTER_SURNAME.contains(&word)
}

/// Looks like a name written in one table cell (a part of a name, 姓 or
/// 名, may be one character).
fn name_like(text: &str, part: bool) -> bool {
    let t = text.trim();
    let n = t.chars().count();
    let min = if part { 1 } else { 2 };
    (min..=16).contains(&n)
        && t.chars().all(|c| {
            matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3005}' | '\u{3040}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' | ' ' | '\u{3000}')
        })
        && t.chars().any(|c| !matches!(c, ' ' | '\u{3000}' | '・'))
}

/// A cell under a name column that IPADIC reads as ordinary words, not a
/// name: a particle or auxiliary in it (`アドレスの指定`), or only common
/// nouns, one of them a verbal or adverbial noun (合計, 平均, 出欠, 中分類).
fn common_words(text: &str) -> bool {
    if !text.chars().any(is_kanji) {
        return false;
    }
    let Ok(tokenizer) = Tokenizer::shared() else {
        return false;
    };
    let v: String = text.split_whitespace().collect();
    let Ok(tokens) = tokenizer.tokenize(&v) else {
        return false;
    };
    // A particle between words (アドレスの指定), not kana at the end of a
    // given name (中村まい, 三宅まさと).
    let functional = tokens.iter().enumerate().any(|(i, t)| {
        (t.is(&["助詞"]) || t.is(&["助動詞"]) || t.is(&["動詞"]))
            && tokens[i + 1..]
                .iter()
                .any(|n| n.surface.chars().any(is_kanji))
    });
    let proper = tokens
        .iter()
        .any(|t| t.is(&["名詞", "固有名詞"]) || t.pos().is_empty() || t.is(&["未知語"]));
    let label = tokens
        .iter()
        .any(|t| t.is(&["名詞", "サ変接続"]) || t.is(&["名詞", "副詞可能"]));
    functional || (!proper && label)
}

/// A name in Latin letters under a name column: two to four capitalised
/// words (`Taro Yamada`, `Mary-Ann O'Neil`).
fn latin_name_like(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && text.len() <= 48
        && words.iter().all(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '\'' | '.'))
        })
}

/// `山＊＊`: the first character only.
fn mask_name(name: &str) -> String {
    let first: String = name.trim().chars().take(1).collect();
    format!("{first}＊＊")
}

fn is_surname(t: &Token) -> bool {
    t.is(&["名詞", "固有名詞", "人名", "姓"])
}

/// A noun IPADIC files otherwise that can still be a surname (近藤 as a
/// place, 清水 as an organisation, 金城 as a common noun): 1–4 kanji.
fn is_surname_like(t: &Token) -> bool {
    let n = t.surface.chars().count();
    t.is(&["名詞"])
        && !t.is(&["名詞", "接尾"])
        && (1..=4).contains(&n)
        && t.surface.chars().all(is_kanji)
        && !is_title(t.surface)
}

fn is_given(t: &Token) -> bool {
    t.is(&["名詞", "固有名詞", "人名", "名"])
}

/// A piece of a given name IPADIC does not know as one (千尋 is 名詞,一般,
/// 健一 is 健 + 一, 美羽 is 美 + 羽): a short noun in kanji or kana.
fn is_given_like(t: &Token) -> bool {
    let n = t.surface.chars().count();
    t.is(&["名詞"])
        && !is_honorific(t)
        && (1..=3).contains(&n)
        && !is_title(t.surface)
        && t.surface
            .chars()
            .all(|c| is_kanji(c) || matches!(c, '\u{3041}'..='\u{30FF}'))
}

fn is_honorific(t: &Token) -> bool {
    t.is(&["名詞", "接尾", "人名"]) || HONORIFICS.contains(&t.surface)
}

fn is_space(t: &Token) -> bool {
    t.surface.chars().all(char::is_whitespace)
}

/// Ends a name: a particle, symbol, honorific, or the end of the text.
fn ends_name(t: Option<&Token>) -> bool {
    t.is_none_or(|t| {
        t.is(&["助詞"]) || t.is(&["記号"]) || t.is(&["助動詞"]) || is_honorific(t) || is_space(t)
    })
}

/// A name found at a token.
struct NameMatch {
    /// End of the name in the text.
    end: usize,
    /// Index of the first token after the name.
    next: usize,
    /// An honorific follows.
    honorific: bool,
    /// A title follows (高橋課長, 山田一郎弁護士).
    title: bool,
}

/// Tries to read a name starting at token `i`: a surname, then a given name
/// (directly, or after a space), or an honorific.
///
/// * surname (人名,姓) + given name (人名,名);
/// * surname + space + a short given-name-like noun sequence ending before a
///   particle, symbol or honorific (山田　千尋は);
/// * surname-like noun + space + given name (清水 拓也, 近藤 美羽);
/// * surname + honorific (金子様方): the surname alone.
fn match_name(tokens: &[Token], i: usize, text: &str) -> Option<NameMatch> {
    let first = &tokens[i];
    let strong = is_surname(first);
    if !strong && !is_surname_like(first) {
        return None;
    }
    // Skip spaces: full-width ones are tokens, half-width ones are gaps.
    let mut j = i + 1;
    let mut end = first.end;
    while j < tokens.len() && is_space(&tokens[j]) {
        end = tokens[j].end;
        j += 1;
    }
    let next_start = tokens.get(j).map_or(text.len(), |t| t.start);
    let spaced = end != first.end
        || (next_start > first.end && text[first.end..next_start].chars().all(char::is_whitespace));
    let honorific_at = |k: usize| tokens.get(k).is_some_and(is_honorific);
    let title_at = |k: usize| {
        tokens
            .get(k)
            .is_some_and(|t| PERSON_TITLES.contains(&t.surface))
    };
    // Katakana glued into one word is a word IPADIC split (モーション is
    // モー + ション), not a surname and a given name.
    let katakana = |t: &Token| {
        t.surface
            .chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー'))
    };
    let glued_katakana = katakana(first) && !spaced;
    if let Some(t) = tokens.get(j)
        && is_given(t)
        && (strong || spaced || honorific_at(j + 1))
        && !(glued_katakana && katakana(t) && !honorific_at(j + 1))
    {
        return Some(NameMatch {
            end: t.end,
            next: j + 1,
            honorific: honorific_at(j + 1),
            title: title_at(j + 1),
        });
    }
    if strong && tokens.get(j).is_some_and(is_given_like) {
        let mut k = j + 1;
        while k < tokens.len()
            && k < j + 3
            && is_given_like(&tokens[k])
            && tokens[k].start == tokens[k - 1].end
        {
            k += 1;
        }
        let chars = text[tokens[j].start..tokens[k - 1].end].chars().count();
        if chars <= GIVEN_LIKE_CHARS && ends_name(tokens.get(k)) && (spaced || honorific_at(k)) {
            return Some(NameMatch {
                end: tokens[k - 1].end,
                next: k,
                honorific: honorific_at(k),
                title: title_at(k),
            });
        }
    }
    if strong && !spaced && honorific_at(i + 1) {
        return Some(NameMatch {
            end: first.end,
            next: i + 1,
            honorific: true,
            title: false,
        });
    }
    // A surname with a title (佐藤部長, 田中先生) names a person too.
    if strong
        && !spaced
        && tokens
            .get(i + 1)
            .is_some_and(|t| t.start == first.end && PERSON_TITLES.contains(&t.surface))
    {
        return Some(NameMatch {
            end: first.end,
            next: i + 2,
            honorific: false,
            title: true,
        });
    }
    None
}

impl Detector for PersonNameDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let unit = input.unit;
        let text = unit.text.as_str();
        // Tables: the column says it is a name.
        if input.header_signal() == Some(Signal::Person) {
            let evidence = match input.role() {
                Some(Role::Holds { evidence, .. }) => evidence,
                _ => Evidence::Header,
            };
            let part = evidence != Evidence::Header;
            let latin = evidence != Evidence::Values && latin_name_like(text);
            if (name_like(text, part) && (part || !common_words(text))) || latin {
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
        // Parts of an address and readings of one hold place names.
        if matches!(
            input.role(),
            Some(
                Role::AddressPart { .. }
                    | Role::Reading
                    | Role::Holds {
                        signal: Signal::Address | Signal::PostalCode | Signal::Phone,
                        ..
                    }
            )
        ) {
            return;
        }
        if !text.chars().any(is_kanji) && !KATAKANA_HONORIFIC_HERE.with(|re| re.is_match(text)) {
            return;
        }
        // A value whose column (or row label) says it holds another kind of
        // data (a date of birth, a disease, a domicile) is that data, not a
        // name beside it: there a name is looked for only before an
        // honorific or title, or after a person label.
        let column_says = input.header_signal().is_some();
        // Where a name would decide something: next to other personal data,
        // an honorific, a title or a label; two parts with a space between;
        // or a unit that is a name alone (a title slide, a signature).
        let mut spans: Vec<Span> = if column_says {
            Vec::new()
        } else {
            // Around each end of the value: a long one (an address that
            // runs on) is not tokenized through; a short one is whole, its
            // two windows meeting.
            out.iter()
                .filter(|c| c.confidence >= Confidence::Medium || c.category.is_sensitive_term())
                .flat_map(|c| {
                    [
                        Span::new(c.start, c.start, NAME_MARGIN, NAME_MARGIN),
                        Span::new(c.end, c.end, NAME_MARGIN, NAME_MARGIN),
                    ]
                })
                .collect()
        };
        let person = input.seen.any(Seen::PERSON);
        let shape = input.seen.any(Seen::NAME_SHAPE) && !column_says;
        if person {
            // An honorific or title only where a name may end: 山田様,
            // 岡田さくら様, not みなさま; and only where a name IPADIC knows
            // ends there (or a katakana word does): the name tokens below
            // can be nothing else, and most honorifics in prose follow
            // ordinary words (奥さん, 皆様, 校長先生).
            let names = NameLexicon::shared();
            spans.extend(
                TRIGGERS
                    .find_overlapping_iter(text)
                    .filter(|m| {
                        let from = text.floor_char_boundary(m.start().saturating_sub(64));
                        super::gate::follows_name(&text[from..m.start()])
                    })
                    .filter(|m| {
                        text[..m.start()]
                            .chars()
                            .next_back()
                            .is_some_and(is_katakana)
                            || names.ends_near(text, m.start(), GIVEN_LIKE_CHARS)
                    })
                    .map(|m| Span::new(m.start(), m.end(), NAME_BEFORE, AFTER_NAME)),
            );
            spans.extend(
                input
                    .hits()
                    .iter()
                    .filter(|h| h.signal == Signal::Person)
                    .map(|h| {
                        let (s, e) = input.original_range(h.start, h.end);
                        Span::new(s, e, AFTER_NAME, NAME_MARGIN)
                    }),
            );
        }
        if shape {
            SPACED_NAME_HERE.with(|re| {
                spans.extend(re.find_iter(input.norm.as_str()).map(|m| {
                    let (s, e) = input.original_range(m.start(), m.end());
                    Span::new(s, e, AFTER_NAME, AFTER_NAME)
                }));
            });
        }
        let trimmed = text.trim();
        if !column_says
            && (2..=12).contains(&trimmed.chars().count())
            && trimmed
                .chars()
                .all(|c| is_kanji(c) || matches!(c, '\u{3041}'..='\u{30FF}' | ' ' | '\u{3000}'))
        {
            let s = text.len() - text.trim_start().len();
            spans.push(Span::new(s, s + trimmed.len(), 0, 0));
        }
        if spans.is_empty() {
            return;
        }
        let Some(tokens) = input.tokens_in(&spans) else {
            return;
        };
        let mut i = 0;
        while i < tokens.len() {
            let Some(m) = match_name(&tokens, i, text) else {
                i += 1;
                continue;
            };
            let (start, end, j, honorific) = (tokens[i].start, m.end, m.next, m.honorific);
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
                rule: if m.title {
                    "person_name.title"
                } else {
                    "person_name.token"
                },
                confidence,
                start,
                end,
                value: name.split_whitespace().collect(),
                masked: mask_name(name),
            });
            i = j;
        }
        self.detect_katakana(&tokens, text, out);
        if person || shape {
            self.detect_patterns(input, out);
        }
    }
}

/// The names found so far in a unit, to tell whether a new one overlaps
/// them: sorted and disjoint, looked up in logarithmic time.
struct Taken(std::collections::BTreeMap<usize, usize>);

impl Taken {
    fn of(out: &[Candidate]) -> Self {
        Taken(
            out.iter()
                .filter(|c| c.category == Category::PersonName)
                .map(|c| (c.start, c.end))
                .collect(),
        )
    }

    /// `[start, end)` overlaps a name: the last one starting before `end`
    /// ends after `start` (names do not overlap each other).
    fn overlaps(&self, start: usize, end: usize) -> bool {
        self.0
            .range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
    }

    fn insert(&mut self, start: usize, end: usize) {
        self.0.insert(start, end);
    }
}

/// A katakana word right before an honorific: エミリー様, ジョンさん.
static KATAKANA_HONORIFIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Katakana}ー]{2,}[ 　]?(?:様|さま|さん|氏|殿|くん|ちゃん)")
        .expect("valid katakana honorific regex")
});
local_copy!(KATAKANA_HONORIFIC_HERE = KATAKANA_HONORIFIC);

impl PersonNameDetector {
    /// Katakana names before an honorific: a given name or surname IPADIC
    /// knows (エミリー, ジョン: high), or a katakana word it does not know at
    /// all (medium). Known common nouns are not names (パートさん, ママさん).
    fn detect_katakana(&self, tokens: &[Token], text: &str, out: &mut Vec<Candidate>) {
        let mut taken = Taken::of(out);
        let katakana = |t: &Token| {
            t.surface.chars().count() >= 2
                && t.surface
                    .chars()
                    .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・'))
        };
        for (i, t) in tokens.iter().enumerate() {
            let Some(next) = tokens.get(i + 1) else {
                break;
            };
            // The honorific in kana or kanji (クリスチャン is not クリス + チャン).
            if !katakana(t)
                || !HONORIFICS.contains(&next.surface)
                || next.start != t.end
                || t.surface.chars().count() > 8
            {
                continue;
            }
            // Part of a longer katakana word or name (…・ジャパンさん).
            let before = text[..t.start].chars().next_back();
            if before.is_some_and(|c| is_katakana(c) || c == '・') {
                continue;
            }
            let known_name = t.is(&["名詞", "固有名詞", "人名"]);
            let unknown = t.reading().is_none();
            if !(known_name || unknown) {
                continue;
            }
            if taken.overlaps(t.start, t.end) {
                continue;
            }
            taken.insert(t.start, t.end);
            out.push(Candidate {
                category: Category::PersonName,
                rule: "person_name.honorific",
                confidence: if known_name {
                    Confidence::High
                } else {
                    Confidence::Medium
                },
                start: t.start,
                end: t.end,
                value: t.surface.to_string(),
                masked: mask_name(&text[t.start..t.end]),
            });
        }
    }
}

/// A name written as two space-separated parts: 仮名 三恵, 架空 一郎.
static SPACED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}々]{1,4} [\p{Han}々\p{Hiragana}\p{Katakana}ー]{1,4}")
        .expect("valid name regex")
});
local_copy!(SPACED_NAME_HERE = SPACED_NAME);
static SPACED_NAME_AT_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}々]{1,4} [\p{Han}々\p{Hiragana}\p{Katakana}ー]{1,4}$")
        .expect("valid name regex")
});
local_copy!(SPACED_NAME_AT_END_HERE = SPACED_NAME_AT_END);
static HONORIFIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"様|さん|殿|氏|君").expect("valid honorific regex"));
local_copy!(HONORIFIC_HERE = HONORIFIC);
static LABEL_GAP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[ :]*").expect("valid label gap regex"));
local_copy!(LABEL_GAP_HERE = LABEL_GAP);

impl PersonNameDetector {
    /// Names IPADIC does not know, by their shape: two space-separated parts
    /// right after a person label (氏名：, 対象者：) or before an honorific
    /// (仮名 三恵 様). Both are high.
    fn detect_patterns(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let norm = input.norm.as_str();
        let mut spans: Vec<(usize, usize, &'static str)> = Vec::new();
        for hit in input.hits().iter().filter(|h| h.signal == Signal::Person) {
            let rest = &norm[hit.end..];
            let gap = LABEL_GAP_HERE.with(|re| re.find(rest).map_or(0, |m| m.end()));
            // An honorific ends the name: 担当 山本様 携帯 is not a name in
            // two parts 山本様 and 携帯.
            if let Some(m) = SPACED_NAME_HERE.with(|re| re.find(&rest[gap..]))
                && m.start() == 0
                && !HONORIFIC_HERE.with(|re| re.is_match(m.as_str()))
            {
                let s = hit.end + gap;
                spans.push((s, s + m.end(), "person_name.label"));
            }
        }
        // A person label is not the first part of a name (担当 山本様).
        let is_label = |part: &str| {
            input
                .keywords
                .find_all(part)
                .any(|h| h.signal == Signal::Person && h.start == 0 && h.end == part.len())
        };
        HONORIFIC_HERE.with(|re| {
            for h in re.find_iter(norm) {
                // The two name parts end right before the honorific: look only
                // that far back (the pattern is at most ten characters, and one
                // more tells whether it is glued to a word).
                let from = norm.floor_char_boundary(h.start().saturating_sub(48));
                let before = norm[from..h.start()]
                    .strip_suffix(' ')
                    .unwrap_or(&norm[from..h.start()]);
                if let Some(m) = SPACED_NAME_AT_END_HERE.with(|re| re.find(before)) {
                    let glued = norm[..from + m.start()]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                    let first = m.as_str().split(' ').next().unwrap_or_default();
                    if !glued && !is_label(first) {
                        spans.push((from + m.start(), from + m.end(), "person_name.honorific"));
                    }
                }
            }
        });
        let mut taken = Taken::of(out);
        for (s, e, rule) in spans {
            let (start, end) = input.original_range(s, e);
            if taken.overlaps(start, end) {
                continue;
            }
            taken.insert(start, end);
            let name = &input.unit.text[start..end];
            out.push(Candidate {
                category: Category::PersonName,
                rule,
                confidence: Confidence::High,
                start,
                end,
                value: name.split_whitespace().collect(),
                masked: mask_name(name),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::unit::TextUnit;

    /// Names found by the whole detector set (other detectors' findings
    /// are what makes the name detector look).
    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        DetectorSet::builtin()
            .detect(&unit)
            .into_iter()
            .filter(|c| c.category == Category::PersonName)
            .collect()
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
    fn names_by_shape_after_labels_and_before_honorifics() {
        assert_eq!(
            names("対象者：試験 次郎（営業部）"),
            [("試験 次郎".to_string(), Confidence::High)]
        );
        assert_eq!(
            names("緊急連絡先 仮名 三恵 様（妻）"),
            [("仮名 三恵".to_string(), Confidence::High)]
        );
        assert_eq!(names("会議室 第二 会議"), []);
    }

    #[test]
    fn a_column_that_says_what_it_holds_keeps_names_before_titles_only() {
        let cell = |text: &str| {
            let unit = TextUnit {
                text: text.into(),
                column_header: Some("既往歴".into()),
                ..Default::default()
            };
            find_in(unit.clone())
                .into_iter()
                .map(|c| (unit.text[c.start..c.end].to_string(), c.rule))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cell("喘息（主治医 松井先生）"),
            [("松井".to_string(), "person_name.title")]
        );
        assert_eq!(cell("松井 喘息"), []);
        // The same text in a line is a name beside a disease.
        assert_eq!(names("松井 喘息").len(), 1);
    }

    #[test]
    fn a_surname_with_a_title_is_a_person() {
        assert_eq!(
            names("田中部長は前科あり"),
            [("田中".to_string(), Confidence::Medium)]
        );
        assert_eq!(
            names("佐藤先生に既往歴を伝えた"),
            [("佐藤".to_string(), Confidence::Medium)]
        );
    }

    #[test]
    fn names_ipadic_does_not_know() {
        let rules = |text: &str| {
            let unit = TextUnit::line(text.into(), 1, 0, 0);
            find_in(unit.clone())
                .into_iter()
                .map(|c| (unit.text[c.start..c.end].to_string(), c.rule, c.confidence))
                .collect::<Vec<_>>()
        };
        // A known surname, an unknown given name, then an honorific, a
        // particle after a space, or a title.
        assert_eq!(
            rules("霧島颯真氏の件で連絡"),
            [(
                "霧島颯真".to_string(),
                "person_name.token",
                Confidence::High
            )]
        );
        assert_eq!(
            rules("真壁 柚葉は欠席"),
            [(
                "真壁 柚葉".to_string(),
                "person_name.token",
                Confidence::Medium
            )]
        );
        assert_eq!(
            rules("高橋課長に確認した"),
            [("高橋".to_string(), "person_name.title", Confidence::Medium)]
        );
        // Katakana names before an honorific; common nouns are not names.
        assert_eq!(
            rules("エミリー様へ"),
            [(
                "エミリー".to_string(),
                "person_name.honorific",
                Confidence::High
            )]
        );
        assert_eq!(rules("ジョンさんから電話")[0].0, "ジョン");
        assert!(rules("パートさんとママさんとクリスチャン").is_empty());
        // IPADIC splits some katakana words into 姓 + 名 (モー + ション).
        assert!(rules("モーション班").is_empty());
        // A name alone: a title slide, a signature.
        assert_eq!(
            rules("山田 太郎"),
            [(
                "山田 太郎".to_string(),
                "person_name.token",
                Confidence::Medium
            )]
        );
    }

    #[test]
    fn terms_about_a_record_subject_are_about_a_person() {
        let confidence = |text: &str| {
            DetectorSet::builtin()
                .detect(&TextUnit::line(text.into(), 1, 0, 0))
                .into_iter()
                .find(|c| c.category == Category::Criminal)
                .map(|c| c.confidence)
        };
        assert_eq!(confidence("採用候補者：前科あり"), Some(Confidence::Medium));
        assert_eq!(
            confidence("面談記録 傷害罪で服役"),
            Some(Confidence::Medium)
        );
        assert_eq!(
            confidence("社員番号 4711 窃盗罪で処分"),
            Some(Confidence::Medium)
        );
        // An order number is not a person's.
        assert_eq!(
            confidence("注文番号 4711 窃盗罪の本"),
            Some(Confidence::Low)
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
