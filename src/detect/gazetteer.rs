//! The gazetteer's names: the 47 prefectures and the municipalities of
//! `dictionaries/municipalities.tsv`, with what each name is. `build.rs`
//! includes this file to build the address detector's automaton and table
//! once, when mamori is built; the detector's tests check what it wrote.

use std::collections::BTreeMap;

/// The 47 prefectures.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// What a gazetteer name is.
// Used by `build.rs`, which includes this file, and by the address
// detector's tests; the scan reads what `build.rs` made of it.
#[allow(dead_code)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// A prefecture: its index in [`PREFECTURES`].
    pub prefecture: Option<usize>,
    /// A municipality: the prefectures that have one of that name, in the
    /// order the list names them.
    pub prefectures: Vec<usize>,
    /// A municipality that can start an address without its prefecture (a
    /// town inside a 郡 named without the 郡 cannot).
    pub alone: bool,
}

#[allow(dead_code)]
/// Every name of the gazetteer given by `municipalities` (lines of
/// `prefecture<TAB>municipality`; `#` starts a comment), in name order.
pub fn entries(municipalities: &str) -> BTreeMap<String, Entry> {
    let mut names: BTreeMap<String, Entry> = BTreeMap::new();
    for (i, p) in PREFECTURES.iter().enumerate() {
        names.insert(
            p.to_string(),
            Entry {
                prefecture: Some(i),
                ..Entry::default()
            },
        );
    }
    let mut add = |name: &str, pref: usize, alone: bool| {
        let entry = names.entry(name.to_string()).or_insert(Entry {
            alone,
            ..Entry::default()
        });
        if entry.prefecture.is_none() {
            if !entry.prefectures.contains(&pref) {
                entry.prefectures.push(pref);
            }
            entry.alone |= alone;
        }
    };
    for line in municipalities.lines().filter(|l| !l.starts_with('#')) {
        let Some((pref, city)) = line.split_once('\t') else {
            continue;
        };
        let Some(pi) = PREFECTURES.iter().position(|p| *p == pref) else {
            continue;
        };
        add(city, pi, true);
        // 横浜市中区 → also 横浜市; 三重郡川越町 → also 川越町 (after its prefecture).
        if let Some(i) = city.find('市')
            && city.ends_with('区')
            && i + '市'.len_utf8() < city.len()
        {
            add(&city[..i + '市'.len_utf8()], pi, true);
        }
        if let Some(i) = city.find('郡') {
            add(&city[i + '郡'.len_utf8()..], pi, false);
        }
    }
    names
}
