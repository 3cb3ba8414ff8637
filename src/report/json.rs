//! JSON and JSON Lines writers.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileSummary, FolderSummary, SCHEMA_VERSION, ScanInfo};
use crate::finding::Finding;

/// The JSON Schema (draft 2020-12) of the `json` report.
pub const SCHEMA: &str = include_str!("report.schema.json");

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: &'static str,
    tool: Tool,
    scan: &'a ScanInfo,
    files: &'a [FileSummary],
    folders: &'a [FolderSummary],
    findings: &'a [Finding],
}

pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    files: &[FileSummary],
    folders: &[FolderSummary],
    findings: &[Finding],
) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mamori",
            version: env!("CARGO_PKG_VERSION"),
        },
        scan: info,
        files,
        folders,
        findings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

pub(super) fn write_line(out: &mut impl Write, finding: &Finding) -> io::Result<()> {
    serde_json::to_writer(&mut *out, finding)?;
    out.write_all(b"\n")
}
