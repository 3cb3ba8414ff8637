//! CSV and TSV as tables: records of values, each value knowing where it
//! starts in the original file (quoted values may span lines and hold
//! escaped quotes).

use std::io;

use encoding_rs::Encoding;

use super::lines::{ByteCounter, Line, MAX_SEGMENT};
use crate::unit::Piece;

/// One value of a record that is not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Its place in the record, from 0 (blank values count).
    pub column: u32,
    /// The value with quoting removed.
    pub text: String,
    /// Positions of the value's characters in the original.
    pub pieces: Vec<Piece>,
}

/// Parses records from decoded lines (RFC 4180 quoting, any delimiter).
pub struct CsvReader<I> {
    lines: I,
    delimiter: char,
    encoding: &'static Encoding,
}

impl<I: Iterator<Item = io::Result<Line>>> CsvReader<I> {
    /// Reads records from `lines`, split on `delimiter`.
    pub fn new(lines: I, delimiter: char, encoding: &'static Encoding) -> Self {
        CsvReader {
            lines,
            delimiter,
            encoding,
        }
    }

    /// The values of the next non-empty record that are not blank (a line
    /// of a million commas holds none).
    pub fn next_record(&mut self) -> Option<io::Result<Vec<Cell>>> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            if line.text.trim().is_empty() {
                continue;
            }
            return Some(self.parse(line));
        }
    }

    /// A line without quotes, split at the delimiter in bulk: each value
    /// is a slice, its one piece where it starts. `None` when the line has a
    /// quote or the encoding counts bytes with state (ISO-2022-JP's escapes
    /// change with the characters before).
    fn parse_unquoted(&self, line: &Line) -> Option<Vec<Cell>> {
        if line.text.contains('"') || self.encoding == encoding_rs::ISO_2022_JP {
            return None;
        }
        let mut counter = ByteCounter::new(self.encoding);
        let delimiter_bytes = counter.len(self.delimiter) as u64;
        let mut cells = Vec::new();
        let mut column = line.column_base + 1;
        let mut byte_offset = line.byte_offset;
        for (i, value) in line.text.split(self.delimiter).enumerate() {
            if !value.trim().is_empty() {
                cells.push(Cell {
                    column: i as u32,
                    text: value.to_string(),
                    pieces: vec![Piece {
                        start: 0,
                        line: line.number,
                        column,
                        byte_offset,
                    }],
                });
            }
            column += value.chars().count() as u64 + 1;
            byte_offset += counter.len_str(value) as u64 + delimiter_bytes;
        }
        Some(cells)
    }

    fn parse(&mut self, line: Line) -> io::Result<Vec<Cell>> {
        match self.parse_unquoted(&line) {
            Some(cells) => Ok(cells),
            None => self.parse_quoted(line),
        }
    }

    /// A line character by character, quotes and values spanning lines
    /// included.
    fn parse_quoted(&mut self, mut line: Line) -> io::Result<Vec<Cell>> {
        let mut cells = Vec::new();
        let mut cell = Cell {
            column: 0,
            text: String::new(),
            pieces: Vec::new(),
        };
        // Keeps a value that is not blank, and starts the next.
        let end_value = |cells: &mut Vec<Cell>, cell: &mut Cell| {
            let column = cell.column + 1;
            if cell.text.trim().is_empty() {
                cell.text.clear();
                cell.pieces.clear();
            } else {
                cells.push(std::mem::replace(
                    cell,
                    Cell {
                        column: 0,
                        text: String::new(),
                        pieces: Vec::new(),
                    },
                ));
            }
            cell.column = column;
        };
        let mut quoted = false;
        let mut at_field_start = true;
        loop {
            let mut counter = ByteCounter::new(self.encoding);
            let mut bytes = 0usize;
            let mut column = line.column_base + 1;
            let mut chars = line.text.chars().peekable();
            let piece_here = |cell: &mut Cell, column: u64, bytes: usize| {
                cell.pieces.push(Piece {
                    start: cell.text.len(),
                    line: line.number,
                    column,
                    byte_offset: line.byte_offset + bytes as u64,
                })
            };
            if quoted {
                piece_here(&mut cell, column, bytes);
            }
            while let Some(c) = chars.next() {
                let width = counter.len(c);
                if at_field_start {
                    at_field_start = false;
                    if c == '"' {
                        quoted = true;
                        piece_here(&mut cell, column + 1, bytes + width);
                        bytes += width;
                        column += 1;
                        continue;
                    }
                    piece_here(&mut cell, column, bytes);
                }
                if quoted && c == '"' {
                    if chars.peek() == Some(&'"') {
                        // An escaped quote: the value's '"' is the second one.
                        chars.next();
                        let w2 = counter.len('"');
                        piece_here(&mut cell, column + 1, bytes + width);
                        cell.text.push('"');
                        bytes += width + w2;
                        column += 2;
                        continue;
                    }
                    quoted = false;
                } else if !quoted && c == self.delimiter {
                    end_value(&mut cells, &mut cell);
                    at_field_start = true;
                } else {
                    cell.text.push(c);
                }
                bytes += width;
                column += 1;
            }
            if at_field_start {
                // The line ended right after a delimiter: an empty last value.
                piece_here(&mut cell, column, bytes);
            }
            if !quoted || cell.text.len() > MAX_SEGMENT {
                break;
            }
            // A quoted value continues on the next line.
            match self.lines.next() {
                Some(Ok(next)) => {
                    cell.text.push('\n');
                    line = next;
                }
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        end_value(&mut cells, &mut cell);
        Ok(cells)
    }
}

/// Picks the delimiter for a table: tab for `.tsv`, otherwise whichever of
/// comma and tab the first line uses more.
pub fn delimiter(extension: &str, first_line: &str) -> char {
    if extension.eq_ignore_ascii_case("tsv") {
        return '\t';
    }
    let tabs = first_line.matches('\t').count();
    let commas = first_line.matches(',').count();
    if tabs > commas { '\t' } else { ',' }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::lines::LineReader;
    use crate::unit::TextUnit;
    use encoding_rs::{SHIFT_JIS, UTF_8};

    fn records(text: &[u8], enc: &'static Encoding) -> Vec<Vec<Cell>> {
        let mut r = CsvReader::new(LineReader::new(text, enc, 0), ',', enc);
        std::iter::from_fn(|| r.next_record())
            .collect::<io::Result<_>>()
            .unwrap()
    }

    #[test]
    fn parses_quotes_and_multiline_values() {
        let src = "氏名,備考\n\"山田, 太郎\",\"言った\"\"はい\"\"\n次行\"\n\n最後,\n";
        let recs = records(src.as_bytes(), UTF_8);
        let texts: Vec<Vec<(u32, &str)>> = recs
            .iter()
            .map(|r| r.iter().map(|c| (c.column, c.text.as_str())).collect())
            .collect();
        assert_eq!(
            texts,
            [
                vec![(0, "氏名"), (1, "備考")],
                vec![(0, "山田, 太郎"), (1, "言った\"はい\"\n次行")],
                vec![(0, "最後")]
            ]
        );
        // Blank values are left out, the others keep their place.
        let src = ",\"  \",,中,\"架空 一郎\", \n";
        let recs = records(src.as_bytes(), UTF_8);
        let texts: Vec<(u32, &str)> = recs[0]
            .iter()
            .map(|c| (c.column, c.text.as_str()))
            .collect();
        assert_eq!(texts, [(3, "中"), (4, "架空 一郎")]);
    }

    #[test]
    fn cell_positions_point_at_the_original_bytes() {
        let src = "番号,値\n\"a\"\"b\",ｶﾅ個人\n";
        let bytes = SHIFT_JIS.encode(src).0.into_owned();
        let recs = records(&bytes, SHIFT_JIS);
        let cell = &recs[1][1];
        let unit = TextUnit {
            text: cell.text.clone(),
            pieces: cell.pieces.clone(),
            ..Default::default()
        };
        let at = unit.text.find('個').unwrap();
        let loc = unit.locate(at, SHIFT_JIS);
        assert_eq!((loc.line, loc.column), (Some(2), 10));
        let b = loc.byte_offset.unwrap() as usize;
        assert_eq!(
            SHIFT_JIS.decode_without_bom_handling(&bytes[b..b + 4]).0,
            "個人"
        );
        // The 'b' after the escaped quote.
        let first = &recs[1][0];
        let unit = TextUnit {
            text: first.text.clone(),
            pieces: first.pieces.clone(),
            ..Default::default()
        };
        let loc = unit.locate(unit.text.find('b').unwrap(), SHIFT_JIS);
        assert_eq!(
            (loc.column, bytes[loc.byte_offset.unwrap() as usize]),
            (5, b'b')
        );
    }

    #[test]
    fn unquoted_lines_split_in_bulk_as_character_by_character() {
        use encoding_rs::{EUC_JP, UTF_16LE};
        for enc in [UTF_8, SHIFT_JIS, EUC_JP, UTF_16LE] {
            for (text, delimiter) in [
                ("架空太郎,ｶｸｳ ﾀﾛｳ,090-0000-0000,", ','),
                (",,東京都千代田区,", ','),
                ("単独", ','),
                (" ,　,x, ", ','),
                ("番号\t氏名\t\tメモ（全角　空白）", '\t'),
            ] {
                let line = Line {
                    text: text.into(),
                    number: 7,
                    column_base: 3,
                    byte_offset: 120,
                    encoding: enc,
                    owns: None,
                };
                let mut r = CsvReader::new(std::iter::empty(), delimiter, enc);
                let bulk = r.parse_unquoted(&line).expect("no quotes");
                assert_eq!(
                    bulk,
                    r.parse_quoted(line).unwrap(),
                    "{text} in {}",
                    enc.name()
                );
            }
        }
    }

    #[test]
    fn delimiter_from_extension_or_first_line() {
        assert_eq!(delimiter("tsv", "a,b"), '\t');
        assert_eq!(delimiter("csv", "a\tb\tc"), '\t');
        assert_eq!(delimiter("csv", "a,b"), ',');
    }
}
