//! The store: an embedded SQLite database of runs, file versions and their
//! (masked) findings, so that scheduled scans remember what they saw.
//!
//! * A run is recorded with its settings, rules hash and counts
//!   ([`Store::begin`], [`RunWriter::finish`]); a run that was killed is
//!   marked `interrupted` when the store is next opened.
//! * A file whose metadata (size, modification time, device and inode) and
//!   rules are unchanged since it was recorded is not read again: the scan
//!   asks [`StoreReader`] (a [`Known`]) and reuses the recorded outcome. When
//!   only the metadata changed, the content hash decides.
//! * One writer ([`RunWriter`], on one thread) records each file as the scan
//!   hands it over and commits in batches, so a killed run loses at most the
//!   last batch and the next run does not read again what was committed.
//! * A finding's identity across runs is (root, path relative to it, entry
//!   inside an archive, category, fingerprint): [`StoreReader::statuses`]
//!   says which findings are new since the previous complete run over the
//!   same roots, [`Store::diff`] compares two runs.
//! * Only one process uses a store at a time: a lock file beside it
//!   (`FILE.lock`) names the holder.
//!
//! The store never holds a raw value: findings are kept masked, with their
//! keyed fingerprints.

mod schema;

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Category, Finding};
use crate::report::{Item, Status};
use crate::scan::{EntryProblem, FINDINGS_BATCH, FileRef, Known, More, Recall, Recalled};

fn store_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Store, format!("store: {e}"))
}

/// This host's name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The user running this process.
pub fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What a run is: its roots and the rules its findings depend on.
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    /// The roots, absolute.
    pub roots: Vec<PathBuf>,
    /// Hash of what decides findings: version, built-in and user
    /// dictionaries, confidence threshold, fingerprint key id. Files
    /// recorded under another ruleset are read again.
    pub ruleset: String,
    /// The fingerprint key's id (a hash of the key).
    pub key_id: String,
    /// Hash of the policy file, if one judged the findings.
    pub policy_hash: Option<String>,
    /// Other settings, recorded for the auditor (excludes, size limit,
    /// threads, command line…).
    pub settings: serde_json::Value,
}

/// A run in progress.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its id.
    pub id: i64,
    /// The previous complete run over the same roots.
    pub previous_id: Option<i64>,
    /// Root ids, in the order of [`RunSpec::roots`].
    root_ids: Vec<i64>,
    /// Roots as given, absolute, in that order.
    roots: Vec<PathBuf>,
    ruleset: String,
}

impl Run {
    /// The rules hash files are recorded under.
    pub fn ruleset(&self) -> &str {
        &self.ruleset
    }

    /// The root a path shown in this run lies under, and the path relative
    /// to it.
    fn locate(&self, shown: &str) -> Option<(i64, String)> {
        let abs = std::path::absolute(shown).ok()?;
        self.roots
            .iter()
            .zip(&self.root_ids)
            .filter_map(|(r, id)| Some((*id, abs.strip_prefix(r).ok()?)))
            .max_by_key(|(_, rel)| std::cmp::Reverse(rel.as_os_str().len()))
            .map(|(id, rel)| (id, rel.to_string_lossy().replace('\\', "/")))
    }
}

/// A run as `mamori history` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: i64,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// End, if it ended.
    pub finished: Option<String>,
    /// `running`, `complete` or `interrupted`.
    pub status: String,
    /// Host it ran on.
    pub host: String,
    /// User it ran as.
    pub user: String,
    /// mamori version.
    pub version: String,
    /// Rules hash.
    pub ruleset: String,
    /// Fingerprint key id.
    pub key_id: String,
    /// Policy hash, if a policy judged it.
    pub policy_hash: Option<String>,
    /// Roots, absolute.
    pub roots: Vec<String>,
    /// Settings.
    pub settings: serde_json::Value,
    /// Files read.
    pub files_scanned: i64,
    /// Files recalled unchanged.
    pub files_unchanged: i64,
    /// Files skipped.
    pub files_skipped: i64,
    /// Paths that could not be read.
    pub files_unreadable: i64,
    /// Files gone since the previous runs.
    pub files_removed: i64,
    /// Findings reported.
    pub findings: i64,
    /// Of those, new.
    pub findings_new: i64,
}

/// A finding as a store holds it, for diffs: its root, and the finding
/// with its path relative to the root (`a/b.zip!inner.csv` inside an
/// archive).
#[derive(Debug, Clone, Serialize)]
pub struct StoredFinding {
    /// Root (absolute).
    pub root: String,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

/// Two runs compared.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The earlier run.
    pub from: i64,
    /// The later run.
    pub to: i64,
    /// Findings in `to` whose identity is not in `from`.
    pub new: Vec<StoredFinding>,
    /// Findings in `from` whose identity is not in `to`.
    pub resolved: Vec<StoredFinding>,
}

/// An accepted finding kept in a store.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineRecord {
    /// Entry id.
    pub id: i64,
    /// Fingerprint accepted.
    pub fingerprint: String,
    /// Path glob, if limited.
    pub path: Option<String>,
    /// Why.
    pub reason: String,
    /// Last day it holds.
    pub expires: Option<String>,
    /// When it was added.
    pub added: String,
    /// Who added it.
    pub added_by: String,
}

/// An open store, held by this process.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

/// The lock file of a store.
fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Every file a store at `path` may create (database, journal, lock), so a
/// scan leaves them out.
pub fn files_of(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal", ".lock"]
        .iter()
        .map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            PathBuf::from(p)
        })
        .collect()
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| store_err(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(store_err)?;
    // One plan per statement: without this, SQLite (built with STAT4)
    // prepares a statement again each time a parameter changes.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(store_err)?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(store_err)?;
    Ok(conn)
}

/// Takes the store's lock, or says who holds it. `wait`: how long to wait
/// for the holder to finish.
fn lock(path: &Path, wait: Duration) -> Result<File> {
    let lp = lock_path(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&lp).map_err(|e| Error::io(&e, &lp))?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = crate::report::terminal_safe(holder.trim());
                return Err(Error::new(
                    ErrorKind::Store,
                    format!(
                        "the store {} is in use by another mamori run ({}); wait for it to finish",
                        path.display(),
                        if holder.is_empty() {
                            "unknown process"
                        } else {
                            &holder
                        }
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&e, &lp)),
        }
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(
        file,
        "pid {} on {} as {} since {}",
        std::process::id(),
        host_name(),
        user_name(),
        now()
    );
    let _ = file.flush();
    Ok(file)
}

