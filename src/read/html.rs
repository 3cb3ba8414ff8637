//! HTML, and the "Excel" files that are HTML: many web applications export
//! `.xls` as an HTML table. Tables are read as tables ([`super::table`]:
//! header rows, column roles, records), `colspan` kept, and the text
//! around them as paragraphs; scripts, styles and comments are skipped and
//! character references decoded. Streamed line by line, so memory stays
//! bounded: a cell or paragraph longer than [`MAX_TEXT`] is cut into units.

use std::io::{self, Read};

use encoding_rs::Encoding;

use super::lines::{ByteCounter, LineReader};
use super::table::{Cell, HeaderSearch, Positioned, Row, TableBuilder, emit_positioned};
use crate::unit::{Piece, TextUnit};

/// Longest text kept in one cell or paragraph.
pub const MAX_TEXT: usize = 64 * 1024;
/// Tables nested deeper than this are read as the text of their cell.
const MAX_NESTING: usize = 32;
/// Longest tag kept (attributes beyond it are ignored).
const MAX_TAG: usize = 4096;

/// The sample looks like HTML: it starts with markup and has a document or
/// table element near the start.
pub fn looks_like_html(sample: &[u8]) -> bool {
    let head = &sample[..sample.len().min(4096)];
    // Markup first: after byte order marks and blank space, a `<`. Most
    // text files fail this at their first bytes.
    let mut rest = head;
    while let [b' ' | b'\t' | b'\r' | b'\n', tail @ ..] | [0xEF, 0xBB, 0xBF, tail @ ..] = rest {
        rest = tail;
    }
    if rest.first() != Some(&b'<') {
        return false;
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    trimmed.starts_with("<!doctype html") || text.contains("<html") || text.contains("<table")
}

/// Text with the positions of its pieces in the original file.
#[derive(Default)]
struct Text {
    text: String,
    pieces: Vec<Piece>,
}

impl Text {
    fn push(&mut self, s: &str, at: Piece, continues: bool) {
        if self.text.len() + s.len() > MAX_TEXT {
            return;
        }
        if !continues || self.pieces.is_empty() {
            self.pieces.push(Piece {
                start: self.text.len(),
                ..at
            });
        }
        self.text.push_str(s);
    }

    fn take(&mut self) -> Text {
        std::mem::take(self)
    }
}

struct Table {
    builder: TableBuilder<Positioned>,
    rows: u64,
    row: Vec<Cell<Positioned>>,
    column: u32,
    cell: Option<(Text, u32)>,
}

/// The character a named or numeric reference (`amp`, `#12354`, `#x3042`)
/// stands for.
pub(crate) fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "yen" => '¥',
        "copy" => '©',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// `colspan` of a `<td>`/`<th>` tag (1 when absent or unreadable).
fn colspan(tag: &str) -> u32 {
    let lower = tag.to_ascii_lowercase();
    lower
        .find("colspan")
        .and_then(|i| {
            let rest = lower[i + 7..].trim_start().strip_prefix('=')?.trim_start();
            let digits: String = rest
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok()
        })
        .unwrap_or(1)
        .clamp(1, 1000)
}

struct Reader<'a, F> {
    encoding: &'static Encoding,
    each: &'a mut F,
    tables: Vec<Table>,
    /// `<table>` tags nested beyond [`MAX_NESTING`], not opened.
    ignored_tables: usize,
    paragraph: Text,
    preceding: String,
    /// Inside `<script>`, `<style>` or a comment: the text that ends it.
    skip_until: Option<&'static str>,
    tag: Option<String>,
    entity: Option<String>,
    /// The last text pushed ended right before this character (same piece).
    continues: bool,
}

