//! The scan: walk → read → detect → findings, in parallel.
//!
//! [`Scanner::run`] walks the roots on one thread and reads files on a rayon
//! pool; each file's result is handed to a callback as one [`Event`], so the
//! caller (a report writer, a datastore) sees whole files and owns its output.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use rayon::prelude::*;

use crate::detect::DetectorSet;
use crate::detect::columns::TableProfile;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Confidence, Finding};
use crate::mask::{self, Fingerprinter};
use crate::policy::Policy;
use crate::read::{self, ReadOutcome};
use crate::unit::{TableSample, TextUnit};
use crate::walk::{self, WalkItem, WalkOptions};
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
    /// Permitted purposes; each finding gets a verdict.
    pub policy: Option<Policy>,
    /// Report values unmasked (only when the user asked for it).
    pub reveal: bool,
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
            policy: None,
            reveal: false,
        }
    }
}

/// The result of reading one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The file.
    pub path: String,
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

/// One thing that happened during a scan.
#[derive(Debug)]
pub enum Event {
    /// A file was read.
    Scanned(FileResult),
    /// A file was deliberately not read (binary, too large, link not followed).
    Skipped {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A path could not be read.
    Error {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Collects one file's findings (and its archive entries' problems).
struct FileVisitor<'s> {
    scanner: &'s Scanner,
    /// The file's path relative to its scan root (for the policy).
    relative: String,
    shown: String,
    findings: Vec<Finding>,
    problems: Vec<EntryProblem>,
    /// The profile of the table being read (units of one table arrive
    /// together), kept with its sample so the pointer stays unique.
    table: Option<(Arc<TableSample>, TableProfile)>,
}

impl FileVisitor<'_> {
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
        let candidates = s.detectors.detect_in(unit, profile, min);
        let mut locator = unit.locator(encoding);
        for c in candidates.iter().filter(|c| c.confidence >= min) {
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
            let mut finding = Finding {
                path: self.path_of(inner),
                category: c.category,
                confidence: c.confidence,
                rule: c.rule.to_string(),
                location: locator.locate(c.start),
                masked,
                fingerprint: s.fingerprinter.fingerprint(c.category, &c.value),
                context,
                policy: None,
            };
            if let Some(policy) = &s.config.policy {
                finding.policy = Some(policy.judge(&finding, &self.relative));
            }
            self.findings.push(finding);
        }
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

/// Runs scans. Build once, use from any thread.
pub struct Scanner {
    config: ScanConfig,
    detectors: DetectorSet,
    fingerprinter: Fingerprinter,
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
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
            detectors,
            fingerprinter,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// `path` relative to the scan root it was found under, with `/`
    /// separators (a root that is a file gives its file name).
    pub fn relative(&self, path: &Path) -> String {
        let rel = self
            .config
            .roots
            .iter()
            .find_map(|r| {
                path.strip_prefix(r)
                    .ok()
                    .filter(|p| !p.as_os_str().is_empty())
            })
            .or_else(|| path.file_name().map(Path::new))
            .unwrap_or(path);
        rel.to_string_lossy().replace('\\', "/")
    }

    /// Reads one file and returns its findings, or why it was not scanned
    /// (`Ok(Err(reason))`).
    pub fn scan_file(
        &self,
        path: &Path,
        size: u64,
    ) -> Result<std::result::Result<FileResult, String>> {
        let mut visitor = FileVisitor {
            scanner: self,
            relative: self.relative(path),
            shown: display(path),
            findings: Vec::new(),
            problems: Vec::new(),
            table: None,
        };
        let outcome = read::read_file_with(path, &self.config.limits, &mut visitor)?;
        Ok(match outcome {
            ReadOutcome::Read { format, encoding } => Ok(FileResult {
                path: visitor.shown,
                bytes: size,
                format,
                encoding,
                findings: visitor.findings,
                problems: visitor.problems,
            }),
            ReadOutcome::Skipped(kind) => Err(format!("not text: {kind}")),
        })
    }

    fn handle(&self, item: WalkItem) -> Event {
        match item {
            WalkItem::File(f) => match self.scan_file(&f.path, f.size) {
                Ok(Ok(r)) => Event::Scanned(r),
                Ok(Err(reason)) => Event::Skipped {
                    path: display(&f.path),
                    reason,
                },
                Err(e) => Event::Error {
                    path: display(&f.path),
                    reason: e.reason().to_string(),
                },
            },
            WalkItem::Skipped { path, reason } => Event::Skipped {
                path: display(&path),
                reason,
            },
            WalkItem::Error(e) => Event::Error {
                path: e.path().map(display).unwrap_or_default(),
                reason: e.reason().to_string(),
            },
        }
    }

    /// Scans every root, calling `on_event` once per file (from worker
    /// threads, in no particular order).
    pub fn run(&self, on_event: impl Fn(Event) + Sync + Send) -> Result<()> {
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.config.threads {
            pool = pool.num_threads(n);
        }
        let pool = pool
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, format!("thread pool: {e}")))?;
        let threads = pool.current_num_threads();
        pool.install(|| {
            walk::walk_parallel(&self.config.roots, &self.config.walk, threads)
                .into_iter()
                .par_bridge()
                .for_each(|item| on_event(self.handle(item)));
        });
        Ok(())
    }
}
