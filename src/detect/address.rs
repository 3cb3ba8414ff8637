//! 住所 and 本籍地: prefecture, municipality (市区町村, 郡, wards of
//! designated cities), town, 丁目・番地・号 and building, in kanji and
//! digits of either width.
//!
//! Municipalities come from a gazetteer (`dictionaries/municipalities.tsv`,
//! Japan Post's KEN_ALL data): a word that merely ends in 市, 区, 町 or 村
//! (東京都内の市場, 中村区役所) is not a place.
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `address.full` | prefecture + municipality + block numbers (丁目, 番地, 1-2-3) | high |
//! | `address.municipality` | a municipality without prefecture + town + block numbers (横浜市中区山下町7-16-3) | high |
//! | `address.labelled` | prefecture + municipality under an address or 本籍 label (住所, 在住, 出身, 本籍地…, or the column header) | medium |
//! | `address.city` | prefecture + municipality alone | low |
//! | `domicile.labelled` | any of the above, or a prefecture alone, whose nearest label is 本籍/本籍地/筆頭者/戸籍 | high |

use std::sync::LazyLock;

use daachorse::CharwiseDoubleArrayAhoCorasick;

use super::gate::Seen;
use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds addresses and domiciles of origin.
pub struct AddressDetector;

pub use super::gazetteer::PREFECTURES;

/// The built-in gazetteer.
pub const MUNICIPALITIES: &str = include_str!("../../dictionaries/municipalities.tsv");

/// What a gazetteer name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A prefecture (index into [`PREFECTURES`]).
    Prefecture(u8),
    /// A municipality, with the prefectures that have one of that name.
    /// `alone` says whether it can start an address without its prefecture
    /// (a town inside a 郡 named without the 郡 cannot).
    Municipality {
        prefectures: &'static [u8],
        alone: bool,
    },
}

/// The gazetteer as `build.rs` wrote it from [`super::gazetteer::entries`]
/// of [`MUNICIPALITIES`]: every name in name order (`NAMES`), what each is
/// (`PLACES`), the longest name in characters (`LONGEST`), and the
/// automaton of the names valued with their index (`AUTOMATON`).
mod built {
    include!(concat!(env!("OUT_DIR"), "/gazetteer.rs"));
}

struct Gazetteer {
    /// Place names valued with their index in [`built::PLACES`]: a
    /// character-wise double array, which searches Japanese names faster
    /// than a byte automaton.
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    /// The longest name, in characters.
    longest: usize,
    places: &'static [Place],
    names: &'static [&'static str],
}

/// Read back from what `build.rs` serialized (about 3 ms less at every
/// start than building it here), checked as it is read.
static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(|| {
    let (automaton, _) = CharwiseDoubleArrayAhoCorasick::deserialize(built::AUTOMATON)
        .expect("the gazetteer's automaton from build.rs reads back");
    Gazetteer {
        automaton,
        longest: built::LONGEST,
        places: &built::PLACES,
        names: &built::NAMES,
    }
});

/// The characters of a town or building name: exactly the regex class
/// `[\p{Han}\p{Katakana}ー\p{Hiragana}]`, its ranges taken from
/// regex-syntax's Unicode tables so that the hand-written [`tail`] agrees
/// with the pattern it replaces (the test keeps that pattern).
const NAME_CLASS: &str = r"[\p{Han}\p{Katakana}ー\p{Hiragana}]";

/// [`NAME_CLASS`] as a bit set over the BMP plus the ranges beyond it.
struct NameChars {
    bmp: Box<[u64]>,
    astral: Vec<(u32, u32)>,
}