impl Store {
    /// Opens (creating it if needed) the store at `path`, takes its lock
    /// (waiting up to `wait` for another run to finish), migrates it to the
    /// current schema and marks runs left `running` by a killed process as
    /// `interrupted`.
    pub fn open(path: &Path, wait: Duration) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(&e, dir))?;
        }
        let lock = lock(path, wait)?;
        let existed = path.exists();
        let mut conn = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 16384;",
        )
            .map_err(store_err)?;
        migrate(&mut conn)?;
        let killed = conn
            .execute(
                "UPDATE runs SET status = 'interrupted', finished = COALESCE(finished, ?1) \
                 WHERE status = 'running'",
                params![now()],
            )
            .map_err(store_err)?;
        if killed > 0 {
            // Versions a killed run had begun and not finished recording
            // (their findings were coming in parts).
            conn.execute("DELETE FROM files WHERE gone_run = first_run", [])
                .map_err(store_err)?;
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn root_id(&self, root: &Path) -> Result<i64> {
        let s = root.to_string_lossy();
        self.conn
            .execute(
                "INSERT INTO roots (path) VALUES (?1) ON CONFLICT (path) DO NOTHING",
                params![s],
            )
            .map_err(store_err)?;
        self.conn
            .query_row("SELECT id FROM roots WHERE path = ?1", params![s], |r| {
                r.get(0)
            })
            .map_err(store_err)
    }

    /// Starts a run.
    pub fn begin(&mut self, spec: &RunSpec) -> Result<Run> {
        let mut root_ids = Vec::new();
        for r in &spec.roots {
            root_ids.push(self.root_id(r)?);
        }
        let scope = scope_of(&root_ids);
        let previous_id: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(id) FROM runs WHERE status = 'complete' AND scope = ?1",
                params![scope],
                |r| r.get(0),
            )
            .map_err(store_err)?;
        let tx = self.conn.transaction().map_err(store_err)?;
        tx.execute(
            "INSERT INTO runs (started, status, pid, host, user, version, ruleset, key_id, \
             policy_hash, scope, settings) VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                now(),
                std::process::id(),
                host_name(),
                user_name(),
                env!("CARGO_PKG_VERSION"),
                spec.ruleset,
                spec.key_id,
                spec.policy_hash,
                scope,
                spec.settings.to_string(),
            ],
        )
        .map_err(store_err)?;
        let id = tx.last_insert_rowid();
        for (i, root) in root_ids.iter().enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO run_roots (run_id, root_id, position) VALUES (?1, ?2, ?3)",
                params![id, root, i as i64],
            )
            .map_err(store_err)?;
        }
        tx.commit().map_err(store_err)?;
        Ok(Run {
            id,
            previous_id,
            root_ids,
            roots: spec.roots.clone(),
            ruleset: spec.ruleset.clone(),
        })
    }

    /// What the scan's workers consult: `full` reads every file again.
    pub fn reader(&self, run: &Run, full: bool) -> StoreReader {
        StoreReader {
            path: self.path.clone(),
            pool: Mutex::new(Vec::new()),
            run: run.clone(),
            full,
            parts: Default::default(),
        }
    }

    /// The writer of `run`, to be used on one thread.
    pub fn writer(self, run: Run) -> RunWriter {
        RunWriter {
            store: self,
            run,
            pending: 0,
            last_commit: Instant::now(),
            in_tx: false,
            counts: Counts::default(),
            open: std::collections::HashMap::new(),
        }
    }

    /// Every run, oldest first.
    pub fn history(&self) -> Result<Vec<RunRecord>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, started, finished, status, host, user, version, ruleset, key_id, \
                 policy_hash, settings, files_scanned, files_unchanged, files_skipped, \
                 files_unreadable, files_removed, findings, findings_new FROM runs ORDER BY id",
            )
            .map_err(store_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    started: r.get(1)?,
                    finished: r.get(2)?,
                    status: r.get(3)?,
                    host: r.get(4)?,
                    user: r.get(5)?,
                    version: r.get(6)?,
                    ruleset: r.get(7)?,
                    key_id: r.get(8)?,
                    policy_hash: r.get(9)?,
                    roots: Vec::new(),
                    settings: serde_json::from_str(&r.get::<_, String>(10)?)
                        .unwrap_or(serde_json::Value::Null),
                    files_scanned: r.get(11)?,
                    files_unchanged: r.get(12)?,
                    files_skipped: r.get(13)?,
                    files_unreadable: r.get(14)?,
                    files_removed: r.get(15)?,
                    findings: r.get(16)?,
                    findings_new: r.get(17)?,
                })
            })
            .map_err(store_err)?;
        let mut runs = Vec::new();
        for r in rows {
            let mut r = r.map_err(store_err)?;
            r.roots = self.run_roots(r.id)?;
            runs.push(r);
        }
        Ok(runs)
    }

    fn run_roots(&self, run: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT roots.path FROM run_roots JOIN roots ON roots.id = run_roots.root_id \
                 WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(store_err)?;
        let rows = stmt
            .query_map(params![run], |r| r.get(0))
            .map_err(store_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(store_err)
    }

    fn run_status(&self, run: i64) -> Result<Option<(String, String)>> {
        self.conn
            .query_row(
                "SELECT status, scope FROM runs WHERE id = ?1",
                params![run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(store_err)
    }

    /// Compares two runs: `to` defaults to the last complete run, `from` to
    /// the complete run before it over the same roots (else the complete
    /// run before it). Holds every finding that differs: see
    /// [`Store::diff_runs`] and [`Store::each_only_in`] to go through them
    /// one at a time.
    pub fn diff(&self, from: Option<i64>, to: Option<i64>) -> Result<Diff> {
        let (from, to) = self.diff_runs(from, to)?;
        let all = |a, b| {
            let mut v = Vec::new();
            self.each_only_in(a, b, |f| {
                v.push(f);
                Ok(())
            })?;
            Ok::<_, Error>(v)
        };
        Ok(Diff {
            from,
            to,
            new: all(to, from)?,
            resolved: all(from, to)?,
        })
    }

    /// The runs [`Store::diff`] compares, `(from, to)`.
    pub fn diff_runs(&self, from: Option<i64>, to: Option<i64>) -> Result<(i64, i64)> {
        let last_complete = |before: Option<i64>, scope: Option<&str>| -> Result<Option<i64>> {
            self.conn
                .query_row(
                    "SELECT max(id) FROM runs WHERE status = 'complete' \
                     AND (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR scope = ?2)",
                    params![before, scope],
                    |r| r.get(0),
                )
                .map_err(store_err)
        };
        let to = match to {
            Some(t) => t,
            None => {
                last_complete(None, None)?.ok_or_else(|| store_err("no complete run to compare"))?
            }
        };
        let (_, scope) = self
            .run_status(to)?
            .ok_or_else(|| store_err(format!("no run {to}")))?;
        let from = match from {
            Some(f) => f,
            None => match last_complete(Some(to), Some(&scope))? {
                Some(f) => f,
                None => last_complete(Some(to), None)?.ok_or_else(|| {
                    store_err(format!("no complete run before run {to} to compare with"))
                })?,
            },
        };
        if self.run_status(from)?.is_none() {
            return Err(store_err(format!("no run {from}")));
        }
        Ok((from, to))
    }

    /// The SQL of the findings present at run `?1` whose identity is not
    /// present at `?2`, with `select` as its columns.
    fn only_in_sql(select: &str, order: &str) -> String {
        const PRESENT: &str = "f.root_id IN (SELECT root_id FROM run_roots WHERE run_id = ?N) \
             AND f.first_run <= ?N AND (f.gone_run IS NULL OR f.gone_run > ?N)";
        format!(
            "SELECT {select} \
             FROM files f JOIN findings d ON d.file_id = f.id JOIN roots ON roots.id = f.root_id \
             WHERE {} AND NOT EXISTS (SELECT 1 FROM files g JOIN findings e ON e.file_id = g.id \
               WHERE g.root_id = f.root_id AND g.path = f.path AND e.inner = d.inner \
               AND e.category = d.category AND e.fingerprint = d.fingerprint AND {}) {order}",
            PRESENT.replace("?N", "?1"),
            PRESENT.replace("?N", "?2").replace("f.", "g.")
        )
    }

    /// How many findings present at run `a` have an identity not present
    /// at `b`.
    pub fn count_only_in(&self, a: i64, b: i64) -> Result<u64> {
        self.conn
            .query_row(&Self::only_in_sql("count(*)", ""), params![a, b], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(store_err)
    }

    /// Hands `each` the findings present at run `a` whose identity is not
    /// present at `b`, one at a time, by root, path and position.
    pub fn each_only_in(
        &self,
        a: i64,
        b: i64,
        mut each: impl FnMut(StoredFinding) -> Result<()>,
    ) -> Result<()> {
        let sql = Self::only_in_sql(
            &format!("roots.path, f.path, {FINDING_COLUMNS}"),
            "ORDER BY roots.path, f.path, d.inner, d.seq",
        );
        let mut stmt = self.conn.prepare(&sql).map_err(store_err)?;
        let mut rows = stmt.query(params![a, b]).map_err(store_err)?;
        while let Some(r) = rows.next().map_err(store_err)? {
            let path: String = r.get(1).map_err(store_err)?;
            each(StoredFinding {
                root: r.get(0).map_err(store_err)?,
                finding: finding_at(r, 2, &path).map_err(store_err)?,
            })?;
        }
        Ok(())
    }

    /// The record of run `run` (default: the last complete run).
    pub fn run_record(&self, run: Option<i64>) -> Result<RunRecord> {
        let id = match run {
            Some(r) => r,
            None => self
                .conn
                .query_row(
                    "SELECT max(id) FROM runs WHERE status = 'complete'",
                    [],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .map_err(store_err)?
                .ok_or_else(|| store_err("no complete run to report"))?,
        };
        self.history()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| store_err(format!("no run {id}")))
    }

    /// The run `run` (default: the last complete run) as it was reported:
    /// each file present in it, with its recorded outcome and findings
    /// (each marked new or existing relative to the complete run before it
    /// over the same roots), in path order, handed to `each`. Paths are
    /// shown as the root joined with the relative path. Returns the run and
    /// the run its statuses are relative to.
    pub fn replay(
        &self,
        run: Option<i64>,
        mut each: impl FnMut(Item) -> Result<()>,
    ) -> Result<(RunRecord, Option<i64>)> {
        let record = self.run_record(run)?;
        let id = record.id;
        let (_, scope) = self
            .run_status(id)?
            .ok_or_else(|| store_err(format!("no run {id}")))?;
        let previous: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(id) FROM runs WHERE status = 'complete' AND scope = ?1 AND id < ?2",
                params![scope, id],
                |r| r.get(0),
            )
            .map_err(store_err)?;
        let mut files = self
            .conn
            .prepare(
                "SELECT f.id, roots.path, f.path, f.size, f.root_id, f.outcome, f.format, f.encoding,                  f.reason, f.problems, f.hash FROM files f JOIN roots ON roots.id = f.root_id                  WHERE f.root_id IN (SELECT root_id FROM run_roots WHERE run_id = ?1)                  AND f.first_run <= ?1 AND (f.gone_run IS NULL OR f.gone_run > ?1)                  ORDER BY roots.path, f.path",
            )
            .map_err(store_err)?;
        let mut rows = files.query(params![id]).map_err(store_err)?;
        while let Some(r) = rows.next().map_err(store_err)? {
            let get = |e: rusqlite::Error| store_err(e);
            let file_id: i64 = r.get(0).map_err(get)?;
            let root: String = r.get(1).map_err(get)?;
            let rel: String = r.get(2).map_err(get)?;
            let shown = Path::new(&root).join(&rel).to_string_lossy().into_owned();
            let root_id: i64 = r.get(4).map_err(get)?;
            let cur = Current {
                id: file_id,
                meta: (r.get(3).map_err(get)?, 0, 0, 0),
                hash: r.get(10).map_err(get)?,
                ruleset: String::new(),
                outcome: r.get(5).map_err(get)?,
                format: r.get(6).map_err(get)?,
                encoding: r.get(7).map_err(get)?,
                reason: r.get(8).map_err(get)?,
                problems: r.get(9).map_err(get)?,
            };
            let item = match StoreReader::recalled(&self.conn, &cur, &shown).map_err(get)? {
                Recalled::Skipped(reason) => Item::Skipped {
                    path: shown,
                    reason,
                    unchanged: false,
                    file: None,
                },
                Recalled::Read {
                    format,
                    encoding,
                    mut findings,
                    mut more,
                    problems,
                    hash,
                } => {
                    let known = match previous {
                        Some(p) => identities_at(&self.conn, root_id, &rel, p).map_err(get)?,
                        None => HashSet::new(),
                    };
                    let file = Some(FileRef {
                        root: record.roots.iter().position(|x| *x == root).unwrap_or(0),
                        relative: rel,
                        meta: Default::default(),
                    });
                    let judged = |findings: Vec<Finding>| -> Vec<crate::report::Reported> {
                        let statuses = statuses_against(&known, &shown, &findings);
                        findings
                            .into_iter()
                            .zip(statuses)
                            .map(|(f, status)| crate::report::Reported {
                                status: Some(status),
                                ..f.into()
                            })
                            .collect()
                    };
                    while let Some(m) = more {
                        let (next, after) =
                            StoreReader::findings(&self.conn, m.key, m.after, &shown)
                                .map_err(get)?;
                        more = after;
                        each(Item::Findings(crate::report::FindingsReport {
                            path: shown.clone(),
                            unchanged: false,
                            file: file.clone(),
                            findings: judged(std::mem::replace(&mut findings, next)),
                            counted: Default::default(),
                        }))?;
                    }
                    let findings = judged(findings);
                    Item::File(crate::report::FileReport {
                        path: shown,
                        bytes: cur.meta.0 as u64,
                        format,
                        encoding,
                        findings,
                        counted: Default::default(),
                        owner: None,
                        problems,
                        unchanged: false,
                        file,
                        hash,
                    })
                }
            };
            each(item)?;
        }
        Ok((record, previous))
    }

    /// Accepts findings by fingerprint.
    pub fn baseline_add(
        &mut self,
        fingerprints: &[String],
        path: Option<&str>,
        reason: &str,
        expires: Option<&str>,
    ) -> Result<usize> {
        let mut entries = Vec::new();
        for fp in fingerprints {
            entries.push(crate::baseline::Entry::new(fp, path, reason, expires)?);
        }
        let tx = self.conn.transaction().map_err(store_err)?;
        for e in &entries {
            tx.execute(
                "INSERT INTO baseline (fingerprint, path, reason, expires, added, added_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    e.fingerprint,
                    e.path,
                    e.reason,
                    e.expires,
                    now(),
                    user_name()
                ],
            )
            .map_err(store_err)?;
        }
        tx.commit().map_err(store_err)?;
        Ok(entries.len())
    }

    /// Removes accepted findings by fingerprint; returns how many entries.
    pub fn baseline_remove(&mut self, fingerprints: &[String]) -> Result<usize> {
        let mut n = 0;
        for fp in fingerprints {
            n += self
                .conn
                .execute(
                    "DELETE FROM baseline WHERE fingerprint = ?1",
                    params![fp.trim().to_ascii_lowercase()],
                )
                .map_err(store_err)?;
        }
        Ok(n)
    }

    /// The accepted findings.
    pub fn baseline_list(&self) -> Result<Vec<BaselineRecord>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, fingerprint, path, reason, expires, added, added_by FROM baseline \
                 ORDER BY id",
            )
            .map_err(store_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BaselineRecord {
                    id: r.get(0)?,
                    fingerprint: r.get(1)?,
                    path: r.get(2)?,
                    reason: r.get(3)?,
                    expires: r.get(4)?,
                    added: r.get(5)?,
                    added_by: r.get(6)?,
                })
            })
            .map_err(store_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(store_err)
    }

    /// The accepted findings as a [`crate::baseline::Baseline`].
    pub fn baseline(&self) -> Result<crate::baseline::Baseline> {
        let mut b = crate::baseline::Baseline::new();
        for r in self.baseline_list()? {
            b.push(crate::baseline::Entry::new(
                &r.fingerprint,
                r.path.as_deref(),
                &r.reason,
                r.expires.as_deref(),
            )?);
        }
        Ok(b)
    }
}

