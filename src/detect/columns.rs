//! What a table column holds, from its header or, when the header does not
//! say, from its values.
//!
//! * **Headers**: the context keywords (氏名, 電話番号, 既往歴…) as before, plus
//!   whole-header names that are too short or too common to be keywords
//!   (`dictionaries/column_names.tsv`: 姓, 名, tel, zip, first_name…),
//!   English headers built around `name` (`NAME_JA`, `customer_name`),
//!   labels for a person ending in 者 (作業者, 申込者), and qualifiers: 姓（カナ）
//!   is a name, 住所（カタカナ） an address reading, not a name.
//! * **Values**, for columns without a telling header (no header row,
//!   `No.`, `値`): a column whose sampled values are mostly phone numbers,
//!   e-mail addresses, postal codes, addresses, names confirmed by IPADIC
//!   (surnames, given names next to them, readings that match a name in the
//!   same row) or, next to names, dates, holds that category. Findings there
//!   are `medium` with rule `<category>.profile`: inferred, not labelled.
//! * **Addresses split over columns**: the columns after an address column
//!   that have no header, a generic one (住所2, 番地, 建物名) or values that
//!   continue an address are its parts; the detector reads the record's
//!   parts as one address, and no part is taken for a name.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::keywords::{Keywords, Signal};
use super::{Candidate, Detector, Input, address, birth_date, email, is_kanji, phone, postal_code};
use crate::finding::{Category, Confidence};
use crate::normalize::normalize;
use crate::tokenize::{Token, Tokenizer};
use crate::unit::{TableSample, TextUnit};

/// How a column's role is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Its header says so.
    Header,
    /// Its header names a part of a name (姓, 名, first_name): values may be
    /// a single character.
    NamePart,
    /// Its values say so (no telling header).
    Values,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Values of this kind.
    Holds {
        /// What the values are.
        signal: Signal,
        /// How that is known.
        evidence: Evidence,
    },
    /// The continuation of the address that starts in column `start`.
    AddressPart {
        /// The column where the address starts.
        start: u32,
    },
    /// A reading of an address (住所（カナ）): not a name.
    Reading,
    /// Nothing known.
    Unknown,
}

/// The roles of a table's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProfile {
    roles: Vec<(u32, Role)>,
}

impl TableProfile {
    /// The role of `column`.
    pub fn role(&self, column: u32) -> Role {
        self.roles
            .binary_search_by_key(&column, |(c, _)| *c)
            .map_or(Role::Unknown, |i| self.roles[i].1)
    }

    /// The columns continuing the address that starts in `start`, in order.
    pub fn address_parts(&self, start: u32) -> Vec<u32> {
        self.roles
            .iter()
            .filter(|(_, r)| *r == Role::AddressPart { start })
            .map(|(c, _)| *c)
            .collect()
    }
}

static KEYWORDS: LazyLock<Keywords> = LazyLock::new(Keywords::builtin);

/// The built-in whole-header names.
pub const COLUMN_NAMES: &str = include_str!("../../dictionaries/column_names.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Person,
    PersonPart,
    Phone,
    Email,
    PostalCode,
    Address,
    AddressPart,
    DateOfBirth,
    MyNumber,
    Other,
}

static NAMES: LazyLock<HashMap<String, Named>> = LazyLock::new(|| {
    COLUMN_NAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, role) = l.split_once('\t')?;
            let role = match role.trim() {
                "person" => Named::Person,
                "person_part" => Named::PersonPart,
                "phone" => Named::Phone,
                "email" => Named::Email,
                "postal_code" => Named::PostalCode,
                "address" => Named::Address,
                "address_part" => Named::AddressPart,
                "date_of_birth" => Named::DateOfBirth,
                "my_number" => Named::MyNumber,
                "other" => Named::Other,
                _ => return None,
            };
            Some((squash(name).0, role))
        })
        .collect()
});

