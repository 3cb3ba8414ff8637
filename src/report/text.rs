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

/// `count` and the noun, singular or plural (`1 file`, `2 files`).
pub fn plural(count: u64, one: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("{count} {one}{s}")
}

/// `… and 3 more files`.
fn more(count: usize, one: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("… and {count} more {one}{s}")
}

/// What a line of the summary is, for colouring.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Heading,
    Alert,
    Hint,
}

/// The summary's lines, built before they are escaped and coloured.
#[derive(Default)]
struct Lines(Vec<(Style, String)>);

impl Lines {
    fn push(&mut self, style: Style, line: impl Into<String>) {
        self.0.push((style, line.into()));
    }
    fn plain(&mut self, line: impl Into<String>) {
        self.push(Style::Plain, line);
    }
    fn heading(&mut self, line: impl Into<String>) {
        self.0.push((Style::Plain, String::new()));
        self.push(Style::Heading, line);
    }
}

/// Writes the summary with every line made safe for a terminal (names and
/// context come from the scanned files: no escape sequence, bell or
/// bidirectional override reaches the screen). With `color`, headings are
/// bold, violations red and hints dim (escapes added after the escaping).
#[allow(clippy::too_many_arguments)]
pub(super) fn write(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    per_file: &TopFiles,
    by_confidence: &BTreeMap<(Category, Confidence), u64>,
    folders: &[FolderSummary],
    violations: &[Reported],
    color: bool,
) -> io::Result<()> {
    let mut lines = Lines::default();
    summarize(
        &mut lines,
        info,
        run,
        per_file,
        by_confidence,
        folders,
        violations,
    );
    for (style, line) in &lines.0 {
        let safe = super::terminal_safe(line);
        let code = match style {
            _ if !color || safe.is_empty() => None,
            Style::Plain => None,
            Style::Heading => Some("1"),
            Style::Alert => Some("31"),
            Style::Hint => Some("2"),
        };
        match code {
            Some(code) => writeln!(out, "\x1b[{code}m{safe}\x1b[0m")?,
            None => writeln!(out, "{safe}")?,
        }
    }
    Ok(())
}

/// The files with the most findings, the [`TOP`] of them, and how many
/// files have findings: what the summary lists, kept in bounded memory.
#[derive(Debug, Default)]
pub(super) struct TopFiles {
    /// (findings, path, findings per category), unordered.
    top: Vec<(u64, String, BTreeMap<Category, u64>)>,
    /// Files with findings.
    pub(super) with_findings: u64,
}

impl TopFiles {
    /// Takes a file with findings.
    pub(super) fn add(&mut self, path: &str, counts: BTreeMap<Category, u64>) {
        self.with_findings += 1;
        let count: u64 = counts.values().sum();
        // Most findings first, then by path: the greatest key is the worst.
        if self.top.len() < TOP {
            self.top.push((count, path.to_string(), counts));
            return;
        }
        let worst = (0..self.top.len())
            .max_by(|&a, &b| {
                let (a, b) = (&self.top[a], &self.top[b]);
                (std::cmp::Reverse(a.0), &a.1).cmp(&(std::cmp::Reverse(b.0), &b.1))
            })
            .expect("TOP files held");
        if (std::cmp::Reverse(count), path)
            < (std::cmp::Reverse(self.top[worst].0), &self.top[worst].1[..])
        {
            self.top[worst] = (count, path.to_string(), counts);
        }
    }

    /// The files held, most findings first.
    fn sorted(&self) -> Vec<&(u64, String, BTreeMap<Category, u64>)> {
        let mut files: Vec<_> = self.top.iter().collect();
        files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        files
    }
}

/// How many locations are shown for each file with violations.
const LOCATIONS: usize = 3;