/// What "the same roots" means: the sorted root ids.
fn scope_of(root_ids: &[i64]) -> String {
    let mut ids = root_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(store_err)?;
    let current = schema::MIGRATIONS.len() as i64;
    if version > current {
        return Err(store_err(format!(
            "the store has schema version {version}, newer than this mamori's {current}; use a newer mamori"
        )));
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(store_err)?;
        tx.execute_batch(sql).map_err(store_err)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(store_err)?;
        tx.commit().map_err(store_err)?;
    }
    Ok(())
}

/// The current version of a file as recorded.
struct Current {
    id: i64,
    meta: (i64, i64, i64, i64),
    hash: Option<String>,
    ruleset: String,
    outcome: String,
    format: Option<String>,
    encoding: Option<String>,
    reason: Option<String>,
    problems: Option<String>,
}

/// Read access for the scan's workers: a pool of read-only connections
/// (WAL lets them read while the writer writes).
pub struct StoreReader {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
    run: Run,
    full: bool,
    /// The previous run's identities of files whose findings are coming in
    /// parts, by (root, relative path).
    parts: Mutex<std::collections::HashMap<(usize, String), KnownOfFile>>,
}

/// The identities a previous run had of one file.
type KnownOfFile = std::sync::Arc<HashSet<Identity>>;

