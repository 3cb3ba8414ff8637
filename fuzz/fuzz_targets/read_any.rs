//! Any bytes, read as a file of any kind mamori reads (the first byte picks
//! the name's extension: text, CSV, TSV, HTML, e-mail, every workbook and
//! office format, zip, tar, gzip), then every unit through the detectors
//! and its findings located and masked. Content sniffing, decoding, line
//! splitting, tables and archives are all on the way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori::detect::DetectorSet;
use mamori::read::archive::Limits;
use mamori::{Confidence, TextUnit};

const NAMES: &[&str] = &[
    "a.txt", "a.csv", "a.tsv", "a.html", "a.eml", "a.xlsx", "a.xls", "a.xlsb", "a.ods", "a.docx",
    "a.pptx", "a.zip", "a.tar", "a.gz", "a",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    static DETECTORS: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
    let detectors = DETECTORS.get_or_init(DetectorSet::builtin);
    let limits = Limits {
        // No PDF child process here.
        ..Limits::default()
    };
    let mut each = |u: &TextUnit, enc: &'static encoding_rs::Encoding| {
        let found = detectors.detect_in(u, None, Confidence::Low);
        let mut locator = u.locator(enc);
        for c in &found {
            assert!(c.start <= c.end && c.end <= u.text.len());
            assert!(u.text.is_char_boundary(c.start) && u.text.is_char_boundary(c.end));
            let _ = locator.locate(c.start);
            let _ = mamori::mask::context(&u.text, (c.start, c.end), &found);
        }
    };
    let _ = mamori::read::read_bytes(bytes, name, &limits, &mut each);
});
