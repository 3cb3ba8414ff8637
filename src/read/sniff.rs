//! Decides from content, not from the file name, whether bytes are text and
//! in which encoding.

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

/// How many leading bytes [`sniff`] wants to see.
pub const SNIFF_LEN: usize = 64 * 1024;

/// A text encoding, as detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    /// The decoder to use.
    pub encoding: &'static Encoding,
    /// Length of the byte order mark at the start of the file (0 if none).
    pub bom_len: usize,
}

impl TextEncoding {
    /// Name recorded in reports: `UTF-8`, `UTF-8 (BOM)`, `UTF-16LE`,
    /// `Shift_JIS` (decoded as CP932/Windows-31J), `EUC-JP`, `ISO-2022-JP`.
    pub fn name(&self) -> String {
        if self.encoding == UTF_8 && self.bom_len > 0 {
            "UTF-8 (BOM)".into()
        } else {
            self.encoding.name().into()
        }
    }
}

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// Text in the given encoding.
    Text(TextEncoding),
    /// Not text: the string names the kind (`zip`, `pdf`, `binary data`, …).
    Binary(&'static str),
}

const MAGIC: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "zip archive or office document"),
    (b"PK\x05\x06", "zip archive"),
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png image"),
    (b"\xff\xd8\xff", "jpeg image"),
    (b"GIF87a", "gif image"),
    (b"GIF89a", "gif image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "ole2 document (xls/doc/ppt/msg)",
    ),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "rar archive"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3\x00", "sqlite database"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
];

/// Sniffs `sample`, the first bytes of a file. `complete` says whether the
/// sample is the whole file (so a multi-byte sequence cut at its end is an
/// error rather than truncation).
pub fn sniff(sample: &[u8], complete: bool) -> Sniffed {
    if let Some(enc) = bom(sample) {
        return Sniffed::Text(enc);
    }
    if let Some((_, kind)) = MAGIC.iter().find(|(m, _)| sample.starts_with(m)) {
        return Sniffed::Binary(kind);
    }
    if sample.len() > 262 && &sample[257..262] == b"ustar" {
        return Sniffed::Binary("tar archive");
    }
    // A stray NUL in text (a damaged or padded file) is not a reason to
    // give up on it; UTF-16 and binary data have NULs throughout.
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    if nuls > 16 || nuls * 1000 > sample.len() {
        if let Some(enc) = utf16_without_bom(sample) {
            return Sniffed::Text(TextEncoding {
                encoding: enc,
                bom_len: 0,
            });
        }
        return Sniffed::Binary("binary data");
    }
    // ISO-2022-JP is 7-bit, hence also valid UTF-8: test it first.
    let encoding = if looks_iso2022jp(sample) {
        ISO_2022_JP
    } else if is_utf8(sample, complete) || mostly_utf8(sample) {
        UTF_8
    } else {
        guess_legacy(sample, complete)
    };
    if too_many_controls(sample) {
        return Sniffed::Binary("binary data");
    }
    Sniffed::Text(TextEncoding {
        encoding,
        bom_len: 0,
    })
}

fn bom(sample: &[u8]) -> Option<TextEncoding> {
    let (encoding, bom_len) = Encoding::for_bom(sample)?;
    Some(TextEncoding { encoding, bom_len })
}

fn is_utf8(sample: &[u8], complete: bool) -> bool {
    // One SIMD pass that also tells where a sequence was cut.
    match simdutf8::compat::from_utf8(sample) {
        Ok(_) => true,
        // A sequence cut by the end of the sample is fine if there is more.
        Err(e) => !complete && e.error_len().is_none() && sample.len() - e.valid_up_to() < 4,
    }
}

/// UTF-8 with a few damaged bytes: many valid multi-byte characters, few
/// invalid sequences (legacy Japanese text forms valid UTF-8 sequences only
/// by rare chance). Such a file is decoded as UTF-8, a replacement character
/// per bad byte, rather than as mojibake of a legacy encoding.
fn mostly_utf8(sample: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in sample.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    valid >= 16 && invalid * 50 <= valid
}

/// ISO-2022-JP is 7-bit and switches to JIS X 0208 with `ESC $ B` or `ESC $ @`.
fn looks_iso2022jp(sample: &[u8]) -> bool {
    sample.is_ascii() && (memfind(sample, b"\x1b$B") || memfind(sample, b"\x1b$@"))
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Chooses between the legacy Japanese encodings (Shift_JIS/CP932, EUC-JP):
/// the one that alone decodes without errors, else chardetng's guess if it
/// decodes without errors.
fn guess_legacy(sample: &[u8], complete: bool) -> &'static Encoding {
    // Trim a possibly cut trailing character before counting errors.
    let body = if complete {
        sample
    } else {
        &sample[..sample.len().saturating_sub(2)]
    };
    // Usually only one of the two decodes without errors (Shift_JIS kana
    // have trail bytes EUC-JP does not allow): then no guessing is needed.
    let clean = |enc: &'static Encoding| {
        enc.decode_without_bom_handling_and_without_replacement(body)
            .is_some()
    };
    match (clean(SHIFT_JIS), clean(EUC_JP)) {
        (true, false) => return SHIFT_JIS,
        (false, true) => return EUC_JP,
        _ => {}
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    det.feed(sample, complete);
    let guess = det.guess(Some(b"jp"), chardetng::Utf8Detection::Allow);
    let candidates: [&'static Encoding; 2] = if guess == EUC_JP {
        [EUC_JP, SHIFT_JIS]
    } else {
        [SHIFT_JIS, EUC_JP]
    };
    candidates
        .into_iter()
        .find(|enc| !enc.decode_without_bom_handling(body).1)
        .unwrap_or(if guess == EUC_JP || guess == SHIFT_JIS {
            guess
        } else {
            SHIFT_JIS
        })
}