static NAME_CHARS: LazyLock<NameChars> = LazyLock::new(|| {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::parse(NAME_CLASS).expect("valid name class");
    let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
        unreachable!("a Unicode class")
    };
    let mut bmp = vec![0u64; 0x1_0000 / 64].into_boxed_slice();
    let mut astral = Vec::new();
    for r in class.ranges() {
        let (start, end) = (u32::from(r.start()), u32::from(r.end()));
        for c in start..=end.min(0xFFFF) {
            bmp[c as usize / 64] |= 1 << (c % 64);
        }
        if end > 0xFFFF {
            astral.push((start.max(0x1_0000), end));
        }
    }
    NameChars { bmp, astral }
});

/// Kanji, katakana (with ー) or hiragana: a character of [`NAME_CLASS`].
fn is_name_char(c: char) -> bool {
    let u = u32::from(c);
    let n = &*NAME_CHARS;
    if u <= 0xFFFF {
        n.bmp[u as usize / 64] & (1 << (u % 64)) != 0
    } else {
        n.astral.iter().any(|&(s, e)| (s..=e).contains(&u))
    }
}

/// A character of a place name: a name character but a particle.
fn is_place_char(c: char) -> bool {
    is_name_char(c) && !"のはをがでにとへもやおけ".contains(c)
}

/// What follows a municipality: how far the town, block numbers and
/// building reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tail {
    /// Byte length of the whole tail.
    end: usize,
    /// Block numbers were found.
    has_number: bool,
    /// A town name was found.
    has_town: bool,
}

/// The end of the ASCII digits of `b` from `at`.
fn skip_digits(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// Reads what may follow a municipality: a town, block numbers, a building.
///
/// The town starts with a place character (not a particle) and may then hold
/// up to eleven name characters, any kana included (みなとみらい); block
/// numbers follow after an optional space and chain 丁目, 番地, 番, 号, の,
/// 条 and 線 (each with an optional direction) and hyphens (2丁目21-1,
/// 4丁目17番1号, 北1条西2丁目); a building is one to twelve place
/// characters and a room number of up to five digits (号室, 号, F, 階).
/// Each part takes as much as it can, as the regular expression
/// `^(town)?( ?num)?( ?building)?` would, in one pass without backtracking.
fn tail(s: &str) -> Tail {
    let b = s.as_bytes();
    let mut at = 0;
    let mut chars = s.chars();
    if let Some(first) = chars.next().filter(|&c| is_place_char(c)) {
        at = first.len_utf8();
        at += chars
            .take(11)
            .take_while(|&c| is_name_char(c))
            .map(char::len_utf8)
            .sum::<usize>();
    }
    let has_town = at > 0;
    let mut p = at + usize::from(b.get(at) == Some(&b' '));
    let has_number = b.get(p).is_some_and(u8::is_ascii_digit);
    if has_number {
        p = skip_digits(b, p);
        loop {
            let rest = &s[p..];
            if let Some(w) = ["丁目", "番地", "番", "号", "の"]
                .iter()
                .find(|w| rest.starts_with(*w))
            {
                p = skip_digits(b, p + w.len());
            } else if rest.starts_with(['条', '線']) {
                p += '条'.len_utf8();
                if s[p..].starts_with(['東', '西', '南', '北']) {
                    p += '東'.len_utf8();
                }
                p = skip_digits(b, p);
            } else if rest.starts_with('-') && b.get(p + 1).is_some_and(u8::is_ascii_digit) {
                p = skip_digits(b, p + 1);
            } else {
                break;
            }
        }
        at = p;
    }
    // A building: one to twelve place characters right before a digit.
    let q = at + usize::from(b.get(at) == Some(&b' '));
    let (mut n, mut r) = (0, q);
    for c in s[q..].chars().take(13) {
        if !is_place_char(c) {
            break;
        }
        n += 1;
        r += c.len_utf8();
    }
    if (1..=12).contains(&n) && b.get(r).is_some_and(u8::is_ascii_digit) {
        let mut d = r;
        while d < r + 5 && b.get(d).is_some_and(u8::is_ascii_digit) {
            d += 1;
        }
        if let Some(w) = ["号室", "号", "F", "階"]
            .iter()
            .find(|w| s[d..].starts_with(*w))
        {
            d += w.len();
        }
        at = d;
    }
    Tail {
        end: at,
        has_number,
        has_town,
    }
}

/// A count or measure right after the numbers (30代, 3人, 5件) means they
/// were not block numbers.
fn followed_by_word(rest: &str) -> bool {
    rest.chars().next().is_some_and(|c| {
        c.is_ascii_digit()
            || matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3005}' | '\u{30A1}'..='\u{30FA}')
    })
}