/// Words that say a column holds a reading (カナ) rather than the thing.
const READING_WORDS: &[&str] = &[
    "カタカナ",
    "フリガナ",
    "ふりがな",
    "ヨミガナ",
    "よみがな",
    "カナ",
    "かな",
    "ヨミ",
    "よみ",
];

/// Normalises a header for whole-header matching: the base and whether a
/// qualifier or a trailing word said "reading" (カナ).
fn squash(header: &str) -> (String, bool) {
    let norm = normalize(header.trim());
    let mut base = String::new();
    let mut qualifier = String::new();
    let mut depth = 0usize;
    for c in norm.as_str().chars() {
        match c {
            '(' | '（' | '[' | '［' | '【' | '<' | '＜' | '「' => depth += 1,
            ')' | '）' | ']' | '］' | '】' | '>' | '＞' | '」' => {
                depth = depth.saturating_sub(1)
            }
            _ if depth > 0 => qualifier.push(c),
            ' ' | '_' | '-' | '・' | '.' | '　' | ':' | '：' => {}
            _ => base.extend(c.to_lowercase()),
        }
    }
    let mut reading = READING_WORDS.iter().any(|w| qualifier.contains(w));
    // 姓カナ, 氏名フリガナ: a trailing reading word.
    for w in READING_WORDS {
        if base.len() > w.len()
            && let Some(b) = base.strip_suffix(w)
        {
            base = b.to_string();
            reading = true;
            break;
        }
    }
    // 住所2, tel1, address_1.
    let trimmed = base.trim_end_matches(|c: char| c.is_ascii_digit());
    if !trimmed.is_empty() {
        base.truncate(trimmed.len());
    }
    (base, reading)
}

