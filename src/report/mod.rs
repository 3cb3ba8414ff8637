//! Reports: the scan summary and findings in `text`, `json`, `jsonl`, `csv`,
//! `sarif` or `html`.
//!
//! A [`Collector`] receives every [`Event`] of a scan on one thread (it owns
//! the output) and writes the chosen format:
//!
//! * `json`: one document, described by the JSON Schema in
//!   `src/report/report.schema.json` ([`SCHEMA`]):
//!   `{schema_version, tool{name, version}, scan{roots, started, finished,
//!   files_scanned, bytes_scanned, files_skipped, skipped[], errors[], …},
//!   findings[…]}`. Findings are sorted by path and position.
//! * `jsonl`: one finding object a line, files in path order (each file's
//!   findings are held on disk until the end, so the order does not depend
//!   on which worker finished first), in bounded memory.
//! * `text`: a summary for people: findings per category, the files with
//!   most findings, the folders by level, every policy violation, and what
//!   could not be read.
//! * `csv`: one finding a row, UTF-8 with BOM, files in path order.
//! * `sarif`: SARIF 2.1.0, one document.
//! * `html`: one self-contained page, one document.

pub mod audit;
mod combine;
mod csv;
mod html;
mod json;
mod reported;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::classify::Level;
use crate::finding::{Category, Confidence};
use crate::scan::Event;

pub use audit::{Audit, Build, FileUsed};
pub use combine::Combiner;
pub use json::SCHEMA;
pub use reported::{
    Counted, FileReport, FindingsReport, Item, Judge, Reported, Status, Suppression, recycle,
};
pub use text::plural;

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
    /// CSV, one finding a row, UTF-8 with a BOM (opens in Japanese Excel).
    Csv,
    /// SARIF 2.1.0.
    Sarif,
    /// One self-contained HTML page.
    Html,
}

impl Format {
    /// Formats that hold every finding until the end (one document).
    fn collects(self) -> bool {
        matches!(self, Format::Json | Format::Html)
    }

    /// Formats whose findings are rendered as each file completes.
    /// Writes files' findings during the scan, in path order, as files
    /// are done ([`Collector::done_before`]): `jsonl` and `csv`, whose
    /// findings are the whole document (after CSV's header).
    pub fn writes_as_done(self) -> bool {
        matches!(self, Format::Jsonl | Format::Csv)
    }

    fn streams(self) -> bool {
        matches!(
            self,
            Format::Jsonl | Format::Csv | Format::Json | Format::Sarif
        )
    }
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
    /// Hash of what decides findings (version, built-in and user
    /// dictionaries, threshold, fingerprint key id): reports with the same
    /// ruleset are comparable, and only those are merged.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ruleset: String,
    /// The fingerprint key's id (a hash of the key, never the key).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_id: String,
    /// With `--shard`: the part of the scan this report holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::scan::Shard>,
    /// Files whose findings the report holds: read in this run, or (with a
    /// store) unchanged since a previous run and recalled.
    pub files_scanned: u64,
    /// Of those and the skipped files, the ones not read again because they
    /// had not changed (with a store).
    pub files_unchanged: u64,
    /// Bytes in those files.
    pub bytes_scanned: u64,
    /// Files not scanned on purpose (binary, size limit, link not followed).
    pub files_skipped: u64,
    /// Those files with their reasons: the first [`LISTED_SKIPPED`] in
    /// path order (a share of a million images lists ten thousand of them;
    /// `files_skipped` and `skipped_by_reason` count all).
    pub skipped: Vec<Problem>,
    /// Skipped files (and archive entries) counted by reason, the reason
    /// without its details (`not text`, `larger than the size limit`).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Paths that could not be read (files, folders, archive entries).
    pub errors_total: u64,
    /// Those paths with their reasons: the first [`LISTED_ERRORS`] in path
    /// order, and every root among them (`errors_total` counts all).
    pub errors: Vec<Problem>,
    /// Files scanned per format (`text`, `csv`, `xlsx`…).
    pub formats: BTreeMap<String, u64>,
    /// Text and CSV files scanned per detected encoding.
    pub encodings: BTreeMap<String, u64>,
    /// Findings per category.
    pub findings_by_category: BTreeMap<Category, u64>,
    /// Findings in total (not counting accepted ones).
    pub findings_total: u64,
    /// Findings a baseline accepts: reported, marked `suppressed`, counted
    /// only here.
    pub findings_suppressed: u64,
    /// With a store: findings not in the previous run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings_new: Option<u64>,
    /// With a policy: its name (or file), and the findings it judged a violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Findings judged a violation by the policy.
    pub violations_total: u64,
    /// How the scan was run: host, user, build, command line, files used,
    /// limits, exclusions ([`Audit`]); set by the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<Audit>,
}

impl ScanInfo {
    /// Values are reported unmasked (`--reveal`).
    pub fn reveal(&self) -> bool {
        self.audit.as_ref().is_some_and(|a| a.reveal)
    }

    fn skip(&mut self, problem: Problem) {
        self.files_skipped += 1;
        *self
            .skipped_by_reason
            .entry(audit::reason_kind(&problem.reason))
            .or_default() += 1;
        self.skipped.push(problem);
        if self.skipped.len() >= 2 * LISTED_SKIPPED {
            self.list_skipped();
        }
    }

    /// Keeps the [`LISTED_SKIPPED`] skipped paths that come first, in
    /// path order.
    fn list_skipped(&mut self) {
        self.skipped.sort_unstable();
        self.skipped.truncate(LISTED_SKIPPED);
    }

    fn error(&mut self, problem: Problem) {
        self.errors_total += 1;
        self.errors.push(problem);
        if self.errors.len() >= 2 * LISTED_ERRORS {
            self.list_errors();
        }
    }

    /// Keeps the [`LISTED_ERRORS`] unreadable paths that come first, in
    /// path order, and the roots among the others (an unreadable root
    /// fails the scan, and says so in the list).
    fn list_errors(&mut self) {
        self.errors.sort_unstable();
        if self.errors.len() > LISTED_ERRORS {
            let roots = &self.roots;
            let mut kept = 0;
            self.errors.retain(|p| {
                kept += 1;
                kept <= LISTED_ERRORS || roots.contains(&p.path)
            });
        }
    }
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
    /// The level of personal data the file holds.
    pub classification: Level,
    /// Findings per category.
    pub counts: BTreeMap<Category, u64>,
    /// Findings the policy judged a violation.
    pub violations: u64,
    /// With a policy: who answers for the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// HTML: where its first violations are ([`place`]), in file order.
    #[serde(skip)]
    pub violation_places: Vec<String>,
}