impl std::fmt::Debug for StoreReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreReader({})", self.path.display())
    }
}

impl StoreReader {
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let conn = self.pool.lock().ok()?.pop();
        let conn = match conn {
            Some(c) => c,
            None => connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?,
        };
        let out = f(&conn).ok();
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(conn);
        }
        out
    }

    fn current(conn: &Connection, root: i64, path: &str) -> rusqlite::Result<Option<Current>> {
        conn.prepare_cached(
            "SELECT id, size, mtime_ns, dev, ino, hash, ruleset, outcome, format, encoding, \
             reason, problems FROM files WHERE root_id = ?1 AND path = ?2 AND gone_run IS NULL",
        )?
        .query_row(params![root, path], |r| {
            Ok(Current {
                id: r.get(0)?,
                meta: (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                hash: r.get(5)?,
                ruleset: r.get(6)?,
                outcome: r.get(7)?,
                format: r.get(8)?,
                encoding: r.get(9)?,
                reason: r.get(10)?,
                problems: r.get(11)?,
            })
        })
        .optional()
    }

    /// The findings of file version `file` after the one numbered
    /// `after`, [`FINDINGS_BATCH`] at most, and where they continue.
    fn findings(
        conn: &Connection,
        file: i64,
        after: i64,
        shown: &str,
    ) -> rusqlite::Result<(Vec<Finding>, Option<More>)> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT d.seq, {FINDING_COLUMNS} FROM findings d WHERE d.file_id = ?1 AND d.seq > ?2 \
             ORDER BY d.seq LIMIT ?3"
        ))?;
        let mut last = after;
        let rows = stmt.query_map(params![file, after, FINDINGS_BATCH as i64], |r| {
            Ok((r.get::<_, i64>(0)?, finding_at(r, 1, shown)?))
        })?;
        let mut findings = Vec::new();
        for row in rows {
            let (seq, f) = row?;
            last = seq;
            findings.push(f);
        }
        let more = (findings.len() == FINDINGS_BATCH).then_some(More {
            key: file,
            after: last,
        });
        Ok((findings, more))
    }

    fn recalled(conn: &Connection, cur: &Current, shown: &str) -> rusqlite::Result<Recalled> {
        if cur.outcome == "skipped" {
            return Ok(Recalled::Skipped(cur.reason.clone().unwrap_or_default()));
        }
        let problems: Vec<(String, String, bool)> = cur
            .problems
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default();
        let (findings, more) = Self::findings(conn, cur.id, -1, shown)?;
        Ok(Recalled::Read {
            format: crate::read::format_name(cur.format.as_deref().unwrap_or("")),
            encoding: cur.encoding.clone(),
            findings,
            more,
            problems: problems
                .into_iter()
                .map(|(inner, reason, error)| EntryProblem {
                    path: format!("{shown}!{inner}"),
                    reason,
                    error,
                })
                .collect(),
            hash: cur.hash.clone(),
        })
    }

    /// Which of `findings` (of `file`) are new since the previous complete
    /// run over the same roots; `None` when there is no previous run.
    pub fn statuses(&self, file: &FileRef, shown: &str, findings: &[Finding]) -> Vec<Status> {
        self.statuses_of_part(file, shown, findings, true)
    }

    /// [`StoreReader::statuses`] for a part of a file's findings (`last`:
    /// the part that ends them): what the previous run had of the file is
    /// looked up once for all its parts.
    pub fn statuses_of_part(
        &self,
        file: &FileRef,
        shown: &str,
        findings: &[Finding],
        last: bool,
    ) -> Vec<Status> {
        let Some(prev) = self.run.previous_id else {
            return vec![Status::New; findings.len()];
        };
        let Some(&root) = self.run.root_ids.get(file.root) else {
            return vec![Status::New; findings.len()];
        };
        let key = (file.root, file.relative.clone());
        let cached = {
            let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
            if last {
                parts.remove(&key)
            } else {
                parts.get(&key).cloned()
            }
        };
        if findings.is_empty() {
            return Vec::new();
        }
        let known = cached.unwrap_or_else(|| {
            let known = std::sync::Arc::new(
                self.with(|conn| identities_at(conn, root, &file.relative, prev))
                    .unwrap_or_default(),
            );
            if !last {
                let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
                parts.insert(key, known.clone());
            }
            known
        });
        statuses_against(&known, shown, findings)
    }
}

