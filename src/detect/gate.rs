//! The gate: one cheap pass over a unit's text that tells which detectors
//! could find something in it.
//!
//! Most of a file share is prose in which no detector finds anything, and
//! running every detector on it (normalising, automata over thousands of
//! dictionary terms, tokenizing around honorifics) is what made scans slow.
//! The gate reads each character once. A bit table of the first two
//! characters of every literal a detector starts from (dictionary terms,
//! person labels, place names, honorifics and titles) makes most characters
//! cost one lookup; where a pair is in the table, the literals starting with
//! it are compared in full. It reports what it saw ([`Seen`]):
//!
//! * a digit or `@` (identifiers, phones, dates, e-mail), full-width too;
//! * a dictionary term or an offence ending (罪, 法違反);
//! * a place name (a prefecture or municipality an address starts from);
//! * a person label (氏名, 担当者…), or an honorific or title after what
//!   may end a name: a kanji or katakana, or a few hiragana after one
//!   (山田様, エミリーさん, 佐藤部長, 岡田さくら様), not after kana alone
//!   (みなさま, おかあさん), where no name IPADIC knows can end;
//! * a name-like shape: kanji, a space, kanji or kana (仮名 三恵), or a
//!   short unit of only kanji and kana (a name alone in a line).
//!
//! Characters are folded as [`crate::normalize`] folds them, and ASCII
//! letters to lower case, because detectors match on normalised text,
//! case-insensitively. The gate is for units outside tables: a table value
//! is decided by its column as much as by its text.

use std::collections::HashMap;

/// Bits in the pair table: 16 KiB, which stays in the L1 cache (a larger
/// table missed it on every character of prose). About 4,500 pairs fill 3 %
/// of it, so few pairs that no literal starts with go on to the pair map.
const PAIR_BITS: u32 = 17;