/// A folder with its files rolled up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FolderSummary {
    /// The folder.
    pub path: String,
    /// The highest level among its files (at any depth).
    pub classification: Level,
    /// Files scanned in it (at any depth).
    pub files: u64,
    /// Of those, files with findings.
    pub files_with_findings: u64,
    /// Findings in it.
    pub findings: u64,
    /// Findings per category.
    pub counts: BTreeMap<Category, u64>,
    /// Violations in it.
    pub violations: u64,
}

/// Folders with findings, most sensitive first (level, then violations,
/// then findings), as the text and HTML summaries list them.
fn folders_by_level(folders: &[FolderSummary]) -> Vec<&FolderSummary> {
    let mut top: Vec<&FolderSummary> = folders.iter().filter(|f| f.findings > 0).collect();
    top.sort_by(|a, b| {
        (b.classification, b.violations, b.findings, &a.path).cmp(&(
            a.classification,
            a.violations,
            a.findings,
            &b.path,
        ))
    });
    top
}

/// The folders `path` lies in, from its scan root down: `share`,
/// `share/人事部`, `share/人事部/名簿` for `share/人事部/名簿/a.csv`.
fn folders_of(path: &str, roots: &[String]) -> Vec<String> {
    let Some(root) = roots
        .iter()
        .filter(|r| path.len() > r.len() && path.starts_with(r.as_str()))
        .max_by_key(|r| r.len())
    else {
        return Vec::new();
    };
    let root = root.trim_end_matches('/');
    let rel = path[root.len()..].trim_start_matches('/');
    let mut out = vec![root.to_string()];
    let parts: Vec<&str> = rel.split('/').collect();
    let mut current = root.to_string();
    for p in &parts[..parts.len().saturating_sub(1)] {
        current = format!("{current}/{p}");
        out.push(current.clone());
    }
    out
}

/// Where a finding is, for people: `Sheet1!C5`, `line 12`, `p.3 line 4`,
/// `slide 2`, `word/document.xml ¶4`; inside an archive or e-mail, the
/// entry first (`名簿.csv: line 3`).
pub fn place(f: &Reported) -> String {
    let l = &f.location;
    let mut at = match (&l.sheet, &l.cell, l.line, &l.part) {
        (Some(s), Some(c), _, _) => format!("{s}!{c}"),
        (_, _, Some(line), _) => match l.page {
            Some(p) => format!("p.{p} line {line}"),
            None => format!("line {line}"),
        },
        (_, _, _, Some(part)) => match (l.slide, l.paragraph) {
            (Some(s), _) => format!("slide {s}"),
            (None, Some(n)) => format!("{part} ¶{n}"),
            (None, None) => part.clone(),
        },
        _ => match l.page {
            Some(p) => format!("p.{p}"),
            None => String::new(),
        },
    };
    if let Some(entry) = f.entry_at.and_then(|i| f.path.get(i..))
        && !entry.is_empty()
    {
        at = if at.is_empty() {
            entry.to_string()
        } else {
            format!("{entry}: {at}")
        };
    }
    at
}

/// The most violation locations the HTML report lists for one file.
const PLACES: usize = 5;

/// Where a file's violations are, in file order, each place once with its
/// count (`line 2 ×3`), the first [`PLACES`] of them, then how many more
/// places there are. Takes a file's findings a part at a time (each part
/// after the one before it in the file), keeping only what it shows.
#[derive(Debug, Default)]
struct Places {
    /// The first places with their counts.
    first: Vec<(String, usize)>,
    /// The place seen last, still counting.
    last: Option<(String, usize)>,
    /// Places seen.
    distinct: usize,
}

impl Places {
    /// Takes the violations among a part of a file's findings.
    fn add(&mut self, findings: &[Reported]) {
        let mut found: Vec<&Reported> = findings.iter().filter(|f| f.is_violation()).collect();
        found.sort_by_key(|f| (f.path.clone(), position(f)));
        for f in found {
            let p = place(f);
            match &mut self.last {
                Some((last, n)) if *last == p => *n += 1,
                _ => {
                    if let Some(done) = self.last.take()
                        && self.first.len() < PLACES
                    {
                        self.first.push(done);
                    }
                    self.distinct += 1;
                    self.last = Some((p, 1));
                }
            }
        }
    }

    /// The places as the report lists them.
    fn into_lines(mut self) -> Vec<String> {
        if let Some(done) = self.last.take()
            && self.first.len() < PLACES
        {
            self.first.push(done);
        }
        let more = self.distinct.saturating_sub(PLACES);
        let mut out: Vec<String> = self
            .first
            .into_iter()
            .map(|(p, n)| if n > 1 { format!("{p} ×{n}") } else { p })
            .collect();
        if more > 0 {
            out.push(format!(
                "… and {more} more {}",
                if more == 1 { "place" } else { "places" }
            ));
        }
        out
    }
}

/// `s` made safe to print on a terminal: control characters (ESC, BEL…),
/// and the bidirectional overrides that reorder what is shown, are written
/// as `\u{..}` escapes.
pub fn terminal_safe(s: &str) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || crate::finding::escaped_byte(c).is_some()
    };
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if let Some(b) = crate::finding::escaped_byte(c) {
                // A file name's byte that is not UTF-8.
                format!("\\x{b:02x}")
            } else if unsafe_char(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A run of a store, as the report shows it (the `run` object).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// The run's id in the store.
    pub id: i64,
    /// The previous complete run over the same roots, which `status` is
    /// relative to.
    pub previous_id: Option<i64>,
    /// `complete` or `interrupted`.
    pub status: String,
    /// The store.
    pub store: String,
    /// Files read in this run.
    pub files_scanned: u64,
    /// Files not read because they had not changed since they were recorded.
    pub files_unchanged: u64,
    /// Files deliberately not read (binary, size limit…), unchanged ones included.
    pub files_skipped: u64,
    /// Paths that could not be read.
    pub files_unreadable: u64,
    /// Files recorded by the previous runs that are gone.
    pub files_removed: u64,
    /// Findings not in the previous run.
    pub findings_new: u64,
    /// Hash of what decides findings (version, dictionaries, threshold, key).
    pub ruleset: String,
}

/// One file's findings rendered for the report: JSON lines (`jsonl`, and
/// the findings of `json`) or CSV rows.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    bytes: Vec<u8>,
    /// The length before compression, when `bytes` are LZ4-compressed.
    unpacked: Option<usize>,
}

