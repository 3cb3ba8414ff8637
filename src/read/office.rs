//! Word and PowerPoint files (docx, docm, pptx, pptm): zip + XML, read with
//! quick-xml.
//!
//! Text is joined per paragraph (Word splits a number across runs for
//! proofing, formatting and revisions; deleted revision text is kept, since
//! the data is still in the file). Tables become rows whose cells know the
//! header of their column, like a CSV. Every part that holds text is read:
//! the body, headers, footers, footnotes, endnotes and comments of a
//! document; slides and speaker notes of a presentation; and the document
//! properties (author, last modified by, title…). A unit's location is its
//! part and paragraph number (and slide number).

use std::io::{BufReader, Read};

use encoding_rs::{Encoding, UTF_8};
use quick_xml::events::Event;

use super::Source;
use super::table::{Cell, CellContext, HeaderSearch, Row, TableBuilder};
use crate::error::{Error, ErrorKind, Result};
use crate::unit::{DocRef, TextUnit};

/// Largest XML part read (uncompressed bytes).
const MAX_PART_BYTES: u64 = 256 << 20;

/// The kind of office document in a zip, if any.
fn kind<R: Read + std::io::Seek>(zip: &zip::ZipArchive<R>) -> Option<&'static str> {
    let has = |n: &str| zip.index_for_name(n).is_some();
    if has("word/document.xml") {
        Some("docx")
    } else if has("ppt/presentation.xml") {
        Some("pptx")
    } else {
        None
    }
}

/// The number in a part name such as `ppt/slides/slide12.xml`.
fn part_number(name: &str) -> Option<u64> {
    let stem = name.rsplit('/').next()?.strip_suffix(".xml")?;
    let digits: String = stem
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// Reads a docx or pptx; `Ok(None)` if the zip is neither.
pub(crate) fn read_office(
    src: Source<'_>,
    each: &mut dyn FnMut(&TextUnit, &'static Encoding),
) -> Result<Option<&'static str>> {
    let reader = src
        .open()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    let Ok(mut zip) = zip::ZipArchive::new(reader) else {
        return Ok(None);
    };
    let Some(kind) = kind(&zip) else {
        return Ok(None);
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut parts: Vec<(String, Option<u64>)> = Vec::new();
    let wanted = |n: &str| -> bool {
        if kind == "docx" {
            n == "word/document.xml"
                || (n.starts_with("word/header") && n.ends_with(".xml"))
                || (n.starts_with("word/footer") && n.ends_with(".xml"))
                || matches!(
                    n,
                    "word/footnotes.xml" | "word/endnotes.xml" | "word/comments.xml"
                )
        } else {
            (n.starts_with("ppt/slides/slide") || n.starts_with("ppt/notesSlides/notesSlide"))
                && n.ends_with(".xml")
                || (n.starts_with("ppt/comments/") && n.ends_with(".xml"))
        }
    };
    for n in &names {
        if wanted(n) {
            let slide = (kind == "pptx").then(|| part_number(n)).flatten();
            parts.push((n.clone(), slide));
        }
    }
    // Slides in their order, the body before headers and footers.
    parts.sort_by_key(|(n, slide)| (n != "word/document.xml", slide.unwrap_or(0), n.clone()));
    for (name, slide) in parts {
        let file = zip
            .by_name(&name)
            .map_err(|e| Error::new(ErrorKind::Io, format!("corrupt {kind}: {e}")))?;
        let part = DocPart {
            name: name.clone(),
            slide,
        };
        read_part(BufReader::new(file.take(MAX_PART_BYTES)), &part, each).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("corrupt {kind} part {name} ({})", super::error_kind(&e)),
            )
        })?;
    }
    if let Ok(core) = zip.by_name("docProps/core.xml") {
        read_properties(BufReader::new(core.take(MAX_PART_BYTES)), each).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("corrupt {kind} properties ({})", super::error_kind(&e)),
            )
        })?;
    }
    Ok(Some(kind))
}

struct DocPart {
    name: String,
    slide: Option<u64>,
}

struct Table {
    builder: TableBuilder<u64>,
    rows: u64,
    row: Vec<String>,
    cell: Option<String>,
    first_paragraph: u64,
}

impl Table {
    fn emit<'a>(
        part: &'a DocPart,
        first_paragraph: u64,
        each: &'a mut dyn FnMut(&TextUnit, &'static Encoding),
    ) -> impl FnMut(&Cell<u64>, CellContext) + 'a {
        move |cell, ctx| {
            let mut u = ctx.unit(cell.text.clone());
            u.doc = Some(doc_ref(part, first_paragraph));
            u.row = Some(cell.payload);
            each(&u, UTF_8);
        }
    }
}

fn doc_ref(part: &DocPart, paragraph: u64) -> DocRef {
    DocRef {
        part: part.name.clone(),
        paragraph,
        slide: part.slide,
        page: None,
    }
}

/// A predefined XML entity (`amp`, `lt`…).
fn entity(name: &[u8]) -> Option<char> {
    std::str::from_utf8(name)
        .ok()
        .and_then(super::html::decode_entity)
}

fn unit(text: String, part: &DocPart, paragraph: u64) -> TextUnit {
    TextUnit {
        text,
        doc: Some(doc_ref(part, paragraph)),
        ..Default::default()
    }
}