/// The key of a pair of characters, mixed by one multiplication (a
/// bijection): its top bits are the pair's slot in the pair table, and the
/// pair map takes it as its hash (SipHash cost more than the rest of the
/// gate's work on a hit).
#[inline]
fn pair_key(a: char, b: char) -> u64 {
    ((u64::from(a) << 21) | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The slot of a pair key in the pair table.
#[inline]
fn slot(key: u64) -> usize {
    (key >> (64 - PAIR_BITS)) as usize
}

type PairMap = HashMap<u64, Vec<Literal>, crate::tokenize::Premixed>;

/// What a unit holds, as far as the gate saw: which detectors need to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen(u8);

impl Seen {
    /// A digit, full-width or not.
    pub const DIGIT: Seen = Seen(1);
    /// `@` or `＠`.
    pub const AT: Seen = Seen(1 << 1);
    /// A sensitive dictionary term or offence ending.
    pub const TERM: Seen = Seen(1 << 2);
    /// A prefecture or municipality name.
    pub const PLACE: Seen = Seen(1 << 3);
    /// A person label, or an honorific or title after a name.
    pub const PERSON: Seen = Seen(1 << 4);
    /// Kanji, space, kanji or kana; or a short unit of kanji and kana.
    pub const NAME_SHAPE: Seen = Seen(1 << 5);
    /// Everything: what a unit the gate did not look at may hold.
    pub const ALL: Seen = Seen(u8::MAX);

    /// Nothing at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Holds any of `other`.
    pub fn any(self, other: Seen) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Seen {
    type Output = Seen;
    fn bitor(self, rhs: Seen) -> Seen {
        Seen(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Seen {
    fn bitor_assign(&mut self, rhs: Seen) {
        self.0 |= rhs.0;
    }
}

/// What a literal needs before it to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anywhere (terms, labels, place names).
    None,
    /// Only where a name may end (honorifics, titles): see
    /// [`follows_name`].
    AfterName,
}

struct Literal {
    /// Folded characters after the first two.
    rest: Box<[char]>,
    seen: Seen,
    guard: Guard,
}

/// Builds a [`Gate`] from the literals the detectors start from.
pub struct GateBuilder {
    pairs: Vec<u64>,
    by_pair: PairMap,
    /// The first characters of the literals in `by_pair`.
    firsts: std::collections::HashSet<char>,
    singles: HashMap<char, (Seen, Guard)>,
}

impl Default for GateBuilder {
    fn default() -> Self {
        GateBuilder {
            pairs: vec![0; 1 << (PAIR_BITS - 6)],
            by_pair: PairMap::default(),
            firsts: std::collections::HashSet::new(),
            singles: HashMap::new(),
        }
    }
}

impl GateBuilder {
    /// Reports `seen` for every unit that holds `literal` (after `guard`).
    pub fn literal(&mut self, literal: &str, seen: Seen, guard: Guard) -> &mut Self {
        let chars: Vec<char> = literal.chars().map(fold).collect();
        match chars.as_slice() {
            [] => {}
            [c] => {
                let e = self.singles.entry(*c).or_insert((Seen::default(), guard));
                e.0 |= seen;
                // Unguarded wins over guarded for the same character.
                if guard == Guard::None {
                    e.1 = Guard::None;
                }
            }
            [a, b, rest @ ..] => {
                let key = pair_key(*a, *b);
                let i = slot(key);
                self.pairs[i >> 6] |= 1 << (i & 63);
                self.firsts.insert(*a);
                self.by_pair.entry(key).or_default().push(Literal {
                    rest: rest.into(),
                    seen,
                    guard,
                });
            }
        }
        self
    }

    /// Every literal of `literals`.
    pub fn literals<'a>(
        &mut self,
        literals: impl IntoIterator<Item = &'a str>,
        seen: Seen,
        guard: Guard,
    ) {
        for l in literals {
            self.literal(l, seen, guard);
        }
    }

    /// The gate.
    pub fn build(self) -> Gate {
        let firsts = &self.firsts;
        let class = |c: char| {
            let f = fold(c);
            let mut k = class_of(f);
            if f != c {
                k |= C_FOLD;
            }
            if self.singles.contains_key(&f) {
                k |= C_SINGLE;
            }
            if firsts.contains(&f) {
                k |= C_FIRST;
            }
            k
        };
        let classes: Box<[u16]> = (0..0x1_0000u32)
            .map(|u| char::from_u32(u).map_or(0, class))
            .collect();
        // Characters beyond the BMP that fold or start a literal (rare).
        let astral: HashMap<char, u16> = self
            .singles
            .keys()
            .chain(firsts)
            .filter(|c| u32::from(**c) >= 0x1_0000)
            .map(|&c| (c, class(c)))
            .collect();
        Gate {
            pairs: self.pairs,
            by_pair: self.by_pair,
            singles: self.singles,
            classes,
            astral,
        }
    }
}

/// Decides cheaply what a unit could hold for the detectors.
pub struct Gate {
    pairs: Vec<u64>,
    by_pair: PairMap,
    singles: HashMap<char, (Seen, Guard)>,
    /// The class (`C_*` bits) of every character of the BMP, as folded.
    classes: Box<[u16]>,
    /// Classes of the characters beyond the BMP that have bits besides
    /// [`class_of`]'s.
    astral: HashMap<char, u16>,
}

/// Class bits of a character: what it is once folded…
const C_HAN: u16 = 1;
const C_KATA: u16 = 1 << 1;
const C_HIRA: u16 = 1 << 2;
/// A space once folded (not any whitespace: see [`C_WHITE`]).
const C_SPACE: u16 = 1 << 3;
const C_DIGIT: u16 = 1 << 4;
const C_AT: u16 = 1 << 5;
/// Whitespace of any kind.
const C_WHITE: u16 = 1 << 6;
/// …and what the gate does with it: folding changes it,
const C_FOLD: u16 = 1 << 7;
/// it is a single-character literal,
const C_SINGLE: u16 = 1 << 8;
/// it is the first character of a longer literal.
const C_FIRST: u16 = 1 << 9;
const C_NAME: u16 = C_HAN | C_KATA | C_HIRA;

/// What a (folded) character is, for the gate.
fn class_of(c: char) -> u16 {
    let mut k = 0;
    if is_han(c) {
        k |= C_HAN;
    }
    if is_kata(c) {
        k |= C_KATA;
    }
    if is_hira(c) {
        k |= C_HIRA;
    }
    if c == ' ' {
        k |= C_SPACE;
    }
    if c.is_ascii_digit() {
        k |= C_DIGIT;
    }
    if c == '@' {
        k |= C_AT;
    }
    if c.is_whitespace() {
        k |= C_WHITE;
    }
    k
}

/// The folding of [`crate::normalize`] that does not depend on neighbours,
/// plus ASCII lower case.
#[inline]
fn fold(c: char) -> char {
    crate::normalize::fold_alone(c)
        .unwrap_or(c)
        .to_ascii_lowercase()
}

/// Han characters in the widest sense (a superset of the regex class
/// `\p{Han}` plus 々).
#[inline]
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'
        | '\u{3005}'..='\u{3007}'
        | '\u{3021}'..='\u{3029}'
        | '\u{3038}'..='\u{303B}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Katakana in the widest sense, with ー.
#[inline]
fn is_kata(c: char) -> bool {
    matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{3300}'..='\u{33FF}' | '\u{FF66}'..='\u{FF9F}')
}

#[inline]
fn is_hira(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{309F}')
}

/// How many hiragana may end a name after its kanji or katakana (a given
/// name written in kana: 岡田さくら).
const NAME_KANA: u8 = 4;

/// How far back a name may end after `c`, given how far it could before:
/// 0 after a kanji or katakana, one more after a hiragana, unchanged after a
/// space, never after anything else.
#[inline]
fn next_reach(reach: u8, c: char) -> u8 {
    if is_han(c) || is_kata(c) {
        0
    } else if is_hira(c) {
        reach.saturating_add(1)
    } else if c == ' ' {
        reach
    } else {
        u8::MAX
    }
}

/// True if the text before an honorific or title may end with a name: a
/// kanji or katakana, or up to four hiragana after one, spaces aside.
pub fn follows_name(before: &str) -> bool {
    before.chars().map(fold).fold(u8::MAX, next_reach) <= NAME_KANA
}

/// The longest unit (in characters) that is looked at as a name alone.
const SHORT_UNIT: usize = 12;

impl Gate {
    /// What `text` (a unit outside any table) holds for the detectors;
    /// empty when no detector could find anything in it.
    pub fn scan(&self, text: &str) -> Seen {
        let mut seen = Seen::default();
        let named = |reach: u8| reach <= NAME_KANA;
        // The previous character and the one before it, folded, with their
        // classes; how far back (in hiragana) a name may end before the
        // current and the previous one.
        let mut prev = '\0';
        let mut prev_class = 0u16;
        let mut before_prev_class = 0u16;
        let mut reach = u8::MAX;
        let mut reach_before_prev = u8::MAX;
        let mut only_name_chars = true;
        for (at, original) in text.char_indices() {
            let class = match self.classes.get(original as usize) {
                Some(&k) => k,
                None => self
                    .astral
                    .get(&original)
                    .copied()
                    .unwrap_or_else(|| class_of(original)),
            };
            let c = if class & C_FOLD != 0 {
                fold(original)
            } else {
                original
            };
            if class & (C_DIGIT | C_AT) != 0 {
                seen |= if class & C_DIGIT != 0 {
                    Seen::DIGIT
                } else {
                    Seen::AT
                };
            }
            if class & C_SINGLE != 0
                && let Some(&(s, guard)) = self.singles.get(&c)
                && (guard == Guard::None || named(reach))
            {
                seen |= s;
            }
            if prev_class & C_FIRST != 0 {
                let key = pair_key(prev, c);
                let i = slot(key);
                if self.pairs[i >> 6] & (1 << (i & 63)) != 0
                    && let Some(literals) = self.by_pair.get(&key)
                {
                    let after = &text[at + original.len_utf8()..];
                    for l in literals {
                        if seen.any(l.seen)
                            || (l.guard == Guard::AfterName && !named(reach_before_prev))
                        {
                            continue;
                        }
                        let mut rest = after.chars().map(fold);
                        if l.rest.iter().all(|&r| rest.next() == Some(r)) {
                            seen |= l.seen;
                        }
                    }
                }
            }
            // Kanji, a space, kanji or kana: two parts of a name.
            if prev_class & C_SPACE != 0 && before_prev_class & C_HAN != 0 && class & C_NAME != 0 {
                seen |= Seen::NAME_SHAPE;
            }
            if class & (C_NAME | C_WHITE) == 0 {
                only_name_chars = false;
            }
            reach_before_prev = reach;
            reach = if class & (C_HAN | C_KATA) != 0 {
                0
            } else if class & C_HIRA != 0 {
                reach.saturating_add(1)
            } else if class & C_SPACE != 0 {
                reach
            } else {
                u8::MAX
            };
            before_prev_class = prev_class;
            prev_class = class;
            prev = c;
        }
        if only_name_chars && (2..=SHORT_UNIT).contains(&text.trim().chars().count()) {
            seen |= Seen::NAME_SHAPE;
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        let mut b = GateBuilder::default();
        b.literals(["糖尿病", "癌", "がん"], Seen::TERM, Guard::None);
        b.literals(["氏名", "tel"], Seen::PERSON, Guard::None);
        b.literals(["東京都"], Seen::PLACE, Guard::None);
        b.literals(["様", "さん", "部長"], Seen::PERSON, Guard::AfterName);
        b.build()
    }

    #[test]
    fn reports_what_a_detector_starts_from() {
        let g = gate();
        for (text, seen) in [
            ("電話は03-1234-5678です", Seen::DIGIT),
            ("電話は０３です", Seen::DIGIT),
            ("連絡先：ｔａｒｏ＠example.jp", Seen::AT),
            ("昨年から糖尿病で通院している。", Seen::TERM),
            ("父は胃癌の手術を受けた。", Seen::TERM),
            ("ＴＥＬをください", Seen::PERSON),
            ("東京都に住む。", Seen::PLACE),
            ("明日、山田様が来る。", Seen::PERSON),
            ("エミリーさんに会った。", Seen::PERSON),
            ("岡田さくら様より電話。", Seen::PERSON),
            ("佐藤部長の話。", Seen::PERSON),
            ("山田 様へ", Seen::PERSON | Seen::NAME_SHAPE),
            ("仮名　三恵が来た", Seen::NAME_SHAPE),
            ("山田太郎", Seen::NAME_SHAPE),
        ] {
            assert_eq!(g.scan(text), seen, "{text}");
        }
    }

    #[test]
    fn sees_nothing_in_prose_without_anything_to_find() {
        let g = gate();
        for text in [
            "あの日の夕暮れは美しかった。",
            "おかあさんは台所にいた。",
            "糖尿の話をした、東京へ行く。",
            "ふたりは黙って歩いていた、そして橋を渡った。",
        ] {
            assert!(g.scan(text).is_empty(), "{text}");
        }
    }
}