/// Latin headers built around `name`: `name`, `NAME_JA`, `first_name`,
/// `customerName`. Not `company_name` or `file_name`.
fn latin_person_header(header: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in header.trim().chars() {
        if c.is_ascii_alphabetic() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase();
            cur.push(c.to_ascii_lowercase());
        } else if c.is_ascii_digit() {
            continue;
        } else {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            if !matches!(c, ' ' | '_' | '-' | '.') {
                return false;
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    const MODIFIERS: &[&str] = &[
        "first", "last", "given", "family", "full", "middle", "ja", "jp", "en", "kana", "kanji",
        "sei", "mei", "person", "user", "customer", "contact", "member", "employee", "staff",
        "student", "patient", "real", "legal", "owner", "author", "my", "your",
    ];
    words.iter().any(|w| w == "name")
        && words
            .iter()
            .all(|w| w == "name" || MODIFIERS.contains(&w.as_str()))
}

/// A label for a person: ends in 者 or 者名 (作業者, 申込者名), not a business
/// (業者, 事業者, 販売業者).
fn person_suffix(norm: &str) -> bool {
    const BUSINESSES: &[&str] = &[
        "事業者",
        "販売業者",
        "製造業者",
        "運送業者",
        "取扱業者",
        "委託業者",
        "協力業者",
        "配送業者",
        "仲介業者",
        "施工業者",
        "専門業者",
        "同業者",
        "関連業者",
    ];
    let base = norm.trim().trim_end_matches('名');
    let n = base.chars().count();
    (2..=6).contains(&n)
        && base.ends_with('者')
        && base != "業者"
        && !BUSINESSES.iter().any(|b| base.ends_with(b))
}

/// The longest text whose header facts are remembered (headers and labels
/// are short; longer texts are values).
const REMEMBERED_HEADER: usize = 48;
/// How many texts are remembered per thread before starting afresh.
const REMEMBERED_HEADERS: usize = 4096;

/// [`header_role`] and whether the text is a common header that says
/// nothing about personal data, remembered per thread for short texts: a
/// table asks about the same headers for every value and row.
fn header_facts(text: &str) -> (Role, bool) {
    use crate::tokenize::ShortMemo;
    use std::cell::RefCell;
    thread_local! {
        static FACTS: RefCell<ShortMemo<(Role, bool)>> =
            RefCell::new(ShortMemo::new(REMEMBERED_HEADERS));
    }
    let facts = |text: &str| {
        (
            role_of_header(text),
            NAMES.get(&squash(text).0) == Some(&Named::Other),
        )
    };
    if text.len() > REMEMBERED_HEADER {
        return facts(text);
    }
    if let Some(f) = FACTS.with(|m| m.borrow().get(text).copied()) {
        return f;
    }
    let f = facts(text);
    FACTS.with(|m| m.borrow_mut().insert(text, f));
    f
}

/// What a header alone says about its column.
pub fn header_role(header: &str) -> Role {
    header_facts(header).0
}

fn role_of_header(header: &str) -> Role {
    let header = header.trim();
    if header.is_empty() {
        return Role::Unknown;
    }
    let (base, reading) = squash(header);
    let named = NAMES.get(&base).copied().or_else(|| {
        if latin_person_header(header) {
            Some(Named::Person)
        } else {
            None
        }
    });
    let holds = |signal| Role::Holds {
        signal,
        evidence: Evidence::Header,
    };
    if reading && matches!(named, Some(Named::Address | Named::AddressPart)) {
        return Role::Reading;
    }
    let norm = normalize(header);
    let keyword = KEYWORDS.last(norm.as_str()).map(|h| h.signal);
    if reading && keyword == Some(Signal::Address) {
        return Role::Reading;
    }
    match named {
        Some(Named::Person) => return holds(Signal::Person),
        Some(Named::PersonPart) => {
            return Role::Holds {
                signal: Signal::Person,
                evidence: Evidence::NamePart,
            };
        }
        Some(Named::Phone) => return holds(Signal::Phone),
        Some(Named::Email) => return holds(Signal::Email),
        Some(Named::PostalCode) => return holds(Signal::PostalCode),
        Some(Named::Address) => return holds(Signal::Address),
        Some(Named::AddressPart) => return Role::AddressPart { start: u32::MAX },
        Some(Named::DateOfBirth) => return holds(Signal::Identifier(Category::DateOfBirth)),
        Some(Named::MyNumber) => return holds(Signal::MyNumber),
        Some(Named::Other) | None => {}
    }
    // English headers name a person only around the word `name`
    // (`company_name` is not one).
    let ascii = header.is_ascii();
    if let Some(signal) = keyword.filter(|s| !(ascii && *s == Signal::Person)) {
        return holds(signal);
    }
    if person_suffix(norm.as_str()) {
        return holds(Signal::Person);
    }
    Role::Unknown
}

/// True if `text` is a word tables use as a header or label (a header row
/// holds one): a personal-data header, or a common one that is not (性別,
/// 会社名, 備考, No.).
pub fn is_header_word(text: &str) -> bool {
    let (role, other) = header_facts(text);
    role != Role::Unknown || other
}

/// Sampled values below which a column's role is not inferred.
const MIN_VALUES: usize = 4;

/// A probe: does `detector`, with `header` as the column header, find a
/// `category` covering the whole value?
fn fits(detector: &dyn Detector, header: &str, value: &str, category: Category) -> bool {
    let mut unit = TextUnit::line(value.to_string(), 1, 0, 0);
    unit.column_header = Some(header.to_string());
    let input = Input::new(&unit, &KEYWORDS);
    let mut out: Vec<Candidate> = Vec::new();
    detector.detect(&input, &mut out);
    let t = value.trim();
    let (s, e) = (
        value.len() - value.trim_start().len(),
        value.trim_end().len(),
    );
    out.iter().any(|c| {
        c.category == category
            && c.confidence >= Confidence::Medium
            && c.start <= s + 3
            && c.end >= e
            && !t.is_empty()
    })
}

/// A column whose values mostly (`share`) pass `test`.
fn mostly<'a>(values: &[&'a str], share: f32, mut test: impl FnMut(&'a str) -> bool) -> bool {
    values.len() >= MIN_VALUES
        && values.iter().filter(|v| test(v)).count() as f32 >= share * values.len() as f32
}

/// How IPADIC reads a value that may be a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameShape {
    /// 姓 + given name.
    Full,
    /// A surname alone.
    Surname,
    /// A given name alone.
    Given,
    /// Short kanji or kana, not known to be a name.
    Short,
    /// Not a name.
    No,
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}')
}

