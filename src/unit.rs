//! Text units: the pieces of text detectors look at, each able to say where
//! any of its characters came from in the original file.

use encoding_rs::Encoding;

use crate::finding::Location;
use crate::read::lines::ByteCounter;

/// Where a run of a unit's text starts in the original file. A plain line is
/// one piece; a CSV value that spans lines or holds escaped quotes is several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Byte index in [`TextUnit::text`] where the piece starts.
    pub start: usize,
    /// 1-based line of the piece's first character.
    pub line: u64,
    /// 1-based character column of the piece's first character.
    pub column: u64,
    /// File offset of the piece's first byte.
    pub byte_offset: u64,
}

/// A unit of text with its position: a line of a text file, or one value of
/// a table with its row and column header.
#[derive(Debug, Clone, Default)]
pub struct TextUnit {
    /// The decoded text.
    pub text: String,
    /// Maps text positions to the original; sorted by `start`, never empty.
    pub pieces: Vec<Piece>,
    /// For tables: the 1-based record number.
    pub row: Option<u64>,
    /// For tables: the column's header.
    pub column_header: Option<String>,
    /// Text just before this unit that can label it: the end of the previous
    /// line, or the previous value in the same record.
    pub preceding: String,
}

impl TextUnit {
    /// A unit holding one line (or line segment).
    pub fn line(text: String, line: u64, column_base: u64, byte_offset: u64) -> Self {
        TextUnit {
            text,
            pieces: vec![Piece {
                start: 0,
                line,
                column: column_base + 1,
                byte_offset,
            }],
            ..Default::default()
        }
    }

    /// The location of the character at byte index `at` of `text`.
    pub fn locate(&self, at: usize, encoding: &'static Encoding) -> Location {
        let i = self.pieces.partition_point(|p| p.start <= at).max(1) - 1;
        let p = self.pieces[i];
        let between = &self.text[p.start.min(at)..at];
        // A value inside a multi-line cell: count from the last newline.
        let (line, column, byte_offset) = match between.rfind('\n') {
            None => (
                p.line,
                p.column + between.chars().count() as u64,
                p.byte_offset + ByteCounter::new(encoding).len_str(between) as u64,
            ),
            Some(nl) => {
                let mut counter = ByteCounter::new(encoding);
                let bytes_to_nl = counter.len_str(&between[..=nl]);
                let tail = &between[nl + 1..];
                (
                    p.line + between.matches('\n').count() as u64,
                    1 + tail.chars().count() as u64,
                    p.byte_offset
                        + bytes_to_nl as u64
                        + ByteCounter::new(encoding).len_str(tail) as u64,
                )
            }
        };
        Location {
            line,
            column,
            byte_offset,
            row: self.row,
            column_header: self.column_header.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{SHIFT_JIS, UTF_8};

    #[test]
    fn locates_in_a_line_by_characters_and_original_bytes() {
        let u = TextUnit::line("個人番号 1234".into(), 7, 0, 100);
        let at = u.text.find('1').unwrap();
        let loc = u.locate(at, SHIFT_JIS);
        assert_eq!((loc.line, loc.column, loc.byte_offset), (7, 6, 109));
        let loc = u.locate(at, UTF_8);
        assert_eq!(loc.byte_offset, 113);
    }

    #[test]
    fn locates_across_pieces_and_newlines() {
        let u = TextUnit {
            text: "ab\"cd\nef".into(),
            pieces: vec![
                Piece {
                    start: 0,
                    line: 3,
                    column: 5,
                    byte_offset: 50,
                },
                Piece {
                    start: 3,
                    line: 3,
                    column: 9,
                    byte_offset: 54,
                },
            ],
            ..Default::default()
        };
        let loc = u.locate(u.text.find('d').unwrap(), UTF_8);
        assert_eq!((loc.line, loc.column, loc.byte_offset), (3, 10, 55));
        let loc = u.locate(u.text.find('f').unwrap(), UTF_8);
        assert_eq!((loc.line, loc.column, loc.byte_offset), (4, 2, 58));
    }
}
