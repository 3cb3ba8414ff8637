//! Reading: from a file's bytes to [`TextUnit`]s.
//!
//! The format is decided from content ([`sniff`]): text is decoded from its
//! detected encoding and streamed line by line ([`lines`]); `.csv` and `.tsv`
//! text is read as a table ([`csv`]) whose values know their row and column
//! header; workbooks are read cell by cell ([`sheet`]); zip, tar and gzip
//! archives are opened and their entries read in turn, recursively, within
//! [`archive::Limits`]; other binary files are skipped with their kind.
//!
//! A [`Visitor`] receives the units, each with the path of the archive entry
//! it came from (empty for the file itself), and what happened to each entry.

pub mod archive;
pub mod csv;
pub mod html;
pub mod lines;
pub mod mail;
pub mod office;
pub mod pdf;
pub mod sheet;
pub mod sniff;
pub mod table;

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::Encoding;

use crate::error::{Error, ErrorKind, Result};
use crate::unit::TextUnit;
use archive::{Budget, Limits};
use lines::LineReader;
use sniff::{SNIFF_LEN, Sniffed, TextEncoding};

/// How many characters of the previous line a unit carries as context.
pub(crate) const PRECEDING_CHARS: usize = 32;

/// What reading a file (or an archive entry) produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The file was read and every unit handed over.
    Read {
        /// `text`, `csv`, `xlsx`, `xlsb`, `xls`, `ods`, `zip`, `tar` or `gzip`.
        format: &'static str,
        /// For text and CSV, the detected encoding's name.
        encoding: Option<String>,
    },
    /// The file was not scanned; the reason says why (`binary data`, `pdf`…).
    Skipped(String),
}

/// Every format name a [`ReadOutcome::Read`] can give.
pub const FORMATS: &[&str] = &[
    "text", "csv", "html", "eml", "pdf", "xlsx", "xlsb", "xls", "ods", "docx", "pptx", "zip",
    "tar", "gzip",
];

/// The format name `name` as the static string a read gives (for outcomes
/// recalled from a store); `other` for a name no reader gives.
pub fn format_name(name: &str) -> &'static str {
    FORMATS
        .iter()
        .copied()
        .find(|f| *f == name)
        .unwrap_or("other")
}

/// Receives what reading finds.
pub trait Visitor {
    /// A unit of text from the file itself (`inner` empty) or from the
    /// archive entry `inner` (`人事/名簿.xlsx`, nested as `a.zip!b.csv`).
    fn unit(&mut self, inner: &str, unit: &TextUnit, encoding: &'static Encoding);

    /// Whether a line of plain text (not a table cell, not part of a
    /// document's structure) is worth a unit: a visitor that can tell from
    /// the text alone that nothing in it matters declines it, and the reader
    /// then builds no unit for it. Only asked for lines of text files.
    fn wants(&mut self, text: &str) -> bool {
        let _ = text;
        true
    }

    /// The outcome of one archive entry: read, skipped, or an error.
    fn entry(&mut self, inner: &str, outcome: std::result::Result<ReadOutcome, Error>) {
        let _ = (inner, outcome);
    }
}

impl<F: FnMut(&TextUnit, &'static Encoding)> Visitor for F {
    fn unit(&mut self, _inner: &str, unit: &TextUnit, encoding: &'static Encoding) {
        self(unit, encoding)
    }
}

/// Bytes to read: a file, or an archive entry held in memory.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file on disk, read up to the given length (its size when it was
    /// listed: a file that grows while it is read is not read forever).
    File(&'a Path, u64),
    /// Bytes (an archive entry).
    Bytes(&'a [u8]),
}

/// A reader that can also seek (what the workbook readers need).
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl<'a> Source<'a> {
    /// Opens the source from its start.
    pub fn open(&self) -> io::Result<Box<dyn ReadSeek + 'a>> {
        Ok(match *self {
            Source::File(p, len) => Box::new(BufReader::with_capacity(
                64 * 1024,
                Bounded {
                    inner: File::open(p)?,
                    len,
                    pos: 0,
                },
            )),
            Source::Bytes(b) => Box::new(Cursor::new(b)),
        })
    }
}

/// A file seen as its first `len` bytes: reads end there and seeks from the
/// end count from there, whatever is appended meanwhile.
struct Bounded {
    inner: File,
    len: u64,
    pos: u64,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Bounded {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = self.inner.seek(SeekFrom::Start(target))?;
        Ok(self.pos)
    }
}

/// What kind of error a parser reported, without its text: the name of the
/// error's variant (`Xml`, `UnexpectedEof`…). A parser's message may quote
/// the file (a tag, a cell value); a reason in a report never does.
pub(crate) fn error_kind(e: &dyn std::fmt::Debug) -> String {
    let debug = format!("{e:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if name.is_empty() {
        "malformed".to_string()
    } else {
        name
    }
}

pub(crate) fn io_err(e: &io::Error) -> Error {
    Error::io(e, Path::new("")).without_path()
}

/// Reads `path` and hands each text unit, with the encoding needed to locate
/// positions in it, to `visitor`. Memory stays bounded whatever the file
/// size; archives are opened within the default [`Limits`].
pub fn read_file(path: &Path, visitor: &mut dyn Visitor) -> Result<ReadOutcome> {
    read_file_with(path, &Limits::default(), visitor)
}

/// [`read_file`] with explicit archive limits.
pub fn read_file_with(
    path: &Path,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<ReadOutcome> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(&e, path))?
        .len();
    read_file_upto(path, len, limits, visitor)
}