fn name_shape(tokenizer: &Tokenizer, value: &str) -> NameShape {
    let v: String = value.split_whitespace().collect();
    let n = v.chars().count();
    if !(1..=8).contains(&n) || !v.chars().all(|c| is_kanji(c) || is_kana(c)) {
        return NameShape::No;
    }
    if !v.chars().any(is_kanji) {
        return NameShape::Short;
    }
    let Ok(tokens) = tokenizer.tokenize(&v) else {
        return NameShape::No;
    };
    let surname = |t: &Token| t.is(&["名詞", "固有名詞", "人名", "姓"]);
    let given = |t: &Token| t.is(&["名詞", "固有名詞", "人名", "名"]);
    match tokens.as_slice() {
        [t] if surname(t) => NameShape::Surname,
        [t] if given(t) => NameShape::Given,
        [t, rest @ ..] if surname(t) && !rest.is_empty() && rest.len() <= 3 => {
            if rest.iter().all(|r| r.is(&["名詞"]) || given(r)) {
                NameShape::Full
            } else {
                NameShape::Short
            }
        }
        _ if n <= 4 => NameShape::Short,
        _ => NameShape::No,
    }
}

fn to_katakana(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '・')
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The katakana reading IPADIC gives `text`, if it knows every token's.
fn reading(tokenizer: &Tokenizer, text: &str) -> Option<String> {
    let v: String = text.split_whitespace().collect();
    let tokens = tokenizer.tokenize(&v).ok()?;
    let mut out = String::new();
    for t in &tokens {
        out.push_str(t.reading()?);
    }
    Some(out)
}

/// Columns profiled per table; the rest of a very wide table is Unknown.
pub const MAX_COLUMNS: usize = 256;

