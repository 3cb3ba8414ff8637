//! CSV: one finding a row, UTF-8 with a byte order mark so that Japanese
//! Excel opens it as UTF-8, RFC 4180 quoting.

use std::io::{self, Write};

use super::Reported;

const HEADER: &[&str] = &[
    "path",
    "category",
    "confidence",
    "rule",
    "line",
    "column",
    "byte_offset",
    "sheet",
    "cell",
    "row",
    "column_header",
    "part",
    "paragraph",
    "masked",
    "fingerprint",
    "context",
    "verdict",
    "purpose",
    "reason",
    "status",
    "suppressed",
];

/// A cell Excel would not read as a formula: one that starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's rule
/// against CSV injection; file names, headers and context come from the
/// scanned files).
fn neutral(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

fn field(out: &mut impl Write, value: &str, last: bool) -> io::Result<()> {
    let value = &*neutral(value);
    if value.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", value.replace('"', "\"\""))?;
    } else {
        out.write_all(value.as_bytes())?;
    }
    out.write_all(if last { b"\r\n" } else { b"," })
}

/// The header row; with `reveal` the value's column is `value`, not
/// `masked`.
pub(super) fn write_header(out: &mut impl Write, reveal: bool) -> io::Result<()> {
    out.write_all("\u{FEFF}".as_bytes())?;
    for (i, h) in HEADER.iter().enumerate() {
        let h = if reveal && *h == "masked" { "value" } else { h };
        field(out, h, i + 1 == HEADER.len())?;
    }
    Ok(())
}

pub(super) fn write_row(out: &mut impl Write, f: &Reported) -> io::Result<()> {
    let l = &f.location;
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let policy = f.policy.as_ref();
    let values = [
        f.path.clone(),
        f.category.id().to_string(),
        f.confidence.id().to_string(),
        f.rule.clone(),
        opt(l.line),
        l.column.to_string(),
        opt(l.byte_offset),
        l.sheet.clone().unwrap_or_default(),
        l.cell.clone().unwrap_or_default(),
        opt(l.row),
        l.column_header.clone().unwrap_or_default(),
        l.part.clone().unwrap_or_default(),
        opt(l.paragraph),
        f.masked.clone(),
        f.fingerprint.clone(),
        f.context.clone(),
        policy
            .map(|p| match p.verdict {
                crate::policy::VerdictKind::Permitted => "permitted",
                crate::policy::VerdictKind::Violation => "violation",
            })
            .unwrap_or_default()
            .to_string(),
        policy.and_then(|p| p.purpose.clone()).unwrap_or_default(),
        policy.map(|p| p.reason.clone()).unwrap_or_default(),
        match f.status {
            Some(super::Status::New) => "new",
            Some(super::Status::Existing) => "existing",
            None => "",
        }
        .to_string(),
        f.suppressed
            .as_ref()
            .map(|s| s.reason.clone())
            .unwrap_or_default(),
    ];
    for (i, v) in values.iter().enumerate() {
        field(out, v, i + 1 == values.len())?;
    }
    Ok(())
}
