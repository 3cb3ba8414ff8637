//! Normalisation's offset map: every normalised offset maps back to a
//! character boundary of the original, in order, and the start and end map
//! to the start and end.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let n = mamori::normalize::normalize(text);
    let norm = n.as_str();
    assert_eq!(n.to_original(0), 0);
    assert_eq!(n.to_original(norm.len()), text.len());
    let mut last = 0;
    for (i, _) in norm.char_indices() {
        let o = n.to_original(i);
        assert!(o >= last && o <= text.len(), "{i} -> {o}");
        assert!(text.is_char_boundary(o), "{i} -> {o}");
        last = o;
    }
});
