//! What a report says about a finding beyond what the scan found: the
//! policy's verdict, whether it is new since the previous run, and whether
//! it was accepted (a baseline). The scan's [`Finding`] carries none of it;
//! it is judged here, where findings are reported or stored.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::finding::{Category, Finding};
use crate::policy::{Policy, Verdict, VerdictKind};
use crate::scan::{EntryProblem, Event, FileRef};

/// New or seen before, relative to the previous complete run over the same
/// roots (a finding's identity: root-relative path, category, fingerprint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not in the previous run.
    New,
    /// In the previous run too.
    Existing,
}

/// Why an accepted finding is not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The reason given when it was accepted.
    pub reason: String,
    /// The last day the acceptance holds (`YYYY-MM-DD`), if it ends.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires: Option<String>,
}

/// A finding as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// What the scan found.
    #[serde(flatten)]
    pub finding: Finding,
    /// With a policy: whether a purpose permits it here.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy: Option<Verdict>,
    /// With a store: new since the previous run, or not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<Status>,
    /// Accepted by a baseline: kept in the report, counted apart.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suppressed: Option<Suppression>,
    /// Inside an archive or e-mail: where the entry's path starts in
    /// `finding.path` (after the outer file's path and its `!`), so a `!` in
    /// a folder name is not taken for an entry.
    #[serde(skip)]
    pub entry_at: Option<usize>,
}

impl Deref for Reported {
    type Target = Finding;
    fn deref(&self) -> &Finding {
        &self.finding
    }
}

impl From<Finding> for Reported {
    fn from(finding: Finding) -> Self {
        Reported {
            finding,
            policy: None,
            status: None,
            suppressed: None,
            entry_at: None,
        }
    }
}

impl Reported {
    /// A policy violation that was not accepted.
    pub fn is_violation(&self) -> bool {
        self.suppressed.is_none()
            && self
                .policy
                .as_ref()
                .is_some_and(|v| v.verdict == VerdictKind::Violation)
    }
}

/// One scanned file as reported.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The file, as reached from the root given by the user.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// How it was read.
    pub format: &'static str,
    /// For text, the encoding.
    pub encoding: Option<String>,
    /// Its findings, judged.
    pub findings: Vec<Reported>,
    /// Findings counted and let go after their rendering ([`super::condense`]).
    pub counted: Counted,
    /// With a policy: who answers for the file (the owner of a purpose
    /// whose paths cover it).
    pub owner: Option<String>,
    /// Archive entries skipped or unreadable.
    pub problems: Vec<EntryProblem>,
    /// Not read again: unchanged since a previous run.
    pub unchanged: bool,
    /// The file under its root, with its metadata (for a store).
    pub file: Option<FileRef>,
    /// Its content hash, when a store asked for it.
    pub hash: Option<String>,
}

/// Findings of a file with many, judged, ahead of the rest of the file
/// ([`crate::scan::Event::Findings`]).
#[derive(Debug, Clone, Default)]
pub struct FindingsReport {
    /// The file, as reached from the root given by the user.
    pub path: String,
    /// Recalled from a previous run, not read.
    pub unchanged: bool,
    /// The file under its root (for a store).
    pub file: Option<FileRef>,
    /// The findings, judged, in file order.
    pub findings: Vec<Reported>,
    /// Findings counted and let go after their rendering ([`super::condense`]).
    pub counted: Counted,
}

/// What a report needs of findings it no longer holds: rendered on the
/// worker, they are counted there and freed ([`super::condense`]), so that
/// the collector, which every file passes one at a time, neither walks nor
/// frees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Per category (in [`Category::ALL`] order) and confidence (low,
    /// medium, high), findings not suppressed.
    pub by_pair: [[u64; 3]; Category::ALL.len()],
    /// Accepted by a baseline.
    pub suppressed: u64,
    /// New since the previous run (with a store).
    pub new: u64,
}

impl Counted {
    /// Counts one finding as [`crate::report::Collector`] counts it.
    pub fn add(&mut self, f: &Reported) {
        if f.suppressed.is_some() {
            self.suppressed += 1;
            return;
        }
        if f.status == Some(Status::New) {
            self.new += 1;
        }
        self.by_pair[f.category as usize][f.confidence as usize] += 1;
    }
}

thread_local! {
    /// Each worker's emptied buffers of judged findings ([`recycle`]), none
    /// larger than two parts.
    static SPARE_REPORTED: crate::spare::Spares<Reported> =
        const { crate::spare::Spares::new(2 * crate::scan::FINDINGS_BATCH) };
}

/// Keeps the buffer of an item whose findings were all rendered and let
/// go ([`super::condense`]) for this thread's next file.
pub fn recycle(item: &mut Item) {
    let findings = match item {
        Item::File(r) => &mut r.findings,
        Item::Findings(r) => &mut r.findings,
        _ => return,
    };
    if findings.is_empty() {
        SPARE_REPORTED.with(|s| s.keep(std::mem::take(findings)));
    }
}

