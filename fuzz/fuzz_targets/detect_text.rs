//! Any text through every detector: candidates lie on character boundaries
//! inside the text, and locating and masking them never fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori::TextUnit;
use mamori::detect::DetectorSet;

fuzz_target!(|text: &str| {
    static DETECTORS: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
    let detectors = DETECTORS.get_or_init(DetectorSet::builtin);
    let unit = TextUnit::line(text.to_string(), 1, 0, 0);
    let found = detectors.detect(&unit);
    let mut locator = unit.locator(encoding_rs::UTF_8);
    for c in &found {
        assert!(
            c.start < c.end && c.end <= text.len(),
            "{}..{}",
            c.start,
            c.end
        );
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        let at = locator.locate(c.start);
        assert!(at.byte_offset.unwrap_or(0) as usize <= text.len());
        let _ = mamori::mask::context(text, (c.start, c.end), &found);
    }
});