/// Profiles a table: a role for each column.
pub fn profile(sample: &TableSample) -> TableProfile {
    let mut columns = sample.columns();
    columns.truncate(MAX_COLUMNS);
    let mut roles: Vec<(u32, Role)> = columns
        .iter()
        .map(|&c| (c, sample.header(c).map_or(Role::Unknown, header_role)))
        .collect();
    let values: HashMap<u32, Vec<&str>> = columns
        .iter()
        .map(|&c| (c, sample.values(c).collect()))
        .collect();
    // Addresses split over columns: the parts after an address column, before
    // their values (towns, block numbers) are taken for something else.
    mark_address_parts(&mut roles, sample, &values);
    let tokenizer = Tokenizer::shared().ok();
    let is_person = |r: &Role| {
        matches!(
            r,
            Role::Holds {
                signal: Signal::Person,
                ..
            }
        )
    };
    // Values: shapes with a validator of their own.
    for (c, role) in roles.iter_mut() {
        if *role != Role::Unknown {
            continue;
        }
        let v = &values[c];
        let inferred = |signal| Role::Holds {
            signal,
            evidence: Evidence::Values,
        };
        if mostly(v, 0.8, |x| {
            fits(&phone::PhoneDetector, "電話番号", x, Category::Phone)
        }) {
            *role = inferred(Signal::Phone);
        } else if mostly(v, 0.8, |x| {
            fits(&email::EmailDetector, "", x, Category::Email)
        }) {
            *role = inferred(Signal::Email);
        } else if mostly(v, 0.8, |x| {
            fits(
                &postal_code::PostalCodeDetector,
                "郵便番号",
                x,
                Category::PostalCode,
            )
        }) {
            *role = inferred(Signal::PostalCode);
        } else if mostly(v, 0.6, |x| {
            x.chars().count() <= 80 && address::starts_with_prefecture(normalize(x.trim()).as_str())
        }) {
            *role = inferred(Signal::Address);
        }
    }
    // Names: IPADIC says most values are surnames or full names; a column
    // of given names follows one of surnames.
    if let Some(tok) = tokenizer {
        let shapes: HashMap<u32, Vec<NameShape>> = roles
            .iter()
            .filter(|(_, r)| *r == Role::Unknown)
            .map(|(c, _)| (*c, values[c].iter().map(|v| name_shape(tok, v)).collect()))
            .collect();
        let share = |c: u32, ok: &dyn Fn(NameShape) -> bool| {
            let s = &shapes[&c];
            s.len() >= MIN_VALUES && s.iter().filter(|x| ok(**x)).count() * 10 >= s.len() * 6
        };
        // Names vary: a column of 男/女 or of a few departments is not one.
        let varied = |c: u32| {
            let v = &values[&c];
            let mut d: Vec<&&str> = v.iter().collect();
            d.sort_unstable();
            d.dedup();
            d.len() * 2 >= v.len()
        };
        let mut surnames: Vec<u32> = Vec::new();
        for i in 0..roles.len() {
            let (c, role) = roles[i];
            if role != Role::Unknown {
                continue;
            }
            if !varied(c) {
                continue;
            }
            let named = share(c, &|s| matches!(s, NameShape::Full | NameShape::Surname));
            if share(c, &|s| s == NameShape::Surname) {
                surnames.push(c);
            }
            let after_surname = i > 0 && surnames.contains(&roles[i - 1].0);
            let given = after_surname
                && share(c, &|s| {
                    matches!(s, NameShape::Given | NameShape::Short | NameShape::Surname)
                });
            if named || given {
                roles[i].1 = Role::Holds {
                    signal: Signal::Person,
                    evidence: Evidence::Values,
                };
            }
        }
        // Readings: kana values that IPADIC reads off a name in the row.
        let person_cols: Vec<u32> = roles
            .iter()
            .filter(|(_, r)| is_person(r))
            .map(|(c, _)| *c)
            .collect();
        if !person_cols.is_empty() {
            for (c, role) in roles.iter_mut() {
                if *role != Role::Unknown {
                    continue;
                }
                let (mut kana, mut matched) = (0usize, 0usize);
                for row in &sample.rows {
                    let Some((_, v)) = row.iter().find(|(col, v)| col == c && !v.trim().is_empty())
                    else {
                        continue;
                    };
                    let k = to_katakana(v);
                    if k.chars().count() < 2 || !k.chars().all(is_kana) {
                        continue;
                    }
                    kana += 1;
                    let hit = row.iter().any(|(col, name)| {
                        person_cols.contains(col)
                            && reading(tok, name).is_some_and(|r| {
                                r.chars().count() >= 2 && (k.starts_with(&r) || r.starts_with(&k))
                            })
                    });
                    matched += hit as usize;
                }
                let n = values[c].len();
                if n >= MIN_VALUES && kana * 10 >= n * 8 && matched * 10 >= kana * 3 {
                    *role = Role::Holds {
                        signal: Signal::Person,
                        evidence: Evidence::Values,
                    };
                }
            }
        }
    }
    // Dates next to people are dates of birth.
    let has_person = roles.iter().any(|(_, r)| is_person(r));
    if has_person {
        for (c, role) in roles.iter_mut() {
            if *role == Role::Unknown
                && mostly(&values[c], 0.8, |x| {
                    fits(
                        &birth_date::BirthDateDetector,
                        "生年月日",
                        x,
                        Category::DateOfBirth,
                    )
                })
            {
                *role = Role::Holds {
                    signal: Signal::Identifier(Category::DateOfBirth),
                    evidence: Evidence::Values,
                };
            }
        }
    }
    mark_address_parts(&mut roles, sample, &values);
    // Parts without an address before them are parts of nothing known.
    for (_, r) in roles.iter_mut() {
        if *r == (Role::AddressPart { start: u32::MAX }) {
            *r = Role::Unknown;
        }
    }
    TableProfile { roles }
}

