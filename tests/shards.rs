//! Sharded scans: the manifests in deploy/ run as their schedulers would run
//! them (commands read out of the files, the schedulers' variables set),
//! merged, and compared with one unsharded scan; merge refuses what is not
//! one complete scan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "support/prereq.rs"]
mod prereq;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// PATH with the binary under test first, as `mamori`.
fn path_var() -> String {
    let dir = Path::new(BIN).parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn env(c: &mut Command) -> &mut Command {
    c.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "shard-test-0123456789abcdef")
        .env("PATH", path_var())
        .env_remove("MAMORI_SHARD")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
}

/// A copy of samples/share to scan.
fn share(dir: &Path) -> PathBuf {
    let to = dir.join("share");
    let status = Command::new("cp")
        .arg("-r")
        .arg(Path::new(ROOT).join("samples/share"))
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

fn single(root: &Path) -> Value {
    let out = env(&mut Command::new(BIN))
        .args(["scan", root.to_str().unwrap(), "-o", "-", "-q"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report without its timings and its audit record (the command lines
/// of a shard and of a single scan differ; a merged report names its
/// shard reports), after checking that a merge names each shard report.
fn comparable(mut v: Value) -> Value {
    for k in ["started", "finished"] {
        v["scan"].as_object_mut().unwrap().remove(k);
    }
    let audit = v["scan"].as_object_mut().unwrap().remove("audit").unwrap();
    if audit["merged_from"].is_array() {
        assert!(audit["excluded"].get("other_shard").is_none());
    }
    v
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_kubernetes_indexed_job_and_its_merge_give_the_single_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path());
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let yaml =
        std::fs::read_to_string(Path::new(ROOT).join("deploy/kubernetes/scan-job.yaml")).unwrap();
    let n: usize = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let command = |yaml: &str| -> Vec<String> {
        let line = yaml
            .lines()
            .find_map(|l| l.trim().strip_prefix("command:"))
            .expect("a command line");
        serde_json::from_str(line.trim()).expect("command as a flow sequence")
    };
    let scan = command(&yaml);
    assert_eq!(scan[..2], ["mamori", "scan"]);
    for index in 0..n {
        let args: Vec<String> = scan[1..]
            .iter()
            .map(|a| {
                a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
                    .replace("/share", root.to_str().unwrap())
                    .replace("/reports", reports.to_str().unwrap())
            })
            .collect();
        let out = env(&mut Command::new(BIN))
            .args(&args)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merge_yaml =
        std::fs::read_to_string(Path::new(ROOT).join("deploy/kubernetes/merge-job.yaml")).unwrap();
    let merge = command(&merge_yaml);
    assert_eq!(merge[..2], ["sh", "-c"]);
    let script = merge[2].replace("/reports", reports.to_str().unwrap());
    let out = env(&mut Command::new("sh"))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = read(&reports.join("merged.json"));
    assert_eq!(comparable(merged), comparable(single(&root)));
    assert!(reports.join("merged.html").is_file());
}

#[test]
fn the_slurm_array_and_its_merge_give_the_single_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path());
    let reports = dir.path().join("reports");
    let script = Path::new(ROOT).join("deploy/slurm/scan.sbatch");
    let text = std::fs::read_to_string(&script).unwrap();
    let array = text
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --array="))
        .unwrap();
    let (lo, hi) = array.split_once('-').unwrap();
    let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
    for task in lo..=hi {
        let out = env(&mut Command::new("bash"))
            .arg(&script)
            .env("SHARE", &root)
            .env("REPORTS", &reports)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_MIN", lo.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", (hi - lo + 1).to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = env(&mut Command::new("bash"))
        .arg(Path::new(ROOT).join("deploy/slurm/merge.sbatch"))
        .env("REPORTS", &reports)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = read(&reports.join("merged.json"));
    assert_eq!(comparable(merged), comparable(single(&root)));
}

fn shard_reports(root: &Path, dir: &Path, n: u32) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let p = dir.join(format!("s{k}.json"));
            let out = env(&mut Command::new(BIN))
                .args(["scan", root.to_str().unwrap(), "--shard"])
                .arg(format!("{k}/{n}"))
                .args(["-o", p.to_str().unwrap(), "-q"])
                .output()
                .unwrap();
            assert!(
                out.status.code().unwrap() <= 1,
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            p
        })
        .collect()
}

/// The merge of `reports`, which must succeed.
fn merged(reports: &[&Path]) -> Value {
    let out = merge(reports);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn merge(reports: &[&Path]) -> std::process::Output {
    env(&mut Command::new(BIN))
        .arg("merge")
        .args(reports)
        .args(["-o", "-"])
        .output()
        .unwrap()
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_shards() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path());
    let s = shard_reports(&root, dir.path(), 3);
    let ok = merge(&[&s[0], &s[1], &s[2]]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let missing = merge(&[&s[0], &s[2]]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing shards: 2/3"));

    let twice = merge(&[&s[0], &s[1], &s[1], &s[2]]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("shard 2/3 is given twice"));

    // A shard of another root.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("samples/share/営業部/顧客対応メモ.txt"),
        other.join("memo.txt"),
    )
    .unwrap();
    let o = dir.path().join("o");
    std::fs::create_dir_all(&o).unwrap();
    let foreign = shard_reports(&other, &o, 3);
    let mixed = merge(&[&s[0], &foreign[1], &s[2]]);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&mixed.stderr).contains("different roots"),
        "{}",
        String::from_utf8_lossy(&mixed.stderr)
    );
}

#[test]
fn the_dev_corpus_in_four_shards_merges_to_the_single_scan() {
    let dev = Path::new(ROOT).join("../shared/eval/dev/files");
    if !dev.is_dir() {
        prereq::missing("../shared/eval/dev is not next to the repository");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = shard_reports(&dev, dir.path(), 4);
    let files: Vec<BTreeSet<String>> = s
        .iter()
        .map(|p| {
            read(p)["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let all: BTreeSet<&String> = files.iter().flatten().collect();
    let total: usize = files.iter().map(BTreeSet::len).sum();
    assert_eq!(all.len(), total, "shards overlap");
    let one = single(&dev);
    assert_eq!(
        one["files"].as_array().unwrap().len(),
        total,
        "shards cover every file"
    );
    let mean = total as f64 / 4.0;
    for f in &files {
        assert!(
            (f.len() as f64) <= 1.5 * mean,
            "{} files vs mean {mean}",
            f.len()
        );
    }
    let refs: Vec<&Path> = s.iter().map(PathBuf::as_path).collect();
    let out = merge(&refs);
    assert!(out.status.success());
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The merged report names each shard report, by hash.
    let from = merged["scan"]["audit"]["merged_from"].as_array().unwrap();
    assert_eq!(from.len(), 4);
    assert!(
        from.iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    assert_eq!(comparable(merged), comparable(one));
}

#[test]
fn a_merged_scan_is_one_run_of_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path());
    let store = dir.path().join("mamori.db");
    let merge_into_store = |sub: &str| -> Value {
        let d = dir.path().join(sub);
        std::fs::create_dir_all(&d).unwrap();
        let s = shard_reports(&root, &d, 2);
        let out = env(&mut Command::new(BIN))
            .arg("merge")
            .args(&s)
            .args(["--store", store.to_str().unwrap(), "-o", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = merge_into_store("a");
    assert_eq!(first["run"]["id"], 1);
    let n = first["findings"].as_array().unwrap().len();
    assert_eq!(first["run"]["findings_new"], n as u64);
    std::fs::write(
        root.join("営業部/追加.txt"),
        "新しい取引先の電話番号は 090-5757-6868 です。\n",
    )
    .unwrap();
    let second = merge_into_store("b");
    assert_eq!(second["run"]["previous_id"], 1);
    assert_eq!(second["run"]["findings_new"], 1, "{}", second["run"]);
    let diff = env(&mut Command::new(BIN))
        .args([
            "diff",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let diff: Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert_eq!(diff["new"].as_array().unwrap().len(), 1);
    assert_eq!(diff["new"][0]["path"], "営業部/追加.txt");
    assert!(diff["resolved"].as_array().unwrap().is_empty());
}

#[test]
fn a_file_of_many_findings_merges_and_is_rendered_again_as_scanned() {
    // Findings of a merged or rendered report are read one at a time and
    // handed over in parts: a roster of 2,600 findings, a file with none.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    std::fs::create_dir_all(root.join("人事")).unwrap();
    let mut csv = String::from("氏名,電話番号\n");
    let (family, given) = (
        ["架空", "仮名", "見本", "試験"],
        ["太郎", "花子", "一郎", "桜"],
    );
    for i in 0..1300 {
        csv.push_str(&format!(
            "{} {},090-{:04}-{:04}\n",
            family[i % 4],
            given[i / 4 % 4],
            4000 + i / 1000,
            i % 1000
        ));
    }
    std::fs::write(root.join("人事/名簿.csv"), csv).unwrap();
    std::fs::write(root.join("memo.txt"), "打合せは明日です。\n").unwrap();
    std::fs::write(root.join("電話.txt"), "電話 03-5555-0101\n").unwrap();
    let one = single(&root);
    assert!(one["findings"].as_array().unwrap().len() > 2400);
    let s = shard_reports(&root, dir.path(), 2);
    let refs: Vec<&Path> = s.iter().map(PathBuf::as_path).collect();
    let merged = merged(&refs);
    assert_eq!(comparable(merged), comparable(one.clone()));
    // A saved report written again.
    let saved = dir.path().join("one.json");
    std::fs::write(&saved, serde_json::to_vec(&one).unwrap()).unwrap();
    let again = env(&mut Command::new(BIN))
        .args([
            "report",
            saved.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["findings"], one["findings"]);
    assert_eq!(again["files"], one["files"]);
}

#[test]
fn a_merge_counts_the_skipped_files_its_shards_counted_but_did_not_list() {
    // A report lists the first 10,000 skipped paths and counts them all:
    // with more than that in each shard, the merge still counts all, and
    // lists the same first ones as a single scan.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    for d in 0..21 {
        let sub = root.join(format!("images{d:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        for i in 0..1000 {
            std::fs::write(
                sub.join(format!("p{i:04}.png")),
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            )
            .unwrap();
        }
    }
    std::fs::write(root.join("電話.txt"), "電話 03-5555-0101\n").unwrap();
    let one = single(&root);
    assert_eq!(one["scan"]["files_skipped"], 21_000);
    assert_eq!(one["scan"]["skipped"].as_array().unwrap().len(), 10_000);
    let s = shard_reports(&root, dir.path(), 2);
    for shard in &s {
        let v = read(shard);
        assert_eq!(v["scan"]["skipped"].as_array().unwrap().len(), 10_000);
    }
    let refs: Vec<&Path> = s.iter().map(PathBuf::as_path).collect();
    let merged = merged(&refs);
    assert_eq!(merged["scan"]["files_skipped"], 21_000);
    assert_eq!(comparable(merged), comparable(one));
}

#[test]
fn a_merge_counts_the_unreadable_paths_its_shards_counted_but_did_not_list() {
    // A report lists the first 10,000 unreadable paths and counts them all
    // (`errors_total`). Such shards are made here by editing two shard
    // reports (as root, no file is unreadable): each says it counted 7,000
    // more than it lists.
    let dir = tempfile::tempdir().unwrap();
    let root = share(dir.path());
    let s = shard_reports(&root, dir.path(), 2);
    for (i, shard) in s.iter().enumerate() {
        let mut v = read(shard);
        assert_eq!(v["scan"]["errors_total"], 0);
        v["scan"]["errors"] = serde_json::json!([
            {"path": format!("{}/gone{i}.txt", root.display()), "reason": "permission denied"}
        ]);
        v["scan"]["errors_total"] = serde_json::json!(7001);
        std::fs::write(shard, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }
    let refs: Vec<&Path> = s.iter().map(PathBuf::as_path).collect();
    let merged = merged(&refs);
    assert_eq!(merged["scan"]["errors_total"], 14_002);
    assert_eq!(merged["scan"]["errors"].as_array().unwrap().len(), 2);
}
