//! Streams a file as decoded lines in bounded memory, keeping each line's
//! number and byte offset in the original file.
//!
//! Lines are split on the raw bytes (newline is one byte in every supported
//! encoding but UTF-16, where it is one aligned code unit), then each line is
//! decoded on its own. A line longer than [`MAX_SEGMENT`] bytes is cut into
//! segments at a space, tab or ASCII punctuation byte, which never occurs
//! inside a multi-byte character; the segments keep the line number and
//! continue its column count.

use std::io::{self, Read};

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

/// The longest piece of one line handed to detectors at a time.
pub const MAX_SEGMENT: usize = 1 << 20;
const READ_CHUNK: usize = 256 * 1024;

/// A decoded line (or segment of a very long line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Decoded text, without the line terminator.
    pub text: String,
    /// 1-based line number.
    pub number: u64,
    /// Characters of this line before `text` (non-zero only for the second
    /// and later segments of a long line).
    pub column_base: u64,
    /// Byte offset of `text`'s first byte in the original file.
    pub byte_offset: u64,
    /// The encoding `text` was decoded from: the file's, or for a line of a
    /// UTF-8 file that is not UTF-8 but decodes cleanly as Shift_JIS or
    /// EUC-JP (a legacy line pasted into a UTF-8 file), that encoding.
    pub encoding: &'static Encoding,
    /// For a segment of a long line read with an overlap
    /// ([`LineReader::with_overlap`]): the byte range of `text` in which a
    /// value must start to be this segment's; a value starting before or
    /// after it is the neighbouring segment's, which holds it whole.
    pub owns: Option<std::ops::Range<usize>>,
}

/// Bytes that consecutive segments of a long line share when reading with
/// an overlap: any value up to half of it is whole in one of them.
pub const SEGMENT_OVERLAP: usize = 4096;

/// Decodes one line of a file in `encoding`. A line of a UTF-8 file that is
/// not valid UTF-8 is decoded as Shift_JIS or EUC-JP if one of them reads it
/// without error, else as UTF-8 with replacement characters: one bad byte
/// costs one character, and a legacy line keeps its words.
fn decode_line(encoding: &'static Encoding, body: &[u8]) -> (String, &'static Encoding) {
    let mut text = String::new();
    let encoding = decode_line_into(encoding, body, &mut text);
    (text, encoding)
}

/// [`decode_line`] into `text` (cleared first), reusing its allocation.
fn decode_line_into(
    encoding: &'static Encoding,
    body: &[u8],
    text: &mut String,
) -> &'static Encoding {
    text.clear();
    if encoding == UTF_8 {
        // SIMD validation: Japanese text is all multi-byte characters,
        // where std's check is several times slower.
        if let Ok(s) = simdutf8::basic::from_utf8(body) {
            text.push_str(s);
            return UTF_8;
        }
        for legacy in [SHIFT_JIS, EUC_JP] {
            if let Some(s) = legacy.decode_without_bom_handling_and_without_replacement(body) {
                text.push_str(&s);
                return legacy;
            }
        }
    }
    text.push_str(&encoding.decode_without_bom_handling(body).0);
    encoding
}

/// The length of the character whose first byte is `b` in a legacy
/// encoding (Shift_JIS, EUC-JP; 1 in any other).
fn legacy_width(encoding: &'static Encoding, b: u8) -> usize {
    if encoding == SHIFT_JIS {
        usize::from(matches!(b, 0x81..=0x9F | 0xE0..=0xFC)) + 1
    } else if encoding == EUC_JP {
        match b {
            0x8F => 3,
            0x8E | 0xA1..=0xFE => 2,
            _ => 1,
        }
    } else {
        1
    }
}

