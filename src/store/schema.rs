//! The store's tables and their migrations.
//!
//! The schema version is SQLite's `user_version`; each migration moves it
//! up by one inside a transaction, so a store is always at one version.
//!
//! * `runs`: one row a run, with what an auditor needs (when, where, how,
//!   under which rules, with which key id, how it ended, counts).
//! * `roots` and `run_roots`: the roots (absolute) each run scanned; paths
//!   below are kept relative to them.
//! * `files`: one row a *version* of a file (root, relative path): its
//!   metadata and content hash, the rules it was scanned under and the
//!   outcome. A version lives from the run that recorded it (`first_run`)
//!   until the run that saw it changed or gone (`gone_run`); `last_run` is
//!   the last run that saw it. A file's current version has no `gone_run`.
//! * `findings`: the findings of a version, masked; never a raw value.
//! * `baseline`: accepted findings.

/// Migrations, in order; `MIGRATIONS[i]` takes a store from version `i` to
/// `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
    pid INTEGER,
    host TEXT NOT NULL,
    user TEXT NOT NULL,
    version TEXT NOT NULL,
    ruleset TEXT NOT NULL,
    key_id TEXT NOT NULL,
    policy_hash TEXT,
    scope TEXT NOT NULL,
    settings TEXT NOT NULL,
    files_scanned INTEGER NOT NULL DEFAULT 0,
    files_unchanged INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    files_unreadable INTEGER NOT NULL DEFAULT 0,
    files_removed INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0,
    findings_new INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE roots (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);
CREATE TABLE run_roots (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    root_id INTEGER NOT NULL REFERENCES roots(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (run_id, root_id)
) WITHOUT ROWID;
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots(id),
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    hash TEXT,
    ruleset TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('read', 'skipped')),
    format TEXT,
    encoding TEXT,
    reason TEXT,
    problems TEXT,
    first_run INTEGER NOT NULL REFERENCES runs(id),
    last_run INTEGER NOT NULL REFERENCES runs(id),
    gone_run INTEGER REFERENCES runs(id)
);
CREATE UNIQUE INDEX files_current ON files (root_id, path) WHERE gone_run IS NULL;
CREATE INDEX files_history ON files (root_id, path, first_run);
CREATE TABLE findings (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    inner TEXT NOT NULL,
    category TEXT NOT NULL,
    confidence TEXT NOT NULL,
    rule TEXT NOT NULL,
    masked TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    context TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
) WITHOUT ROWID;
CREATE TABLE baseline (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    path TEXT,
    reason TEXT NOT NULL,
    expires TEXT,
    added TEXT NOT NULL,
    added_by TEXT NOT NULL
);
"#];
