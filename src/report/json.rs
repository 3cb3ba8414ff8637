//! JSON and JSON Lines writers.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileSummary, FolderSummary, Reported, RunSummary, SCHEMA_VERSION, ScanInfo};

/// The JSON Schema (draft 2020-12) of the `json` report.
pub const SCHEMA: &str = include_str!("report.schema.json");

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Head<'a> {
    schema_version: &'static str,
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a RunSummary>,
    scan: &'a ScanInfo,
    files: &'a [FileSummary],
    folders: &'a [FolderSummary],
}

/// Findings held on disk until the report is written: each file's findings
/// as compact JSON lines in a temporary file, so memory stays bounded by
/// the number of files, not of findings. Past [`SPILL_RAW`] bytes, each
/// file's block is compressed (LZ4): findings repeat their path and keys,
/// so a dense scan's spill is several times smaller than its report, and
/// writing less keeps the report out of the page cache's write limits;
/// below it, writing costs less than compressing.
pub(super) struct Spill {
    file: std::fs::File,
    end: u64,
    /// Compress blocks once the spill holds this many bytes (all written as
    /// they are until then).
    raw_limit: u64,
    /// (path, offset, stored length, length, compressed) of each file's
    /// block.
    index: Vec<(String, u64, u64, usize, bool)>,
}

/// Blocks are written as they are until the spill holds this many bytes.
const SPILL_RAW: u64 = 128 << 20;

impl Spill {
    pub(super) fn new() -> io::Result<Self> {
        Ok(Spill {
            file: tempfile::tempfile()?,
            end: 0,
            raw_limit: SPILL_RAW,
            index: Vec::new(),
        })
    }

    /// Appends one file's findings (already in file order), one JSON line
    /// each ([`write_line`]).
    pub(super) fn add(&mut self, path: &str, block: &[u8]) -> io::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let packed = (self.end >= self.raw_limit).then(|| lz4_flex::block::compress(block));
        let stored = packed.as_deref().unwrap_or(block);
        self.file.write_all(stored)?;
        self.index.push((
            path.to_string(),
            self.end,
            stored.len() as u64,
            block.len(),
            packed.is_some(),
        ));
        self.end += stored.len() as u64;
        Ok(())
    }

    /// Calls `each` with every file's block, files in path order.
    fn for_each_block(mut self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        self.index.sort();
        let (mut packed, mut block) = (Vec::new(), Vec::new());
        for &(_, offset, stored, len, compressed) in &self.index {
            self.file.seek(SeekFrom::Start(offset))?;
            if !compressed {
                block.resize(len, 0);
                self.file.read_exact(&mut block)?;
                each(&block)?;
                continue;
            }
            packed.resize(stored as usize, 0);
            self.file.read_exact(&mut packed)?;
            block.resize(len, 0);
            let n = lz4_flex::block::decompress_into(&packed, &mut block)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            each(&block[..n])?;
        }
        Ok(())
    }

    /// Calls `each` with every line of every file's block (without its
    /// newline), files in path order.
    fn for_each_line(self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.for_each_block(|block| {
            for line in block
                .strip_suffix(b"\n")
                .unwrap_or(block)
                .split(|&b| b == b'\n')
            {
                each(line)?;
            }
            Ok(())
        })
    }

    /// Writes every line as an element of a JSON array already opened in
    /// `out`, each after `indent` (a newline and spaces) and all but the
    /// first after a comma. False if there was none.
    pub(super) fn write_elements(self, out: &mut impl Write, indent: &[u8]) -> io::Result<bool> {
        let mut any = false;
        self.for_each_line(|line| {
            if any {
                out.write_all(b",")?;
            }
            out.write_all(indent)?;
            out.write_all(line)?;
            any = true;
            Ok(())
        })?;
        Ok(any)
    }

    /// Copies every file's block to `out`, files in path order: the
    /// streamed formats (`jsonl`, `csv`) come out the same whatever order
    /// the workers finished in.
    pub(super) fn drain(self, out: &mut impl Write) -> io::Result<()> {
        self.for_each_block(|block| out.write_all(block))
    }
}