/// Reads [`Line`]s from a reader positioned after any byte order mark.
pub struct LineReader<R> {
    reader: R,
    encoding: &'static Encoding,
    buf: Vec<u8>,
    start: usize,
    offset: u64,
    number: u64,
    column_base: u64,
    eof: bool,
    utf16: Option<bool>,
    /// Bytes shared by consecutive segments (0: none).
    overlap: usize,
    /// Where the next segment's own values start (its text before that was
    /// the previous segment's).
    owns_from: usize,
    /// A line's text handed back ([`LineReader::recycle`]): the next line
    /// is decoded into its allocation.
    spare: String,
}

impl<R: Read> LineReader<R> {
    /// `offset` is the file offset of the reader's first byte (the BOM length).
    pub fn new(reader: R, encoding: &'static Encoding, offset: u64) -> Self {
        let utf16 = if encoding == UTF_16LE {
            Some(true)
        } else if encoding == UTF_16BE {
            Some(false)
        } else {
            None
        };
        LineReader {
            reader,
            encoding,
            buf: Vec::new(),
            start: 0,
            offset,
            number: 1,
            column_base: 0,
            eof: false,
            utf16,
            overlap: 0,
            owns_from: 0,
            spare: String::new(),
        }
    }

    /// Hands back the text of a line read before, whose allocation the next
    /// line then reuses (most lines are looked at and dropped).
    pub fn recycle(&mut self, text: String) {
        if text.capacity() > self.spare.capacity() && text.capacity() <= READ_CHUNK {
            self.spare = text;
        }
    }

    /// Segments of a long line share [`SEGMENT_OVERLAP`] bytes, so that a
    /// value at a cut is whole in one of them; each segment says which of
    /// its values are its own ([`Line::owns`]). For text read as text only:
    /// a table's reader joins segments again. UTF-16 and ISO-2022-JP lines
    /// are cut without overlap.
    pub fn with_overlap(mut self) -> Self {
        if self.utf16.is_none() && self.encoding != ISO_2022_JP {
            self.overlap = SEGMENT_OVERLAP;
        }
        self
    }

    /// The start of the character at or after `at` in the pending bytes,
    /// walking from the start of the pending bytes (a known boundary).
    fn boundary_from(&self, at: usize) -> usize {
        let seg = &self.buf[self.start..];
        if self.encoding == UTF_8 {
            return (at..seg.len())
                .find(|&i| seg[i] & 0xC0 != 0x80)
                .unwrap_or(seg.len());
        }
        let width = |b: u8| legacy_width(self.encoding, b);
        let mut i = 0;
        while i < at && i < seg.len() {
            i += width(seg[i]);
        }
        i.min(seg.len())
    }

    /// A segment of `cut` bytes that the next segment overlaps.
    fn emit_overlapping(&mut self, cut: usize) -> Line {
        let from = self.boundary_from(cut.saturating_sub(self.overlap));
        let (text, encoding) = decode_line(self.encoding, &self.buf[self.start..self.start + cut]);
        let (shared, _) = decode_line(
            self.encoding,
            &self.buf[self.start + from..self.start + cut],
        );
        // Decoding the shared bytes alone must give the segment's end (it
        // does for well-formed text); else cut without overlap.
        if from == 0 || from >= cut || !text.ends_with(shared.as_str()) {
            let mut line = self.emit(cut, 0, true);
            line.owns =
                (self.owns_from > 0).then(|| std::mem::take(&mut self.owns_from)..line.text.len());
            return line;
        }
        let mid = shared.floor_char_boundary(shared.len() / 2);
        let own_end = text.len() - shared.len() + mid;
        let line = Line {
            number: self.number,
            column_base: self.column_base,
            byte_offset: self.offset,
            owns: Some(self.owns_from..own_end),
            text,
            encoding,
        };
        self.owns_from = mid;
        self.start += from;
        self.offset += from as u64;
        // The next segment starts where the shared text does.
        self.column_base += line.text[..line.text.len() - shared.len()].chars().count() as u64;
        line
    }

