//! 住所 and 本籍地: prefecture, municipality (市区町村, 郡, wards of
//! designated cities), town, 丁目・番地・号 and building, in kanji and
//! digits of either width.
//!
//! | rule | when | confidence |
//! |---|---|---|
//! | `address.full` | prefecture + municipality + block numbers, or a designated city + ward/town + block numbers | high |
//! | `address.labelled` | prefecture + municipality under an address or 本籍 label (住所, 在住, 出身, 本籍地…, or the column header) | medium |
//! | `address.city` | prefecture + municipality alone | low |
//! | `domicile.labelled` | any of the above, or a prefecture alone, whose nearest label is 本籍/本籍地/筆頭者/戸籍 | high |
//!
//! A place named without a prefecture or designated city (中村区役所で手続き)
//! is not an address.

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::Signal;
use super::{Candidate, Detector, Input};
use crate::finding::{Category, Confidence};

/// Finds addresses and domiciles of origin.
pub struct AddressDetector;

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

/// The 20 designated cities (政令指定都市), which addresses often start with.
pub const DESIGNATED_CITIES: [&str; 20] = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
];

/// Characters of place names: kanji, katakana, hiragana except particles.
const PLACE: &str = r"[\p{Han}\p{Katakana}ー\p{Hiragana}--[のはをがでにとへもやおけ]]";

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    let pref = PREFECTURES.join("|");
    let city = DESIGNATED_CITIES.join("|");
    let muni = format!(r"(?:{PLACE}{{1,5}}?郡{PLACE}{{1,5}}?[町村]|{PLACE}{{1,6}}?[市区町村])");
    let town = format!(r"{PLACE}{{0,12}}");
    let num = r"[0-9]+(?:丁目|番地|番|号|の[0-9]+|-[0-9]+)*";
    let building = format!(r"(?:[ ]?{PLACE}{{1,12}}[0-9]{{1,5}}(?:号室|号|F|階)?)?");
    Regex::new(&format!(
        r"(?P<pref>{pref})(?P<muni>{muni}{muni}?)?(?P<town>{town})(?:[ ]?(?P<num>{num}))?(?P<bld>{building})|(?P<city>{city})(?P<ward>{PLACE}{{1,4}}?区)?(?P<town2>{town})[ ]?(?P<num2>{num})"
    ))
    .expect("valid address regex")
});

/// True if `s` starts with a prefecture (or designated city) name.
pub fn starts_with_prefecture(s: &str) -> bool {
    PREFECTURES
        .iter()
        .chain(DESIGNATED_CITIES.iter())
        .any(|p| s.starts_with(p))
}

/// Keeps the prefecture and municipality, masks the rest.
fn mask_address(text: &str, keep: usize) -> String {
    if keep >= text.len() {
        return text.to_string();
    }
    format!("{}＊＊＊", &text[..keep])
}

impl Detector for AddressDetector {
    fn categories(&self) -> &'static [Category] {
        &[Category::Address, Category::Domicile]
    }

    fn detect(&self, input: &Input<'_>, out: &mut Vec<Candidate>) {
        let text = input.norm.as_str();
        if !text.contains(['都', '道', '府', '県', '市']) {
            return;
        }
        for caps in ADDRESS.captures_iter(text) {
            let m = caps.get(0).expect("whole match");
            let has_num = caps.name("num").is_some() || caps.name("num2").is_some();
            let muni = caps
                .name("muni")
                .or(caps.name("ward"))
                .or(caps.name("city"));
            let keep_end = muni.map_or(m.end(), |g| g.end());
            // Drop a trailing town part that is just prose after a bare city.
            let end = if has_num || caps.name("bld").is_some_and(|b| !b.is_empty()) {
                m.end()
            } else {
                keep_end
            };
            let label = input.label_before(m.start());
            let (start, end_o) = input.original_range(m.start(), end);
            let value = text[m.start()..end].to_string();
            let masked = mask_address(&value, keep_end - m.start());
            if label == Some(Signal::Domicile) {
                out.push(Candidate {
                    category: Category::Domicile,
                    rule: "domicile.labelled",
                    confidence: Confidence::High,
                    start,
                    end: end_o,
                    value: value.clone(),
                    masked: masked.clone(),
                });
            }
            if muni.is_none() {
                continue; // a prefecture alone is a place, not an address
            }
            let (rule, confidence) = if has_num {
                ("address.full", Confidence::High)
            } else if matches!(label, Some(Signal::Address | Signal::Domicile)) {
                ("address.labelled", Confidence::Medium)
            } else {
                ("address.city", Confidence::Low)
            };
            out.push(Candidate {
                category: Category::Address,
                rule,
                confidence,
                start,
                end: end_o,
                value,
                masked,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::keywords::Keywords;
    use crate::unit::TextUnit;

    fn find_in(unit: TextUnit) -> Vec<Candidate> {
        let k = Keywords::builtin();
        let input = Input::new(&unit, &k);
        let mut out = Vec::new();
        AddressDetector.detect(&input, &mut out);
        out
    }

    fn find(text: &str) -> Vec<Candidate> {
        find_in(TextUnit::line(text.into(), 1, 0, 0))
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
