//! Text units: the pieces of text detectors look at, each able to say where
//! any of its characters came from in the original file.

use std::sync::Arc;

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
    /// Spreadsheets: the sheet and cell the text comes from (then `pieces`
    /// is empty).
    pub cell: Option<CellRef>,
    /// Documents (docx, pptx): the part and paragraph the text comes from
    /// (then `pieces` is empty).
    pub doc: Option<DocRef>,
    /// Tables: the whole record the value belongs to, shared by the
    /// record's units. Detectors use it for context from other columns (a
    /// name in the same row, the rest of an address split over columns).
    pub record: Option<Record>,
    /// Tables: the row's own label (the first cell of a row in a sheet laid
    /// out with labels in its first column, as in `氏名 | 山田 | 鈴木`).
    pub row_header: Option<String>,
    /// Tables: the table the value belongs to and its column.
    pub table: Option<TablePos>,
    /// A segment of a long line that shares text with its neighbours: only
    /// values starting in this byte range of `text` are its own (see
    /// [`crate::read::lines::Line::owns`]).
    pub owns: Option<std::ops::Range<usize>>,
}

/// One value of a table record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// 0-based column.
    pub column: u32,
    /// The column's header, if the table has one there.
    pub header: Option<String>,
    /// The value.
    pub text: String,
}

/// A table record, shared by its units.
pub type Record = Arc<Vec<Field>>;

/// What the detection stage sees of a whole table: its header and its first
/// rows, enough to tell what each column holds when the header does not say
/// (no header at all, `first_name`, `住所2`, an empty header).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSample {
    /// Header text by 0-based column, where the table has a header row,
    /// sorted by column.
    pub headers: Vec<(u32, String)>,
    /// The first records after the header (at most [`TableSample::ROWS`]),
    /// as (column, value) cells sorted by column.
    pub rows: Vec<Vec<(u32, String)>>,
}

impl TableSample {
    /// How many records a sample holds.
    pub const ROWS: usize = 48;

    /// The header of `column`.
    pub fn header(&self, column: u32) -> Option<&str> {
        let i = self
            .headers
            .binary_search_by_key(&column, |(c, _)| *c)
            .ok()?;
        Some(self.headers[i].1.as_str())
    }

    /// Every column with a header or a value, in order.
    pub fn columns(&self) -> Vec<u32> {
        let mut cols: Vec<u32> = self
            .headers
            .iter()
            .map(|(c, _)| *c)
            .chain(self.rows.iter().flatten().map(|(c, _)| *c))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// The sampled values of `column`, empty ones left out.
    pub fn values(&self, column: u32) -> impl Iterator<Item = &str> {
        self.rows.iter().filter_map(move |r| {
            let i = r.binary_search_by_key(&column, |(c, _)| *c).ok()?;
            let v = r[i].1.as_str();
            (!v.trim().is_empty()).then_some(v)
        })
    }
}

/// Where a table value sits: its table (shared by the table's units) and
/// its 0-based column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePos {
    /// The table's header and first rows.
    pub sample: Arc<TableSample>,
    /// The value's column.
    pub column: u32,
}

/// A paragraph of an office document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRef {
    /// The part inside the package (`word/document.xml`, `ppt/slides/slide3.xml`).
    pub part: String,
    /// 1-based paragraph number within the part (for a table cell, the
    /// table's first paragraph).
    pub paragraph: u64,
    /// Presentations: the slide number.
    pub slide: Option<u64>,
    /// PDF: the page number.
    pub page: Option<u64>,
}

/// A spreadsheet cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRef {
    /// Sheet name.
    pub sheet: String,
    /// 0-based row.
    pub row: u32,
    /// 0-based column.
    pub column: u32,
    /// The sheet is hidden (or very hidden) in the workbook.
    pub sheet_hidden: bool,
    /// The cell holds a number (its text is the number written out), so a
    /// leading zero may have been lost.
    pub numeric: bool,
}

impl CellRef {
    /// The cell in A1 form (`AB12`).
    pub fn a1(&self) -> String {
        let mut col = String::new();
        let mut n = self.column as u64 + 1;
        while n > 0 {
            let r = ((n - 1) % 26) as u8;
            col.insert(0, (b'A' + r) as char);
            n = (n - 1) / 26;
        }
        format!("{col}{}", self.row as u64 + 1)
    }
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
        self.locator(encoding).locate(at)
    }

    /// Locates many positions of this unit: in increasing order, the work is
    /// linear in the unit's length however many positions (a long line with
    /// thousands of findings).
    pub fn locator(&self, encoding: &'static Encoding) -> Locator<'_> {
        Locator {
            unit: self,
            encoding,
            piece: usize::MAX,
            from: 0,
            chars: 0,
            line: 0,
            column: 0,
            byte_offset: 0,
            counter: ByteCounter::new(encoding),
        }
    }
}