impl Rendered {
    /// The block as rendered (unpacked if it was packed).
    fn unpacked(&self) -> io::Result<std::borrow::Cow<'_, [u8]>> {
        match self.unpacked {
            None => Ok(std::borrow::Cow::Borrowed(&self.bytes)),
            Some(len) => lz4_flex::block::decompress(&self.bytes, len)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    /// Compresses the block (LZ4) for a collector whose spill compresses
    /// ([`Collector::packing`]), on the worker that rendered it, so that the
    /// collector only copies bytes.
    pub fn pack(&mut self) {
        if self.unpacked.is_none() && !self.bytes.is_empty() {
            let packed = lz4_flex::block::compress(&self.bytes);
            self.unpacked = Some(self.bytes.len());
            self.bytes = packed;
        }
    }
}

/// Renders the findings of a scanned file for `format`, where the format
/// streams them (`jsonl`, `csv`, `json`); `None` for other items and
/// formats. Call it on the thread that scanned the file: rendering is most
/// of the work of writing a dense report.
/// `info` is the scan's: SARIF locates files relative to its roots, and
/// with `--reveal` the value is called `value`, not `masked`.
pub fn render(format: Format, item: &Item, info: &ScanInfo) -> io::Result<Option<Rendered>> {
    match item {
        Item::File(r) => render_findings(format, &r.findings, info),
        Item::Findings(r) => render_findings(format, &r.findings, info),
        _ => Ok(None),
    }
}

/// After [`render`] of a jsonl or csv report: counts the item's findings
/// and frees them on the calling thread, the worker that allocated them,
/// so that the collector (which takes files one at a time) neither walks
/// nor frees them; violations are kept whole for the summary. Only for
/// formats whose collector reads no more of a rendered finding than its
/// counts (not SARIF, which lists each rule, nor the formats that render at
/// the end).
pub fn condense(item: &mut Item) {
    let (findings, counted) = match item {
        Item::File(r) => (&mut r.findings, &mut r.counted),
        Item::Findings(r) => (&mut r.findings, &mut r.counted),
        _ => return,
    };
    findings.retain(|f| {
        if f.is_violation() {
            return true;
        }
        counted.add(f);
        false
    });
}

thread_local! {
    /// Buffers of rendered findings this thread wrote out, none over 1 MiB:
    /// a part's rendering is a few hundred kilobytes, nearly always written
    /// out by the worker that rendered it.
    static SPARE_BYTES: crate::spare::Spares<u8> = const { crate::spare::Spares::new(1 << 20) };
}

fn render_findings(
    format: Format,
    findings: &[Reported],
    info: &ScanInfo,
) -> io::Result<Option<Rendered>> {
    if !format.streams() {
        return Ok(None);
    }
    let reveal = info.reveal();
    let mut out = SPARE_BYTES.with(|s| s.take(findings.len() * 384));
    for f in findings {
        match format {
            Format::Csv => csv::write_row(&mut out, f)?,
            Format::Sarif => sarif::write_result(&mut out, f, &info.roots)?,
            _ => json::write_line(&mut out, f, reveal)?,
        }
    }
    Ok(Some(Rendered {
        bytes: out,
        unpacked: None,
    }))
}

/// The most findings the HTML report embeds, and the most violations any
/// report lists: the most important ones (violations, then confidence,
/// then classification level of the category), files in path order among
/// equals. Counts always cover every finding; the full list is in the
/// `json`, `jsonl`, `csv` and `sarif` formats.
pub const LISTED_FINDINGS: usize = 10_000;

/// The most skipped paths a report lists ([`ScanInfo::skipped`]).
pub const LISTED_SKIPPED: usize = 10_000;

/// Appends a rendered block to a spill as it is stored (compressed or not).
fn spill_rendered(spill: &mut json::Spill, path: &str, r: &Rendered) -> io::Result<()> {
    match r.unpacked {
        Some(len) => spill.add_stored(path, &r.bytes, Some(len)),
        None => spill.add(path, &r.bytes),
    }
}

/// The most bytes of findings a streaming report keeps for files not
/// known done before it writes them to its spill instead.
const PENDING_LIMIT: usize = 16 << 20;

/// How many unreadable paths a report lists (it counts them all).
pub const LISTED_ERRORS: usize = 10_000;

/// Keeps the [`LISTED_FINDINGS`] most important findings seen, in bounded
/// memory.
#[derive(Default)]
struct Top {
    heap: std::collections::BinaryHeap<Ranked>,
}

/// A finding ordered by importance: the greatest is the least important
/// (the heap's top is the first to go).
struct Ranked(Reported);

impl Ranked {
    fn key(&self) -> impl Ord + '_ {
        let f = &self.0;
        let l = &f.location;
        (
            std::cmp::Reverse((
                f.is_violation(),
                f.confidence,
                crate::classify::Level::of(f.category),
            )),
            (&f.path, &l.sheet, &l.part, l.row, l.line, l.paragraph),
            (l.byte_offset, l.column, f.category),
        )
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Top {
    fn push(&mut self, f: Reported) {
        let f = Ranked(f);
        if self.heap.len() < LISTED_FINDINGS {
            self.heap.push(f);
        } else if self.heap.peek().is_some_and(|worst| f < *worst) {
            self.heap.pop();
            self.heap.push(f);
        }
    }

    fn into_vec(self) -> Vec<Reported> {
        self.heap.into_iter().map(|r| r.0).collect()
    }
}

/// A finding's position in its file, for sorting findings in file order.
fn position(f: &Reported) -> impl Ord + use<> {
    let l = &f.location;
    // A cell's column (`AB` of `AB12`) as a number: B2 before H2.
    let cell_column = l.cell.as_deref().map(|c| {
        c.bytes()
            .take_while(u8::is_ascii_alphabetic)
            .fold(0u32, |n, b| {
                n.saturating_mul(26)
                    .saturating_add(u32::from(b.to_ascii_uppercase() - b'A' + 1))
            })
    });
    (
        l.sheet.clone(),
        l.part.clone(),
        l.page,
        l.row,
        cell_column,
        l.line,
        l.paragraph,
        l.byte_offset,
        l.column,
        f.category,
    )
}

/// What a report counts of one file.
#[derive(Debug, Default)]
struct Tally {
    /// Findings per category (not counting accepted ones).
    counts: BTreeMap<Category, u64>,
    /// Violations.
    violations: u64,
    /// Findings not accepted.
    found: u64,
    /// HTML: where its violations are.
    places: Places,
}

/// Receives scan events and writes a report.
pub struct Collector<W: Write> {
    format: Format,
    out: W,
    info: ScanInfo,
    run: Option<RunSummary>,
    /// HTML: what it shows of the files.
    files: html::FileRanks,
    /// JSON: every file's summary, as the document writes it.
    file_spill: Option<json::Spill>,
    /// Text: the files with the most findings.
    per_file: text::TopFiles,
    by_confidence: BTreeMap<(Category, Confidence), u64>,
    folders: BTreeMap<String, FolderSummary>,
    /// HTML: the findings it embeds.
    top: Top,
    violations: Top,
    spill: Option<json::Spill>,
    /// `jsonl`, `csv`: blocks of files not known done yet, by path, while
    /// the report streams (see [`Collector::done_before`]).
    pending: BTreeMap<String, Vec<Rendered>>,
    pending_bytes: usize,
    /// [`PENDING_LIMIT`] (less in tests).
    pending_limit: usize,
    /// The path before which every file is written; blocks of this path
    /// itself are written as they come.
    written_before: Option<String>,
    /// The report is written in path order as files are done; false once
    /// the pending blocks outgrew [`PENDING_LIMIT`] after files were known
    /// done, and from then on they go to the spill, which is copied in
    /// after them at the end. (Before that, while the listing goes on,
    /// what outgrows the limit goes to the spill too, and is merged in
    /// from `early` as files are known done.)
    streaming: bool,
    /// What was spilled while the listing went on, in path order.
    early: Option<json::Sorted>,
    /// Set when the findings' spill compresses: see [`Collector::packing`].
    packing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Files whose findings are coming in parts, with what was counted of
    /// them so far.
    open: std::collections::HashMap<String, Tally>,
    /// SARIF: every rule id seen, with its category.
    rules: BTreeMap<String, Category>,
    started_output: bool,
    /// Text: colour the summary (a terminal that wants colour).
    color: bool,
}

impl<W: Write> Collector<W> {
    /// A collector writing `format` to `out`.
    pub fn new(format: Format, out: W, info: ScanInfo) -> Self {
        Collector {
            format,
            out,
            info,
            run: None,
            files: Default::default(),
            file_spill: None,
            per_file: Default::default(),
            by_confidence: BTreeMap::new(),
            folders: BTreeMap::new(),
            top: Top::default(),
            violations: Top::default(),
            spill: None,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            pending_limit: PENDING_LIMIT,
            written_before: None,
            streaming: format.writes_as_done(),
            early: None,
            packing: Default::default(),
            open: Default::default(),
            rules: BTreeMap::new(),
            started_output: false,
            color: false,
        }
    }