/// Marks the columns that continue an address column: no header, a generic
/// one (住所2, 番地) or another numbered address header, and no values of
/// another kind (phones, e-mail, dates).
fn mark_address_parts(
    roles: &mut [(u32, Role)],
    sample: &TableSample,
    values: &HashMap<u32, Vec<&str>>,
) {
    let mut i = 0;
    while i < roles.len() {
        let (start, role) = roles[i];
        i += 1;
        if !matches!(
            role,
            Role::Holds {
                signal: Signal::Address,
                ..
            }
        ) {
            continue;
        }
        let mut parts = 0;
        while i < roles.len() && parts < 5 {
            let (c, r) = roles[i];
            let continues = match r {
                Role::AddressPart { .. } => true,
                Role::Unknown => {
                    let v = &values[&c];
                    sample.header(c).is_none_or(|h| h.trim().is_empty())
                        && !v.iter().any(|x| {
                            x.contains('@')
                                || fits(&phone::PhoneDetector, "電話番号", x, Category::Phone)
                                || fits(
                                    &birth_date::BirthDateDetector,
                                    "生年月日",
                                    x,
                                    Category::DateOfBirth,
                                )
                        })
                }
                // 住所, 住所2: a second address column continues the first.
                Role::Holds {
                    signal: Signal::Address,
                    evidence: Evidence::Header,
                } => sample
                    .header(c)
                    .is_some_and(|h| h.trim_end().ends_with(|ch: char| ch.is_ascii_digit())),
                _ => false,
            };
            if !continues {
                break;
            }
            roles[i].1 = Role::AddressPart { start };
            parts += 1;
            i += 1;
        }
    }
}

/// The address that starts in this unit's cell and continues in the
/// record's part columns, joined: (joined text, byte length of this cell's
/// part in it).
pub fn joined_address(input: &Input<'_>) -> Option<String> {
    let pos = input.unit.table.as_ref()?;
    let profile = input.profile?;
    let parts = profile.address_parts(pos.column);
    if parts.is_empty() {
        return None;
    }
    let record = input.unit.record.as_ref()?;
    let mut joined = input.unit.text.trim_end().to_string();
    for p in parts {
        if let Some(f) = record.iter().find(|f| f.column == p) {
            joined.push_str(f.text.trim());
        }
    }
    Some(joined)
}

/// Rule ids of findings in columns whose role was inferred from values.
pub fn profile_rule(category: Category) -> &'static str {
    match category {
        Category::PersonName => "person_name.profile",
        Category::Phone => "phone.profile",
        Category::Email => "email.profile",
        Category::PostalCode => "postal_code.profile",
        Category::Address => "address.profile",
        Category::DateOfBirth => "date_of_birth.profile",
        _ => "column.profile",
    }
}