/// Locates positions of one [`TextUnit`], carrying its count from one
/// position to the next ([`TextUnit::locator`]).
#[derive(Debug, Clone)]
pub struct Locator<'u> {
    unit: &'u TextUnit,
    encoding: &'static Encoding,
    /// The piece the state is in (`usize::MAX`: none yet).
    piece: usize,
    /// Byte index in the unit's text the state describes.
    from: usize,
    /// Characters before `from` (documents and cells: the column).
    chars: u64,
    /// Line, column and file offset of the character at `from`.
    line: u64,
    column: u64,
    byte_offset: u64,
    /// Encoding state after the characters before `from`.
    counter: ByteCounter,
}

impl Locator<'_> {
    /// The location of the character at byte index `at` of the unit's text.
    pub fn locate(&mut self, at: usize) -> Location {
        let unit = self.unit;
        if unit.doc.is_some() || unit.cell.is_some() {
            if at < self.from {
                (self.from, self.chars) = (0, 0);
            }
            self.chars += unit.text[self.from..at].chars().count() as u64;
            self.from = at;
            let column = 1 + self.chars;
            if let Some(doc) = &unit.doc {
                return Location {
                    column,
                    part: Some(doc.part.clone()),
                    paragraph: Some(doc.paragraph),
                    slide: doc.slide,
                    page: doc.page,
                    row: unit.row,
                    column_header: unit.column_header.clone(),
                    ..Default::default()
                };
            }
            let cell = unit.cell.as_ref().expect("a cell unit");
            return Location {
                column,
                sheet: Some(cell.sheet.clone()),
                sheet_hidden: cell.sheet_hidden,
                cell: Some(cell.a1()),
                row: Some(cell.row as u64 + 1),
                column_header: unit.column_header.clone(),
                ..Default::default()
            };
        }
        let i = unit.pieces.partition_point(|p| p.start <= at).max(1) - 1;
        let p = unit.pieces[i];
        if i != self.piece || at < self.from {
            self.piece = i;
            self.from = p.start.min(at);
            self.line = p.line;
            self.column = p.column;
            self.byte_offset = p.byte_offset;
            self.counter = ByteCounter::new(self.encoding);
        }
        // Count the characters and original bytes from the state to `at`; a
        // newline (a value inside a multi-line cell) starts a new line.
        for c in unit.text[self.from..at].chars() {
            self.byte_offset += self.counter.len(c) as u64;
            if c == '\n' {
                self.line += 1;
                self.column = 1;
                self.counter = ByteCounter::new(self.encoding);
            } else {
                self.column += 1;
            }
        }
        self.from = at;
        // Plus any escape sequence stored before the value.
        let escape = unit.text[at..]
            .chars()
            .next()
            .map_or(0, |c| self.counter.escape_before(c));
        Location {
            line: Some(self.line),
            column: self.column,
            byte_offset: Some(self.byte_offset + escape as u64),
            row: unit.row,
            column_header: unit.column_header.clone(),
            ..Default::default()
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
        assert_eq!(
            (loc.line, loc.column, loc.byte_offset),
            (Some(7), 6, Some(109))
        );
        let loc = u.locate(at, UTF_8);
        assert_eq!(loc.byte_offset, Some(113));
    }

    /// A unit's text from two pieces of one line: its first three bytes at
    /// line 3, column 5 (byte 50), the rest from column 9 (byte 54).
    fn two_pieces() -> Vec<Piece> {
        vec![
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
        ]
    }

    #[test]
    fn locates_across_pieces_and_newlines() {
        let u = TextUnit {
            text: "ab\"cd\nef".into(),
            pieces: two_pieces(),
            ..Default::default()
        };
        let loc = u.locate(u.text.find('d').unwrap(), UTF_8);
        assert_eq!(
            (loc.line, loc.column, loc.byte_offset),
            (Some(3), 10, Some(55))
        );
        let loc = u.locate(u.text.find('f').unwrap(), UTF_8);
        assert_eq!(
            (loc.line, loc.column, loc.byte_offset),
            (Some(4), 2, Some(58))
        );
    }

    #[test]
    fn locator_gives_what_locate_gives_in_any_order() {
        let u = TextUnit {
            text: "ab\"cdテスト\nef 個人 gh\nij".into(),
            pieces: two_pieces(),
            ..Default::default()
        };
        for enc in [UTF_8, SHIFT_JIS, encoding_rs::ISO_2022_JP] {
            let positions: Vec<usize> = u.text.char_indices().map(|(i, _)| i).collect();
            let mut l = u.locator(enc);
            for &at in positions.iter().chain(positions.iter().rev()) {
                assert_eq!(l.locate(at), u.locator(enc).locate(at), "{at}");
            }
        }
    }

    #[test]
    fn a1_names() {
        let c = |row, column| {
            CellRef {
                sheet: "s".into(),
                row,
                column,
                sheet_hidden: false,
                numeric: false,
            }
            .a1()
        };
        assert_eq!(c(0, 0), "A1");
        assert_eq!(c(4, 2), "C5");
        assert_eq!(c(9, 25), "Z10");
        assert_eq!(c(0, 26), "AA1");
        assert_eq!(c(0, 701), "ZZ1");
        assert_eq!(c(0, 702), "AAA1");
    }
}
