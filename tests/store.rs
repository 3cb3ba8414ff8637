//! Scheduled scans with a store: unchanged files are not read again,
//! findings are new or existing, diffs, baselines, interrupted runs, and
//! reports that survive a failed run. Every file here is made by the test
//! with invented values.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

fn mamori() -> Command {
    let mut c = Command::new(BIN);
    c.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "store-test-0123456789abcdef")
        .env_remove("MAMORI_CONFIG");
    c
}

fn run(args: &[&str]) -> Output {
    mamori().args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A memo with `n` labelled phone numbers, distinct per `seed`.
fn memo(seed: usize, n: usize) -> String {
    let mut t = String::from("営業メモ\n");
    for j in 0..n {
        t.push_str(&format!(
            "取引先担当者の電話番号は 090-{:04}-{:04} です。\n",
            seed % 10000,
            1000 + j
        ));
    }
    t
}

/// A tree of `files` memos under `dir/share`.
fn share(dir: &Path, files: usize) -> PathBuf {
    let root = dir.join("share");
    for i in 0..files {
        let sub = root.join(format!("d{}", i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("m{i:04}.txt")), memo(i, 2)).unwrap();
    }
    root
}

fn scan_json(root: &Path, store: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let out = mamori()
        .args([
            "scan",
            s(root),
            "--store",
            s(store),
            "--format",
            "json",
            "-q",
        ])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code())
}

/// (path, category, fingerprint, location) of each finding.
fn identities(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
                f["location"].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_rescan_of_an_unchanged_tree_reads_nothing_and_reports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 20);
    let store = dir.path().join("state/mamori.db");
    let (first, code) = scan_json(&root, &store, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(first["run"]["files_scanned"], 20);
    assert_eq!(first["run"]["previous_id"], Value::Null);
    assert_eq!(first["findings"].as_array().unwrap().len(), 40);
    assert!(
        first["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "new")
    );

    // Same size, same time, same inode, other content: a rescan that read
    // it would find the new number; one that does not read reports the old.
    let victim = root.join("d0/m0000.txt");
    let meta = std::fs::metadata(&victim).unwrap();
    let changed = memo(0, 2).replace("090-0000-1000", "090-9999-1000");
    assert_eq!(changed.len() as u64, meta.len());
    {
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&victim)
            .unwrap();
        f.rewind().unwrap();
        f.write_all(changed.as_bytes()).unwrap();
        f.set_modified(meta.modified().unwrap()).unwrap();
    }

    let (second, _) = scan_json(&root, &store, &[]);
    let run = &second["run"];
    assert_eq!(run["files_scanned"], 0, "{run}");
    assert_eq!(run["files_unchanged"], 20, "{run}");
    assert_eq!(run["previous_id"], first["run"]["id"]);
    assert_eq!(second["scan"]["files_unchanged"], 20);
    assert_eq!(identities(&first), identities(&second));
    assert!(
        second["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "existing")
    );

    // --full reads everything again and sees the change.
    let (full, _) = scan_json(&root, &store, &["--full"]);
    assert_eq!(full["run"]["files_scanned"], 20);
    assert_eq!(full["run"]["findings_new"], 1, "{}", full["run"]);

    // A file touched but not changed is recognised by its content hash.
    let other = root.join("d1/m0001.txt");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&other)
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(f);
    let (touched, _) = scan_json(&root, &store, &[]);
    assert_eq!(touched["run"]["files_unchanged"], 20, "{}", touched["run"]);
}