/// The columns [`finding_at`] reads, in its order.
const FINDING_COLUMNS: &str =
    "d.inner, d.category, d.confidence, d.rule, d.location, d.masked, d.fingerprint, d.context";

/// A finding from [`FINDING_COLUMNS`] starting at column `at`, its path the
/// file's `shown` path (with `!entry` inside an archive).
fn finding_at(r: &rusqlite::Row<'_>, at: usize, shown: &str) -> rusqlite::Result<Finding> {
    let inner: String = r.get(at)?;
    let category: String = r.get(at + 1)?;
    let confidence: String = r.get(at + 2)?;
    let location: String = r.get(at + 4)?;
    Ok(Finding {
        path: if inner.is_empty() {
            shown.to_string()
        } else {
            format!("{shown}!{inner}")
        },
        category: Category::from_id(&category).unwrap_or(Category::PersonName),
        confidence: confidence.parse().unwrap_or_default(),
        rule: r.get(at + 3)?,
        location: serde_json::from_str(&location).unwrap_or_default(),
        masked: r.get(at + 5)?,
        fingerprint: r.get(at + 6)?,
        context: r.get(at + 7)?,
    })
}

/// A finding's identity within its file: a digest of (entry, category,
/// fingerprint), small enough to hold for every finding of a large file.
type Identity = [u8; 16];

/// The [`Identity`] of a finding in entry `inner` of its file.
fn identity(inner: &str, category: &str, fingerprint: &str) -> Identity {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [inner, category, fingerprint] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut id = [0; 16];
    id.copy_from_slice(&h.finalize()[..16]);
    id
}

/// The identities of the findings of the file at `rel` under root `root`
/// present at run `run`.
fn identities_at(
    conn: &Connection,
    root: i64,
    rel: &str,
    run: i64,
) -> rusqlite::Result<HashSet<Identity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.inner, d.category, d.fingerprint FROM files f \
         JOIN findings d ON d.file_id = f.id \
         WHERE f.root_id = ?1 AND f.path = ?2 AND f.first_run <= ?3 \
         AND (f.gone_run IS NULL OR f.gone_run > ?3)",
    )?;
    let mut rows = stmt.query(params![root, rel, run])?;
    let mut known = HashSet::new();
    while let Some(r) = rows.next()? {
        known.insert(identity(
            r.get_ref(0)?.as_str()?,
            r.get_ref(1)?.as_str()?,
            r.get_ref(2)?.as_str()?,
        ));
    }
    Ok(known)
}

/// New or existing, for each of a file's `findings` (shown as `shown`),
/// given the identities the previous run had.
fn statuses_against(known: &HashSet<Identity>, shown: &str, findings: &[Finding]) -> Vec<Status> {
    findings
        .iter()
        .map(|f| {
            let id = identity(inner_of(&f.path, shown), f.category.id(), &f.fingerprint);
            if known.contains(&id) {
                Status::Existing
            } else {
                Status::New
            }
        })
        .collect()
}

/// The archive entry part of a finding's path (`""` for the file itself).
fn inner_of<'a>(path: &'a str, shown: &str) -> &'a str {
    path.strip_prefix(shown)
        .and_then(|r| r.strip_prefix('!'))
        .unwrap_or("")
}

fn meta_tuple(file: &FileRef) -> (i64, i64, i64, i64) {
    let m = &file.meta;
    (m.size as i64, m.modified_ns, m.dev as i64, m.ino as i64)
}