fn summarize(
    out: &mut Lines,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    per_file: &TopFiles,
    by_confidence: &BTreeMap<(Category, Confidence), u64>,
    folders: &[FolderSummary],
    violations: &[Reported],
) {
    out.plain(format!(
        "Scanned {} ({}); {} at {} confidence or above.",
        plural(info.files_scanned, "file"),
        human_bytes(info.bytes_scanned),
        plural(info.findings_total, "finding"),
        info.min_confidence.id()
    ));
    if let Some(run) = run {
        out.plain(format!(
            "Run {} ({}{}): {} read, {} unchanged, {} removed; {}.",
            run.id,
            run.status,
            run.previous_id
                .map(|p| format!(", compared with run {p}"))
                .unwrap_or_default(),
            plural(run.files_scanned, "file"),
            run.files_unchanged,
            run.files_removed,
            plural(run.findings_new, "new finding"),
        ));
    }
    if info.findings_suppressed > 0 {
        out.plain(format!(
            "{} (baseline) {} not counted.",
            plural(info.findings_suppressed, "accepted finding"),
            if info.findings_suppressed == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    if info.findings_total > 0 {
        out.heading("Findings by category");
        for (cat, count) in &info.findings_by_category {
            let levels = [Confidence::High, Confidence::Medium, Confidence::Low]
                .iter()
                .filter_map(|&c| {
                    by_confidence
                        .get(&(*cat, c))
                        .map(|n| format!("{} {n}", c.id()))
                })
                .collect::<Vec<_>>()
                .join(", ");
            out.plain(format!(
                "  {:<18} {:>8}  {}  ({levels})",
                cat.id(),
                count,
                cat.label_ja()
            ));
        }
        out.heading(format!(
            "Files with the most findings ({} with findings)",
            plural(per_file.with_findings, "file")
        ));
        for (count, path, c) in per_file.sorted() {
            out.plain(format!("  {count:>6}  {path}  ({})", counts(c)));
        }
        if per_file.with_findings > TOP as u64 {
            out.push(
                Style::Hint,
                format!("  {}", more(per_file.with_findings as usize - TOP, "file")),
            );
        }
    }
    let top = super::folders_by_level(folders);
    if !top.is_empty() {
        out.heading("Folders by level of personal data");
        for f in top.iter().take(TOP) {
            let violations = if f.violations > 0 {
                format!(", {}", plural(f.violations, "violation"))
            } else {
                String::new()
            };
            out.plain(format!(
                "  {} {:>6} {:<8} in {}/{} files{violations}  {}",
                pad(f.classification.label_ja(), 24),
                f.findings,
                if f.findings == 1 {
                    "finding"
                } else {
                    "findings"
                },
                f.files_with_findings,
                f.files,
                f.path
            ));
        }
        if top.len() > TOP {
            out.push(
                Style::Hint,
                format!("  {}", more(top.len() - TOP, "folder")),
            );
        }
    }
    if let Some(policy) = &info.policy {
        out.heading(format!(
            "Policy {policy}: {}",
            plural(info.violations_total, "violation")
        ));
        // Grouped by file, the file with the most first, a few locations
        // each.
        let mut by_file: BTreeMap<&str, Vec<&Reported>> = BTreeMap::new();
        for v in violations {
            by_file.entry(v.path.as_str()).or_default().push(v);
        }
        let mut files: Vec<(&str, Vec<&Reported>)> = by_file.into_iter().collect();
        files.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
        for (path, list) in files.iter().take(TOP) {
            out.push(
                Style::Alert,
                format!("  {path}: {}", plural(list.len() as u64, "violation")),
            );
            for v in list.iter().take(LOCATIONS) {
                let l = &v.location;
                let at = match (&l.sheet, &l.cell, l.line, &l.part) {
                    (Some(s), Some(c), _, _) => format!("{s}!{c}"),
                    (_, _, Some(line), _) => format!("line {line}"),
                    (_, _, _, Some(p)) => format!("{p} ¶{}", l.paragraph.unwrap_or(0)),
                    _ => String::new(),
                };
                let reason = v.policy.as_ref().map_or("", |p| p.reason.as_str());
                out.plain(format!("    {at}: {} {} — {reason}", v.category, v.masked));
            }
            if list.len() > LOCATIONS {
                out.push(
                    Style::Hint,
                    format!("    … and {} more", list.len() - LOCATIONS),
                );
            }
        }
        if files.len() > TOP {
            out.push(
                Style::Hint,
                format!("  {} with violations", more(files.len() - TOP, "file")),
            );
        }
    }
    if info.files_skipped > 0 {
        out.heading(format!(
            "Not scanned: {}",
            plural(info.files_skipped, "file")
        ));
        for (reason, count) in &info.skipped_by_reason {
            out.plain(format!("  {count:>6}  {reason}"));
        }
    }
    if info.errors_total > 0 {
        out.heading(format!(
            "Could not read: {}",
            plural(info.errors_total, "path")
        ));
        for p in info.errors.iter().take(TOP) {
            out.plain(format!("  {}: {}", p.path, p.reason));
        }
        let shown = info.errors.len().min(TOP) as u64;
        if info.errors_total > shown {
            out.push(
                Style::Hint,
                format!(
                    "  … and {} more (see --format json)",
                    info.errors_total - shown
                ),
            );
        }
    }
    // What to do next.
    if info.findings_total > 0 {
        out.plain("");
        if info.policy.is_none() {
            out.push(
                Style::Hint,
                "Next: run with --policy FILE to see which findings are outside their permitted purposes.",
            );
        } else if info.violations_total > 0 {
            out.push(
                Style::Hint,
                "Next: fix the files with violations first; `-o report.html` lists them with every location.",
            );
        }
        out.push(
            Style::Hint,
            "Every finding: `-o report.html`, `.csv` or `.json` (or `mamori report scan.json --format html`).",
        );
    }
}