#[test]
fn diff_lists_added_findings_as_new_and_deleted_files_as_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 12);
    let store = dir.path().join("mamori.db");
    let (before, _) = scan_json(&root, &store, &[]);

    // Three files gain a finding (an e-mail address), two files go, one
    // file arrives with one phone number.
    let mut added = BTreeSet::new();
    for i in [2usize, 5, 9] {
        let p = root.join(format!("d{}/m{i:04}.txt", i % 7));
        let mut t = std::fs::read_to_string(&p).unwrap();
        // A line moves too: moving a finding does not make it new.
        t = t.replacen("営業メモ\n", "", 1) + "営業メモ\n";
        t.push_str(&format!("連絡先メール: tanto{i}@example.co.jp\n"));
        std::fs::write(&p, t).unwrap();
        added.insert(format!("d{}/m{i:04}.txt", i % 7));
    }
    let mut deleted = BTreeSet::new();
    for i in [3usize, 4] {
        let rel = format!("d{}/m{i:04}.txt", i % 7);
        std::fs::remove_file(root.join(&rel)).unwrap();
        deleted.insert(rel);
    }
    std::fs::write(root.join("d0/new.txt"), memo(7777, 1)).unwrap();
    added.insert("d0/new.txt".to_string());

    let (after, _) = scan_json(&root, &store, &[]);
    assert_eq!(after["run"]["files_removed"], 2);
    let out = run(&["diff", "--store", s(&store), "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["from"], before["run"]["id"]);
    assert_eq!(diff["to"], after["run"]["id"]);
    let new: Vec<(String, String)> = diff["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(new.len(), 4, "{new:?}");
    for (path, category) in &new {
        assert!(added.contains(path), "{path}");
        assert_eq!(
            category,
            if path.ends_with("new.txt") {
                "phone"
            } else {
                "email"
            }
        );
    }
    let resolved: BTreeSet<String> = diff["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(resolved, deleted);
    assert_eq!(diff["resolved"].as_array().unwrap().len(), 4);

    // The report marks the same findings new.
    let marked: Vec<(String, String)> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "new")
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let rel = Path::new(path).strip_prefix(&root).unwrap();
            (
                rel.to_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut a = marked.clone();
    let mut b = new.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(after["run"]["findings_new"], 4);

    // The report of the last run, rendered again from the store alone.
    let replay = run(&["report", "--store", s(&store), "-o", "-"]);
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let replay: Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(identities(&replay), identities(&after));
    let statuses = |r: &Value| -> BTreeSet<(String, String)> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["fingerprint"].to_string(), f["status"].to_string()))
            .collect()
    };
    assert_eq!(statuses(&replay), statuses(&after));
    assert_eq!(replay["run"]["id"], after["run"]["id"]);
    assert_eq!(replay["run"]["previous_id"], before["run"]["id"]);

    let text = run(&["diff", "--store", s(&store)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("4 new, 4 resolved"), "{text}");
    let history = run(&["history", "--store", s(&store), "--format", "json"]);
    let history: Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["status"], "complete");
}

