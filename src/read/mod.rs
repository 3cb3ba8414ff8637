//! Reading: from a file's bytes to [`TextUnit`]s.
//!
//! The format is decided from content ([`sniff`]): binary files are skipped
//! whatever their name, text is decoded from its detected encoding and
//! streamed line by line ([`lines`]); `.csv` and `.tsv` text is read as a
//! table ([`csv`]) whose values know their row and column header.

pub mod csv;
pub mod lines;
pub mod sheet;
pub mod sniff;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::Encoding;

use crate::error::{Error, ErrorKind, Result};
use crate::unit::TextUnit;
use lines::LineReader;
use sniff::{SNIFF_LEN, Sniffed, TextEncoding};

/// How many characters of the previous line a unit carries as context.
pub(crate) const PRECEDING_CHARS: usize = 32;

/// What reading a file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The file was read and every unit handed over.
    Read {
        /// `text`, `csv`, `xlsx`, `xlsb`, `xls` or `ods`.
        format: &'static str,
        /// For text and CSV, the detected encoding's name.
        encoding: Option<String>,
    },
    /// The file was not scanned; the reason says why (`binary data`, `pdf`…).
    Skipped(String),
}

/// Reads `path` and hands each text unit, with the encoding needed to locate
/// positions in it, to `each`. Memory stays bounded whatever the file size.
pub fn read_file(
    path: &Path,
    mut each: impl FnMut(&TextUnit, &'static Encoding),
) -> Result<ReadOutcome> {
    let mut file = File::open(path).map_err(|e| Error::io(&e, path))?;
    let mut sample = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut sample)
        .map_err(|e| Error::io(&e, path))?;
    let complete = sample.len() < SNIFF_LEN;
    let enc = match sniff::sniff(&sample, complete) {
        Sniffed::Binary(kind) => {
            drop(file);
            return read_binary(path, kind, &mut each);
        }
        Sniffed::Text(enc) => enc,
    };
    file.seek(SeekFrom::Start(enc.bom_len as u64))
        .map_err(|e| Error::io(&e, path))?;
    let lines = LineReader::new(file, enc.encoding, enc.bom_len as u64);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let table = matches!(ext.as_str(), "csv" | "tsv");
    if table {
        read_table(path, lines, &ext, enc, &mut each)?;
    } else {
        read_text(path, lines, enc, &mut each)?;
    }
    Ok(ReadOutcome::Read {
        format: if table { "csv" } else { "text" },
        encoding: Some(enc.name()),
    })
}

const SPREADSHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Binary files: workbooks are read, anything else is skipped with its kind.
fn read_binary(
    path: &Path,
    kind: &'static str,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> Result<ReadOutcome> {
    let zip = kind.starts_with("zip");
    let ole = kind.starts_with("ole2");
    if zip || ole {
        if let Some(wb) = sheet::read_workbook(path, ole, each)? {
            return Ok(ReadOutcome::Read {
                format: wb.name(),
                encoding: None,
            });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if SPREADSHEET_EXTENSIONS.contains(&ext.as_str()) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("corrupt or encrypted spreadsheet: no {ext} workbook inside"),
            )
            .with_path(path));
        }
    }
    Ok(ReadOutcome::Skipped(kind.to_string()))
}

pub(crate) fn tail(text: &str, chars: usize) -> String {
    let n = text.chars().count();
    text.chars().skip(n.saturating_sub(chars)).collect()
}

fn read_text<R: Read>(
    path: &Path,
    lines: LineReader<R>,
    enc: TextEncoding,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> Result<()> {
    let mut preceding = String::new();
    for line in lines {
        let line = line.map_err(|e| Error::io(&e, path))?;
        let mut unit = TextUnit::line(line.text, line.number, line.column_base, line.byte_offset);
        unit.preceding = std::mem::take(&mut preceding);
        each(&unit, enc.encoding);
        preceding = tail(&unit.text, PRECEDING_CHARS);
    }
    Ok(())
}

/// A first record is a header if none of its values looks like data (four
/// or more digits, or an `@`).
pub(crate) fn looks_like_header<'a>(mut cells: impl Iterator<Item = &'a str>) -> bool {
    cells.all(|text| {
        let digits = text
            .chars()
            .filter(|ch| ch.is_ascii_digit() || ('０'..='９').contains(ch))
            .count();
        digits < 4 && !text.contains(['@', '＠'])
    })
}

fn read_table<R: Read>(
    path: &Path,
    lines: LineReader<R>,
    ext: &str,
    enc: TextEncoding,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> Result<()> {
    let mut lines = lines.peekable();
    let first = match lines.peek() {
        Some(Ok(l)) => l.text.clone(),
        _ => String::new(),
    };
    let delimiter = csv::delimiter(ext, &first);
    let mut reader = csv::CsvReader::new(lines, delimiter, enc.encoding);
    let mut header: Option<Vec<String>> = None;
    let mut row = 0u64;
    while let Some(record) = reader.next_record() {
        let record = record.map_err(|e| Error::io(&e, path))?;
        row += 1;
        let mut preceding = String::new();
        for (i, cell) in record.iter().enumerate() {
            let unit = TextUnit {
                text: cell.text.clone(),
                pieces: cell.pieces.clone(),
                row: Some(row),
                column_header: header
                    .as_ref()
                    .and_then(|h| h.get(i))
                    .filter(|h| !h.is_empty())
                    .cloned(),
                preceding: std::mem::take(&mut preceding),
                cell: None,
            };
            each(&unit, enc.encoding);
            preceding = tail(&unit.text, PRECEDING_CHARS);
        }
        if row == 1 && looks_like_header(record.iter().map(|c| c.text.as_str())) {
            header = Some(record.iter().map(|c| c.text.trim().to_string()).collect());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{EUC_JP, SHIFT_JIS};
    use std::io::Write;

    fn collect(path: &Path) -> (ReadOutcome, Vec<TextUnit>) {
        let mut units = Vec::new();
        let out = read_file(path, |u, _| units.push(u.clone())).unwrap();
        (out, units)
    }

    #[test]
    fn csv_in_cp932_gives_rows_and_headers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("meibo.csv");
        let src = "氏名,個人番号\r\n山田 太郎,1234 5678 9012\r\n";
        std::fs::write(&p, SHIFT_JIS.encode(src).0).unwrap();
        let (out, units) = collect(&p);
        assert_eq!(
            out,
            ReadOutcome::Read {
                format: "csv",
                encoding: Some("Shift_JIS".into())
            }
        );
        let u = units.iter().find(|u| u.text.starts_with("1234")).unwrap();
        assert_eq!(u.row, Some(2));
        assert_eq!(u.column_header.as_deref(), Some("個人番号"));
        assert_eq!(u.preceding, "山田 太郎");
    }

    #[test]
    fn text_lines_carry_the_previous_line_as_context() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("memo");
        let mut f = File::create(&p).unwrap();
        f.write_all(&EUC_JP.encode("個人番号：\n123\n").0).unwrap();
        let (out, units) = collect(&p);
        assert_eq!(
            out,
            ReadOutcome::Read {
                format: "text",
                encoding: Some("EUC-JP".into())
            }
        );
        assert_eq!(units[1].preceding, "個人番号：");
        assert_eq!(units[1].pieces[0].line, 2);
    }

    #[test]
    fn binary_files_are_skipped_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("looks.txt");
        std::fs::write(&p, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let (out, units) = collect(&p);
        assert_eq!(out, ReadOutcome::Skipped("png image".into()));
        assert!(units.is_empty());
    }
}
