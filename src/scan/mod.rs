//! The scan: walk → read → detect → findings, in parallel.
//!
//! [`Scanner::run`] walks the roots and reads files on a rayon pool; each
//! file's result is handed to a callback as one [`Event`], so the caller (a
//! report writer, a store) sees whole files and owns its output. A file
//! with more than [`FINDINGS_BATCH`] findings hands them over in parts as
//! they are found ([`Event::Findings`]), so that memory stays bounded
//! whatever one file holds. Findings
//! carry no verdict: a policy judges them where they are reported or stored.
//! With [`ScanConfig::known`], files a previous run recorded and that have
//! not changed since are not read again: their recorded outcome is reused.

pub mod copies;
mod dispatch;

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::detect::DetectorSet;
use crate::detect::columns::TableProfile;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Confidence, Finding};
use crate::mask::{self, Fingerprinter};
use crate::read::{self, ReadOutcome};
use crate::unit::{TableSample, TextUnit};
use crate::walk::{self, FileMeta, WalkItem, WalkOptions};
use encoding_rs::Encoding;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Files and directories to scan.
    pub roots: Vec<PathBuf>,
    /// Walk options (symlinks, excludes, size limit).
    pub walk: WalkOptions,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// Findings below this confidence are dropped.
    pub min_confidence: Confidence,
    /// Archive limits and PDF isolation.
    pub limits: read::archive::Limits,
    /// Report values unmasked (only when the user asked for it).
    pub reveal: bool,
    /// What a previous run recorded (a store): unchanged files are not read.
    pub known: Option<Arc<dyn Known>>,
    /// Stop taking new files when this is set (Ctrl-C): files in progress
    /// finish, the rest are not read.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Give a file whose content an earlier file of the run had (up to
    /// [`copies::MAX_BYTES`]) that file's outcome instead of reading it
    /// again ([`copies`]).
    pub reuse_copies: bool,
    /// Read only the files of this shard (the walk still lists all).
    pub shard: Option<Shard>,
}

/// One of N disjoint parts of a scan, for spreading it over machines.
///
/// A file belongs to shard `1 + h mod N`, where `h` is the 64-bit FNV-1a
/// hash of its path relative to its scan root (UTF-8 bytes, `/` between
/// folders): the same on every platform and in every version, so N workers
/// given the same roots read disjoint sets of files that together cover
/// every file. Files skipped or unreadable at listing are assigned the same
/// way, so each is reported by exactly one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based index, `1..=count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`; `None` unless `1 <= index <= count`.
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (count >= 1 && (1..=count).contains(&index)).then_some(Shard { index, count })
    }

    /// The shard (1-based) a root-relative path belongs to among `count`.
    pub fn of(relative: &str, count: u32) -> u32 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in relative.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % u64::from(count.max(1))) as u32 + 1
    }

    /// Whether the file at `relative` is this shard's.
    pub fn holds(&self, relative: &str) -> bool {
        Shard::of(relative, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::fmt::Debug for dyn Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Known")
    }
}

/// A file as the walk listed it: under which root, where below it, and the
/// metadata that tells whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The index of its root in [`ScanConfig::roots`].
    pub root: usize,
    /// Its path relative to that root, `/`-separated (a root that is a file
    /// gives its file name).
    pub relative: String,
    /// Size, modification time and identity when listed.
    pub meta: FileMeta,
}

/// A file's outcome as a previous run recorded it.
#[derive(Debug, Clone)]
pub enum Recalled {
    /// It was read: its format, encoding, findings and entry problems.
    Read {
        /// How it was read.
        format: &'static str,
        /// For text, the encoding.
        encoding: Option<String>,
        /// Its findings, paths as shown in this run: all of them, or the
        /// first of them when `more` says where the rest continue.
        findings: Vec<Finding>,
        /// Where its findings continue ([`Known::more`]), when there are
        /// more than were recalled at once.
        more: Option<More>,
        /// Archive entries skipped or unreadable.
        problems: Vec<EntryProblem>,
        /// Its content hash.
        hash: Option<String>,
    },
    /// It was not scanned, for this reason (binary data…).
    Skipped(String),
}

/// What a previous run knows about a file.
#[derive(Debug)]
pub enum Recall {
    /// Unchanged since it was recorded: its outcome.
    Unchanged(Recalled),
    /// The metadata changed but the content may not have: hash the file and
    /// ask again with the hash.
    CheckContent,
    /// New or changed: read it.
    Changed,
}

/// Where the findings of a recalled file continue: the record's own key
/// for the file and the position of the last finding handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct More {
    /// The file, as the record knows it.
    pub key: i64,
    /// The last finding handed over, as the record counts them.
    pub after: i64,
}

/// A record of previous runs (a store) consulted before a file is read.
/// Called from the worker threads.
pub trait Known: Send + Sync {
    /// What is known of `file`; `shown` is its path as this run shows it
    /// (for the findings), `hash` its content hash when asked for one.
    fn recall(&self, file: &FileRef, shown: &str, hash: Option<&str>) -> Recall;

    /// The findings of a recalled file after `more`, a part at a time, and
    /// where they continue if there are still more. A record that always
    /// recalls every finding at once never gets asked.
    fn more(&self, more: &More, shown: &str) -> (Vec<Finding>, Option<More>) {
        let _ = (more, shown);
        (Vec::new(), None)
    }
}