/// What a report receives for each file.
#[derive(Debug)]
pub enum Item {
    /// Findings of a file with many, ahead of its [`Item::File`], which
    /// always follows.
    Findings(FindingsReport),
    /// A file read (or recalled unchanged).
    File(FileReport),
    /// A file deliberately not read.
    Skipped {
        /// The file.
        path: String,
        /// Why.
        reason: String,
        /// Recalled from a previous run.
        unchanged: bool,
        /// The file under its root (for a store).
        file: Option<FileRef>,
    },
    /// A path that could not be read.
    Error {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Judges findings for a report: the policy's verdict and a baseline's
/// acceptance. Build once, use from any thread.
#[derive(Debug, Default)]
pub struct Judge<'a> {
    /// Permitted purposes.
    pub policy: Option<&'a Policy>,
    /// The directory policy path globs are relative to (the policy's or the
    /// configuration's `root`); `None`: the scan root.
    pub policy_root: Option<std::path::PathBuf>,
    /// Accepted findings.
    pub baseline: Option<&'a Baseline>,
    /// Today, for baseline expiry (`YYYY-MM-DD`).
    pub today: String,
}

impl Judge<'_> {
    /// The path policy globs see for a file: relative to the policy root
    /// when the file lies under it, else relative to its scan root.
    fn policy_path(&self, shown: &str, file: Option<&FileRef>) -> String {
        if let Some(root) = &self.policy_root
            && let Ok(abs) = std::path::absolute(shown)
            && let Ok(rel) = abs.strip_prefix(root)
            && !rel.as_os_str().is_empty()
        {
            return rel.to_string_lossy().replace('\\', "/");
        }
        match file {
            Some(f) => f.relative.clone(),
            None => shown.to_string(),
        }
    }

    /// The policy's owner of the file shown as `shown`.
    fn owner_of(&self, shown: &str, file: Option<&FileRef>) -> Option<String> {
        let policy = self.policy?;
        policy
            .owner_of(&self.policy_path(shown, file))
            .map(str::to_string)
    }

    /// One finding of the file `file` (shown as `shown`), judged.
    pub fn judge(
        &self,
        finding: Finding,
        policy_path: &str,
        relative: &str,
        status: Option<Status>,
    ) -> Reported {
        let policy = self.policy.map(|p| p.judge(&finding, policy_path));
        let suppressed = self
            .baseline
            .and_then(|b| b.accepts(&finding, relative, &self.today));
        Reported {
            finding,
            policy,
            status,
            suppressed,
            entry_at: None,
        }
    }

    /// The findings of the file shown as `shown`, with their statuses,
    /// judged; a finding inside an archive or e-mail knows where its entry
    /// starts in its path. Judged into a buffer this thread emptied before
    /// ([`recycle`]), if it kept one.
    fn judge_file(
        &self,
        shown: &str,
        file: Option<&FileRef>,
        findings: impl ExactSizeIterator<Item = (Finding, Option<Status>)>,
    ) -> Vec<Reported> {
        let policy_path = self.policy_path(shown, file);
        let relative = file.map_or(shown, |f| f.relative.as_str());
        let outer = shown.len();
        let mut judged = SPARE_REPORTED.with(|s| s.take(findings.len()));
        judged.extend(findings.map(|(f, status)| {
            let inside = f.path.len() > outer + 1;
            let mut j = self.judge(f, &policy_path, relative, status);
            j.entry_at = inside.then_some(outer + 1);
            j
        }));
        judged
    }

    /// [`Judge::judge_file`] of a scan's findings, whose emptied buffer
    /// this thread keeps for its next part.
    fn judge_found(
        &self,
        shown: &str,
        file: Option<&FileRef>,
        mut findings: Vec<Finding>,
        statuses: Option<Vec<Status>>,
    ) -> Vec<Reported> {
        let mut statuses = statuses.unwrap_or_default().into_iter();
        let judged = self.judge_file(
            shown,
            file,
            findings.drain(..).map(|f| (f, statuses.next())),
        );
        crate::scan::SPARE_FINDINGS.with(|s| s.keep(findings));
        judged
    }

    /// A scan event as the report takes it; `statuses` (with a store) say
    /// whether each finding is new, in the order of the file's findings.
    pub fn item(&self, event: Event, statuses: Option<Vec<Status>>) -> Item {
        match event {
            Event::Findings(part) => {
                let findings =
                    self.judge_found(&part.path, part.file.as_ref(), part.findings, statuses);
                Item::Findings(FindingsReport {
                    path: part.path,
                    unchanged: part.unchanged,
                    file: part.file,
                    findings,
                    counted: Counted::default(),
                })
            }
            Event::Scanned(r) => {
                let owner = self.owner_of(&r.path, r.file.as_ref());
                let findings = self.judge_found(&r.path, r.file.as_ref(), r.findings, statuses);
                Item::File(FileReport {
                    path: r.path,
                    bytes: r.bytes,
                    format: r.format,
                    encoding: r.encoding,
                    findings,
                    counted: Counted::default(),
                    owner,
                    problems: r.problems,
                    unchanged: r.unchanged,
                    file: r.file,
                    hash: r.hash,
                })
            }
            Event::Skipped {
                path,
                reason,
                unchanged,
                file,
            } => Item::Skipped {
                path,
                reason,
                unchanged,
                file,
            },
            Event::Error { path, reason } => Item::Error { path, reason },
        }
    }
}

impl Judge<'_> {
    /// Judges again the findings of an item (one replayed from a store):
    /// the policy's verdict and the baseline's acceptance; the status is
    /// kept.
    pub fn rejudge(&self, item: Item) -> Item {
        match item {
            Item::Findings(mut r) => {
                let findings = std::mem::take(&mut r.findings)
                    .into_iter()
                    .map(|f| (f.finding, f.status));
                r.findings = self.judge_file(&r.path, r.file.as_ref(), findings);
                Item::Findings(r)
            }
            Item::File(mut r) => {
                let findings = std::mem::take(&mut r.findings)
                    .into_iter()
                    .map(|f| (f.finding, f.status));
                r.findings = self.judge_file(&r.path, r.file.as_ref(), findings);
                r.owner = self.owner_of(&r.path, r.file.as_ref());
                Item::File(r)
            }
            other => other,
        }
    }
}

impl From<Event> for Item {
    /// The event with no verdicts (no policy, no baseline, no store).
    fn from(event: Event) -> Item {
        Judge::default().item(event, None)
    }
}
