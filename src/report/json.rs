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
/// the number of files, not of findings.
pub(super) struct Spill {
    file: std::fs::File,
    end: u64,
    /// (path, offset, length) of each file's block of findings.
    index: Vec<(String, u64, u64)>,
}

impl Spill {
    pub(super) fn new() -> io::Result<Self> {
        Ok(Spill {
            file: tempfile::tempfile()?,
            end: 0,
            index: Vec::new(),
        })
    }

    /// Appends one file's findings (already in file order), one JSON line
    /// each ([`write_line`]).
    pub(super) fn add(&mut self, path: &str, block: &[u8]) -> io::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        self.file.write_all(block)?;
        self.index
            .push((path.to_string(), self.end, block.len() as u64));
        self.end += block.len() as u64;
        Ok(())
    }
}

impl Spill {
    /// Calls `each` with every line of every file's block (without its
    /// newline), files in path order.
    pub(super) fn for_each_line(
        mut self,
        mut each: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        use std::io::{BufRead, Read, Seek, SeekFrom};
        self.index.sort();
        let mut line = Vec::new();
        for (_, offset, len) in &self.index {
            self.file.seek(SeekFrom::Start(*offset))?;
            let mut block = std::io::BufReader::new((&mut self.file).take(*len));
            loop {
                line.clear();
                if block.read_until(b'\n', &mut line)? == 0 {
                    break;
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                each(&line)?;
            }
        }
        Ok(())
    }

    /// Copies every file's block to `out`, files in path order: the
    /// streamed formats (`jsonl`, `csv`) come out the same whatever order
    /// the workers finished in.
    pub(super) fn drain(mut self, out: &mut impl Write) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        self.index.sort();
        for (_, offset, len) in &self.index {
            self.file.seek(SeekFrom::Start(*offset))?;
            io::copy(&mut (&mut self.file).take(*len), out)?;
        }
        Ok(())
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
    mut spill: Spill,
) -> io::Result<()> {
    use std::io::{BufRead, Read, Seek, SeekFrom};
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
    spill.index.sort();
    let mut first = true;
    for (_, offset, len) in &spill.index {
        spill.file.seek(SeekFrom::Start(*offset))?;
        let block = std::io::BufReader::new((&mut spill.file).take(*len));
        for line in block.lines() {
            let line = line?;
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(line.as_bytes())?;
            first = false;
        }
    }
    out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
}

/// One finding as a line of compact JSON. With `reveal`, the value is
/// unmasked and its key is `value` instead of `masked`.
pub(super) fn write_line(out: &mut Vec<u8>, finding: &Reported, reveal: bool) -> io::Result<()> {
    let start = out.len();
    serde_json::to_writer(&mut *out, finding)?;
    if reveal {
        // `"masked":` occurs once, as the key: inside a JSON string every
        // quote is escaped.
        let key = b"\"masked\":";
        if let Some(at) = out[start..].windows(key.len()).position(|w| w == key) {
            let at = start + at;
            out.splice(at..at + key.len(), b"\"value\":".iter().copied());
        }
    }
    out.push(b'\n');
    Ok(())
}