/// The category a column signal stands for.
pub fn signal_category(signal: Signal) -> Option<Category> {
    Some(match signal {
        Signal::Person => Category::PersonName,
        Signal::Phone => Category::Phone,
        Signal::Email => Category::Email,
        Signal::PostalCode => Category::PostalCode,
        Signal::Address => Category::Address,
        Signal::MyNumber => Category::MyNumber,
        Signal::Identifier(c) => c,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(headers: &[&str], rows: &[&[&str]]) -> TableSample {
        let cells = |r: &[&str]| {
            r.iter()
                .enumerate()
                .filter(|(_, t)| !t.is_empty())
                .map(|(i, t)| (i as u32, t.to_string()))
                .collect::<Vec<_>>()
        };
        TableSample {
            headers: cells(headers),
            rows: rows.iter().map(|r| cells(r)).collect(),
        }
    }

    fn holds(p: &TableProfile, c: u32) -> Option<(Signal, Evidence)> {
        match p.role(c) {
            Role::Holds { signal, evidence } => Some((signal, evidence)),
            _ => None,
        }
    }

    #[test]
    fn headers_that_are_whole_words() {
        let person = |h| {
            matches!(
                header_role(h),
                Role::Holds {
                    signal: Signal::Person,
                    ..
                }
            )
        };
        for h in [
            "姓",
            "名",
            "名（カタカナ）",
            "姓カナ",
            "first_name",
            "LastName",
            "NAME_JA",
            "name",
            "作業者",
            "申込者名",
        ] {
            assert!(person(h), "{h}: {:?}", header_role(h));
        }
        for h in [
            "会社名",
            "company_name",
            "file name",
            "商品名",
            "事業者",
            "名称",
        ] {
            assert!(!person(h), "{h}: {:?}", header_role(h));
        }
        assert_eq!(header_role("住所（カタカナ）"), Role::Reading);
        assert!(matches!(
            header_role("TEL"),
            Role::Holds {
                signal: Signal::Phone,
                ..
            }
        ));
        assert!(matches!(
            header_role("zip_code"),
            Role::Holds {
                signal: Signal::PostalCode,
                ..
            }
        ));
        assert!(is_header_word("電話番号") && !is_header_word("架空一郎"));
    }

    #[test]
    fn headerless_columns_from_their_values() {
        let s = sample(
            &[],
            &[
                &[
                    "佐藤",
                    "健一",
                    "サトウ",
                    "ケンイチ",
                    "0312345678",
                    "1980/01/02",
                    "x1",
                ],
                &[
                    "鈴木",
                    "花子",
                    "スズキ",
                    "ハナコ",
                    "09012345678",
                    "1975/12/30",
                    "x2",
                ],
                &[
                    "高橋",
                    "誠",
                    "タカハシ",
                    "マコト",
                    "0451234567",
                    "1990/07/07",
                    "x3",
                ],
                &[
                    "田中",
                    "美咲",
                    "タナカ",
                    "ミサキ",
                    "0663334444",
                    "2001/03/15",
                    "x4",
                ],
                &[
                    "伊藤",
                    "大輔",
                    "イトウ",
                    "ダイスケ",
                    "0112223333",
                    "1968/11/11",
                    "x5",
                ],
            ],
        );
        let p = profile(&s);
        let inferred = |signal| Some((signal, Evidence::Values));
        assert_eq!(holds(&p, 0), inferred(Signal::Person));
        assert_eq!(holds(&p, 1), inferred(Signal::Person));
        assert_eq!(holds(&p, 2), inferred(Signal::Person));
        assert_eq!(holds(&p, 3), inferred(Signal::Person));
        assert_eq!(holds(&p, 4), inferred(Signal::Phone));
        assert_eq!(
            holds(&p, 5),
            inferred(Signal::Identifier(Category::DateOfBirth))
        );
        assert_eq!(p.role(6), Role::Unknown);
    }

    #[test]
    fn dates_without_people_are_just_dates() {
        let s = sample(
            &[],
            &[
                &["部品A", "2024/01/02"],
                &["部品B", "2024/02/03"],
                &["部品C", "2024/03/04"],
                &["部品D", "2024/04/05"],
            ],
        );
        assert_eq!(profile(&s).role(1), Role::Unknown);
    }

    #[test]
    fn address_parts_follow_the_address_column() {
        let s = sample(
            &["氏名", "住所", "", "", "", "備考"],
            &[
                &["架空一郎", "東京都", "千代田区", "丸の内", "1-2-3", "なし"],
                &["試野花子", "大阪府", "大阪市北区", "梅田", "4-5", "なし"],
            ],
        );
        let p = profile(&s);
        assert_eq!(p.address_parts(1), [2, 3, 4]);
        assert_eq!(p.role(5), Role::Unknown);
    }
}