#[test]
fn a_baseline_suppresses_exactly_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 4);
    let store = dir.path().join("mamori.db");
    let (first, _) = scan_json(&root, &store, &[]);
    let one_file = root.join("d2/m0002.txt");
    let fps: Vec<String> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == s(&one_file))
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps.len(), 2);
    let mut args = vec!["baseline", "add", "--store", s(&store)];
    args.extend(fps.iter().map(String::as_str));
    args.extend(["--reason", "委託先への提出控え", "--expires", "2999-12-31"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (second, code) = scan_json(&root, &store, &[]);
    assert_eq!(code, Some(1));
    let findings = second["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 8);
    for f in findings {
        let accepted = fps.contains(&f["fingerprint"].as_str().unwrap().to_string());
        assert_eq!(f.get("suppressed").is_some(), accepted, "{f}");
        if accepted {
            assert_eq!(f["suppressed"]["reason"], "委託先への提出控え");
            assert_eq!(f["suppressed"]["expires"], "2999-12-31");
        }
    }
    assert_eq!(second["scan"]["findings_total"], 6);
    assert_eq!(second["scan"]["findings_suppressed"], 2);

    // A run whose findings are all accepted exits 0; a baseline file does
    // the same without a store.
    let mut toml = String::new();
    for f in first["findings"].as_array().unwrap() {
        toml.push_str(&format!(
            "[[accept]]\nfingerprint = \"{}\"\nreason = \"テスト\"\n\n",
            f["fingerprint"].as_str().unwrap()
        ));
    }
    let baseline = dir.path().join("accepted.toml");
    std::fs::write(&baseline, toml).unwrap();
    let out = run(&[
        "scan",
        s(&root),
        "--baseline",
        s(&baseline),
        "-o",
        "-",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["findings_suppressed"], 8);
    // Expired acceptances count again.
    let expired = std::fs::read_to_string(&baseline).unwrap().replace(
        "reason = \"テスト\"",
        "reason = \"テスト\"\nexpires = \"2000-01-01\"",
    );
    std::fs::write(&baseline, expired).unwrap();
    let out = run(&[
        "scan",
        s(&root),
        "--baseline",
        s(&baseline),
        "-o",
        "-",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

/// Files recorded in the store so far (read-only peek while a run holds it).
fn committed(store: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap_or(0)
}

#[test]
fn a_killed_run_is_resumed_and_its_committed_files_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 1500);
    let store = dir.path().join("mamori.db");
    let mut child = mamori()
        .args(["scan", s(&root), "--store", s(&store), "-j", "1", "-q"])
        .args(["-o", s(&dir.path().join("killed.json"))])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while committed(&store) == 0 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = committed(&store);
    assert!(done > 0 && done < 1500, "{done} files committed");

    let (resumed, _) = scan_json(&root, &store, &[]);
    let r = &resumed["run"];
    assert_eq!(r["status"], "complete");
    assert_eq!(r["files_unchanged"], done, "{r}");
    assert_eq!(r["files_scanned"], 1500 - done, "{r}");
    let clean = mamori()
        .args(["scan", s(&root), "--format", "json", "-q"])
        .output()
        .unwrap();
    let clean: Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert_eq!(identities(&resumed), identities(&clean));

    let history = run(&["history", "--store", s(&store), "--format", "json"]);
    let history: Value = serde_json::from_slice(&history.stdout).unwrap();
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["interrupted", "complete"]);
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_keeps_the_previous_report_and_one_store_has_one_writer() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 1500);
    // And long memos, so that the run is still going when it is stopped.
    for i in 0..40 {
        std::fs::write(root.join(format!("z{i:02}.txt")), memo(9000 + i, 20_000)).unwrap();
    }
    let store = dir.path().join("mamori.db");
    let report = dir.path().join("r.json");
    std::fs::write(&report, "{\"previous\": true}\n").unwrap();
    let child = mamori()
        .args(["scan", s(&root), "--store", s(&store), "-j", "1", "-q"])
        .args(["-o", s(&report)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while committed(&store) == 0 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // While it runs, a second run on the same store is refused, naming it.
    let second = run(&["scan", s(&root), "--store", s(&store), "-o", "-", "-q"]);
    assert_eq!(second.status.code(), Some(2));
    let why = String::from_utf8_lossy(&second.stderr);
    assert!(
        why.contains("in use") && why.contains(&format!("pid {}", child.id())),
        "{why}"
    );

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "{\"previous\": true}\n"
    );
    // No temporary report is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let history = run(&["history", "--store", s(&store), "--format", "json"]);
    let history: Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history[0]["status"], "interrupted");
}

#[test]
fn two_runs_on_one_report_leave_a_whole_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 200);
    let report = dir.path().join("r.json");
    let spawn = || {
        mamori()
            .args(["scan", s(&root), "-q", "-o", s(&report)])
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    a.wait().unwrap();
    b.wait().unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 400);
}

#[test]
fn the_store_and_the_report_are_not_scanned_and_a_bad_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 3);
    // Store and report inside the scanned tree.
    let store = root.join("mamori.db");
    let report = root.join("report.json");
    for _ in 0..2 {
        let out = run(&["scan", s(&root), "--store", s(&store), "-o", s(&report)]);
        assert_eq!(out.status.code(), Some(1));
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["scan"]["files_scanned"], 3, "{}", v["scan"]);
    assert_eq!(v["scan"]["files_skipped"], 0, "{}", v["scan"]);

    let other = tempfile::tempdir().unwrap();
    let root = share(other.path(), 3);
    let missing = other.path().join("missing");
    let out = run(&["scan", s(&root), s(&missing), "-o", "-", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["files_scanned"], 3);
    assert_eq!(v["scan"]["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn a_nightly_job_is_one_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path(), 3);
    let cfg = dir.path().join("nightly.toml");
    std::fs::write(
        &cfg,
        "roots = [\"share\"]\noutput = \"out/nightly.json\"\nstore = \"state/mamori.db\"\nfail_on = \"never\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    let out = run(&["scan", "--config", s(&cfg)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One summary line on stderr for the job's log.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("3 files") && err.contains("6 findings"),
        "{err}"
    );
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/nightly.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["run"]["id"], 1);
    assert!(dir.path().join("state/mamori.db").is_file());
    let _ = root;
}
