//! Property test: normalisation's offset maps send every finding back to
//! the original bytes it was found in, whatever mix of full-width, dash and
//! prolonged-sound-mark look-alikes the text holds.

use std::sync::LazyLock;

use mamori::detect::DetectorSet;
use mamori::normalize::normalize;
use mamori::{Category, TextUnit};
use proptest::prelude::*;

static DETECTORS: LazyLock<DetectorSet> = LazyLock::new(DetectorSet::builtin);

/// Text made of pieces detectors start from, in every width and dash form.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9０-９]{1,4}",
        Just("-".to_string()),
        Just("－".to_string()),
        Just("ー".to_string()),
        Just("ｰ".to_string()),
        Just("‐".to_string()),
        Just("−".to_string()),
        Just("　".to_string()),
        Just(" ".to_string()),
        Just("電話".to_string()),
        Just("個人番号".to_string()),
        Just("〒".to_string()),
        Just("東京都千代田区".to_string()),
        Just("様".to_string()),
        Just("山田".to_string()),
        Just("＠".to_string()),
        Just("@".to_string()),
        Just("ｔａｒｏ".to_string()),
        Just("example.jp".to_string()),
        Just("糖尿病".to_string()),
        "[あ-ん]{1,3}",
        "[Ａ-Ｚａ-ｚ]{1,3}",
    ];
    proptest::collection::vec(piece, 1..24).prop_map(|v| v.concat())
}

fn digits(s: &str) -> usize {
    normalize(s)
        .as_str()
        .chars()
        .filter(char::is_ascii_digit)
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn offsets_map_both_ways(text in text()) {
        let norm = normalize(&text);
        let n = norm.as_str();
        let mut last = 0;
        for (i, _) in n.char_indices().chain([(n.len(), ' ')]) {
            let o = norm.to_original(i);
            prop_assert!(text.is_char_boundary(o), "{o} in {text:?}");
            prop_assert!(o >= last, "not monotonic at {i} in {text:?}");
            prop_assert_eq!(norm.to_normalized(o), i, "{:?}", text);
            last = o;
        }
        prop_assert_eq!(norm.to_original(n.len()), text.len());
    }

    #[test]
    fn every_finding_maps_back_to_its_original_bytes(text in text()) {
        let unit = TextUnit::line(text.clone(), 1, 0, 0);
        for c in DETECTORS.detect(&unit) {
            prop_assert!(c.start < c.end && c.end <= text.len(), "{c:?} in {text:?}");
            prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
            let original = &text[c.start..c.end];
            // A number's digits are all in the bytes it was found in.
            if matches!(c.category, Category::MyNumber | Category::CorporateNumber | Category::Phone | Category::PostalCode | Category::CreditCard) {
                prop_assert_eq!(digits(original), digits(&c.value), "{:?} in {:?}", c, text);
            }
        }
    }
}

#[test]
fn a_full_width_phone_maps_back_to_its_full_width_bytes() {
    let text = "電話：０９０ー１２３４ー５６７８まで";
    let unit = TextUnit::line(text.into(), 1, 0, 0);
    let phones: Vec<_> = DETECTORS
        .detect(&unit)
        .into_iter()
        .filter(|c| c.category == Category::Phone)
        .collect();
    assert_eq!(phones.len(), 1, "{phones:?}");
    assert_eq!(
        &text[phones[0].start..phones[0].end],
        "０９０ー１２３４ー５６７８"
    );
    assert_eq!(digits(&phones[0].value), 11);
}