impl ScanConfig {
    /// Scans `roots` with default options (threshold: medium).
    pub fn new(roots: Vec<PathBuf>) -> Self {
        ScanConfig {
            roots,
            walk: WalkOptions::default(),
            threads: None,
            min_confidence: Confidence::Medium,
            limits: read::archive::Limits::default(),
            reveal: false,
            known: None,
            stop: None,
            reuse_copies: true,
            shard: None,
        }
    }

    /// `path` relative to the scan root it was found under, with `/`
    /// separators (a root that is a file gives its file name).
    pub fn relative(&self, path: &Path) -> String {
        let root = self.roots.iter().position(|r| {
            path.strip_prefix(r)
                .is_ok_and(|p| !p.as_os_str().is_empty())
        });
        self.relative_to(root.unwrap_or(usize::MAX), path)
    }

    /// `path` relative to root number `root` (its file name when it is not
    /// below that root).
    fn relative_to(&self, root: usize, path: &Path) -> String {
        let rel = self
            .roots
            .get(root)
            .and_then(|r| path.strip_prefix(r).ok())
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| path.file_name().map(Path::new))
            .unwrap_or(path);
        crate::finding::path_text(rel).replace('\\', "/")
    }

    /// Whether a listed item is this scan's (always, unless sharded).
    pub fn takes(&self, item: &WalkItem) -> bool {
        let Some(shard) = self.shard else {
            return true;
        };
        let relative = match item {
            WalkItem::File(f) => self.relative_to(f.root, &f.path),
            WalkItem::Skipped { path, .. } => self.relative(path),
            WalkItem::Error(e) => e.path().map(|p| self.relative(p)).unwrap_or_default(),
        };
        shard.holds(&relative)
    }
}

/// The result of reading one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The file, as reached from the root given by the user.
    pub path: String,
    /// The file under its root, with its metadata (`None` when scanned
    /// alone with [`Scanner::scan_file`]).
    pub file: Option<FileRef>,
    /// Not read: a previous run's outcome for the unchanged file.
    pub unchanged: bool,
    /// SHA-256 of the content, hex, when a store asked for it.
    pub hash: Option<String>,
    /// Its size in bytes.
    pub bytes: u64,
    /// How it was read: `text`, `csv`, `xlsx`, `xlsb`, `xls`, `ods`.
    pub format: &'static str,
    /// For text and CSV, the encoding it was decoded from.
    pub encoding: Option<String>,
    /// Findings at or above the threshold, in file order.
    pub findings: Vec<Finding>,
    /// Archive entries that were skipped or could not be read.
    pub problems: Vec<EntryProblem>,
}

/// The most findings of one file handed over at once: a file with more
/// reaches [`Scanner::run`]'s callback in parts ([`Event::Findings`]).
pub const FINDINGS_BATCH: usize = 512;

/// Findings of a file handed over before the rest ([`Event::Findings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsPart {
    /// The file, as reached from the root given by the user.
    pub path: String,
    /// The file under its root, with its metadata.
    pub file: Option<FileRef>,
    /// Recalled from a previous run, not read.
    pub unchanged: bool,
    /// [`FINDINGS_BATCH`] findings, in file order.
    pub findings: Vec<Finding>,
}

thread_local! {
    /// Each worker's emptied finding buffers, none larger than two parts.
    pub(crate) static SPARE_FINDINGS: crate::spare::Spares<Finding> =
        const { crate::spare::Spares::new(2 * FINDINGS_BATCH) };
}

/// One thing that happened during a scan.
#[derive(Debug)]
pub enum Event {
    /// Findings of a file with many, ahead of the rest: a file's parts come
    /// in file order, from the thread that reads it, before its
    /// [`Event::Scanned`], which has the last of its findings and always
    /// follows (a file that fails after handing findings over is reported
    /// as scanned with an error among its problems).
    Findings(FindingsPart),
    /// A file was read.
    Scanned(FileResult),
    /// A file was deliberately not read (binary, too large, link not followed).
    Skipped {
        /// The file.
        path: String,
        /// Why.
        reason: String,
        /// The file under its root, when it was listed as a file (a binary
        /// file, remembered so that it need not be sniffed again).
        file: Option<FileRef>,
        /// Recalled from a previous run.
        unchanged: bool,
    },
    /// A path could not be read.
    Error {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Where a file's findings go in parts, with what identifies the file.
struct Parts<'s> {
    emit: &'s mut dyn FnMut(FindingsPart),
    file: Option<&'s FileRef>,
    /// Parts handed over so far.
    sent: usize,
}

/// Collects one file's findings (and its archive entries' problems).
struct FileVisitor<'s> {
    scanner: &'s Scanner,
    shown: String,
    findings: Vec<Finding>,
    /// Hands findings over in parts (`None`: keeps them all).
    parts: Option<Parts<'s>>,
    problems: Vec<EntryProblem>,
    /// The profile of the table being read (units of one table arrive
    /// together), kept with its sample so the pointer stays unique.
    table: Option<(Arc<TableSample>, TableProfile)>,
    /// The last text [`read::Visitor::wants`] said yes to, with what the
    /// gate saw in it: the unit built from it next need not be gated again.
    wanted: (String, crate::detect::gate::Seen),
    /// Every finding, also those handed over, while the file's copies may
    /// be given them ([`copies`]); `None` once there are too many.
    kept: Option<Vec<Finding>>,
}

impl<'s> FileVisitor<'s> {
    fn new(scanner: &'s Scanner, shown: String, parts: Option<Parts<'s>>) -> Self {
        FileVisitor {
            scanner,
            shown,
            findings: Vec::new(),
            parts,
            problems: Vec::new(),
            table: None,
            wanted: Default::default(),
            kept: None,
        }
    }