impl Known for StoreReader {
    fn recall(&self, file: &FileRef, shown: &str, hash: Option<&str>) -> Recall {
        if self.full {
            return Recall::Changed;
        }
        let Some(&root) = self.run.root_ids.get(file.root) else {
            return Recall::Changed;
        };
        let recall = self.with(|conn| {
            let Some(cur) = Self::current(conn, root, &file.relative)? else {
                return Ok(Recall::Changed);
            };
            if cur.ruleset != self.run.ruleset {
                return Ok(Recall::Changed);
            }
            if cur.meta == meta_tuple(file) {
                return Ok(Recall::Unchanged(Self::recalled(conn, &cur, shown)?));
            }
            // Same size, other time or inode: the content decides.
            match (hash, &cur.hash) {
                (_, None) => Ok(Recall::Changed),
                _ if cur.meta.0 != file.meta.size as i64 => Ok(Recall::Changed),
                (None, Some(_)) => Ok(Recall::CheckContent),
                (Some(h), Some(old)) if h == old => {
                    Ok(Recall::Unchanged(Self::recalled(conn, &cur, shown)?))
                }
                _ => Ok(Recall::Changed),
            }
        });
        recall.unwrap_or(Recall::Changed)
    }

    fn more(&self, more: &More, shown: &str) -> (Vec<Finding>, Option<More>) {
        self.with(|conn| Self::findings(conn, more.key, more.after, shown))
            .unwrap_or_default()
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Files read.
    pub files_scanned: u64,
    /// Files recalled.
    pub files_unchanged: u64,
    /// Files skipped.
    pub files_skipped: u64,
    /// Paths unreadable.
    pub files_unreadable: u64,
    /// Files gone.
    pub files_removed: u64,
    /// Findings reported.
    pub findings: u64,
    /// Of those, new.
    pub findings_new: u64,
}

/// Records a run's files as the scan hands them over, on one thread,
/// committing every [`RunWriter::BATCH`] files or second.
pub struct RunWriter {
    store: Store,
    run: Run,
    pending: usize,
    last_commit: Instant,
    in_tx: bool,
    counts: Counts,
    /// Versions of files whose findings are coming in parts, by (root,
    /// relative path): the version's id and the next finding's number.
    /// Until its file is done, a version is recorded as gone in the run
    /// that made it, so no one sees it half written.
    open: std::collections::HashMap<(usize, String), (i64, i64)>,
}

impl std::fmt::Debug for RunWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunWriter(run {})", self.run.id)
    }
}

impl RunWriter {
    /// Files per transaction at most.
    pub const BATCH: usize = 512;