    fn find_newline(&self) -> Option<usize> {
        let hay = &self.buf[self.start..];
        match self.utf16 {
            None => memchr::memchr(b'\n', hay),
            Some(le) => hay
                .chunks_exact(2)
                .position(|u| if le { u == [b'\n', 0] } else { u == [0, b'\n'] }),
        }
        .map(|i| if self.utf16.is_some() { i * 2 } else { i })
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        // Into the buffer's spare capacity, which std does not zero for
        // files: zeroing a whole chunk before every read cost more than
        // reading a small file.
        let n = match (&mut self.reader)
            .take(READ_CHUNK as u64)
            .read_to_end(&mut self.buf)
        {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                return Err(e);
            }
        };
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Where to cut an over-long line: after the last separator byte in the
    /// final 4 KiB of the segment, else at the limit.
    fn segment_cut(&self) -> usize {
        let seg = &self.buf[self.start..self.start + MAX_SEGMENT];
        if self.utf16.is_some() {
            return MAX_SEGMENT;
        }
        let window = &seg[MAX_SEGMENT - 4096..];
        let after = |i: usize| MAX_SEGMENT - 4096 + i + 1;
        if let Some(i) = window
            .iter()
            .rposition(|&b| matches!(b, b' ' | b'\t' | b',' | b';' | b'\r'))
        {
            return after(i);
        }
        // No separator (Japanese has no spaces): cut between two characters,
        // never inside one.
        if self.encoding == UTF_8 {
            // Before a byte that starts a character.
            return window
                .iter()
                .rposition(|&b| b & 0xC0 != 0x80)
                .map(|i| i + MAX_SEGMENT - 4096)
                .filter(|&c| c > 0)
                .unwrap_or(MAX_SEGMENT);
        }
        // Legacy encodings: a trail byte can look like anything, so walk the
        // characters from the segment's start (a known boundary).
        let width = |b: u8| legacy_width(self.encoding, b);
        let mut i = 0;
        while i < MAX_SEGMENT {
            let next = i + width(seg[i]);
            if next > MAX_SEGMENT {
                break;
            }
            i = next;
        }
        if i > 0 { i } else { MAX_SEGMENT }
    }

    fn emit(&mut self, len: usize, terminator: usize, continues: bool) -> Line {
        let unit = if self.utf16.is_some() { 2 } else { 1 };
        let raw = &self.buf[self.start..self.start + len];
        // Drop a carriage return before the newline.
        let body = if terminator > 0 && raw.len() >= unit {
            let cr = match self.utf16 {
                None => raw.ends_with(b"\r"),
                Some(true) => raw.ends_with(&[b'\r', 0]),
                Some(false) => raw.ends_with(&[0, b'\r']),
            };
            if cr { &raw[..raw.len() - unit] } else { raw }
        } else {
            raw
        };
        let mut text = std::mem::take(&mut self.spare);
        let encoding = decode_line_into(self.encoding, body, &mut text);
        let owns = (self.owns_from > 0).then(|| std::mem::take(&mut self.owns_from)..text.len());
        let line = Line {
            number: self.number,
            column_base: self.column_base,
            byte_offset: self.offset,
            owns,
            text,
            encoding,
        };
        self.start += len + terminator;
        self.offset += (len + terminator) as u64;
        if continues {
            self.column_base += line.text.chars().count() as u64;
        } else {
            self.number += 1;
            self.column_base = 0;
        }
        line
    }

    /// The next line, `None` at the end of the file.
    pub fn next_line(&mut self) -> Option<io::Result<Line>> {
        let unit = if self.utf16.is_some() { 2 } else { 1 };
        loop {
            if let Some(i) = self.find_newline() {
                return Some(Ok(self.emit(i, unit, false)));
            }
            let pending = self.buf.len() - self.start;
            if pending >= MAX_SEGMENT {
                let cut = self.segment_cut();
                if self.overlap > 0 {
                    return Some(Ok(self.emit_overlapping(cut)));
                }
                return Some(Ok(self.emit(cut, 0, true)));
            }
            if self.eof {
                if pending == 0 {
                    return None;
                }
                return Some(Ok(self.emit(pending, 0, false)));
            }
            if let Err(e) = self.fill() {
                return Some(Err(e));
            }
        }
    }
}