    /// Colours the text summary (for a terminal; see `--color`).
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// Moves the blocks waiting in memory to the spill.
    fn spill_pending(&mut self) -> io::Result<()> {
        let spill = match &mut self.spill {
            Some(spill) => spill,
            None => self
                .spill
                .insert(json::Spill::packing_with(self.packing.clone())?),
        };
        for (path, blocks) in std::mem::take(&mut self.pending) {
            for r in &blocks {
                spill_rendered(spill, &path, r)?;
            }
        }
        self.pending_bytes = 0;
        Ok(())
    }

    /// Once files are known done, or at the end: what was spilled while the
    /// listing went on is merged in from `early`, unless its index outgrew
    /// memory; then streaming stops and all goes through the spill.
    fn merge_early_spill(&mut self) -> io::Result<()> {
        match self.spill.take() {
            Some(spill) if spill.index_in_memory() => self.early = Some(spill.into_sorted()?),
            Some(spill) => {
                self.spill = Some(spill);
                self.stop_streaming()?;
            }
            None => {}
        }
        Ok(())
    }

    /// From now on every block goes to the spill, copied in after what was
    /// written at the end: first what the spill of the listing's time
    /// still holds, then what waits in memory, in the order they came.
    fn stop_streaming(&mut self) -> io::Result<()> {
        if let Some(mut early) = self.early.take() {
            let spill = self
                .spill
                .insert(json::Spill::packing_with(self.packing.clone())?);
            let mut block = Vec::new();
            while let Some(path) = early.next_path().map(str::to_string) {
                early.take(&mut block)?;
                spill.add(&path, &block)?;
            }
        }
        self.spill_pending()?;
        self.streaming = false;
        Ok(())
    }

    /// Writes what waits, on disk and in memory, for paths up to `last`
    /// (all of it with `None`), in path order; for one path, what went to
    /// disk first.
    fn write_waiting(&mut self, last: Option<&str>) -> io::Result<()> {
        let within = |path: &str| last.is_none_or(|last| path <= last);
        let mut block = Vec::new();
        loop {
            let on_disk = self.early.as_ref().and_then(|e| e.next_path());
            let in_memory = self.pending.keys().next().map(String::as_str);
            let from_disk = match (on_disk, in_memory) {
                (Some(d), Some(m)) => d <= m,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return Ok(()),
            };
            if from_disk {
                if !on_disk.is_some_and(within) {
                    return Ok(());
                }
                if let Some(early) = &mut self.early {
                    early.take(&mut block)?;
                }
                self.out.write_all(&block)?;
            } else {
                if !in_memory.is_some_and(within) {
                    return Ok(());
                }
                if let Some((_, blocks)) = self.pending.pop_first() {
                    for r in blocks {
                        self.pending_bytes -= r.bytes.capacity();
                        self.out.write_all(&r.unpacked()?)?;
                        SPARE_BYTES.with(|s| s.keep(r.bytes));
                    }
                }
            }
        }
    }

    /// Every file whose path sorts before `before` is done (it has had all
    /// its items): `jsonl` and `csv` write those files' findings now, and
    /// the findings of `before` itself as they come, instead of keeping
    /// them for the end. The report is the same; only less is left to
    /// write when the scan ends. See [`crate::Scanner::run_in_order`];
    /// calls that come out of order (a lesser path after a greater) are
    /// ignored.
    pub fn done_before(&mut self, before: &str) -> io::Result<()> {
        if !self.streaming || self.written_before.as_deref() >= Some(before) {
            return Ok(());
        }
        self.start_output()?;
        if self.written_before.is_none() {
            self.merge_early_spill()?;
            if !self.streaming {
                return Ok(());
            }
        }
        // Up to `before` itself: what came of it so far; the rest is
        // written as it comes.
        self.write_waiting(Some(before))?;
        self.written_before = Some(before.to_string());
        Ok(())
    }

    /// Sets `packing` once the collector keeps findings compressed: from
    /// then on, blocks [`render`]ed on other threads are best given
    /// [`Rendered::pack`]ed, which spares the collector's thread the work.
    pub fn with_packing(mut self, packing: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.packing = packing;
        self
    }

    /// Counts unreadable paths that another report counted but did not
    /// list (it lists the first [`LISTED_ERRORS`]): what a merge of shard
    /// reports adds for each.
    pub fn count_unlisted_errors(&mut self, n: u64) {
        self.info.errors_total += n;
    }

    /// Counts skipped files that another report counted but did not list
    /// (it lists the first [`LISTED_SKIPPED`]), by reason kind: what a
    /// merge of shard reports adds for each.
    pub fn count_unlisted_skips(&mut self, by_kind: &BTreeMap<String, u64>) {
        for (kind, &n) in by_kind.iter().filter(|(_, n)| **n > 0) {
            self.info.files_skipped += n;
            *self.info.skipped_by_reason.entry(kind.clone()).or_default() += n;
        }
    }

    /// Totals so far.
    pub fn info(&self) -> &ScanInfo {
        &self.info
    }