/// Reads bytes held in memory as a file named `name` (the name's extension
/// is a hint, as for files): an attachment, a download, a fuzzer's input.
pub fn read_bytes(
    bytes: &[u8],
    name: &str,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<ReadOutcome> {
    let mut budget = Budget::default();
    read_source(Source::Bytes(bytes), name, "", limits, &mut budget, visitor)
}

/// [`read_file_with`] reading only the first `len` bytes: the size the
/// file had when it was listed (a file that grows while it is read, as a
/// log does, is read as it was).
pub fn read_file_upto(
    path: &Path,
    len: u64,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<ReadOutcome> {
    let name = file_name(path);
    let mut budget = Budget::default();
    read_source(
        Source::File(path, len),
        &name,
        "",
        limits,
        &mut budget,
        visitor,
    )
    .map_err(|e| e.with_path(path))
}

/// A file's name as the readers take it (for its extension).
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The extension of a file named `name`, lower case: what tells the
/// readers a format when the content does not.
pub(crate) fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads one source named `name` (for its extension); `inner` is its path
/// inside the outermost file ("" for the file itself).
pub(crate) fn read_source(
    src: Source<'_>,
    name: &str,
    inner: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<ReadOutcome> {
    let mut reader = src.open().map_err(|e| io_err(&e))?;
    let mut sample = Vec::with_capacity(SNIFF_LEN);
    (&mut reader)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut sample)
        .map_err(|e| io_err(&e))?;
    let complete = sample.len() < SNIFF_LEN;
    let sniffed = sniff::sniff(&sample, complete);
    let ext = extension(name);
    // A message is read as one whatever its name, and with 8-bit or binary
    // parts too (then the sniffer saw binary data).
    let message = match sniffed {
        Sniffed::Text(_) => ext == "eml" || mail::looks_like_email(&sample),
        Sniffed::Binary(kind) => kind == "binary data" && mail::looks_like_email(&sample),
    };
    if message {
        reader.seek(SeekFrom::Start(0)).map_err(|e| io_err(&e))?;
        let bytes = read_whole(&mut reader, limits, "e-mail")?;
        mail::read_eml(&bytes, inner, limits, budget, visitor)?;
        return Ok(ReadOutcome::Read {
            format: "eml",
            encoding: None,
        });
    }
    let enc = match sniffed {
        Sniffed::Binary(kind) => {
            drop(reader);
            return read_binary(src, name, inner, kind, limits, budget, visitor);
        }
        Sniffed::Text(enc) => enc,
    };
    reader
        .seek(SeekFrom::Start(enc.bom_len as u64))
        .map_err(|e| io_err(&e))?;
    let lines = LineReader::new(reader, enc.encoding, enc.bom_len as u64);
    let table = matches!(ext.as_str(), "csv" | "tsv");
    let html = html::looks_like_html(&sample[enc.bom_len.min(sample.len())..]);
    if !table && !html {
        read_text(lines.with_overlap(), inner, visitor)?;
        return Ok(ReadOutcome::Read {
            format: "text",
            encoding: Some(enc.name()),
        });
    }
    let mut each = |u: &TextUnit, e: &'static Encoding| visitor.unit(inner, u, e);
    // HTML, and "Excel" files that are HTML tables.
    if html {
        html::read_html(lines, enc.encoding, &mut each).map_err(|e| io_err(&e))?;
        return Ok(ReadOutcome::Read {
            format: "html",
            encoding: Some(enc.name()),
        });
    }
    read_table(lines, &ext, enc, &mut each)?;
    Ok(ReadOutcome::Read {
        format: "csv",
        encoding: Some(enc.name()),
    })
}

/// Reads a whole source into memory (an e-mail or PDF), up to the entry
/// size limit.
fn read_whole(reader: &mut dyn Read, limits: &Limits, what: &str) -> Result<Vec<u8>> {
    archive::read_bounded(reader, limits.max_entry_bytes)
        .map_err(|e| io_err(&e))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "{what} larger than the limit ({} bytes)",
                    limits.max_entry_bytes
                ),
            )
        })
}

const SPREADSHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Binary sources: workbooks and archives are read, anything else is
/// skipped with its kind.
fn read_binary(
    src: Source<'_>,
    name: &str,
    inner: &str,
    kind: &'static str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<ReadOutcome> {
    let zip = kind.starts_with("zip");
    let ole = kind.starts_with("ole2");
    let ext = extension(name);
    if ole && ole_is_encrypted(src) {
        return Err(Error::new(
            ErrorKind::Io,
            "encrypted (password-protected) Office document",
        ));
    }
    if zip || ole {
        let mut each = |u: &TextUnit, e: &'static Encoding| visitor.unit(inner, u, e);
        if let Some(wb) = sheet::read_workbook(&|| src.open(), ole, limits, &mut each)? {
            return Ok(ReadOutcome::Read {
                format: wb.name(),
                encoding: None,
            });
        }
        if zip && let Some(kind) = office::read_office(src, &mut each)? {
            return Ok(ReadOutcome::Read {
                format: kind,
                encoding: None,
            });
        }
        if SPREADSHEET_EXTENSIONS.contains(&ext.as_str()) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("corrupt or encrypted spreadsheet: no {ext} workbook inside"),
            ));
        }
    }
    match kind {
        "zip archive or office document" | "zip archive" => {
            archive::read_zip(src, inner, limits, budget, visitor)?;
            Ok(ReadOutcome::Read {
                format: "zip",
                encoding: None,
            })
        }
        "tar archive" => {
            archive::read_tar(
                src.open().map_err(|e| io_err(&e))?,
                inner,
                limits,
                budget,
                visitor,
            )?;
            Ok(ReadOutcome::Read {
                format: "tar",
                encoding: None,
            })
        }
        "pdf" => {
            let mut reader = src.open().map_err(|e| io_err(&e))?;
            let bytes = read_whole(&mut reader, limits, "PDF")?;
            let mut each = |u: &TextUnit, e: &'static Encoding| visitor.unit(inner, u, e);
            if let Some(note) = pdf::read_pdf(bytes, &limits.pdf, &mut each)? {
                visitor.entry(inner, Ok(ReadOutcome::Skipped(note)));
            }
            Ok(ReadOutcome::Read {
                format: "pdf",
                encoding: None,
            })
        }
        "gzip data" => {
            archive::read_gzip(src, name, inner, limits, budget, visitor)?;
            Ok(ReadOutcome::Read {
                format: "gzip",
                encoding: None,
            })
        }
        k if k.starts_with("ole2") => Ok(ReadOutcome::Skipped(
            "unsupported format: legacy Word, PowerPoint or Outlook file (OLE2)".to_string(),
        )),
        _ => Ok(ReadOutcome::Skipped(kind.to_string())),
    }
}

/// An OLE2 file holding an `EncryptedPackage` stream: a password-protected
/// Office 2007+ document (xlsx, docx, pptx). Files over 64 MiB are not
/// checked.
fn ole_is_encrypted(src: Source<'_>) -> bool {
    const NAME: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
    let Ok(mut r) = src.open() else {
        return false;
    };
    let mut bytes = Vec::new();
    if (&mut r).take(64 << 20).read_to_end(&mut bytes).is_err() {
        return false;
    }
    bytes.windows(NAME.len()).any(|w| w == NAME)
}

pub(crate) fn tail(text: &str, chars: usize) -> String {
    let start = match chars {
        0 => text.len(),
        n => text.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i),
    };
    text[start..].to_string()
}