    /// Hands the findings over when there are enough for a part.
    fn flush(&mut self) {
        if self.findings.len() < FINDINGS_BATCH {
            return;
        }
        if let Some(parts) = &mut self.parts {
            if let Some(kept) = &mut self.kept {
                if kept.len() + self.findings.len() > copies::MAX_FINDINGS {
                    self.kept = None;
                } else {
                    kept.extend_from_slice(&self.findings);
                }
            }
            parts.sent += 1;
            (parts.emit)(FindingsPart {
                path: self.shown.clone(),
                file: parts.file.cloned(),
                unchanged: false,
                findings: std::mem::replace(
                    &mut self.findings,
                    SPARE_FINDINGS.with(|s| s.take(FINDINGS_BATCH)),
                ),
            });
        }
    }

    /// The file's result with what is left of its findings.
    fn into_result(self, format: &'static str, encoding: Option<String>, bytes: u64) -> FileResult {
        FileResult {
            path: self.shown,
            file: None,
            unchanged: false,
            hash: None,
            bytes,
            format,
            encoding,
            findings: self.findings,
            problems: self.problems,
        }
    }

    /// Whether findings were handed over in parts.
    fn sent(&self) -> bool {
        self.parts.as_ref().is_some_and(|p| p.sent > 0)
    }

    fn path_of(&self, inner: &str) -> String {
        if inner.is_empty() {
            self.shown.clone()
        } else {
            format!("{}!{inner}", self.shown)
        }
    }
}

impl read::Visitor for FileVisitor<'_> {
    fn unit(&mut self, inner: &str, unit: &TextUnit, encoding: &'static Encoding) {
        let s = self.scanner;
        let min = s.config.min_confidence;
        let profile = unit.table.as_ref().map(|pos| {
            let fresh = !matches!(&self.table, Some((t, _)) if Arc::ptr_eq(t, &pos.sample));
            if fresh {
                let p = crate::detect::columns::profile(&pos.sample);
                self.table = Some((pos.sample.clone(), p));
            }
            &self.table.as_ref().expect("profile just set").1
        });
        let seen = (!self.wanted.0.is_empty() && self.wanted.0 == unit.text).then(|| {
            self.wanted.0.clear();
            self.wanted.1
        });
        let candidates = s.detectors().detect_seen(unit, profile, min, seen);
        let mut locator = unit.locator(encoding);
        let own =
            |c: &&crate::detect::Candidate| unit.owns.as_ref().is_none_or(|r| r.contains(&c.start));
        for c in candidates
            .iter()
            .filter(|c| c.confidence >= min)
            .filter(own)
        {
            let (masked, context) = if s.config.reveal {
                (
                    unit.text[c.start..c.end].to_string(),
                    mask::context(&unit.text, (c.start, c.end), &[]),
                )
            } else {
                (
                    c.masked.clone(),
                    mask::context(&unit.text, (c.start, c.end), &candidates),
                )
            };
            self.findings.push(Finding {
                path: self.path_of(inner),
                category: c.category,
                confidence: c.confidence,
                rule: c.rule.to_string(),
                location: locator.locate(c.start),
                masked,
                fingerprint: s.fingerprinter.fingerprint(c.category, &c.value),
                context,
            });
            self.flush();
        }
    }

    fn wants(&mut self, text: &str) -> bool {
        let seen = self.scanner.detectors().seen_in(text);
        self.wanted.0.clear();
        if seen.is_empty() {
            return false;
        }
        self.wanted.0.push_str(text);
        self.wanted.1 = seen;
        true
    }

    fn entry(&mut self, inner: &str, outcome: std::result::Result<ReadOutcome, Error>) {
        let problem = match outcome {
            Ok(ReadOutcome::Read { .. }) => return,
            Ok(ReadOutcome::Skipped(kind)) => EntryProblem {
                path: self.path_of(inner),
                reason: format!("not text: {kind}"),
                error: false,
            },
            Err(e) => EntryProblem {
                path: self.path_of(inner),
                reason: e.reason().to_string(),
                error: true,
            },
        };
        self.problems.push(problem);
    }
}

/// An archive entry that was skipped or could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// `archive.zip!inner/path`.
    pub path: String,
    /// Why.
    pub reason: String,
    /// An error (corrupt, encrypted, limit hit) rather than a deliberate skip.
    pub error: bool,
}

/// Stack of each worker thread.
const WORKER_STACK: usize = 32 << 20;

/// Files a scan on one thread lists ahead of the one it reads: as many as
/// the queue holds, so that on a tree of fewer files the listing has ended,
/// and files are known done, from the first file on (as with the parallel
/// walk, which lists ahead on threads of its own).
const LIST_AHEAD: usize = dispatch::MAX_QUEUED - 1;

/// A detector set built when the first file is read: a rescan whose files
/// are all unchanged never pays for building the automata.
type BuildDetectors = Box<dyn Fn() -> DetectorSet + Send + Sync>;

/// Runs scans. Build once, use from any thread.
pub struct Scanner {
    config: ScanConfig,
    detectors: std::sync::OnceLock<DetectorSet>,
    build: Option<BuildDetectors>,
    fingerprinter: Fingerprinter,
    /// The outcomes of the contents read so far, for their copies.
    copies: copies::Copies,
}

/// SHA-256 of a file's content, hex: what tells a store that a file whose
/// time changed still holds what it held (a copy restored from a backup).
/// The file is usually still in the page cache from being scanned.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(crate::mask::hex(&hasher.finalize()))
}