    fn start_output(&mut self) -> io::Result<()> {
        if !self.started_output {
            self.started_output = true;
            match self.format {
                Format::Csv => csv::write_header(&mut self.out, self.info.reveal())?,
                Format::Json => {
                    self.spill = Some(json::Spill::packing_with(self.packing.clone())?);
                    self.file_spill = Some(json::Spill::new()?);
                }
                Format::Sarif => {
                    self.spill = Some(json::Spill::packing_with(self.packing.clone())?)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The store's run, shown in the report (set before [`Collector::finish`]).
    pub fn set_run(&mut self, run: RunSummary) {
        self.run = Some(run);
    }

    /// Sets the roots and start time shown (a report replayed from a store).
    pub fn set_times(&mut self, roots: &[String], started: &str, finished: Option<&str>) {
        self.info.roots = roots.to_vec();
        self.info.started = started.to_string();
        if let Some(f) = finished {
            self.info.finished = f.to_string();
        }
    }

    /// Records what the walk left out on purpose, by reason (known once the
    /// scan has ended), in the report's audit.
    pub fn set_excluded(&mut self, excluded: BTreeMap<String, u64>) {
        if let Some(a) = &mut self.info.audit {
            a.excluded = excluded;
        }
    }

    /// Sets the confidence threshold shown (a report replayed from a store).
    pub fn set_min_confidence(&mut self, min: Confidence) {
        self.info.min_confidence = min;
    }

    /// Takes one event, without verdicts; `jsonl` and `csv` findings are
    /// written at once.
    pub fn add(&mut self, event: Event) -> io::Result<()> {
        self.add_item(Item::from(event), None)
    }

    /// Takes one judged item ([`Judge::item`]), its findings already
    /// rendered by [`render`] (on the worker that found them, so the
    /// collector's thread only copies bytes); `None` renders them here.
    pub fn add_item(&mut self, item: Item, rendered: Option<Rendered>) -> io::Result<()> {
        self.start_output()?;
        match item {
            Item::Findings(part) => {
                let mut tally = self.open.remove(&part.path).unwrap_or_default();
                self.tally(&mut tally, &part.findings, &part.counted);
                self.output(&part.path, part.findings, rendered)?;
                self.open.insert(part.path, tally);
            }
            Item::File(r) => {
                for p in &r.problems {
                    let problem = Problem {
                        path: p.path.clone(),
                        reason: p.reason.clone(),
                    };
                    if p.error {
                        self.info.error(problem);
                    } else {
                        self.info.skip(problem);
                    }
                }
                self.info.files_scanned += 1;
                self.info.files_unchanged += u64::from(r.unchanged);
                self.info.bytes_scanned += r.bytes;
                *self.info.formats.entry(r.format.to_string()).or_default() += 1;
                if let Some(e) = &r.encoding {
                    *self.info.encodings.entry(e.clone()).or_default() += 1;
                }
                let mut tally = self.open.remove(&r.path).unwrap_or_default();
                self.tally(&mut tally, &r.findings, &r.counted);
                let Tally {
                    counts,
                    violations,
                    found,
                    places,
                } = tally;
                let level = Level::of_counts(&counts);
                for folder in folders_of(&r.path, &self.info.roots) {
                    let s = self
                        .folders
                        .entry(folder.clone())
                        .or_insert_with(|| FolderSummary {
                            path: folder,
                            ..FolderSummary::default()
                        });
                    s.files += 1;
                    s.files_with_findings += u64::from(found > 0);
                    s.findings += found;
                    s.violations += violations;
                    s.classification = s.classification.max(level);
                    for (c, n) in &counts {
                        *s.counts.entry(*c).or_default() += n;
                    }
                }
                if self.format.collects() {
                    let summary = FileSummary {
                        path: r.path.clone(),
                        format: r.format,
                        encoding: r.encoding.clone(),
                        bytes: r.bytes,
                        findings: found,
                        classification: level,
                        counts: counts.clone(),
                        violations,
                        owner: r.owner.clone(),
                        violation_places: places.into_lines(),
                    };
                    match &mut self.file_spill {
                        Some(spill) => spill.add(&r.path, &json::file_element(&summary)?)?,
                        None => self.files.add(summary),
                    }
                }
                if self.format == Format::Text && !counts.is_empty() {
                    self.per_file.add(&r.path, counts);
                }
                self.output(&r.path, r.findings, rendered)?;
            }
            Item::Skipped {
                path,
                reason,
                unchanged,
                ..
            } => {
                self.info.files_unchanged += u64::from(unchanged);
                self.info.skip(Problem { path, reason });
            }
            Item::Error { path, reason } => self.info.error(Problem { path, reason }),
        }
        Ok(())
    }

    /// Counts a file's findings (or a part of them) into the run's totals
    /// and the file's. They are counted per category and confidence in an
    /// array first, then added to the maps once per pair (every file passes
    /// here one at a time).
    fn tally(&mut self, tally: &mut Tally, findings: &[Reported], counted: &Counted) {
        const CONFIDENCES: [Confidence; 3] =
            [Confidence::Low, Confidence::Medium, Confidence::High];
        // Findings condensed on the worker come counted; the rest are
        // counted here the same way (Counted::add).
        let mut counted = *counted;
        let mut violations = false;
        for f in findings {
            counted.add(f);
            if f.suppressed.is_some() {
                continue;
            }
            if self.format == Format::Sarif && !self.rules.contains_key(&f.rule) {
                self.rules.insert(f.rule.clone(), f.category);
            }
            if f.is_violation() {
                violations = true;
                tally.violations += 1;
                self.info.violations_total += 1;
                self.violations.push(f.clone());
            }
        }
        self.info.findings_suppressed += counted.suppressed;
        if counted.new > 0 {
            *self.info.findings_new.get_or_insert(0) += counted.new;
        }
        let by_pair = counted.by_pair;
        for (&category, counts) in Category::ALL.iter().zip(&by_pair) {
            let n: u64 = counts.iter().sum();
            if n == 0 {
                continue;
            }
            *tally.counts.entry(category).or_default() += n;
            *self.info.findings_by_category.entry(category).or_default() += n;
            self.info.findings_total += n;
            tally.found += n;
            for (&confidence, &k) in CONFIDENCES.iter().zip(counts) {
                if k > 0 {
                    *self
                        .by_confidence
                        .entry((category, confidence))
                        .or_default() += k;
                }
            }
        }
        if self.format == Format::Html && violations {
            tally.places.add(findings);
        }
    }

    /// Writes or keeps a file's findings (or a part of them), rendered by
    /// [`render`] or here.
    fn output(
        &mut self,
        path: &str,
        findings: Vec<Reported>,
        rendered: Option<Rendered>,
    ) -> io::Result<()> {
        let rendered = match rendered {
            Some(rendered) => Some(rendered),
            None => render_findings(self.format, &findings, &self.info)?,
        };
        match (self.format, rendered) {
            (Format::Html, _) => {
                for f in findings {
                    self.top.push(f);
                }
            }
            (_, Some(r)) if self.streaming => {
                if self.written_before.as_deref() == Some(path) {
                    // The least file not done: nothing before it is left.
                    self.out.write_all(&r.unpacked()?)?;
                    SPARE_BYTES.with(|s| s.keep(r.bytes));
                    return Ok(());
                }
                self.pending_bytes += r.bytes.capacity();
                self.pending.entry(path.to_string()).or_default().push(r);
                if self.pending_bytes > self.pending_limit {
                    if self.written_before.is_none() {
                        // The listing goes on (nothing is known done yet):
                        // what waits goes to the spill, to be merged in
                        // when files are known done.
                        self.spill_pending()?;
                    } else {
                        // Files done out of order (one large file read
                        // while many small ones finish): the rest goes to
                        // the spill, in path order at the end.
                        self.stop_streaming()?;
                    }
                }
            }
            // Only the formats that stream render, and each has a spill
            // (jsonl and csv once they stopped streaming).
            (_, Some(r)) => {
                if let Some(spill) = &mut self.spill {
                    spill_rendered(spill, path, &r)?;
                }
            }
            (_, None) => {}
        }
        Ok(())
    }

    /// Writes the report (all of it for `json` and `text`) and returns the
    /// final summary.
    pub fn finish(mut self, finished: String) -> io::Result<ScanInfo> {
        self.start_output()?;
        if self.streaming {
            // A spill left while streaming is from the listing's time (no
            // one said what is done).
            self.merge_early_spill()?;
        }
        if self.streaming {
            self.write_waiting(None)?;
        }
        self.info.finished = finished;
        self.info.list_skipped();
        self.info.list_errors();
        let key = |f: &Reported| (f.path.clone(), position(f));
        let mut violations = self.violations.into_vec();
        violations.sort_by_key(key);
        let folders: Vec<FolderSummary> = self.folders.into_values().collect();
        let mut findings = self.top.into_vec();
        match self.format {
            Format::Json | Format::Sarif | Format::Html => {
                findings.sort_by_key(key);
                match self.format {
                    Format::Json => json::write_document(
                        &mut self.out,
                        &self.info,
                        self.run.as_ref(),
                        self.file_spill.take().map_or_else(json::Spill::new, Ok)?,
                        &folders,
                        self.spill.take().map_or_else(json::Spill::new, Ok)?,
                    )?,
                    Format::Sarif => sarif::write_document(
                        &mut self.out,
                        &self.info,
                        self.run.as_ref(),
                        &self.rules,
                        self.spill.take().map_or_else(json::Spill::new, Ok)?,
                    )?,
                    _ => html::write_document(
                        &mut self.out,
                        &self.info,
                        self.run.as_ref(),
                        &self.files,
                        &folders,
                        &findings,
                        &violations,
                    )?,
                }
            }
            Format::Text => text::write(
                &mut self.out,
                &self.info,
                self.run.as_ref(),
                &self.per_file,
                &self.by_confidence,
                &folders,
                &violations,
                self.color,
            )?,
            Format::Jsonl | Format::Csv => {
                if let Some(spill) = self.spill.take() {
                    spill.drain(&mut self.out)?;
                }
            }
        }
        self.out.flush()?;
        Ok(self.info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_roll_up_from_the_root() {
        let roots = vec!["share".to_string()];
        assert_eq!(
            folders_of("share/人事部/名簿/a.csv", &roots),
            ["share", "share/人事部", "share/人事部/名簿"]
        );
        assert_eq!(folders_of("share/a.csv", &roots), ["share"]);
        assert!(folders_of("other/a.csv", &roots).is_empty());
    }

    fn violation(path: &str, location: crate::finding::Location) -> Reported {
        let mut r = Reported::from(crate::Finding {
            path: path.into(),
            category: Category::MyNumber,
            confidence: Confidence::High,
            rule: "my_number.keyword".into(),
            location,
            masked: "****".into(),
            fingerprint: String::new(),
            context: String::new(),
        });
        r.policy = Some(crate::policy::Verdict {
            verdict: crate::policy::VerdictKind::Violation,
            purpose: None,
            owner: None,
            reason: String::new(),
        });
        r
    }

    #[test]
    fn violation_places_are_in_sheet_order_each_once_with_a_count() {
        let cell = |c: &str, row: u64| crate::finding::Location {
            sheet: Some("採用".into()),
            cell: Some(c.into()),
            row: Some(row),
            column: 1,
            ..Default::default()
        };
        let line = |n: u64| crate::finding::Location {
            line: Some(n),
            column: 1,
            ..Default::default()
        };
        let book = [
            violation("a.xlsx", cell("H2", 2)),
            violation("a.xlsx", cell("AA1", 1)),
            violation("a.xlsx", cell("B2", 2)),
        ];
        let places_of = |findings: &[Reported]| {
            let mut p = Places::default();
            p.add(findings);
            p.into_lines()
        };
        assert_eq!(places_of(&book), ["採用!AA1", "採用!B2", "採用!H2"]);
        let text: Vec<Reported> = [2, 2, 2, 3, 5, 7, 8, 9]
            .into_iter()
            .map(|n| violation("a.txt", line(n)))
            .collect();
        assert_eq!(
            places_of(&text),
            [
                "line 2 ×3",
                "line 3",
                "line 5",
                "line 7",
                "line 8",
                "… and 1 more place"
            ]
        );
        // A file's findings in parts: the same places, a place's count
        // carried over from one part to the next.
        for at in 0..=text.len() {
            let mut p = Places::default();
            p.add(&text[..at]);
            p.add(&text[at..]);
            assert_eq!(p.into_lines(), places_of(&text), "split at {at}");
        }
        // Inside an archive, the entry comes first.
        let mut inner = violation("b.zip!名簿.csv", line(4));
        inner.entry_at = Some(6);
        assert_eq!(place(&inner), "名簿.csv: line 4");
    }

    #[test]
    fn a_file_reported_in_parts_reads_as_the_file_reported_whole() {
        let line = |n: u64| crate::finding::Location {
            line: Some(n),
            column: 1,
            ..Default::default()
        };
        let findings: Vec<Reported> = (1..=7)
            .map(|n| {
                let mut f = violation("share/a.txt", line(n / 2 + 1));
                if n % 3 == 0 {
                    f.policy = None;
                }
                f
            })
            .collect();
        let file = |findings: Vec<Reported>| {
            Item::File(FileReport {
                path: "share/a.txt".into(),
                bytes: 100,
                format: "text",
                findings,
                ..Default::default()
            })
        };
        let other = || {
            Item::File(FileReport {
                path: "share/b.txt".into(),
                bytes: 10,
                format: "text",
                findings: vec![violation("share/b.txt", line(1))],
                ..Default::default()
            })
        };
        let info = || ScanInfo {
            roots: vec!["share".into()],
            ..Default::default()
        };
        for format in [
            Format::Json,
            Format::Jsonl,
            Format::Csv,
            Format::Sarif,
            Format::Html,
            Format::Text,
        ] {
            let report = |items: Vec<Item>| {
                let mut out = Vec::new();
                let mut c = Collector::new(format, &mut out, info());
                for item in items {
                    c.add_item(item, None).unwrap();
                }
                let info = c.finish("end".into()).unwrap();
                (String::from_utf8(out).unwrap(), info)
            };
            let part = |r: std::ops::Range<usize>| {
                Item::Findings(FindingsReport {
                    path: "share/a.txt".into(),
                    findings: findings[r].to_vec(),
                    ..Default::default()
                })
            };
            let (a, ia) = report(vec![other(), file(findings.clone())]);
            // Parts of a.txt, with another file between them.
            let (b, ib) = report(vec![
                part(0..3),
                other(),
                part(3..5),
                file(findings[5..].to_vec()),
            ]);
            assert_eq!(a, b, "{format:?}");
            // Rendered on the scanning threads, some blocks compressed
            // there (as once a dense scan's spill compresses).
            let mut out = Vec::new();
            let mut c = Collector::new(format, &mut out, info());
            for (i, item) in [other(), part(0..3), file(findings[3..].to_vec())]
                .into_iter()
                .enumerate()
            {
                let mut rendered = render(format, &item, &info()).unwrap();
                if i != 1
                    && let Some(r) = &mut rendered
                {
                    r.pack();
                    assert!(r.unpacked.is_some());
                }
                c.add_item(item, rendered).unwrap();
            }
            c.finish("end".into()).unwrap();
            assert_eq!(a, String::from_utf8(out).unwrap(), "{format:?}");
            assert_eq!(ia.findings_total, 8, "{format:?}");
            assert_eq!(
                (
                    ia.findings_total,
                    ia.violations_total,
                    &ia.findings_by_category
                ),
                (
                    ib.findings_total,
                    ib.violations_total,
                    &ib.findings_by_category
                )
            );
        }
    }

    #[test]
    fn a_report_lists_the_first_unreadable_paths_and_the_roots_and_counts_them_all() {
        let n = 2 * LISTED_ERRORS + 77;
        let mut out = Vec::new();
        let info = ScanInfo {
            roots: vec!["share".into(), "zz-root".into()],
            ..Default::default()
        };
        let mut c = Collector::new(Format::Json, &mut out, info);
        // A root that sorts after every other path, among the errors.
        c.add_item(
            Item::Error {
                path: "zz-root".into(),
                reason: "permission denied".into(),
            },
            None,
        )
        .unwrap();
        // In no order, as workers finish.
        for i in 0..n {
            let k = (i * 7919) % n;
            c.add_item(
                Item::Error {
                    path: format!("share/{k:06}.txt"),
                    reason: "permission denied".into(),
                },
                None,
            )
            .unwrap();
            assert!(c.info().errors.len() < 2 * LISTED_ERRORS + 1);
        }
        let info = c.finish("end".into()).unwrap();
        assert_eq!(info.errors_total, n as u64 + 1);
        let listed: Vec<String> = info.errors.iter().map(|p| p.path.clone()).collect();
        let mut expected: Vec<String> = (0..LISTED_ERRORS)
            .map(|k| format!("share/{k:06}.txt"))
            .collect();
        expected.push("zz-root".into());
        assert_eq!(listed, expected);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["scan"]["errors_total"], n as u64 + 1);
        assert_eq!(
            doc["scan"]["errors"].as_array().unwrap().len(),
            LISTED_ERRORS + 1
        );
        // The text summary counts them all and shows a few.
        let mut text = Vec::new();
        let mut c = Collector::new(Format::Text, &mut text, ScanInfo::default());
        for k in 0..30 {
            c.add_item(
                Item::Error {
                    path: format!("share/{k:02}.txt"),
                    reason: "permission denied".into(),
                },
                None,
            )
            .unwrap();
        }
        c.count_unlisted_errors(1000);
        c.finish("end".into()).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("Could not read: 1030 paths"), "{text}");
        assert!(text.contains("… and 1020 more"), "{text}");
    }

    #[test]
    fn findings_counted_and_freed_on_the_worker_give_the_same_report() {
        // Invented findings of every kind the totals tell apart: categories
        // and confidences, accepted by a baseline, new, and violations.
        let categories = [Category::Phone, Category::PersonName, Category::Health];
        let confidences = [Confidence::Low, Confidence::Medium, Confidence::High];
        let finding = |path: &str, k: u64| {
            let mut r = Reported::from(crate::Finding {
                path: path.into(),
                category: categories[k as usize % 3],
                confidence: confidences[(k / 3) as usize % 3],
                rule: "test.rule".into(),
                location: crate::finding::Location {
                    line: Some(k + 1),
                    column: 1,
                    ..Default::default()
                },
                masked: "＊＊＊".into(),
                fingerprint: format!("{k:032x}"),
                context: "＊＊＊".into(),
            });
            match k % 7 {
                0 => {
                    r.suppressed = Some(Suppression {
                        reason: "accepted".into(),
                        expires: None,
                    })
                }
                1 | 4 => r.status = Some(Status::New),
                2 => r.status = Some(Status::Existing),
                _ => {}
            }
            if k % 5 == 3 {
                r = Reported {
                    status: r.status,
                    ..violation(path, r.location.clone())
                };
            }
            r
        };
        let items = || -> Vec<Item> {
            (0..6)
                .flat_map(|i| {
                    let path = format!("share/f{i}.txt");
                    let findings = |ks: std::ops::Range<u64>| -> Vec<Reported> {
                        ks.map(|k| finding(&path, k)).collect()
                    };
                    [
                        Item::Findings(FindingsReport {
                            path: path.clone(),
                            findings: findings(0..10 * i),
                            ..Default::default()
                        }),
                        Item::File(FileReport {
                            path: path.clone(),
                            bytes: 10,
                            format: "text",
                            findings: findings(10 * i..13 * i + 5),
                            ..Default::default()
                        }),
                    ]
                })
                .collect()
        };
        // The text summary lists no findings: condensed, its items give
        // the same counts and violations.
        for format in [Format::Jsonl, Format::Csv, Format::Json, Format::Text] {
            let report = |condensed: bool| {
                let mut out = Vec::new();
                let mut c = Collector::new(format, &mut out, ScanInfo::default());
                let mut kept = 0;
                for mut item in items() {
                    let rendered = render(format, &item, &ScanInfo::default()).unwrap();
                    if condensed {
                        condense(&mut item);
                    }
                    kept += match &item {
                        Item::File(r) => r.findings.len(),
                        Item::Findings(r) => r.findings.len(),
                        _ => 0,
                    };
                    c.add_item(item, rendered).unwrap();
                }
                let info = c.finish("end".into()).unwrap();
                (
                    String::from_utf8(out).unwrap(),
                    serde_json::to_value(&info).unwrap(),
                    kept,
                )
            };
            let (whole, whole_info, all) = report(false);
            let (condensed, condensed_info, kept) = report(true);
            assert_eq!(condensed, whole, "{format:?}");
            assert_eq!(condensed_info, whole_info, "{format:?}");
            // Only the violations are still held.
            assert!(kept > 0 && kept * 4 < all, "{kept} of {all} kept");
            assert!(whole_info["findings_suppressed"].as_u64().unwrap() > 0);
            assert!(whole_info["findings_new"].as_u64().unwrap() > 0);
            assert!(whole_info["violations_total"].as_u64().unwrap() > 0);
        }
    }

    /// A writer whose bytes can be looked at while a collector holds it.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn files_written_as_they_are_done_give_the_report_written_at_the_end() {
        let line = |n: u64| crate::finding::Location {
            line: Some(n),
            column: 1,
            ..Default::default()
        };
        // Forty files of one to three parts (invented paths).
        let paths: Vec<String> = (0..40)
            .map(|i| format!("share/{:02}/f.txt", (i * 17) % 40))
            .collect();
        let parts = |i: usize| -> Vec<Item> {
            let path = &paths[i];
            let n = 1 + i % 3;
            (0..n)
                .map(|k| {
                    let findings: Vec<Reported> = (0..=k as u64)
                        .map(|j| violation(path, line(10 * k as u64 + j + 1)))
                        .collect();
                    if k + 1 < n {
                        Item::Findings(FindingsReport {
                            path: path.clone(),
                            findings,
                            ..Default::default()
                        })
                    } else {
                        Item::File(FileReport {
                            path: path.clone(),
                            bytes: 10,
                            format: "text",
                            findings,
                            ..Default::default()
                        })
                    }
                })
                .collect()
        };
        for format in [Format::Jsonl, Format::Csv] {
            // `listing`: how many pairs of files are done before the first
            // is known done (the listing went on until then).
            let report = |limit: Option<usize>, listing: usize| {
                let out = Shared::default();
                let mut c = Collector::new(format, out.clone(), ScanInfo::default());
                let Some(limit) = limit else {
                    // Everything at the end.
                    for i in 0..paths.len() {
                        for item in parts(i) {
                            c.add_item(item, None).unwrap();
                        }
                    }
                    c.finish("end".into()).unwrap();
                    return (out.0.take(), 0, false);
                };
                c.pending_limit = limit;
                // Two workers take files in path order; their parts
                // interleave; when a file is done, every file before the
                // least one not done is.
                let mut order: Vec<usize> = (0..paths.len()).collect();
                order.sort_by(|&a, &b| paths[a].cmp(&paths[b]));
                let mut streamed = 0;
                for (k, pair) in order.chunks(2).enumerate() {
                    let (a, b) = (parts(pair[0]), pair.get(1).map(|&i| parts(i)));
                    let mut b = b.unwrap_or_default().into_iter();
                    for item in a {
                        c.add_item(item, None).unwrap();
                        if let Some(item) = b.next() {
                            c.add_item(item, None).unwrap();
                        }
                    }
                    for item in b {
                        c.add_item(item, None).unwrap();
                    }
                    let next = order
                        .iter()
                        .map(|&i| paths[i].as_str())
                        .find(|p| *p > paths[*pair.last().unwrap()].as_str());
                    if let Some(next) = next
                        && k + 1 >= listing
                    {
                        c.done_before(next).unwrap();
                        // A call that comes late changes nothing.
                        c.done_before(&paths[pair[0]]).unwrap();
                    }
                    streamed = streamed.max(out.0.borrow().len());
                }
                let spilled = !c.streaming;
                c.finish("end".into()).unwrap();
                (out.0.take(), streamed, spilled)
            };
            let (whole, _, _) = report(None, 0);
            let same = |got: &[u8]| {
                assert_eq!(
                    String::from_utf8_lossy(got),
                    String::from_utf8_lossy(&whole),
                    "{format:?}"
                )
            };
            // Nearly all of it was written before the end.
            let mostly_before_end = |before_end: usize| {
                assert!(
                    before_end * 10 > whole.len() * 9,
                    "{format:?}: {before_end} of {}",
                    whole.len()
                )
            };
            let (streamed, before_end, spilled) = report(Some(usize::MAX), 0);
            assert!(!spilled, "{format:?}");
            same(&streamed);
            mostly_before_end(before_end);
            // Pending blocks that outgrow the limit go to the spill, and
            // the report is the same.
            let (late, before_end, spilled) = report(Some(200), 0);
            assert!(spilled, "{format:?}");
            same(&late);
            assert!(before_end < whole.len(), "{format:?}");
            // While the listing goes on, what outgrows the limit goes to
            // the spill and is merged in once files are known done: the
            // report still streams.
            let (listed, before_end, spilled) = report(Some(8000), 10);
            assert!(!spilled, "{format:?}");
            same(&listed);
            mostly_before_end(before_end);
            // And when no file is ever known done, all comes out at the end.
            let (never, before_end, _) = report(Some(8000), usize::MAX);
            let head = match format {
                Format::Csv => whole.iter().position(|&b| b == b'\n').unwrap() + 1,
                _ => 0,
            };
            assert_eq!(before_end, head, "{format:?}");
            same(&never);
        }
    }

    #[test]
    fn a_report_lists_the_first_skipped_paths_and_counts_them_all() {
        let n = 2 * LISTED_SKIPPED + 77;
        let mut out = Vec::new();
        let mut c = Collector::new(Format::Json, &mut out, ScanInfo::default());
        // In no order, as workers finish.
        for i in 0..n {
            let k = (i * 7919) % n;
            let reason = if k.is_multiple_of(2) {
                "not text: binary".to_string()
            } else {
                format!("larger than the size limit ({k} > 10 bytes)")
            };
            c.add_item(
                Item::Skipped {
                    path: format!("share/{k:06}.bin"),
                    reason,
                    unchanged: false,
                    file: None,
                },
                None,
            )
            .unwrap();
            assert!(c.info().skipped.len() < 2 * LISTED_SKIPPED);
        }
        let info = c.finish("end".into()).unwrap();
        assert_eq!(info.files_skipped, n as u64);
        assert_eq!(
            info.skipped_by_reason.values().sum::<u64>(),
            n as u64,
            "{:?}",
            info.skipped_by_reason
        );
        let listed: Vec<String> = info.skipped.iter().map(|p| p.path.clone()).collect();
        let first: Vec<String> = (0..LISTED_SKIPPED)
            .map(|k| format!("share/{k:06}.bin"))
            .collect();
        assert_eq!(listed, first);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            doc["scan"]["skipped"].as_array().unwrap().len(),
            LISTED_SKIPPED
        );
    }
}