/// UTF-16 text without a BOM: NUL bytes, and code units that are mostly
/// ASCII, kana, CJK punctuation or full-width forms, with the rest in the CJK
/// ideograph block.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let n = sample.len() / 2;
    if n < 8 {
        return None;
    }
    for (enc, le) in [(UTF_16LE, true), (UTF_16BE, false)] {
        let (mut strong, mut ok) = (0usize, 0usize);
        for pair in sample[..n * 2].chunks_exact(2) {
            let u = if le {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            };
            match u {
                0x09 | 0x0a | 0x0d | 0x20..=0x7e | 0x3000..=0x30ff | 0xff00..=0xffef => {
                    strong += 1;
                    ok += 1
                }
                0x4e00..=0x9fff | 0xa0..=0x2fff | 0xd800..=0xdfff => ok += 1,
                _ => {}
            }
        }
        if strong * 10 >= n * 4 && ok * 100 >= n * 95 {
            return Some(enc);
        }
    }
    None
}

/// Text has few C0 control characters besides tab, newlines, form feed and
/// escape.
fn too_many_controls(sample: &[u8]) -> bool {
    // Counted without branches, in byte counters that cannot overflow
    // within a chunk, so that the loop runs on SIMD lanes: it looks at
    // every byte of every text file.
    let controls: usize = sample
        .chunks(255)
        .map(|chunk| {
            chunk.iter().fold(0u8, |n, &b| {
                let control = (b < 0x20)
                    & (b != b'\t')
                    & (b != b'\n')
                    & (b != b'\r')
                    & (b != 0x0c)
                    & (b != 0x1b);
                n + u8::from(control)
            })
        })
        .map(usize::from)
        .sum();
    controls * 20 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "個人番号　1234-5678-9012\n本日もがんばりましょう。氏名：山田太郎\n";

    fn enc_of(bytes: &[u8]) -> &'static Encoding {
        match sniff(bytes, true) {
            Sniffed::Text(t) => t.encoding,
            Sniffed::Binary(k) => panic!("sniffed as binary: {k}"),
        }
    }

    #[test]
    fn detects_each_japanese_encoding_from_real_bytes() {
        assert_eq!(enc_of(TEXT.as_bytes()), UTF_8);
        assert_eq!(enc_of(&SHIFT_JIS.encode(TEXT).0), SHIFT_JIS);
        assert_eq!(enc_of(&EUC_JP.encode(TEXT).0), EUC_JP);
        assert_eq!(enc_of(&ISO_2022_JP.encode(TEXT).0), ISO_2022_JP);
    }

    #[test]
    fn detects_utf16_with_and_without_bom() {
        let le: Vec<u8> = TEXT.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = TEXT.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(enc_of(&le), UTF_16LE);
        assert_eq!(enc_of(&be), UTF_16BE);
        let mut with_bom = vec![0xff, 0xfe];
        with_bom.extend_from_slice(&le);
        assert_eq!(
            sniff(&with_bom, true),
            Sniffed::Text(TextEncoding {
                encoding: UTF_16LE,
                bom_len: 2
            })
        );
    }

    #[test]
    fn utf8_bom_is_recorded() {
        let mut b = vec![0xef, 0xbb, 0xbf];
        b.extend_from_slice(TEXT.as_bytes());
        match sniff(&b, true) {
            Sniffed::Text(t) => assert_eq!(t.name(), "UTF-8 (BOM)"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn binary_by_content_not_name() {
        assert_eq!(
            sniff(b"PK\x03\x04rest", true),
            Sniffed::Binary("zip archive or office document")
        );
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00", true),
            Sniffed::Binary("executable")
        );
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
        assert!(matches!(sniff(&noise, true), Sniffed::Binary(_)));
    }

    #[test]
    fn text_with_more_than_one_control_byte_in_twenty_is_binary() {
        // Tabs, line ends, form feeds and escapes are text; other C0 bytes
        // are not. 1,000 bytes: 50 controls is text, 51 is binary, in
        // chunks longer than the counters' 255.
        let sample = |controls: usize| {
            let mut b: Vec<u8> = b"ab\t\r\n\x0c\x1b"
                .iter()
                .copied()
                .cycle()
                .take(1000)
                .collect();
            for i in 0..controls {
                b[i * 19] = [0x01, 0x07, 0x1f][i % 3];
            }
            b
        };
        assert!(matches!(sniff(&sample(0), true), Sniffed::Text(_)));
        assert!(matches!(sniff(&sample(50), true), Sniffed::Text(_)));
        assert_eq!(sniff(&sample(51), true), Sniffed::Binary("binary data"));
    }

    #[test]
    fn utf8_cut_mid_character_in_a_partial_sample_is_still_utf8() {
        let b = TEXT.as_bytes();
        let cut = &b[..b.len() - 5]; // inside a multi-byte character
        assert!(std::str::from_utf8(cut).is_err());
        assert_eq!(
            sniff(cut, false),
            Sniffed::Text(TextEncoding {
                encoding: UTF_8,
                bom_len: 0
            })
        );
    }
}