fn display(path: &Path) -> String {
    crate::finding::path_text(path)
}

/// A small file read into memory, with what tells its copies.
struct Content {
    bytes: Vec<u8>,
    /// Its file name (for the extension, as [`read::read_file_upto`] takes it).
    name: String,
    key: copies::Key,
}

/// The largest [`Content`] buffer a worker keeps for the next file (most
/// files are smaller; a larger one is allocated for its file alone).
const KEPT_BUFFER: usize = 1 << 20;

thread_local! {
    /// Each worker's buffer for [`Content`], reused from file to file.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Content {
    /// The first `size` bytes of the file at `path`, or `None` if it cannot
    /// be read (then it is read the usual way, which reports why).
    fn read(path: &Path, size: u64) -> Option<Content> {
        use std::io::Read;
        let mut bytes = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
        bytes.clear();
        let file = std::fs::File::open(path).ok()?;
        // The size is at most MAX_BYTES, so it fits.
        bytes.reserve(usize::try_from(size).unwrap_or(0));
        file.take(size).read_to_end(&mut bytes).ok()?;
        let name = read::file_name(path);
        let extension = read::extension(&name).into_boxed_str();
        let digest = blake3::hash(&bytes).into();
        Some(Content {
            bytes,
            name,
            key: copies::Key { digest, extension },
        })
    }

    /// SHA-256 of the content, hex, as [`content_hash`] gives it.
    fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        mask::hex(&Sha256::digest(&self.bytes))
    }

    /// Returns the buffer to the worker, unless a large file grew it: a
    /// worker keeps at most [`KEPT_BUFFER`] between files.
    fn give_back(self) {
        if self.bytes.capacity() <= KEPT_BUFFER {
            BUFFER.with(|b| *b.borrow_mut() = self.bytes);
        }
    }
}

/// The event of a file at `shown` whose content an earlier file had, from
/// that file's `outcome`; findings beyond the last part go to `emit` first,
/// in the same parts a read would have handed over.
fn reuse(
    outcome: &copies::Outcome,
    shown: String,
    file: &FileRef,
    size: u64,
    hash: Option<String>,
    emit: &(dyn Fn(Event) + Sync),
) -> Event {
    match outcome {
        copies::Outcome::Skipped(reason) => Event::Skipped {
            path: shown,
            reason: reason.clone(),
            file: Some(file.clone()),
            unchanged: false,
        },
        copies::Outcome::Read {
            shown: from,
            format,
            encoding,
            findings,
            problems,
        } => {
            let moved = |f: &[Finding]| -> Vec<Finding> {
                let mut out = SPARE_FINDINGS.with(|s| s.take(f.len()));
                out.extend(f.iter().map(|f| copies::moved_finding(f, from, &shown)));
                out
            };
            let parts = findings.chunks_exact(FINDINGS_BATCH);
            let rest = parts.remainder();
            for part in parts {
                emit(Event::Findings(FindingsPart {
                    path: shown.clone(),
                    file: Some(file.clone()),
                    unchanged: false,
                    findings: moved(part),
                }));
            }
            Event::Scanned(FileResult {
                findings: moved(rest),
                problems: problems
                    .iter()
                    .map(|p| EntryProblem {
                        path: copies::moved(&p.path, from, &shown),
                        reason: p.reason.clone(),
                        error: p.error,
                    })
                    .collect(),
                path: shown,
                file: Some(file.clone()),
                unchanged: false,
                hash,
                bytes: size,
                format,
                encoding: encoding.clone(),
            })
        }
    }
}

impl Scanner {
    /// A scanner with the built-in detectors.
    pub fn new(config: ScanConfig, fingerprinter: Fingerprinter) -> Self {
        Self::with_detectors(config, DetectorSet::builtin(), fingerprinter)
    }

    /// A scanner with the given detectors (for example with user
    /// dictionaries, [`DetectorSet::with_dictionaries`]).
    pub fn with_detectors(
        config: ScanConfig,
        detectors: DetectorSet,
        fingerprinter: Fingerprinter,
    ) -> Self {
        Scanner {
            config,
            detectors: std::sync::OnceLock::from(detectors),
            build: None,
            fingerprinter,
            copies: copies::Copies::default(),
        }
    }

    /// A scanner whose detectors `build` makes when the first file is read
    /// (a rescan of unchanged files reads none). `build` must not fail:
    /// validate user dictionaries first ([`crate::detect::sensitive::parse_dictionary`]).
    pub fn with_lazy_detectors(
        config: ScanConfig,
        build: impl Fn() -> DetectorSet + Send + Sync + 'static,
        fingerprinter: Fingerprinter,
    ) -> Self {
        Scanner {
            config,
            detectors: std::sync::OnceLock::new(),
            build: Some(Box::new(build)),
            fingerprinter,
            copies: copies::Copies::default(),
        }
    }

