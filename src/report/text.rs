//! The human-readable summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{FolderSummary, Reported, RunSummary, ScanInfo};
use crate::finding::{Category, Confidence};

/// How many files and problems the summary lists.
const TOP: usize = 10;

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `s` padded with spaces to `width` terminal columns (CJK characters take
/// two).
fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn counts(c: &BTreeMap<Category, u64>) -> String {
    c.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the summary with every line made safe for a terminal (names and
/// context come from the scanned files: no escape sequence, bell or
/// bidirectional override reaches the screen).
pub(super) fn write(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    per_file: &[(String, BTreeMap<Category, u64>)],
    by_confidence: &BTreeMap<(Category, Confidence), u64>,
    folders: &[FolderSummary],
    violations: &[Reported],
) -> io::Result<()> {
    let mut text = Vec::new();
    write_raw(
        &mut text,
        info,
        run,
        per_file,
        by_confidence,
        folders,
        violations,
    )?;
    for line in String::from_utf8_lossy(&text).split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        write!(out, "{}{nl}", super::terminal_safe(body))?;
    }
    Ok(())
}

fn write_raw(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    per_file: &[(String, BTreeMap<Category, u64>)],
    by_confidence: &BTreeMap<(Category, Confidence), u64>,
    folders: &[FolderSummary],
    violations: &[Reported],
) -> io::Result<()> {
    writeln!(
        out,
        "Scanned {} files ({}); {} findings at {} confidence or above.",
        info.files_scanned,
        human_bytes(info.bytes_scanned),
        info.findings_total,
        info.min_confidence.id()
    )?;
    if let Some(run) = run {
        writeln!(
            out,
            "Run {} ({}{}): {} files read, {} unchanged, {} removed; {} new findings.",
            run.id,
            run.status,
            run.previous_id
                .map(|p| format!(", compared with run {p}"))
                .unwrap_or_default(),
            run.files_scanned,
            run.files_unchanged,
            run.files_removed,
            run.findings_new
        )?;
    }
    if info.findings_suppressed > 0 {
        writeln!(
            out,
            "{} accepted findings (baseline) are not counted.",
            info.findings_suppressed
        )?;
    }
    if info.findings_total > 0 {
        writeln!(out, "\nFindings by category")?;
        for (cat, n) in &info.findings_by_category {
            let levels = [Confidence::High, Confidence::Medium, Confidence::Low]
                .iter()
                .filter_map(|&c| {
                    by_confidence
                        .get(&(*cat, c))
                        .map(|n| format!("{} {n}", c.id()))
                })
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                out,
                "  {:<18} {:>8}  {}  ({levels})",
                cat.id(),
                n,
                cat.label_ja()
            )?;
        }
        let mut files: Vec<_> = per_file.iter().collect();
        files.sort_by(|a, b| {
            let (na, nb): (u64, u64) = (a.1.values().sum(), b.1.values().sum());
            nb.cmp(&na).then_with(|| a.0.cmp(&b.0))
        });
        writeln!(
            out,
            "\nFiles with the most findings ({} files have findings)",
            files.len()
        )?;
        for (path, c) in files.iter().take(TOP) {
            let n: u64 = c.values().sum();
            writeln!(out, "  {n:>6}  {path}  ({})", counts(c))?;
        }
    }
    let top = super::folders_by_level(folders);
    if !top.is_empty() {
        writeln!(out, "\nFolders by level of personal data")?;
        for f in top.iter().take(TOP) {
            let violations = if f.violations > 0 {
                format!(", {} violations", f.violations)
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {} {:>6} findings in {}/{} files{violations}  {}",
                pad(f.classification.label_ja(), 24),
                f.findings,
                f.files_with_findings,
                f.files,
                f.path
            )?;
        }
    }
    if let Some(policy) = &info.policy {
        writeln!(
            out,
            "\nPolicy {policy}: {} violations",
            info.violations_total
        )?;
        for v in violations {
            let l = &v.location;
            let at = match (&l.sheet, &l.cell, l.line, &l.part) {
                (Some(s), Some(c), _, _) => format!("{s}!{c}"),
                (_, _, Some(line), _) => format!("line {line}"),
                (_, _, _, Some(p)) => format!("{p} ¶{}", l.paragraph.unwrap_or(0)),
                _ => String::new(),
            };
            let reason = v.policy.as_ref().map_or("", |p| p.reason.as_str());
            writeln!(
                out,
                "  {} {at}: {} {} — {reason}",
                v.path, v.category, v.masked
            )?;
        }
    }
    if info.files_skipped > 0 {
        let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &info.skipped {
            *reasons.entry(p.reason.as_str()).or_default() += 1;
        }
        writeln!(out, "\nNot scanned: {} files", info.files_skipped)?;
        for (reason, n) in reasons {
            writeln!(out, "  {n:>6}  {reason}")?;
        }
    }
    if !info.errors.is_empty() {
        writeln!(out, "\nCould not read: {} paths", info.errors.len())?;
        for p in info.errors.iter().take(TOP) {
            writeln!(out, "  {}: {}", p.path, p.reason)?;
        }
        if info.errors.len() > TOP {
            writeln!(
                out,
                "  … and {} more (see --format json)",
                info.errors.len() - TOP
            )?;
        }
    }
    Ok(())
}