    /// The run.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            self.store
                .conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(store_err)?;
            self.in_tx = true;
        }
        Ok(())
    }

    /// Commits what is pending.
    pub fn commit(&mut self) -> Result<()> {
        if self.in_tx {
            self.store.conn.execute_batch("COMMIT").map_err(store_err)?;
            self.in_tx = false;
        }
        self.pending = 0;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Records one file of the scan, as judged for the report (or a part
    /// of its findings, ahead of it).
    pub fn record(&mut self, item: &Item) -> Result<()> {
        self.begin()?;
        match item {
            Item::Findings(r) => {
                self.count_findings(&r.findings);
                if let Some(file) = r.file.as_ref().filter(|_| !r.unchanged) {
                    let key = (file.root, file.relative.clone());
                    let open = match self.open.get(&key) {
                        Some(&open) => Some(open),
                        None => self.open_version(file)?.map(|id| (id, 0)),
                    };
                    if let Some((id, seq)) = open {
                        self.insert_findings(id, seq, &r.path, &r.findings)
                            .map_err(store_err)?;
                        self.open.insert(key, (id, seq + r.findings.len() as i64));
                    }
                }
            }
            Item::File(r) => {
                self.count_findings(&r.findings);
                if r.unchanged {
                    self.counts.files_unchanged += 1;
                } else {
                    self.counts.files_scanned += 1;
                }
                // A file read only in part (it failed after handing
                // findings over) is recorded with a time no file has, so
                // that the next run reads it again.
                let partial = r.problems.iter().any(|p| p.error && p.path == r.path);
                let again = r.file.as_ref().filter(|_| partial).map(|f| FileRef {
                    meta: crate::walk::FileMeta {
                        modified_ns: -1,
                        ..f.meta
                    },
                    ..f.clone()
                });
                if let Some(file) = again.as_ref().or(r.file.as_ref()) {
                    self.record_file(file, r.unchanged, r.hash.as_deref(), |w, id, seq| {
                        let problems: Vec<(&str, &str, bool)> = r
                            .problems
                            .iter()
                            .map(|p| (inner_of(&p.path, &r.path), p.reason.as_str(), p.error))
                            .collect();
                        w.store
                            .conn
                            .prepare_cached(
                                "UPDATE files SET outcome = 'read', format = ?2, encoding = ?3, \
                                 problems = ?4 WHERE id = ?1",
                            )?
                            .execute(params![
                                id,
                                r.format,
                                r.encoding,
                                serde_json::to_string(&problems).unwrap_or_default()
                            ])?;
                        w.insert_findings(id, seq, &r.path, &r.findings)
                    })?;
                }
            }
            Item::Skipped {
                path: _,
                reason,
                file,
                unchanged,
            } => {
                self.counts.files_skipped += 1;
                if *unchanged {
                    self.counts.files_unchanged += 1;
                }
                if let Some(file) = file {
                    self.record_file(file, *unchanged, None, |w, id, _| {
                        w.store
                            .conn
                            .prepare_cached(
                                "UPDATE files SET outcome = 'skipped', reason = ?2 WHERE id = ?1",
                            )?
                            .execute(params![id, reason])?;
                        Ok(())
                    })?;
                }
            }
            Item::Error { path, .. } => {
                self.counts.files_unreadable += 1;
                // What could not be read is not gone: keep what was
                // recorded under it.
                if let Some((root, rel)) = self.run.locate(path) {
                    let like = format!("{}/%", rel.replace('%', "\\%").replace('_', "\\_"));
                    self.store
                        .conn
                        .prepare_cached(
                            "UPDATE files SET last_run = ?1 WHERE root_id = ?2 AND gone_run IS NULL \
                             AND (path = ?3 OR ?3 = '' OR path LIKE ?4 ESCAPE '\\')",
                        )
                        .and_then(|mut s| s.execute(params![self.run.id, root, rel, like]))
                        .map_err(store_err)?;
                }
            }
        }
        self.pending += 1;
        if self.pending >= Self::BATCH || self.last_commit.elapsed() >= Duration::from_secs(1) {
            self.commit()?;
        }
        Ok(())
    }

    fn count_findings(&mut self, findings: &[crate::report::Reported]) {
        self.counts.findings += findings.len() as u64;
        self.counts.findings_new += findings
            .iter()
            .filter(|f| f.status == Some(Status::New))
            .count() as u64;
    }

    /// Records findings of the file shown as `shown` under version `id`,
    /// numbered from `seq`.
    fn insert_findings(
        &self,
        id: i64,
        seq: i64,
        shown: &str,
        findings: &[crate::report::Reported],
    ) -> rusqlite::Result<()> {
        let mut insert = self.store.conn.prepare_cached(
            "INSERT INTO findings (file_id, seq, inner, category, confidence, \
             rule, masked, fingerprint, context, location) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (n, f) in (seq..).zip(findings) {
            insert.execute(params![
                id,
                n,
                inner_of(&f.path, shown),
                f.category.id(),
                f.confidence.id(),
                f.rule,
                f.masked,
                f.fingerprint,
                f.context,
                serde_json::to_string(&f.location).unwrap_or_default(),
            ])?;
        }
        Ok(())
    }

    /// Starts a new version of `file`, hidden until its file is done
    /// ([`RunWriter::record_file`]); `None` for a file under no root of
    /// the run.
    fn open_version(&mut self, file: &FileRef) -> Result<Option<i64>> {
        let Some(&root) = self.run.root_ids.get(file.root) else {
            return Ok(None);
        };
        self.insert_version(root, file, None, true).map(Some)
    }

    /// Inserts a version of `file` (under root id `root`) seen by this
    /// run, its outcome to be filled in; `hidden`: recorded as gone in this
    /// run until its file is done.
    fn insert_version(
        &self,
        root: i64,
        file: &FileRef,
        hash: Option<&str>,
        hidden: bool,
    ) -> Result<i64> {
        let (size, mtime, dev, ino) = meta_tuple(file);
        let run = self.run.id;
        let conn = &self.store.conn;
        conn.prepare_cached(
            "INSERT INTO files (root_id, path, size, mtime_ns, dev, ino, hash, ruleset, outcome, \
             first_run, last_run, gone_run) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'skipped', ?9, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                root,
                file.relative,
                size,
                mtime,
                dev,
                ino,
                hash,
                self.run.ruleset,
                run,
                hidden.then_some(run)
            ])
        })
        .map_err(store_err)?;
        Ok(conn.last_insert_rowid())
    }

    /// Records a file's version: an unchanged one is marked seen (and its
    /// metadata refreshed); a changed or new one replaces the current
    /// version, and `fill` adds its outcome and findings (numbered from
    /// the number it is given: findings that came in parts are in already).
    fn record_file(
        &mut self,
        file: &FileRef,
        unchanged: bool,
        hash: Option<&str>,
        fill: impl FnOnce(&mut Self, i64, i64) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let Some(&root) = self.run.root_ids.get(file.root) else {
            return Ok(());
        };
        let (size, mtime, dev, ino) = meta_tuple(file);
        let run = self.run.id;
        let open = self.open.remove(&(file.root, file.relative.clone()));
        let conn = &self.store.conn;
        if unchanged {
            conn.prepare_cached(
                "UPDATE files SET last_run = ?1, size = ?4, mtime_ns = ?5, dev = ?6, ino = ?7 \
                 WHERE root_id = ?2 AND path = ?3 AND gone_run IS NULL",
            )
            .and_then(|mut s| s.execute(params![run, root, file.relative, size, mtime, dev, ino]))
            .map_err(store_err)?;
            return Ok(());
        }
        conn.prepare_cached(
            "UPDATE files SET gone_run = ?1 WHERE root_id = ?2 AND path = ?3 AND gone_run IS NULL",
        )
        .and_then(|mut s| s.execute(params![run, root, file.relative]))
        .map_err(store_err)?;
        let (id, seq) = match open {
            Some((id, seq)) => {
                conn.prepare_cached("UPDATE files SET gone_run = NULL, hash = ?2 WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![id, hash]))
                    .map_err(store_err)?;
                (id, seq)
            }
            None => (self.insert_version(root, file, hash, false)?, 0),
        };
        fill(self, id, seq).map_err(store_err)
    }

    /// [`RunWriter::finish`], and the run as reports show it (`store`: the
    /// store's path as the user gave it).
    pub fn finish_summary(
        self,
        complete: bool,
        store: String,
    ) -> Result<crate::report::RunSummary> {
        let run = self.run.clone();
        let c = self.finish(complete)?;
        Ok(crate::report::RunSummary {
            id: run.id,
            previous_id: run.previous_id,
            status: if complete { "complete" } else { "interrupted" }.into(),
            store,
            files_scanned: c.files_scanned,
            files_unchanged: c.files_unchanged,
            files_skipped: c.files_skipped,
            files_unreadable: c.files_unreadable,
            files_removed: c.files_removed,
            findings_new: c.findings_new,
            ruleset: run.ruleset,
        })
    }

    /// Ends the run: commits, and for a complete run marks as gone the
    /// files under its roots it did not see (they were removed), then
    /// records the counts and status. Returns the counts.
    pub fn finish(mut self, complete: bool) -> Result<Counts> {
        self.commit()?;
        let run = self.run.id;
        let tx = self.store.conn.transaction().map_err(store_err)?;
        if complete {
            let removed = tx
                .execute(
                    "UPDATE files SET gone_run = ?1 WHERE gone_run IS NULL AND last_run < ?1 \
                     AND root_id IN (SELECT root_id FROM run_roots WHERE run_id = ?1)",
                    params![run],
                )
                .map_err(store_err)?;
            self.counts.files_removed = removed as u64;
        }
        let c = self.counts;
        tx.execute(
            "UPDATE runs SET finished = ?2, status = ?3, files_scanned = ?4, files_unchanged = ?5, \
             files_skipped = ?6, files_unreadable = ?7, files_removed = ?8, findings = ?9, \
             findings_new = ?10 WHERE id = ?1",
            params![
                run,
                now(),
                if complete { "complete" } else { "interrupted" },
                c.files_scanned as i64,
                c.files_unchanged as i64,
                c.files_skipped as i64,
                c.files_unreadable as i64,
                c.files_removed as i64,
                c.findings as i64,
                c.findings_new as i64,
            ],
        )
        .map_err(store_err)?;
        tx.commit().map_err(store_err)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FileReport, FindingsReport, Reported};
    use crate::walk::FileMeta;

    /// Invented finding number `n` of the file shown as `shown`.
    fn finding(shown: &str, n: u64) -> Reported {
        Reported::from(Finding {
            path: shown.to_string(),
            category: Category::Phone,
            confidence: crate::finding::Confidence::High,
            rule: "phone.test".into(),
            location: crate::finding::Location {
                line: Some(n + 1),
                column: 1,
                ..Default::default()
            },
            masked: "090-****-****".into(),
            fingerprint: format!("{n:032x}"),
            context: String::new(),
        })
    }

    fn begin(path: &Path, root: &Path) -> (Store, Run) {
        let mut store = Store::open(path, Duration::ZERO).unwrap();
        let run = store
            .begin(&RunSpec {
                roots: vec![root.to_path_buf()],
                ruleset: "rules".into(),
                key_id: "key".into(),
                policy_hash: None,
                settings: serde_json::json!({}),
            })
            .unwrap();
        (store, run)
    }

    fn file_ref(size: u64) -> FileRef {
        FileRef {
            root: 0,
            relative: "a.txt".into(),
            meta: FileMeta {
                size,
                modified_ns: size as i64,
                dev: 1,
                ino: 2,
            },
        }
    }

    /// The findings recorded for the current version of a.txt, by number.
    fn current(db: &Path) -> Vec<String> {
        let conn = Connection::open(db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT d.fingerprint FROM files f JOIN findings d ON d.file_id = f.id \
                 WHERE f.path = 'a.txt' AND f.gone_run IS NULL ORDER BY d.seq",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_file_recorded_in_parts_shows_only_once_done_and_is_recalled_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.db");
        let shown = dir.path().join("a.txt").to_string_lossy().into_owned();
        let whole = |size: u64, findings: Vec<Reported>| {
            Item::File(FileReport {
                path: shown.clone(),
                bytes: size,
                format: "text",
                findings,
                file: Some(file_ref(size)),
                ..Default::default()
            })
        };
        let part = |size: u64, findings: Vec<Reported>| {
            Item::Findings(FindingsReport {
                path: shown.clone(),
                unchanged: false,
                file: Some(file_ref(size)),
                findings,
                counted: Default::default(),
            })
        };
        let numbers =
            |r: std::ops::Range<u64>| -> Vec<String> { r.map(|n| format!("{n:032x}")).collect() };

        // Run 1 records the file whole, with two findings.
        let (store, run) = begin(&db, dir.path());
        let mut w = store.writer(run);
        w.record(&whole(10, (0..2).map(|n| finding(&shown, n)).collect()))
            .unwrap();
        w.finish(true).unwrap();

        // Run 2 sees it changed and records a part of its findings, then
        // is killed: the part is committed but not shown.
        let (store, run) = begin(&db, dir.path());
        let mut w = store.writer(run);
        w.record(&part(20, (0..3).map(|n| finding(&shown, n)).collect()))
            .unwrap();
        w.commit().unwrap();
        assert_eq!(current(&db), numbers(0..2));
        drop(w);
        // Opening the store again drops the part.
        let store = Store::open(&db, Duration::ZERO).unwrap();
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
        drop(store);

        // Run 3 records it in parts, with another part's worth of findings
        // and some: once done, it is the file's current version.
        let n = 2 * FINDINGS_BATCH as u64 + 5;
        let (store, run) = begin(&db, dir.path());
        let mut w = store.writer(run);
        let split = FINDINGS_BATCH as u64;
        w.record(&part(30, (0..split).map(|n| finding(&shown, n)).collect()))
            .unwrap();
        w.commit().unwrap();
        assert_eq!(current(&db), numbers(0..2));
        w.record(&whole(30, (split..n).map(|n| finding(&shown, n)).collect()))
            .unwrap();
        let counts = w.finish(true).unwrap();
        assert_eq!(counts.findings, n);
        assert_eq!(current(&db), numbers(0..n));

        // Run 4 recalls it unchanged, a part at a time.
        let (store, run) = begin(&db, dir.path());
        let reader = store.reader(&run, false);
        let Recall::Unchanged(Recalled::Read {
            mut findings,
            mut more,
            ..
        }) = reader.recall(&file_ref(30), &shown, None)
        else {
            panic!("not recalled");
        };
        assert_eq!(findings.len(), FINDINGS_BATCH);
        let mut parts = 0;
        while let Some(m) = more {
            let (next, after) = reader.more(&m, &shown);
            assert!(next.len() == FINDINGS_BATCH || after.is_none());
            findings.extend(next);
            more = after;
            parts += 1;
        }
        assert_eq!(parts, 2);
        let recalled: Vec<Finding> = findings;
        let expected: Vec<Finding> = (0..n).map(|n| finding(&shown, n).finding).collect();
        assert_eq!(recalled, expected);
        // Its statuses, asked for part by part, are those of the whole.
        let f = file_ref(30);
        let by_parts: Vec<Status> = recalled
            .chunks(FINDINGS_BATCH)
            .enumerate()
            .flat_map(|(i, c)| {
                let last = (i + 1) * FINDINGS_BATCH >= recalled.len();
                reader.statuses_of_part(&f, &shown, c, last)
            })
            .collect();
        assert_eq!(by_parts, reader.statuses(&f, &shown, &recalled));
        assert!(by_parts.iter().all(|s| *s == Status::Existing));
        assert!(reader.parts.lock().unwrap().is_empty());
        drop(reader);
        let mut w = store.writer(run);

        // A file that failed after handing findings over is read again by
        // the next run.
        let mut failed = whole(40, (0..3).map(|n| finding(&shown, n)).collect());
        if let Item::File(r) = &mut failed {
            r.problems.push(EntryProblem {
                path: shown.clone(),
                reason: "read in part: truncated".into(),
                error: true,
            });
        }
        w.record(&failed).unwrap();
        w.finish(true).unwrap();
        let (store, run) = begin(&db, dir.path());
        let reader = store.reader(&run, false);
        assert!(matches!(
            reader.recall(&file_ref(40), &shown, None),
            Recall::Changed
        ));
    }
}
