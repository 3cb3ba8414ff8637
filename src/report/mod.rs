//! Reports: the scan summary and findings in `text`, `json` or `jsonl`.
//!
//! A [`Collector`] receives every [`Event`] of a scan on one thread (it owns
//! the output) and writes the chosen format:
//!
//! * `json`: one document, described by the JSON Schema in
//!   `src/report/report.schema.json` ([`SCHEMA`]):
//!   `{schema_version, tool{name, version}, scan{roots, started, finished,
//!   files_scanned, bytes_scanned, files_skipped, skipped[], errors[], …},
//!   findings[…]}`. Findings are sorted by path and position.
//! * `jsonl`: one finding object a line, written as each file completes,
//!   in bounded memory; the summary goes to the text report on stderr only
//!   if asked, never into the stream.
//! * `text`: a summary for people: findings per category, the files with
//!   most findings, and what could not be read.

mod json;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Category, Confidence, Finding};
use crate::scan::Event;

pub use json::SCHEMA;

/// Version of the JSON report layout. Bumped on incompatible changes.
pub const SCHEMA_VERSION: &str = "1.0";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable summary.
    Text,
    /// One JSON document.
    Json,
    /// JSON Lines, one finding a line.
    Jsonl,
}

/// A path that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// The path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Everything about a scan but its findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanInfo {
    /// Roots as given.
    pub roots: Vec<String>,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// End time, RFC 3339 UTC.
    pub finished: String,
    /// The confidence threshold applied.
    pub min_confidence: Confidence,
    /// Files read and scanned.
    pub files_scanned: u64,
    /// Bytes in those files.
    pub bytes_scanned: u64,
    /// Files not scanned on purpose (binary, size limit, link not followed).
    pub files_skipped: u64,
    /// Those files with their reasons.
    pub skipped: Vec<Problem>,
    /// Paths that could not be read.
    pub errors: Vec<Problem>,
    /// Files scanned per format (`text`, `csv`, `xlsx`…).
    pub formats: BTreeMap<String, u64>,
    /// Text and CSV files scanned per detected encoding.
    pub encodings: BTreeMap<String, u64>,
    /// Findings per category.
    pub findings_by_category: BTreeMap<Category, u64>,
    /// Findings in total.
    pub findings_total: u64,
}

/// One scanned file in the `json` report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileSummary {
    /// The file.
    pub path: String,
    /// How it was read.
    pub format: &'static str,
    /// For text and CSV, the detected encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// Findings at or above the threshold.
    pub findings: u64,
}

/// Receives scan events and writes a report.
pub struct Collector<W: Write> {
    format: Format,
    out: W,
    info: ScanInfo,
    files: Vec<FileSummary>,
    findings: Vec<Finding>,
    per_file: Vec<(String, BTreeMap<Category, u64>)>,
    by_confidence: BTreeMap<(Category, Confidence), u64>,
}

impl<W: Write> Collector<W> {
    /// A collector writing `format` to `out`.
    pub fn new(format: Format, out: W, info: ScanInfo) -> Self {
        Collector {
            format,
            out,
            info,
            findings: Vec::new(),
            files: Vec::new(),
            per_file: Vec::new(),
            by_confidence: BTreeMap::new(),
        }
    }

    /// Totals so far.
    pub fn info(&self) -> &ScanInfo {
        &self.info
    }

    /// Takes one event; `jsonl` findings are written at once.
    pub fn add(&mut self, event: Event) -> io::Result<()> {
        match event {
            Event::Scanned(r) => {
                for p in &r.problems {
                    let problem = Problem {
                        path: p.path.clone(),
                        reason: p.reason.clone(),
                    };
                    if p.error {
                        self.info.errors.push(problem);
                    } else {
                        self.info.files_skipped += 1;
                        self.info.skipped.push(problem);
                    }
                }
                self.info.files_scanned += 1;
                self.info.bytes_scanned += r.bytes;
                *self.info.formats.entry(r.format.to_string()).or_default() += 1;
                if let Some(e) = &r.encoding {
                    *self.info.encodings.entry(e.clone()).or_default() += 1;
                }
                if self.format == Format::Json {
                    self.files.push(FileSummary {
                        path: r.path.clone(),
                        format: r.format,
                        encoding: r.encoding.clone(),
                        bytes: r.bytes,
                        findings: r.findings.len() as u64,
                    });
                }
                let mut counts = BTreeMap::new();
                for f in &r.findings {
                    *counts.entry(f.category).or_default() += 1;
                    *self
                        .info
                        .findings_by_category
                        .entry(f.category)
                        .or_default() += 1;
                    *self
                        .by_confidence
                        .entry((f.category, f.confidence))
                        .or_default() += 1;
                    self.info.findings_total += 1;
                }
                if !counts.is_empty() {
                    self.per_file.push((r.path, counts));
                }
                match self.format {
                    Format::Jsonl => {
                        for f in &r.findings {
                            json::write_line(&mut self.out, f)?;
                        }
                    }
                    Format::Json => self.findings.extend(r.findings),
                    Format::Text => {}
                }
            }
            Event::Skipped { path, reason } => {
                self.info.files_skipped += 1;
                self.info.skipped.push(Problem { path, reason });
            }
            Event::Error { path, reason } => self.info.errors.push(Problem { path, reason }),
        }
        Ok(())
    }

    /// Writes the report (all of it for `json` and `text`) and returns the
    /// final summary.
    pub fn finish(mut self, finished: String) -> io::Result<ScanInfo> {
        self.info.finished = finished;
        self.info.skipped.sort();
        self.info.errors.sort();
        match self.format {
            Format::Json => {
                self.findings.sort_by(|a, b| {
                    (&a.path, a.location.byte_offset, a.category).cmp(&(
                        &b.path,
                        b.location.byte_offset,
                        b.category,
                    ))
                });
                self.files.sort();
                json::write_document(&mut self.out, &self.info, &self.files, &self.findings)?;
            }
            Format::Text => text::write(
                &mut self.out,
                &self.info,
                &self.per_file,
                &self.by_confidence,
            )?,
            Format::Jsonl => {}
        }
        self.out.flush()?;
        Ok(self.info)
    }
}