impl<F: FnMut(&TextUnit, &'static Encoding)> Reader<'_, F> {
    fn target(&mut self) -> &mut Text {
        match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            Some((text, _)) => text,
            None => &mut self.paragraph,
        }
    }

    fn flush_paragraph(&mut self) {
        let p = self.paragraph.take();
        if p.text.trim().is_empty() {
            return;
        }
        let unit = TextUnit {
            text: p.text,
            pieces: p.pieces,
            preceding: std::mem::take(&mut self.preceding),
            ..Default::default()
        };
        (self.each)(&unit, self.encoding);
        self.preceding = super::tail(&unit.text, super::PRECEDING_CHARS);
    }

    fn end_cell(&mut self) {
        if let Some(t) = self.tables.last_mut()
            && let Some((text, span)) = t.cell.take()
        {
            // Leading white space is never stored (see `line`).
            let trimmed = text.text.trim_end();
            if !trimmed.is_empty() {
                t.row.push(Cell {
                    column: t.column,
                    text: trimmed.to_string(),
                    payload: (t.rows + 1, text.pieces),
                });
            }
            t.column = t.column.saturating_add(span);
        }
    }

    fn end_row(&mut self) {
        self.end_cell();
        let encoding = self.encoding;
        if let Some(t) = self.tables.last_mut() {
            if t.row.is_empty() && t.column == 0 {
                return;
            }
            t.rows += 1;
            t.column = 0;
            let cells = std::mem::take(&mut t.row);
            let mut emit = emit_positioned(encoding, self.each);
            t.builder.push(Row { cells }, &mut emit);
        }
    }

    fn tag(&mut self, tag: &str) {
        let t = tag.trim();
        let closing = t.starts_with('/');
        let name: String = t
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("script", false) => self.skip_until = Some("</script"),
            ("style", false) => self.skip_until = Some("</style"),
            ("table", false) if self.tables.len() >= MAX_NESTING => self.ignored_tables += 1,
            ("table", true) if self.ignored_tables > 0 => self.ignored_tables -= 1,
            ("table", false) => {
                self.flush_paragraph();
                self.tables.push(Table {
                    builder: TableBuilder::new(HeaderSearch::Start),
                    rows: 0,
                    row: Vec::new(),
                    column: 0,
                    cell: None,
                });
            }
            ("table", true) => {
                self.end_row();
                let encoding = self.encoding;
                if let Some(mut t) = self.tables.pop() {
                    let mut emit = emit_positioned(encoding, self.each);
                    t.builder.finish(&mut emit);
                }
            }
            ("tr", _) => self.end_row(),
            ("td" | "th", false) => {
                self.end_cell();
                let span = colspan(t);
                if let Some(table) = self.tables.last_mut() {
                    table.cell = Some((Text::default(), span));
                }
            }
            ("td" | "th", true) => self.end_cell(),
            ("br", _) => {
                if self.tables.last().is_some_and(|t| t.cell.is_some()) {
                    self.target().text.push('\n');
                } else {
                    self.flush_paragraph();
                }
                self.continues = false;
            }
            (
                "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt" | "dd"
                | "title" | "body" | "ul" | "ol",
                _,
            ) => {
                if self.tables.last().is_some_and(|t| t.cell.is_some()) {
                    let target = self.target();
                    if !target.text.is_empty() && !target.text.ends_with('\n') {
                        target.text.push('\n');
                    }
                } else {
                    self.flush_paragraph();
                }
                self.continues = false;
            }
            _ => {}
        }
    }

    fn line(&mut self, text: &str, number: u64, column_base: u64, byte_offset: u64) {
        let mut counter = ByteCounter::new(self.encoding);
        let mut column = column_base + 1;
        let mut bytes = 0u64;
        let mut rest = text;
        self.continues = false;
        let mut buf = [0u8; 4];
        while let Some(c) = rest.chars().next() {
            let here = Piece {
                start: 0,
                line: number,
                column,
                byte_offset: byte_offset + bytes,
            };
            let width = c.len_utf8();
            if let Some(end) = self.skip_until {
                // Skip to the end marker (case-insensitive), within the line.
                let lower = rest.to_ascii_lowercase();
                match lower.find(end) {
                    Some(i) => {
                        let skipped = &rest[..i + end.len()];
                        bytes += counter.len_str(skipped) as u64;
                        column += skipped.chars().count() as u64;
                        rest = &rest[i + end.len()..];
                        // The rest of a closing `</script` tag; a comment
                        // ends with its marker.
                        if end != "-->" {
                            self.tag = Some(String::new());
                        }
                        self.skip_until = None;
                        continue;
                    }
                    None => return,
                }
            }
            if let Some(tag) = self.tag.as_mut() {
                if c == '>' {
                    let tag = self.tag.take().unwrap_or_default();
                    self.tag(&tag);
                } else if tag.len() < MAX_TAG {
                    tag.push(c);
                    if tag == "!--" {
                        self.tag = None;
                        self.skip_until = Some("-->");
                    }
                }
            } else if let Some(entity) = self.entity.as_mut() {
                if c == ';' {
                    let name = self.entity.take().unwrap_or_default();
                    let decoded = decode_entity(&name).unwrap_or('\u{FFFD}');
                    self.target()
                        .push(decoded.encode_utf8(&mut buf), here, false);
                    self.continues = false;
                } else if c.is_ascii_alphanumeric() || c == '#' && entity.is_empty() {
                    entity.push(c);
                    if entity.len() > 12 {
                        let raw = format!("&{}", self.entity.take().unwrap_or_default());
                        self.target().push(&raw, here, false);
                    }
                } else {
                    let raw = format!("&{}", self.entity.take().unwrap_or_default());
                    self.target().push(&raw, here, false);
                    continue; // re-read c as text
                }
            } else if c == '<' {
                self.tag = Some(String::new());
                self.continues = false;
            } else if c == '&' {
                self.entity = Some(String::new());
            } else if c.is_whitespace() && self.target().text.is_empty() {
                // Text starts at its first visible character.
                self.continues = false;
            } else {
                let continues = self.continues;
                self.target().push(c.encode_utf8(&mut buf), here, continues);
                self.continues = true;
            }
            bytes += counter.len(c) as u64;
            column += 1;
            rest = &rest[width..];
        }
        // A line break inside text is a space.
        if self.tag.is_none() && self.skip_until.is_none() {
            let target = self.target();
            if !target.text.is_empty() && !target.text.ends_with([' ', '\n']) {
                target.text.push(' ');
            }
        }
    }
}