/// Every prefecture and municipality name an address starts from.
pub fn place_names() -> impl Iterator<Item = &'static str> {
    GAZETTEER.names.iter().copied()
}

/// True if `s` starts with a prefecture or a municipality.
pub fn starts_with_prefecture(s: &str) -> bool {
    let g = &*GAZETTEER;
    // A name at the start lies within the longest name's length: the
    // leftmost match there starts at 0 if and only if one does in `s`.
    let head = s.char_indices().nth(g.longest).map_or(s, |(i, _)| &s[..i]);
    g.automaton
        .leftmost_find_iter(head)
        .next()
        .is_some_and(|m| m.start() == 0)
}

/// Keeps the prefecture and municipality, masks the rest.
fn mask_address(text: &str, keep: usize) -> String {
    if keep >= text.len() {
        return text.to_string();
    }
    format!("{}＊＊＊", &text[..keep])
}

/// An address found in normalised text.
struct Found {
    start: usize,
    /// End of prefecture + municipality (what the mask keeps).
    place_end: usize,
    end: usize,
    has_prefecture: bool,
    has_municipality: bool,
    has_number: bool,
    has_town: bool,
}

fn find_addresses(text: &str) -> Vec<Found> {
    let g = &*GAZETTEER;
    let matches: Vec<_> = g.automaton.leftmost_find_iter(text).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < matches.len() {
        let m = matches[i];
        let (start, mut place_end, has_prefecture, has_municipality) =
            match &g.places[m.value() as usize] {
                Place::Prefecture(p) => match matches.get(i + 1) {
                    Some(n)
                        if n.start() == m.end()
                            && matches!(&g.places[n.value() as usize],
                            Place::Municipality { prefectures, .. } if prefectures.contains(p)) =>
                    {
                        i += 1;
                        (m.start(), n.end(), true, true)
                    }
                    _ => (m.start(), m.end(), true, false),
                },
                Place::Municipality { alone: true, .. } => (m.start(), m.end(), false, true),
                Place::Municipality { alone: false, .. } => {
                    i += 1;
                    continue;
                }
            };
        i += 1;
        // A designated city's ward written after it (横浜市 + 中区) is part of
        // the municipality.
        if has_municipality
            && let Some(n) = matches.get(i)
            && n.start() == place_end
            && text[n.start()..n.end()].ends_with('区')
            && matches!(&g.places[n.value() as usize], Place::Municipality { .. })
        {
            place_end = n.end();
            i += 1;
        }
        let (mut end, mut has_number, mut has_town) = (place_end, false, false);
        if has_municipality {
            let t = tail(&text[place_end..]);
            let tail_end = place_end + t.end;
            has_number = t.has_number && !followed_by_word(&text[tail_end..]);
            has_town = t.has_town;
            if has_number {
                end = tail_end;
            }
        }
        // Skip gazetteer matches swallowed by this address.
        while i < matches.len() && matches[i].start() < end {
            i += 1;
        }
        out.push(Found {
            start,
            place_end,
            end,
            has_prefecture,
            has_municipality,
            has_number,
            has_town,
        });
    }
    out
}