    fn detectors(&self) -> &DetectorSet {
        self.detectors.get_or_init(|| match &self.build {
            Some(build) => build(),
            None => DetectorSet::builtin(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// `path` relative to the scan root it was found under, with `/`
    /// separators (a root that is a file gives its file name).
    pub fn relative(&self, path: &Path) -> String {
        self.config.relative(path)
    }

    /// Reads the first `size` bytes of a file (its size when listed) and
    /// returns its findings (all of them), or why it was not scanned
    /// (`Ok(Err(reason))`).
    pub fn scan_file(
        &self,
        path: &Path,
        size: u64,
    ) -> Result<std::result::Result<FileResult, String>> {
        self.scan_one(path, size, None)
    }

    /// [`Scanner::scan_file`] handing the findings to `on_part` as they are
    /// found, [`FINDINGS_BATCH`] at a time, in file order: the result holds
    /// the rest, and memory stays bounded whatever the file holds.
    pub fn scan_file_in_parts(
        &self,
        path: &Path,
        size: u64,
        on_part: &mut dyn FnMut(FindingsPart),
    ) -> Result<std::result::Result<FileResult, String>> {
        let parts = Parts {
            emit: on_part,
            file: None,
            sent: 0,
        };
        self.scan_one(path, size, Some(parts))
    }

    /// A file scanned alone, its findings kept or handed over in `parts`.
    fn scan_one<'s>(
        &'s self,
        path: &Path,
        size: u64,
        parts: Option<Parts<'s>>,
    ) -> Result<std::result::Result<FileResult, String>> {
        let mut visitor = FileVisitor::new(self, display(path), parts);
        let outcome = read::read_file_upto(path, size, &self.config.limits, &mut visitor)?;
        Ok(match outcome {
            ReadOutcome::Read { format, encoding } => {
                Ok(visitor.into_result(format, encoding, size))
            }
            ReadOutcome::Skipped(kind) => Err(format!("not text: {kind}")),
        })
    }

    /// A previous run's outcome for an unchanged file, or `None` to read
    /// it; findings beyond the first part recalled go to `emit` first.
    fn recall(
        &self,
        known: &dyn Known,
        file: &FileRef,
        shown: &str,
        path: &Path,
        emit: &(dyn Fn(Event) + Sync),
    ) -> Option<Event> {
        let recalled = match known.recall(file, shown, None) {
            Recall::Unchanged(r) => r,
            Recall::Changed => return None,
            Recall::CheckContent => {
                let hash = content_hash(path).ok()?;
                match known.recall(file, shown, Some(&hash)) {
                    Recall::Unchanged(r) => r,
                    _ => return None,
                }
            }
        };
        Some(match recalled {
            Recalled::Read {
                format,
                encoding,
                mut findings,
                mut more,
                problems,
                hash,
            } => {
                while let Some(m) = more {
                    let (next, after) = known.more(&m, shown);
                    more = after;
                    emit(Event::Findings(FindingsPart {
                        path: shown.to_string(),
                        file: Some(file.clone()),
                        unchanged: true,
                        findings: std::mem::replace(&mut findings, next),
                    }));
                }
                Event::Scanned(FileResult {
                    path: shown.to_string(),
                    file: Some(file.clone()),
                    unchanged: true,
                    hash,
                    bytes: file.meta.size,
                    format,
                    encoding,
                    findings,
                    problems,
                })
            }
            Recalled::Skipped(reason) => Event::Skipped {
                path: shown.to_string(),
                reason,
                file: Some(file.clone()),
                unchanged: true,
            },
        })
    }

    /// How many files of the runs so far were given the outcome of an
    /// earlier file with the same content instead of being read.
    pub fn copies_reused(&self) -> u64 {
        self.copies.reused()
    }

    /// Reads a listed file, handing its findings to `emit` in parts, and
    /// returns its last event. A small file is read into memory first: if
    /// an earlier file of the run had its content, that file's outcome is
    /// given under this path ([`copies`]).
    fn read_listed(
        &self,
        path: &Path,
        size: u64,
        file: &FileRef,
        emit: &(dyn Fn(Event) + Sync),
    ) -> Event {
        let shown = display(path);
        let content = (self.config.reuse_copies && size <= copies::MAX_BYTES)
            .then(|| Content::read(path, size))
            .flatten();
        if let Some(c) = &content
            && let Some(outcome) = self.copies.get(&c.key)
        {
            let hash = self.config.known.is_some().then(|| c.sha256());
            let event = reuse(&outcome, shown, file, size, hash, emit);
            if let Some(c) = content {
                c.give_back();
            }
            return event;
        }
        let mut emit = |part| emit(Event::Findings(part));
        let parts = Parts {
            emit: &mut emit,
            file: Some(file),
            sent: 0,
        };
        let mut visitor = FileVisitor::new(self, shown.clone(), Some(parts));
        if content.is_some() {
            visitor.kept = Some(Vec::new());
        }
        // A reader's panic is contained to its file.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &content {
            Some(c) => read::read_bytes(&c.bytes, &c.name, &self.config.limits, &mut visitor)
                .map_err(|e| e.with_path(path)),
            None => read::read_file_upto(path, size, &self.config.limits, &mut visitor),
        }))
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Io,
                "internal error while reading this file (a bug in mamori or a library)",
            ))
        });
        let (failed, skipped) = match outcome {
            Ok(ReadOutcome::Read { format, encoding }) => {
                let kept = visitor.kept.take();
                let mut r = visitor.into_result(format, encoding, size);
                // An outcome with errors (an entry that timed out, ran out
                // of memory) is not given to copies: they are read, and
                // may fare better.
                if let (Some(c), Some(mut kept)) = (&content, kept)
                    && kept.len() + r.findings.len() <= copies::MAX_FINDINGS
                    && !r.problems.iter().any(|p| p.error)
                {
                    kept.extend_from_slice(&r.findings);
                    kept.shrink_to_fit();
                    self.copies.put(
                        c.key.clone(),
                        copies::Outcome::Read {
                            shown: r.path.clone(),
                            format,
                            encoding: r.encoding.clone(),
                            findings: kept,
                            problems: r.problems.clone(),
                        },
                    );
                }
                if self.config.known.is_some() {
                    r.hash = match &content {
                        Some(c) => Some(c.sha256()),
                        None => content_hash(path).ok(),
                    };
                }
                r.file = Some(file.clone());
                if let Some(c) = content {
                    c.give_back();
                }
                return Event::Scanned(r);
            }
            Ok(ReadOutcome::Skipped(kind)) => (format!("not text: {kind}"), true),
            Err(e) => (e.reason().to_string(), false),
        };
        if let Some(c) = content {
            if skipped && !visitor.sent() {
                self.copies
                    .put(c.key.clone(), copies::Outcome::Skipped(failed.clone()));
            }
            c.give_back();
        }
        if !visitor.sent() {
            return if skipped {
                Event::Skipped {
                    path: shown,
                    reason: failed,
                    file: Some(file.clone()),
                    unchanged: false,
                }
            } else {
                Event::Error {
                    path: shown,
                    reason: failed,
                }
            };
        }
        // Findings were handed over already: the file is reported as read
        // in part, the failure among its problems (a store records it so
        // that the next run reads it again).
        let mut r = visitor.into_result(read::format_name(""), None, size);
        r.problems.push(EntryProblem {
            path: shown,
            reason: format!("read in part: {failed}"),
            error: true,
        });
        r.file = Some(file.clone());
        Event::Scanned(r)
    }

    fn handle(&self, item: WalkItem, emit: &(dyn Fn(Event) + Sync)) -> Event {
        match item {
            WalkItem::File(f) => {
                let file = FileRef {
                    root: f.root,
                    relative: self.config.relative_to(f.root, &f.path),
                    meta: f.meta,
                };
                if let Some(known) = self.config.known.as_deref()
                    && let Some(event) = self.recall(known, &file, &display(&f.path), &f.path, emit)
                {
                    return event;
                }
                self.read_listed(&f.path, f.size, &file, emit)
            }
            WalkItem::Skipped { path, reason } => Event::Skipped {
                path: display(&path),
                reason,
                file: None,
                unchanged: false,
            },
            WalkItem::Error(e) => Event::Error {
                path: e.path().map(display).unwrap_or_default(),
                reason: e.reason().to_string(),
            },
        }
    }

    /// Scans every root, calling `on_event` once per file (from worker
    /// threads, in no particular order), and before that once per part of
    /// the findings of a file with many ([`Event::Findings`]).
    pub fn run(&self, on_event: impl Fn(Event) + Sync + Send) -> Result<()> {
        self.run_in_order(on_event, |_| {})
    }

    /// [`Scanner::run`], also calling `done_before(path)` whenever every
    /// file whose path sorts before `path` has had all its events: a
    /// consumer that writes files in path order (a `jsonl` report) can
    /// write those then, during the scan. Workers take files in path order
    /// (among those listed so far, at most [`dispatch::MAX_QUEUED`]), so
    /// files finish nearly in that order; what is done is known once the
    /// listing has ended. Called from worker threads after the events it
    /// covers; two calls may come in either order, so keep the greatest.
    pub fn run_in_order(
        &self,
        on_event: impl Fn(Event) + Sync + Send,
        done_before: impl Fn(&str) + Sync + Send,
    ) -> Result<()> {
        // Large stacks: deep but legitimate structures (nested archives,
        // documents) must not overflow a worker.
        let mut pool = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK);
        if let Some(n) = self.config.threads {
            pool = pool.num_threads(n);
        }
        let pool = pool
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, format!("thread pool: {e}")))?;
        let threads = pool.current_num_threads();
        let stop = self.config.stop.as_deref();
        let stopped = || stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
        let queue = dispatch::Dispatch::default();
        /// Closes the queue however the workers end (a panic too), so that
        /// the walk never waits for room that will not come.
        struct Closing<'a>(&'a dispatch::Dispatch);
        impl Drop for Closing<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let queue = &queue;
        let key_of = |item: &WalkItem| match item {
            WalkItem::File(f) => display(&f.path),
            WalkItem::Skipped { path, .. } => display(path),
            WalkItem::Error(e) => e.path().map(display).unwrap_or_default(),
        };
        // A file taken: read it, and say which files are done for good.
        let work = |taken: dispatch::Taken| {
            if self.config.takes(&taken.item) {
                on_event(self.handle(taken.item, &on_event));
            } else if let Some(c) = &self.config.walk.excluded {
                c.other_shard
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(before) = queue.done(&taken.key) {
                done_before(&before);
            }
        };
        if threads == 1 {
            // One thread lists and reads in turn, with no thread beside it
            // (as ripgrep does with one thread): the walk in order lists up
            // to LIST_AHEAD files into the queue before each file is taken.
            let mut walk = walk::walk(&self.config.roots, &self.config.walk);
            let mut listing = true;
            pool.install(|| {
                loop {
                    while listing && queue.queued() < LIST_AHEAD {
                        if stopped() {
                            return;
                        }
                        match walk.next() {
                            Some(item) => {
                                queue.push(key_of(&item), item);
                            }
                            None => {
                                listing = false;
                                queue.walked();
                            }
                        }
                    }
                    let Some(taken) = queue.take() else { return };
                    if stopped() {
                        return;
                    }
                    work(taken);
                }
            });
            return Ok(());
        }
        std::thread::scope(|scope| {
            scope.spawn(move || {
                // The walker's threads queue what they list themselves.
                let ended = walk::walk_parallel_each(
                    &self.config.roots,
                    &self.config.walk,
                    threads,
                    // False stops the walk.
                    &|item| !stopped() && queue.push(key_of(&item), item),
                );
                if ended {
                    queue.walked();
                }
            });
            let _closing = Closing(queue);
            pool.broadcast(|_| {
                while let Some(taken) = queue.take() {
                    if stopped() {
                        queue.close();
                        return;
                    }
                    work(taken);
                }
            });
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo with `n` labelled phone numbers (invented).
    fn memo(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "担当者の電話番号は 090-{:04}-{:04} です。\n",
                    7000 + i / 100,
                    i
                )
            })
            .collect()
    }

    #[test]
    fn files_are_known_done_in_path_order_after_all_their_events() {
        let dir = tempfile::tempdir().unwrap();
        // Folders listed in no particular order, files with parts.
        for d in 0..12 {
            let sub = dir.path().join(format!("d{}", (d * 5) % 12));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..25 {
                let n = if f % 7 == 0 {
                    FINDINGS_BATCH + 3
                } else {
                    1 + f % 4
                };
                std::fs::write(sub.join(format!("f{f:02}.txt")), memo(n)).unwrap();
            }
        }
        enum Seen {
            Part(String),
            Done(String),
            Before(String),
        }
        for threads in [1, 2] {
            let scanner = Scanner::new(
                ScanConfig {
                    threads: Some(threads),
                    ..ScanConfig::new(vec![dir.path().to_path_buf()])
                },
                Fingerprinter::with_key(b"order", mask::KeySource::Environment),
            );
            let log = std::sync::Mutex::new(Vec::new());
            let first = std::sync::atomic::AtomicBool::new(true);
            scanner
                .run_in_order(
                    |e| {
                        // On one thread, the first file takes long enough
                        // for the listing to end: every file after it is
                        // then known done as soon as it is.
                        if threads == 1 && first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                            std::thread::sleep(std::time::Duration::from_millis(500));
                        }
                        let seen = match e {
                            Event::Findings(p) => Seen::Part(p.path),
                            Event::Scanned(r) => Seen::Done(r.path),
                            other => panic!("{other:?}"),
                        };
                        log.lock().unwrap().push(seen);
                    },
                    |before| log.lock().unwrap().push(Seen::Before(before.to_string())),
                )
                .unwrap();
            let log = log.into_inner().unwrap();
            let mut done = std::collections::BTreeSet::new();
            let mut all = std::collections::BTreeSet::new();
            for s in &log {
                if let Seen::Done(p) = s {
                    all.insert(p.clone());
                }
            }
            assert_eq!(all.len(), 300);
            // (A call may come after the file it names is done too, and two
            // calls in either order: each says no more than the truth.)
            let mut calls = 0;
            for s in &log {
                match s {
                    Seen::Part(p) => assert!(!done.contains(p), "{p}: a part after the file"),
                    Seen::Done(p) => {
                        done.insert(p.clone());
                    }
                    Seen::Before(before) => {
                        calls += 1;
                        for p in all.range::<String, _>(..before.clone()) {
                            assert!(done.contains(p), "{p} not done before {before}");
                        }
                    }
                }
            }
            if threads == 1 {
                // One call per file but the last (after it, the end of
                // the scan says all is done).
                assert_eq!(calls, 299, "{threads} threads");
            }
        }
    }

    #[test]
    fn a_file_with_many_findings_hands_them_over_in_parts_before_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let n = 2 * FINDINGS_BATCH + 7;
        std::fs::write(dir.path().join("many.txt"), memo(n)).unwrap();
        std::fs::write(dir.path().join("few.txt"), memo(3)).unwrap();
        let scanner = Scanner::new(
            ScanConfig {
                threads: Some(1),
                ..ScanConfig::new(vec![dir.path().to_path_buf()])
            },
            Fingerprinter::with_key(b"parts", mask::KeySource::Environment),
        );
        let events = std::sync::Mutex::new(Vec::new());
        scanner.run(|e| events.lock().unwrap().push(e)).unwrap();
        let events = events.into_inner().unwrap();
        // Each file's events: its parts, then the file.
        let mut by_file: std::collections::BTreeMap<String, Vec<&Event>> = Default::default();
        for e in &events {
            let path = match e {
                Event::Findings(p) => &p.path,
                Event::Scanned(r) => &r.path,
                other => panic!("{other:?}"),
            };
            by_file.entry(path.clone()).or_default().push(e);
        }
        for (path, events) in by_file {
            let (last, parts) = events.split_last().unwrap();
            let Event::Scanned(last) = last else {
                panic!("{path}: the file's last event is not its result");
            };
            let mut all = Vec::new();
            for p in parts {
                let Event::Findings(p) = p else {
                    panic!("{path}: a second result");
                };
                assert_eq!(p.findings.len(), FINDINGS_BATCH);
                assert_eq!(p.file.as_ref(), last.file.as_ref());
                assert!(!p.unchanged);
                all.extend(p.findings.iter().cloned());
            }
            all.extend(last.findings.iter().cloned());
            // The same findings, in the same order, as when kept whole.
            let whole = scanner
                .scan_file(Path::new(&path), last.bytes)
                .unwrap()
                .unwrap();
            assert_eq!(all, whole.findings, "{path}");
            let expected = if path.ends_with("many.txt") { n } else { 3 };
            assert_eq!(all.len(), expected, "{path}");
            assert_eq!(parts.len(), expected / FINDINGS_BATCH, "{path}");
            // The same in parts for a caller of the library.
            let mut parts = Vec::new();
            let rest = scanner
                .scan_file_in_parts(Path::new(&path), last.bytes, &mut |p| {
                    assert_eq!(p.findings.len(), FINDINGS_BATCH);
                    assert_eq!(p.path, path);
                    parts.extend(p.findings);
                })
                .unwrap()
                .unwrap();
            parts.extend(rest.findings);
            assert_eq!(parts, whole.findings, "{path}");
        }
    }

    /// Each file's findings in order (parts first), its number of parts and
    /// how its last event ended, by path.
    type ByPath = std::collections::BTreeMap<String, (Vec<Finding>, usize, String)>;

    /// Every event of a scan of `root`, by path ([`ByPath`]), and how many
    /// files were given a copy's outcome.
    fn scan_by_path(root: &Path, reuse_copies: bool) -> (ByPath, u64) {
        let scanner = Scanner::new(
            ScanConfig {
                threads: Some(1),
                reuse_copies,
                ..ScanConfig::new(vec![root.to_path_buf()])
            },
            Fingerprinter::with_key(b"copies", mask::KeySource::Environment),
        );
        let events = std::sync::Mutex::new(Vec::new());
        scanner.run(|e| events.lock().unwrap().push(e)).unwrap();
        let mut by_path = ByPath::default();
        for e in events.into_inner().unwrap() {
            match e {
                Event::Findings(p) => {
                    let entry = by_path.entry(p.path).or_default();
                    assert_eq!(p.findings.len(), FINDINGS_BATCH);
                    entry.0.extend(p.findings);
                    entry.1 += 1;
                }
                Event::Scanned(r) => {
                    let entry = by_path.entry(r.path.clone()).or_default();
                    entry.0.extend(r.findings);
                    let problems: Vec<String> = r
                        .problems
                        .iter()
                        .map(|p| format!("{} {}", p.path, p.reason))
                        .collect();
                    entry.2 = format!("{} {} {problems:?}", r.format, r.bytes);
                }
                Event::Skipped { path, reason, .. } => {
                    by_path.entry(path).or_default().2 = format!("skipped: {reason}");
                }
                Event::Error { path, reason } => panic!("{path}: {reason}"),
            }
        }
        (by_path, scanner.copies_reused())
    }

    #[test]
    fn a_copy_is_given_the_first_copys_outcome_under_its_own_path() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["a", "b", "c"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        // More findings than a part, so the copy's come in parts too.
        let many = memo(FINDINGS_BATCH + 9);
        std::fs::write(root.join("a/many.txt"), &many).unwrap();
        std::fs::write(root.join("b/many.txt"), &many).unwrap();
        std::fs::write(root.join("c/renamed.TXT"), &many).unwrap();
        // The same bytes under another extension are read as what it says.
        let table = "氏名,電話番号\n山川 一郎,090-1111-2222\n";
        std::fs::write(root.join("a/t.csv"), table).unwrap();
        std::fs::write(root.join("b/t.txt"), table).unwrap();
        let binary = [0u8, 1, 2, 3, 0, 0, 0xff, 0xfe].repeat(64);
        std::fs::write(root.join("a/x.bin"), &binary).unwrap();
        std::fs::write(root.join("b/x.bin"), &binary).unwrap();
        // An archive and its copy: its entries' paths follow the copy.
        let zipped = |entries: &[(&str, &[u8])]| {
            let mut zip = Vec::new();
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
            for (name, bytes) in entries {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(bytes).unwrap();
            }
            w.finish().unwrap();
            zip
        };
        let zip = zipped(&[
            ("in/memo.txt", memo(2).as_bytes()),
            ("in/blob.bin", &binary),
        ]);
        std::fs::write(root.join("a/z.zip"), &zip).unwrap();
        std::fs::write(root.join("c/z.zip"), &zip).unwrap();
        // An archive with an entry that cannot be read: its copy is read
        // again rather than given the error.
        let bad = zipped(&[
            ("memo.txt", memo(1).as_bytes()),
            ("inner.xlsx", b"PK\x03\x04 not a workbook"),
        ]);
        std::fs::write(root.join("a/bad.zip"), &bad).unwrap();
        std::fs::write(root.join("b/bad.zip"), &bad).unwrap();

        let (read, none) = scan_by_path(root, false);
        assert_eq!(none, 0);
        let (reused, copies) = scan_by_path(root, true);
        // Each of b/many.txt, c/renamed.TXT, b/x.bin and c/z.zip is a copy;
        // b/bad.zip is read.
        assert_eq!(copies, 4);
        assert!(
            reused[&display(&root.join("b/bad.zip"))]
                .2
                .contains("inner.xlsx"),
            "{reused:?}"
        );
        // Every file has what reading it gives: findings with its own path,
        // in the same parts, the same format, size and entry problems.
        assert_eq!(read, reused);
        let shown = |p: &str| display(&root.join(p));
        let (findings, parts, _) = &reused[&shown("b/many.txt")];
        assert_eq!((findings.len(), *parts), (FINDINGS_BATCH + 9, 1));
        assert!(findings.iter().all(|f| f.path == shown("b/many.txt")));
        let (zipped, _, outcome) = &reused[&shown("c/z.zip")];
        assert_eq!(zipped.len(), 2);
        assert!(
            zipped
                .iter()
                .all(|f| f.path == format!("{}!in/memo.txt", shown("c/z.zip")))
        );
        assert!(
            outcome.contains(&format!("{}!in/blob.bin", shown("c/z.zip"))),
            "{outcome}"
        );
        assert!(reused[&shown("b/x.bin")].2.starts_with("skipped"));
        assert_ne!(reused[&shown("a/t.csv")].2, reused[&shown("b/t.txt")].2);
    }
}