impl<R: Read> Iterator for LineReader<R> {
    type Item = io::Result<Line>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_line()
    }
}

/// Counts how many bytes decoded text took in its original encoding, so a
/// character position maps back to a file offset.
///
/// Exact for UTF-8 and UTF-16; for Shift_JIS and EUC-JP it assumes the
/// round-trip encoding of each character (exact for well-formed input); for
/// ISO-2022-JP it adds the 3-byte escape at each switch between ASCII and JIS.
#[derive(Debug, Clone, Copy)]
pub struct ByteCounter {
    encoding: &'static Encoding,
    in_jis: bool,
}

impl ByteCounter {
    /// A counter at a position where ISO-2022-JP is in ASCII mode (the start
    /// of a line, or after an ASCII delimiter).
    pub fn new(encoding: &'static Encoding) -> Self {
        ByteCounter {
            encoding,
            in_jis: false,
        }
    }

    /// Bytes the character `c` took in the original.
    pub fn len(&mut self, c: char) -> usize {
        let e = self.encoding;
        if e == UTF_8 {
            c.len_utf8()
        } else if e == UTF_16LE || e == UTF_16BE {
            c.len_utf16() * 2
        } else if e == SHIFT_JIS {
            if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                1
            } else {
                2
            }
        } else if e == EUC_JP {
            if c.is_ascii() { 1 } else { 2 }
        } else if e == ISO_2022_JP {
            let jis = !c.is_ascii();
            let switch = if jis != self.in_jis { 3 } else { 0 };
            self.in_jis = jis;
            switch + if jis { 2 } else { 1 }
        } else {
            let mut buf = [0u8; 4];
            e.encode(c.encode_utf8(&mut buf)).0.len()
        }
    }

    /// Bytes of escape sequence stored before `c` at the current position
    /// (ISO-2022-JP switches between ASCII and JIS X 0208 with 3-byte escapes).
    pub fn escape_before(&self, c: char) -> usize {
        if self.encoding == ISO_2022_JP && c.is_ascii() == self.in_jis {
            3
        } else {
            0
        }
    }

    /// Bytes `s` took in the original.
    pub fn len_str(&mut self, s: &str) -> usize {
        if self.encoding == UTF_8 {
            return s.len();
        }
        s.chars().map(|c| self.len(c)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_without_separators_is_cut_between_characters() {
        for enc in [UTF_8, SHIFT_JIS, EUC_JP] {
            // Kana, kanji and a few ASCII letters, no separator byte at all.
            let text: String = "あ漢字カナx".repeat(MAX_SEGMENT / 5);
            let bytes = enc.encode(&text).0.into_owned();
            assert!(bytes.len() > 2 * MAX_SEGMENT);
            let lines: Vec<Line> = LineReader::new(&bytes[..], enc, 0)
                .map(|l| l.unwrap())
                .collect();
            assert!(lines.len() >= 3, "{}", lines.len());
            let joined: String = lines.iter().map(|l| l.text.as_str()).collect();
            assert!(!joined.contains('\u{FFFD}'), "{}", enc.name());
            assert_eq!(joined, text, "{}", enc.name());
        }
    }

    #[test]
    fn overlapping_segments_own_each_character_once() {
        for enc in [UTF_8, SHIFT_JIS, EUC_JP] {
            let text: String = "あ漢字カナx".repeat(MAX_SEGMENT / 4);
            let bytes = enc.encode(&text).0.into_owned();
            let lines: Vec<Line> = LineReader::new(&bytes[..], enc, 0)
                .with_overlap()
                .map(|l| l.unwrap())
                .collect();
            assert!(lines.len() >= 3, "{}", lines.len());
            let mut joined = String::new();
            for l in &lines {
                // Each segment is the line's text from its column base, and
                // its byte offset is where that text is in the file.
                let expected: String = text
                    .chars()
                    .skip(l.column_base as usize)
                    .take(l.text.chars().count())
                    .collect();
                assert_eq!(l.text, expected, "{}", enc.name());
                let raw = enc.encode(&l.text).0;
                assert!(bytes[l.byte_offset as usize..].starts_with(&raw));
                assert_eq!(l.number, 1);
                joined.push_str(&l.text[l.owns.clone().expect("a segment owns a range")]);
            }
            // What the segments own, in order, is the line, once.
            assert_eq!(joined.len(), text.len(), "{}", enc.name());
            assert!(joined == text, "{}", enc.name());
            // Neighbours share text.
            assert!(lines[1].column_base < lines[0].text.chars().count() as u64);
        }
    }

    const TEXT: &str = "一行目 abc\r\n二行目：個人番号\n\nｶﾀｶﾅ 四行目";

    fn lines(bytes: &[u8], enc: &'static Encoding) -> Vec<Line> {
        LineReader::new(bytes, enc, 0)
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    fn check(enc: &'static Encoding, bytes: Vec<u8>) {
        let got = lines(&bytes, enc);
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["一行目 abc", "二行目：個人番号", "", "ｶﾀｶﾅ 四行目"],
            "{}",
            enc.name()
        );
        assert_eq!(
            got.iter().map(|l| l.number).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        // Every byte offset points at the line's first byte in the original,
        // and the byte counter measures each line exactly.
        for l in &got {
            let len = ByteCounter::new(enc).len_str(&l.text);
            let original = &bytes[l.byte_offset as usize..l.byte_offset as usize + len];
            let (decoded, _) = enc.decode_without_bom_handling(original);
            assert_eq!(decoded, l.text, "{}", enc.name());
        }
    }

    #[test]
    fn lines_and_offsets_in_every_encoding() {
        check(UTF_8, TEXT.as_bytes().to_vec());
        check(SHIFT_JIS, SHIFT_JIS.encode(TEXT).0.into_owned());
        check(EUC_JP, EUC_JP.encode(TEXT).0.into_owned());
        check(
            UTF_16LE,
            TEXT.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        );
        check(
            UTF_16BE,
            TEXT.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        );
    }

    #[test]
    fn iso_2022_jp_lines_and_offsets() {
        let text = "一行目 abc\n二行目：個人番号\nabc";
        let bytes: Vec<u8> = text
            .split('\n')
            .map(|l| ISO_2022_JP.encode(l).0.into_owned())
            .collect::<Vec<_>>()
            .join(&b'\n');
        let got = lines(&bytes, ISO_2022_JP);
        assert_eq!(got[1].text, "二行目：個人番号");
        assert_eq!(got[2].byte_offset as usize, bytes.len() - 3);
        // "一行目 abc": ESC$B + 6 bytes + ESC(B + " abc" = 3+6+3+4
        assert_eq!(ByteCounter::new(ISO_2022_JP).len_str(&got[0].text), 16);
        assert_eq!(got[1].byte_offset, 17);
    }

    #[test]
    fn long_lines_are_cut_into_segments_that_keep_line_and_column() {
        let word = "番号 ";
        let long = word.repeat(MAX_SEGMENT / word.len() + 100);
        let text = format!("{long}\n次の行");
        let got = lines(text.as_bytes(), UTF_8);
        assert!(got.len() >= 3);
        assert_eq!(got[0].number, 1);
        assert_eq!(got[1].number, 1);
        assert_eq!(got[1].column_base, got[0].text.chars().count() as u64);
        assert_eq!(got[1].byte_offset, got[0].text.len() as u64);
        let joined: String = got[..got.len() - 1]
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(joined, long);
        assert_eq!(got.last().unwrap().text, "次の行");
        assert_eq!(got.last().unwrap().number, 2);
    }
}