impl AddressDetector {
    /// An address split over columns (都道府県 | 市区町村 | 町域 | 番地 |
    /// 建物), read as one from this cell and the record's part columns: the
    /// finding covers this cell, its value and mask the whole address.
    fn detect_joined(&self, input: &Input<'_>, out: &mut Vec<Candidate>) -> bool {
        let Some(joined) = super::columns::joined_address(input) else {
            return false;
        };
        let norm = crate::normalize::normalize(&joined);
        let text = norm.as_str();
        let lead = text.len() - text.trim_start().len();
        let found = find_addresses(text);
        let at_start = |f: &&Found| f.start == lead;
        // (start, end of the kept place, end, rule, confidence)
        let (start, place_end, end, rule, confidence) =
            if let Some(f) = found.iter().filter(at_start).find(|f| f.has_municipality) {
                let (rule, confidence) = match (f.has_prefecture, f.has_number) {
                    (true, true) => ("address.full", Confidence::High),
                    (false, true) if f.has_town => ("address.municipality", Confidence::High),
                    _ => ("address.labelled", Confidence::Medium),
                };
                (f.start, f.place_end, f.end, rule, confidence)
            } else if let Some(p) = found
                .iter()
                .filter(at_start)
                .find(|f| f.has_prefecture)
                .filter(|p| text[p.place_end..].trim().chars().count() >= 2)
            {
                // A municipality the gazetteer does not know (merged or
                // renamed since: 白岡町 is 白岡市 now) after a prefecture, in
                // columns known to hold an address, is still an address.
                let end = text.trim_end().len();
                (
                    p.start,
                    p.place_end,
                    end,
                    "address.labelled",
                    Confidence::Medium,
                )
            } else {
                return false;
            };
        let unit = &input.unit.text;
        let value = text[start..end].to_string();
        out.push(Candidate {
            category: Category::Address,
            rule,
            confidence,
            start: unit.len() - unit.trim_start().len(),
            end: unit.trim_end().len(),
            masked: mask_address(&value, place_end - start),
            value,
        });
        true
    }
}