/// Reads one WordprocessingML or DrawingML part.
fn read_part(
    input: impl std::io::BufRead,
    part: &DocPart,
    each: &mut dyn FnMut(&TextUnit, &'static Encoding),
) -> std::result::Result<(), quick_xml::Error> {
    let mut xml = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut in_text = false;
    let mut paragraph = String::new();
    let mut paragraphs = 0u64;
    let mut tables: Vec<Table> = Vec::new();
    let mut preceding = String::new();
    loop {
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" | b"delText" => in_text = true,
                b"p" => paragraph.clear(),
                b"tbl" => tables.push(Table {
                    builder: TableBuilder::new(HeaderSearch::Start),
                    rows: 0,
                    row: Vec::new(),
                    cell: None,
                    first_paragraph: paragraphs + 1,
                }),
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.cell = Some(String::new());
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => paragraph.push('\t'),
                b"br" | b"cr" => paragraph.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => paragraph.push_str(&t.xml_content()?),
            Event::GeneralRef(r) if in_text => {
                if let Some(c) = r.resolve_char_ref()? {
                    paragraph.push(c);
                } else if let Some(c) = entity(r.as_ref()) {
                    paragraph.push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" | b"delText" => in_text = false,
                b"p" => {
                    paragraphs += 1;
                    let text = std::mem::take(&mut paragraph);
                    match tables.last_mut().and_then(|t| t.cell.as_mut()) {
                        Some(cell) => {
                            if !cell.is_empty() {
                                cell.push('\n');
                            }
                            cell.push_str(&text);
                        }
                        None if !text.trim().is_empty() => {
                            let mut u = unit(text, part, paragraphs);
                            u.preceding = std::mem::take(&mut preceding);
                            each(&u, UTF_8);
                            preceding = super::tail(&u.text, super::PRECEDING_CHARS);
                        }
                        None => {}
                    }
                }
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        let cell = t.cell.take().unwrap_or_default();
                        t.row.push(cell);
                    }
                }
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.rows += 1;
                        let row = std::mem::take(&mut t.row);
                        let cells = row
                            .into_iter()
                            .enumerate()
                            .filter(|(_, text)| !text.trim().is_empty())
                            .map(|(i, text)| Cell {
                                column: i as u32,
                                text,
                                payload: t.rows,
                            })
                            .collect();
                        let mut emit = Table::emit(part, t.first_paragraph, &mut *each);
                        t.builder.push(Row { cells }, &mut emit);
                    }
                }
                b"tbl" => {
                    if let Some(mut t) = tables.pop() {
                        let mut emit = Table::emit(part, t.first_paragraph, &mut *each);
                        t.builder.finish(&mut emit);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// Reads the document properties: author, last modified by, title…
fn read_properties(
    input: impl std::io::BufRead,
    each: &mut dyn FnMut(&TextUnit, &'static Encoding),
) -> std::result::Result<(), quick_xml::Error> {
    let mut xml = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut field: Option<&'static str> = None;
    let mut value = String::new();
    let part = DocPart {
        name: "docProps/core.xml".into(),
        slide: None,
    };
    let mut n = 0;
    loop {
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) => {
                field = match e.local_name().as_ref() {
                    b"creator" => Some("作成者"),
                    b"lastModifiedBy" => Some("最終更新者"),
                    b"title" => Some("タイトル"),
                    b"subject" => Some("件名"),
                    b"keywords" => Some("キーワード"),
                    b"description" => Some("コメント"),
                    _ => None,
                };
                value.clear();
            }
            Event::Text(t) if field.is_some() => value.push_str(&t.xml_content()?),
            Event::GeneralRef(r) if field.is_some() => {
                if let Some(c) = r.resolve_char_ref()?.or_else(|| entity(r.as_ref())) {
                    value.push(c);
                }
            }
            Event::End(_) => {
                if let Some(f) = field.take()
                    && !value.trim().is_empty()
                {
                    n += 1;
                    let mut u = unit(value.trim().to_string(), &part, n);
                    u.column_header = Some(f.to_string());
                    each(&u, UTF_8);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units_of(xml: &str) -> Vec<TextUnit> {
        let mut out = Vec::new();
        let part = DocPart {
            name: "word/document.xml".into(),
            slide: None,
        };
        read_part(xml.as_bytes(), &part, &mut |u, _| out.push(u.clone())).unwrap();
        out
    }

    #[test]
    fn runs_join_into_paragraphs_and_tables_have_headers() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:r><w:t>個人番号：1234</w:t></w:r><w:proofErr/><w:r><w:t xml:space="preserve">-5678</w:t></w:r><w:del><w:r><w:delText>-9018</w:delText></w:r></w:del></w:p>
            <w:p><w:r><w:t>A&amp;B</w:t><w:tab/><w:t>C</w:t></w:r></w:p>
            <w:tbl>
              <w:tr><w:tc><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>電話</w:t></w:r></w:p></w:tc></w:tr>
              <w:tr><w:tc><w:p><w:r><w:t>架空</w:t></w:r><w:r><w:t> 一郎</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>03-1234-5678</w:t></w:r></w:p></w:tc></w:tr>
            </w:tbl>
        </w:body></w:document>"#;
        let u = units_of(xml);
        assert_eq!(u[0].text, "個人番号：1234-5678-9018");
        assert_eq!(u[0].doc.as_ref().unwrap().paragraph, 1);
        assert_eq!(u[1].text, "A&B\tC");
        let phone = u.iter().find(|x| x.text == "03-1234-5678").unwrap();
        assert_eq!(phone.column_header.as_deref(), Some("電話"));
        assert_eq!(phone.row, Some(2));
        assert!(
            u.iter()
                .any(|x| x.text == "架空 一郎" && x.column_header.as_deref() == Some("氏名"))
        );
    }

    #[test]
    fn slide_numbers_come_from_part_names() {
        assert_eq!(part_number("ppt/slides/slide12.xml"), Some(12));
        assert_eq!(part_number("ppt/notesSlides/notesSlide3.xml"), Some(3));
        assert_eq!(part_number("word/document.xml"), None);
    }
}