/// Writes the document: the head pretty-printed, then the findings, one
/// compact object a line, files in path order.
pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    files: &[FileSummary],
    folders: &[FolderSummary],
    spill: Spill,
) -> io::Result<()> {
    let head = Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mamori",
            version: env!("CARGO_PKG_VERSION"),
        },
        run,
        scan: info,
        files,
        folders,
    };
    let head = serde_json::to_string_pretty(&head)?;
    let head = head.strip_suffix('}').unwrap_or(&head).trim_end();
    out.write_all(head.as_bytes())?;
    out.write_all(b",\n  \"findings\": [")?;
    let any = spill.write_elements(out, b"\n    ")?;
    out.write_all(if any { b"\n  ]\n}\n" } else { b"]\n}\n" })
}

/// One finding as a line of compact JSON. With `reveal`, the value is
/// unmasked and its key is `value` instead of `masked`.
///
/// Written field by field rather than through serde's flattening, and the
/// strings without escaping in one copy: a dense scan writes several times
/// its input size in findings. The bytes are what `serde_json` writes for a
/// [`Reported`] (a unit test holds them equal).
pub(super) fn write_line(out: &mut Vec<u8>, finding: &Reported, reveal: bool) -> io::Result<()> {
    let f = &finding.finding;
    out.extend_from_slice(b"{\"path\":");
    string(out, &f.path);
    out.extend_from_slice(b",\"category\":");
    string(out, f.category.id());
    out.extend_from_slice(b",\"confidence\":");
    string(out, f.confidence.id());
    out.extend_from_slice(b",\"rule\":");
    string(out, &f.rule);
    out.extend_from_slice(b",\"location\":");
    location(out, &f.location);
    out.extend_from_slice(if reveal {
        b",\"value\":"
    } else {
        b",\"masked\":"
    });
    string(out, &f.masked);
    out.extend_from_slice(b",\"fingerprint\":");
    string(out, &f.fingerprint);
    out.extend_from_slice(b",\"context\":");
    string(out, &f.context);
    if let Some(policy) = &finding.policy {
        out.extend_from_slice(b",\"policy\":");
        serde_json::to_writer(&mut *out, policy)?;
    }
    if let Some(status) = &finding.status {
        out.extend_from_slice(b",\"status\":");
        serde_json::to_writer(&mut *out, status)?;
    }
    if let Some(suppressed) = &finding.suppressed {
        out.extend_from_slice(b",\"suppressed\":");
        serde_json::to_writer(&mut *out, suppressed)?;
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// A location as serde writes it: its fields in declaration order, absent
/// ones left out.
fn location(out: &mut Vec<u8>, l: &crate::finding::Location) {
    fn key(out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    }
    fn number(out: &mut Vec<u8>, name: &str, n: Option<u64>) {
        if let Some(n) = n {
            key(out, name);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
    }
    fn text(out: &mut Vec<u8>, name: &str, s: Option<&str>) {
        if let Some(s) = s {
            key(out, name);
            string(out, s);
        }
    }
    out.push(b'{');
    if let Some(line) = l.line {
        out.extend_from_slice(b"\"line\":");
        out.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
        out.push(b',');
    }
    // `column` is always there: every later field follows a comma.
    out.extend_from_slice(b"\"column\":");
    out.extend_from_slice(itoa::Buffer::new().format(l.column).as_bytes());
    number(out, "byte_offset", l.byte_offset);
    text(out, "sheet", l.sheet.as_deref());
    text(out, "part", l.part.as_deref());
    number(out, "paragraph", l.paragraph);
    number(out, "slide", l.slide);
    number(out, "page", l.page);
    if l.sheet_hidden {
        out.extend_from_slice(b",\"sheet_hidden\":true");
    }
    text(out, "cell", l.cell.as_deref());
    number(out, "row", l.row);
    text(out, "column_header", l.column_header.as_deref());
    out.push(b'}');
}

/// `s` as a JSON string: copied whole when nothing in it needs escaping
/// (checked without branches, so on SIMD lanes), else escaped by serde_json.
fn string(out: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Confidence, Finding, Location};
    use crate::policy::{Verdict, VerdictKind};
    use crate::report::reported::{Status, Suppression};

    /// What serde_json writes for a finding, `masked` renamed with reveal.
    fn by_serde(r: &Reported, reveal: bool) -> String {
        let line = serde_json::to_string(r).unwrap();
        let line = if reveal {
            line.replacen("\"masked\":", "\"value\":", 1)
        } else {
            line
        };
        line + "\n"
    }

    #[test]
    fn a_spill_gives_back_its_blocks_in_path_order_compressed_or_not() {
        let mut spill = Spill::new().unwrap();
        // The first block is written as it is, the others compressed.
        spill.raw_limit = 10;
        let blocks: [(&str, String); 3] = [
            ("共有/b.txt", "{\"b\":1}\n{\"b\":2}\n".into()),
            ("共有/a.txt", "{\"a\":1}\n".repeat(500)),
            ("共有/c.txt", "{\"c\":\"値\"}\n".into()),
        ];
        for (path, block) in &blocks {
            spill.add(path, block.as_bytes()).unwrap();
        }
        spill.add("共有/empty.txt", b"").unwrap();
        assert_eq!(
            spill.index.iter().map(|e| e.4).collect::<Vec<_>>(),
            [false, true, true]
        );
        let expected = [&blocks[1].1, &blocks[0].1, &blocks[2].1]
            .map(String::as_str)
            .concat();
        let mut drained = Vec::new();
        spill.drain(&mut drained).unwrap();
        assert_eq!(String::from_utf8(drained).unwrap(), expected);
    }

    #[test]
    fn lines_are_what_serde_writes() {
        let finding = |path: &str, context: &str| Finding {
            path: path.into(),
            category: Category::PersonName,
            confidence: Confidence::High,
            rule: "person_name.token".into(),
            location: Location {
                line: Some(3),
                column: 7,
                sheet: Some("名簿\t\"2026\"".into()),
                sheet_hidden: true,
                column_header: Some("氏名".into()),
                ..Default::default()
            },
            masked: "架＊＊".into(),
            fingerprint: "0123456789abcdef0123456789abcdef".into(),
            context: context.into(),
        };
        let plain = Reported::from(finding("共有/名簿.csv", "担当 架＊＊ 様"));
        let mut marked = Reported::from(finding(
            "a\\b\"c\u{1}.txt",
            "改行\n\u{7f}タブ\t\u{10FF82}「引用\"」",
        ));
        marked.policy = Some(Verdict {
            verdict: VerdictKind::Violation,
            purpose: None,
            owner: Some("総務部".into()),
            reason: "no purpose".into(),
        });
        marked.status = Some(Status::New);
        marked.suppressed = Some(Suppression {
            reason: "承認済み".into(),
            expires: Some("2027-03-31".into()),
        });
        let mut everywhere = Reported::from(finding("資料.pptx", "架＊＊"));
        everywhere.finding.location = Location {
            line: None,
            column: 12,
            byte_offset: Some(4096),
            sheet: None,
            part: Some("ppt/slides/slide3.xml".into()),
            paragraph: Some(2),
            slide: Some(3),
            page: Some(u64::MAX),
            sheet_hidden: false,
            cell: Some("AB12".into()),
            row: Some(0),
            column_header: Some("備考\u{0}".into()),
        };
        for r in [&plain, &marked, &everywhere] {
            for reveal in [false, true] {
                let mut out = Vec::new();
                write_line(&mut out, r, reveal).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), by_serde(r, reveal));
            }
        }
    }
}