impl Detector for AddressDetector {
    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        if self.detect_joined(input, out) {
            return;
        }
        // A part of an address split over columns belongs to its start.
        if matches!(input.role(), Some(super::columns::Role::AddressPart { .. })) {
            return;
        }
        let text = input.norm.as_str();
        if !input.seen.any(Seen::PLACE)
            || !text.contains(['都', '道', '府', '県', '市', '区', '町', '村'])
        {
            return;
        }
        for f in find_addresses(text) {
            let label = input.label_before(f.start);
            let (start, end) = input.original_range(f.start, f.end);
            let value = text[f.start..f.end].to_string();
            let masked = mask_address(&value, f.place_end - f.start);
            let domicile =
                label == Some(Signal::Domicile) && (f.has_prefecture || f.has_municipality);
            if domicile {
                out.push(Candidate {
                    category: Category::Domicile,
                    rule: "domicile.labelled",
                    confidence: Confidence::High,
                    start,
                    end,
                    value: value.clone(),
                    masked: masked.clone(),
                });
            }
            if !f.has_municipality {
                continue; // a prefecture alone is a place, not an address
            }
            let labelled = matches!(label, Some(Signal::Address | Signal::Domicile));
            let (rule, confidence) = match (f.has_prefecture, f.has_number) {
                (true, true) => ("address.full", Confidence::High),
                (false, true) if f.has_town => ("address.municipality", Confidence::High),
                (false, _) if labelled => ("address.labelled", Confidence::Medium),
                (false, _) => continue,
                (true, false) if labelled => ("address.labelled", Confidence::Medium),
                (true, false) => ("address.city", Confidence::Low),
            };
            out.push(Candidate {
                category: Category::Address,
                rule,
                confidence,
                start,
                end,
                value,
                masked,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::run_on;
    use crate::unit::TextUnit;
    use regex::Regex;

    #[test]
    fn the_gazetteer_from_build_rs_is_the_list_compiled_in() {
        let entries = super::super::gazetteer::entries(MUNICIPALITIES);
        let g = &*GAZETTEER;
        assert_eq!(g.names.len(), entries.len());
        for ((name, e), (built, place)) in entries.iter().zip(g.names.iter().zip(g.places)) {
            assert_eq!(name, built);
            let kind = match *place {
                Place::Prefecture(p) => (Some(usize::from(p)), Vec::new(), false),
                Place::Municipality { prefectures, alone } => (
                    None,
                    prefectures.iter().map(|&p| usize::from(p)).collect(),
                    alone,
                ),
            };
            assert_eq!(
                kind,
                (e.prefecture, e.prefectures.clone(), e.alone),
                "{name}"
            );
        }
        assert_eq!(
            g.longest,
            entries.keys().map(|k| k.chars().count()).max().unwrap()
        );
        let rebuilt = daachorse::CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(daachorse::MatchKind::LeftmostLongest)
            .build_with_values(entries.keys().zip(0u32..))
            .unwrap();
        assert_eq!(rebuilt.serialize(), built::AUTOMATON);
        // A few places a real address starts from, and words that only end
        // like one.
        assert!(starts_with_prefecture("横浜市中区"));
        assert!(starts_with_prefecture("北海道札幌市"));
        assert!(!starts_with_prefecture("中村区役所"));
    }

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        run_on(&AddressDetector, &unit)
    }

    fn find(text: &str) -> Vec<Candidate> {
        find_in(TextUnit::line(text.into(), 1, 0, 0))
    }

    /// The regular expression the hand-written [`tail`] replaces.
    fn tail_by_regex(s: &str) -> Tail {
        static TAIL: LazyLock<Regex> = LazyLock::new(|| {
            let place = r"[\p{Han}\p{Katakana}ー\p{Hiragana}--[のはをがでにとへもやおけ]]";
            let num =
                r"[0-9]+(?:(?:丁目|番地|番|号|の|条[東西南北]?|線[東西南北]?)[0-9]*|-[0-9]+)*";
            Regex::new(&format!(
                r"^(?P<town>(?:{place}{NAME_CLASS}{{0,11}})?)(?:[ ]?(?P<num>{num}))?(?P<bld>[ ]?{place}{{1,12}}[0-9]{{1,5}}(?:号室|号|F|階)?)?"
            ))
            .expect("valid address tail regex")
        });
        let c = TAIL.captures(s).expect("everything is optional");
        Tail {
            end: c.get(0).map_or(0, |m| m.end()),
            has_number: c.name("num").is_some(),
            has_town: c.name("town").is_some_and(|t| !t.is_empty()),
        }
    }

    #[test]
    fn the_tail_reader_agrees_with_its_regular_expression() {
        for s in [
            "",
            "栄町2丁目5番3号 グリーンハイツ201号室",
            "北3条西12丁目1-1",
            "みどり台1-2-3 コーポ杉102",
            "の1番地",
            "本町 12-3",
            "本町 ",
            "大通東3丁目の4",
            "霞が関一丁目",
            "5丁目30代の男性",
            "アイウエオカキクケコサシスセソ1",
            "山川山川山川山川山川山川1",
            "山川山川山川山川山川山川山1",
            "𠮷野町3-2 ﾊｲﾂ1F",
        ] {
            assert_eq!(tail(s), tail_by_regex(s), "{s}");
        }
        // Random strings over the characters the grammar turns on.
        let alphabet: Vec<char> = "山本町のはアーひ12-  丁目番地号室条東線F階a、𠮷ｱ〇々"
            .chars()
            .collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(tail(&s), tail_by_regex(&s), "{s}");
        }
    }

    fn best(text: &str, cat: Category) -> Option<Confidence> {
        find(text)
            .iter()
            .filter(|c| c.category == cat)
            .map(|c| c.confidence)
            .max()
    }

    #[test]
    fn full_addresses() {
        for s in [
            "茨城県つくば市研究学園2-28-1 コーポ緑101",
            "京都府京都市中京区河原町4丁目17番1号",
            "北海道札幌市中央区北１条西２丁目",
            "長野県北佐久郡軽井沢町大字軽井沢1323",
            "横浜市中区山下町7-16-3",
        ] {
            assert_eq!(
                best(&format!("送付先 {s}"), Category::Address),
                Some(Confidence::High),
                "{s}"
            );
        }
        let got = find("〒100-0001 東京都千代田区千代田1-1 です");
        assert_eq!(got[0].masked, "東京都千代田区＊＊＊");
    }

    #[test]
    fn municipalities_come_from_the_gazetteer() {
        assert_eq!(
            best("送付先 世田谷区玉川3丁目4番15号", Category::Address),
            Some(Confidence::High)
        );
        assert_eq!(
            best("三重県川越町豊田1-2", Category::Address),
            Some(Confidence::High)
        );
        assert_eq!(
            best("神奈川県横浜市中区山下町7", Category::Address),
            Some(Confidence::High)
        );
        // A town that exists only inside a 郡 does not start an address alone.
        assert_eq!(best("川越町豊田1-2", Category::Address), None);
        assert!(starts_with_prefecture("東京都千代田区"));
        assert!(starts_with_prefecture("横浜市中区"));
        assert!(!starts_with_prefecture("品川ナンバー"));
    }

    #[test]
    fn the_whole_address_is_masked() {
        for (s, masked) in [
            (
                "東京都渋谷区渋谷2丁目21-1 見本ハイツ305",
                "東京都渋谷区＊＊＊",
            ),
            ("大阪府大阪市北区梅田1丁目1番3号", "大阪府大阪市北区＊＊＊"),
            (
                "神奈川県横浜市西区みなとみらい2-3-1",
                "神奈川県横浜市西区＊＊＊",
            ),
        ] {
            let got = find(&format!("住所：{s}"));
            let a = got
                .iter()
                .find(|c| c.category == Category::Address)
                .unwrap();
            assert_eq!(
                (a.confidence, a.masked.as_str()),
                (Confidence::High, masked),
                "{s}"
            );
            assert_eq!(a.end, format!("住所：{s}").len(), "{s}");
        }
        // Counts after a place are not block numbers.
        assert_eq!(
            best("東京都世田谷区在住の30代", Category::Address),
            Some(Confidence::Low)
        );
        assert_eq!(
            best("東京都渋谷区に住む3人", Category::Address),
            Some(Confidence::Low)
        );
    }

    #[test]
    fn city_alone_needs_a_label() {
        assert_eq!(
            best("彼は東京都世田谷区に住む", Category::Address),
            Some(Confidence::Low)
        );
        assert_eq!(
            best("現住所：東京都世田谷区", Category::Address),
            Some(Confidence::Medium)
        );
        assert_eq!(
            best("本籍地は鹿児島県鹿児島市です。", Category::Domicile),
            Some(Confidence::High)
        );
        assert_eq!(
            best("本籍地は鹿児島県鹿児島市です。", Category::Address),
            Some(Confidence::Medium)
        );
        assert_eq!(
            best("本籍：沖縄県", Category::Domicile),
            Some(Confidence::High)
        );
        assert_eq!(best("本籍：沖縄県", Category::Address), None);
        let mut unit = TextUnit::line("沖縄県那覇市".into(), 2, 0, 0);
        unit.column_header = Some("本籍地".into());
        assert!(
            find_in(unit)
                .iter()
                .any(|c| c.category == Category::Domicile)
        );
    }

    #[test]
    fn not_addresses() {
        for s in [
            "中村区役所で手続き",
            "東京都内の会議",
            "大阪府警によると",
            "京都の観光",
        ] {
            assert!(
                find(s).iter().all(|c| c.confidence < Confidence::Medium),
                "{s}: {:?}",
                find(s)
            );
        }
    }
}