/// Plain text, a unit per line; lines the visitor declines cost no unit
/// (most lines of a share hold nothing a detector starts from).
fn read_text<R: Read>(
    mut lines: LineReader<R>,
    inner: &str,
    visitor: &mut dyn Visitor,
) -> Result<()> {
    // The line before, kept whole (moved, not copied): its tail is the
    // next unit's preceding context, taken only for a unit that is built.
    // The line before that goes back to the reader for its allocation.
    let mut previous = String::new();
    while let Some(line) = lines.next_line() {
        let line = line.map_err(|e| io_err(&e))?;
        if !visitor.wants(&line.text) {
            lines.recycle(std::mem::replace(&mut previous, line.text));
            continue;
        }
        let line_encoding = line.encoding;
        let mut unit = TextUnit::line(line.text, line.number, line.column_base, line.byte_offset);
        unit.owns = line.owns;
        unit.preceding = tail(&previous, PRECEDING_CHARS);
        visitor.unit(inner, &unit, line_encoding);
        lines.recycle(std::mem::replace(&mut previous, unit.text));
    }
    Ok(())
}

fn read_table<R: Read>(
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
    let mut tables = table::TableBuilder::new(table::HeaderSearch::Start);
    let mut emit = table::emit_positioned(enc.encoding, each);
    let mut row = 0u64;
    while let Some(record) = reader.next_record() {
        let record = record.map_err(|e| io_err(&e))?;
        row += 1;
        let cells = record
            .into_iter()
            .map(|c| table::Cell {
                column: c.column,
                text: c.text,
                payload: (row, c.pieces),
            })
            .collect();
        tables.push(table::Row { cells }, &mut emit);
    }
    tables.finish(&mut emit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{EUC_JP, SHIFT_JIS};
    use std::io::Write;

    fn collect(path: &Path) -> (ReadOutcome, Vec<TextUnit>) {
        let mut units = Vec::new();
        let mut each = |u: &TextUnit, _: &'static Encoding| units.push(u.clone());
        let out = read_file(path, &mut each).unwrap();
        (out, units)
    }

    #[test]
    fn a_file_is_read_up_to_its_listed_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("growing.log");
        let first = "一行目 090-1212-3434\n二行目\n";
        // What was appended after the file was listed.
        std::fs::write(&p, format!("{first}追記された行 080-5656-7878\n")).unwrap();
        let mut units = Vec::new();
        let mut each = |u: &TextUnit, _: &'static Encoding| units.push(u.text.clone());
        read_file_upto(&p, first.len() as u64, &Limits::default(), &mut each).unwrap();
        assert_eq!(units, ["一行目 090-1212-3434", "二行目"]);
        // A zip read through the bound still finds its central directory
        // (seeks from the end count from the listed end).
        let z = dir.path().join("a.zip");
        {
            let mut w = zip::ZipWriter::new(std::fs::File::create(&z).unwrap());
            w.start_file("a.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all("電話 090-1212-3434\n".as_bytes()).unwrap();
            w.finish().unwrap();
        }
        let len = std::fs::metadata(&z).unwrap().len();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&z)
            .unwrap()
            .write_all(&[0u8; 4096])
            .unwrap();
        let mut units = Vec::new();
        let mut each = |u: &TextUnit, _: &'static Encoding| units.push(u.text.clone());
        let out = read_file_upto(&z, len, &Limits::default(), &mut each).unwrap();
        assert!(
            matches!(out, ReadOutcome::Read { format: "zip", .. }),
            "{out:?}"
        );
        assert_eq!(units, ["電話 090-1212-3434"]);
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
    fn mime_without_sender_or_recipient_and_with_binary_parts_is_mail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("saved-message");
        let mut m =
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
            Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                .to_vec();
        m.extend_from_slice("折り返し先 03-1234-5678\r\n--B\r\n".as_bytes());
        m.extend_from_slice(
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n",
        );
        m.extend_from_slice(&[0, 0, 1, 2, 0xFF, 0, 7, 0, 0, 0x80, 0]);
        m.extend_from_slice(b"\r\n--B--\r\n");
        std::fs::write(&p, &m).unwrap();
        assert!(matches!(
            sniff::sniff(&m, true),
            Sniffed::Binary("binary data")
        ));
        let (out, units) = collect(&p);
        assert_eq!(
            out,
            ReadOutcome::Read {
                format: "eml",
                encoding: None
            }
        );
        assert!(units.iter().any(|u| u.text.contains("03-1234-5678")));
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