/// Reads an HTML document from its decoded lines.
pub(crate) fn read_html<R: Read>(
    lines: LineReader<R>,
    encoding: &'static Encoding,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> io::Result<()> {
    let mut r = Reader {
        encoding,
        each,
        tables: Vec::new(),
        ignored_tables: 0,
        paragraph: Text::default(),
        preceding: String::new(),
        skip_until: None,
        tag: None,
        entity: None,
        continues: false,
    };
    for line in lines {
        let line = line?;
        r.line(&line.text, line.number, line.column_base, line.byte_offset);
    }
    while !r.tables.is_empty() {
        r.tag("/table");
    }
    r.flush_paragraph();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{SHIFT_JIS, UTF_8};

    fn units(html: &str, enc: &'static Encoding) -> Vec<TextUnit> {
        let bytes = enc.encode(html).0.into_owned();
        let mut out = Vec::new();
        let mut each = |u: &TextUnit, _: &'static Encoding| out.push(u.clone());
        read_html(LineReader::new(&bytes[..], enc, 0), enc, &mut each).unwrap();
        out
    }

    #[test]
    fn excel_html_tables_are_tables_with_headers() {
        let html = "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head>\n\
            <style>td { color: red }</style></head><body>\n<!-- 社員 -->\
            <table>\n<tr><td>氏名</td><td colspan=2>電話番号</td><td>備考</td></tr>\n\
            <tr><td class=xl65>架空&nbsp;一郎</td><td></td><td>03-1234-5678</td><td>A&amp;B</td></tr>\n\
            </table><p>以上</p></body></html>";
        let u = units(html, SHIFT_JIS);
        let cell = |t: &str| {
            u.iter()
                .find(|x| x.text == t)
                .unwrap_or_else(|| panic!("{t}: {u:#?}"))
        };
        assert_eq!(cell("架空 一郎").column_header.as_deref(), Some("氏名"));
        // colspan=2: the phone is in the third column, under the spanning header.
        assert_eq!(cell("A&B").column_header.as_deref(), Some("備考"));
        assert!(cell("以上").table.is_none());
        assert!(
            !u.iter()
                .any(|x| x.text.contains("color") || x.text.contains("社員"))
        );
        // Positions point at the original bytes.
        let bytes = SHIFT_JIS.encode(html).0.into_owned();
        let phone = cell("03-1234-5678");
        let loc = phone.locate(0, SHIFT_JIS);
        let at = loc.byte_offset.unwrap() as usize;
        assert_eq!(&bytes[at..at + 12], b"03-1234-5678");
        assert_eq!(loc.line, Some(5));
    }

    #[test]
    fn deep_nesting_and_wide_spans_stay_bounded() {
        let html = format!(
            "<table>{}<tr><td colspan=1000>架空</td>{}</tr>{}</table>",
            "<table><tr><td>".repeat(10_000),
            "<td colspan=999999>x</td>".repeat(10_000),
            "</td></tr></table>".repeat(10_000)
        );
        let u = units(&html, UTF_8);
        assert!(u.iter().any(|x| x.text.contains("架空")));
    }

    #[test]
    fn recognised_by_content() {
        assert!(looks_like_html(b"<!DOCTYPE html><html>"));
        assert!(looks_like_html(b"\n<table border=1><tr><td>x"));
        assert!(!looks_like_html(b"name,tel\n<b>,1"));
        assert!(looks_like_html(b"\xEF\xBB\xBF \r\n<HTML lang=ja>"));
        assert!(
            !looks_like_html(b"\xEF\xBB<html>"),
            "half a byte order mark"
        );
        let u = units("<table><tr><td>a</td></tr>", UTF_8);
        assert_eq!(u.len(), 1);
    }
}
