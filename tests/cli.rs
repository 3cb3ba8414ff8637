//! End-to-end tests: run the `mamori` binary on real files and check its
//! reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

/// Valid My Numbers (check digit per 番号法施行令 第8条).
const MN: [&str; 3] = ["123456789018", "100000000005", "100000000102"];

fn mamori(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .env("MAMORI_FINGERPRINT_KEY", "test-key-0123456789abcdef")
        .output()
        .expect("run mamori")
}

fn scan_json(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = mamori(&all);
    let code = out.status.code().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, code)
}

fn findings<'a>(v: &'a Value, category: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == category)
        .collect()
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

#[test]
fn samples_report_validates_against_the_schema() {
    let (v, code) = scan_json(&[samples().to_str().unwrap()]);
    assert_eq!(code, 1);
    let schema: Value = serde_json::from_str(mamori::report::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The printed schema is the embedded one.
    let printed = mamori(&["schema"]);
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap(),
        mamori::report::SCHEMA
    );
}

#[test]
fn samples_find_the_planted_my_numbers_and_nothing_in_the_order_list() {
    let (v, _) = scan_json(&[samples().to_str().unwrap()]);
    let mn = findings(&v, "my_number");
    let in_file = |name: &str| {
        mn.iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(name))
            .count()
    };
    assert_eq!(in_file("社員名簿_CP932.csv"), 5);
    assert_eq!(in_file("回収状況メモ.txt"), 2);
    assert_eq!(in_file("源泉徴収_連絡.txt"), 1);
    assert_eq!(in_file("受注一覧.csv"), 0);
    assert_eq!(in_file("障害報告.txt"), 0);
    let roster = mn
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(".csv"))
        .unwrap();
    assert_eq!(roster["location"]["column_header"], "個人番号");
    assert_eq!(roster["location"]["row"], 2);
    assert_eq!(v["scan"]["encodings"]["Shift_JIS"], 1);
    assert_eq!(v["scan"]["encodings"]["EUC-JP"], 1);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn line_numbers_and_offsets_are_right_in_cp932_euc_jp_and_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "一行目です\n二行目：がんばる\n三行目 個人番号：{}です\n",
        MN[0]
    );
    let encodings: [(&str, Vec<u8>); 5] = [
        (
            "cp932.txt",
            encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
        ),
        (
            "eucjp.txt",
            encoding_rs::EUC_JP.encode(&text).0.into_owned(),
        ),
        ("utf16le.txt", {
            let mut b = vec![0xff, 0xfe];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }),
        (
            "utf16be-nobom.txt",
            text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ),
        ("iso2022jp.txt", {
            text.split_inclusive('\n')
                .flat_map(|l| encoding_rs::ISO_2022_JP.encode(l).0.into_owned())
                .collect()
        }),
    ];
    for (name, bytes) in &encodings {
        write(dir.path(), name, bytes);
    }
    let (v, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), encodings.len(), "{mn:#?}");
    for (name, bytes) in &encodings {
        let f = mn
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no finding in {name}"));
        assert_eq!(f["location"]["line"], 3, "{name}");
        assert_eq!(f["location"]["column"], 10, "{name}");
        // The byte offset points at the first digit in the stored bytes.
        let off = f["location"]["byte_offset"].as_u64().unwrap() as usize;
        let first_digit = if name.starts_with("utf16le") {
            [b'1', 0].as_slice()
        } else if name.starts_with("utf16be") {
            [0, b'1'].as_slice()
        } else {
            b"1".as_slice()
        };
        assert!(bytes[off..].starts_with(first_digit), "{name} at {off}");
    }
}

#[test]
fn no_report_format_contains_an_unmasked_my_number() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "個人番号 {}\nマイナンバー：{}-{}-{}\n個人番号　{}\n",
        MN[0],
        &MN[1][..4],
        &MN[1][4..8],
        &MN[1][8..],
        MN[2]
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect::<String>(),
    );
    write(dir.path(), "memo.txt", text.as_bytes());
    write(
        dir.path(),
        "meibo.csv",
        format!("氏名,個人番号\n架空 一郎,{}\n", MN[2]).as_bytes(),
    );
    let out_file = dir.path().join("report.out");
    for format in ["text", "json", "jsonl", "csv"] {
        for threshold in ["low", "medium", "high"] {
            let out = mamori(&[
                "scan",
                dir.path().to_str().unwrap(),
                "--format",
                format,
                "--min-confidence",
                threshold,
                "--output",
                out_file.to_str().unwrap(),
            ]);
            assert_eq!(out.status.code(), Some(1), "{format}");
            let report = std::fs::read_to_string(&out_file).unwrap();
            let all = format!(
                "{report}{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let digits_only: String = all.chars().filter(|c| c.is_ascii_digit()).collect();
            for n in MN {
                assert!(!all.contains(n), "{format}: {n} in report");
                assert!(
                    !all.contains(&n[..8]),
                    "{format}: first 8 digits of {n} in report"
                );
                // Not even with separators stripped.
                assert!(!digits_only.contains(n), "{format}: {n} among digits");
            }
            let _ = std::fs::remove_file(&out_file);
        }
    }
}

#[test]
fn jsonl_streams_one_finding_per_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.txt",
        format!("個人番号 {}\n個人番号 {}\n", MN[0], MN[1]).as_bytes(),
    );
    let out = mamori(&["scan", dir.path().to_str().unwrap(), "--format", "jsonl"]);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|f| f["category"] == "my_number" && f["fingerprint"].as_str().unwrap().len() == 32));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "clean.txt",
        "本日もがんばりましょう。注文番号 123456789018\n".as_bytes(),
    );
    assert_eq!(
        mamori(&[
            "scan",
            "-q",
            dir.path().to_str().unwrap(),
            "--format",
            "json"
        ])
        .status
        .code(),
        Some(0)
    );
    // A bare checksummed number is low confidence: reported only when asked.
    write(dir.path(), "bare.txt", format!("{}\n", MN[0]).as_bytes());
    assert_eq!(
        mamori(&[
            "scan",
            "-q",
            dir.path().to_str().unwrap(),
            "--format",
            "json"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        mamori(&[
            "scan",
            "-q",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--min-confidence",
            "low"
        ])
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        mamori(&["scan", "/nonexistent/mamori-test"]).status.code(),
        Some(2)
    );
    assert_eq!(
        mamori(&["scan", "--no-such-flag", "."]).status.code(),
        Some(2)
    );
    assert_eq!(mamori(&["scan"]).status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn unreadable_paths_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "good.txt", format!("個人番号 {}\n", MN[0]).as_bytes());
    std::os::unix::fs::symlink(d.join("missing-target"), d.join("dangling")).unwrap();
    std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
    let fifo = d.join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    write(
        d,
        "broken.xlsx",
        b"PK\x03\x04 this is not really a workbook",
    );
    write(d, "image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0");

    let (v, code) = scan_json(&["--follow", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "my_number").len(), 1);
    let errors = v["scan"]["errors"].as_array().unwrap();
    let reason_of = |name: &str| {
        errors
            .iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(name))
            .map(|e| e["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not among errors: {errors:#?}"))
    };
    assert!(reason_of("pipe").contains("not a regular file"));
    assert!(reason_of("dangling").contains("not found"));
    assert!(reason_of("loop").contains("loop"));
    assert!(reason_of("broken.xlsx").contains("spreadsheet"));
    let skipped = v["scan"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("image.txt")
                && s["reason"] == "not text: png image")
    );

    // Without --follow, links are skipped with a reason.
    let (v, _) = scan_json(&[d.to_str().unwrap()]);
    let skipped = v["scan"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("loop")
                && s["reason"].as_str().unwrap().contains("not followed"))
    );
}

#[test]
fn a_large_file_is_streamed_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.log");
    let filler = "2026-01-01 00:00:00 INFO バッチ処理は正常に終了しました 伝票番号 4821-7730 \n";
    let lines = 8 * 1024 * 1024 / filler.len();
    let mut body = filler.repeat(lines);
    body.push_str(&format!("個人番号 {}\n", MN[0]));
    std::fs::write(&p, encoding_rs::SHIFT_JIS.encode(&body).0).unwrap();
    let (v, _) = scan_json(&[p.to_str().unwrap()]);
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), 1);
    assert_eq!(
        mn[0]["location"]["line"].as_u64().unwrap(),
        lines as u64 + 1
    );
    // And the size limit skips it with a reason.
    let (v, code) = scan_json(&["--max-file-size", "1M", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        v["scan"]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("size limit")
    );
}

#[test]
fn excludes_leave_paths_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    write(
        &dir.path().join("old"),
        "a.txt",
        format!("個人番号 {}\n", MN[0]).as_bytes(),
    );
    write(
        dir.path(),
        "b.log",
        format!("個人番号 {}\n", MN[1]).as_bytes(),
    );
    let root = dir.path().to_str().unwrap();
    let (v, code) = scan_json(&[root, "--exclude", "old", "--exclude", "*.log"]);
    assert_eq!(code, 0);
    assert_eq!(v["scan"]["files_scanned"], 0);
}

#[test]
fn fingerprints_follow_a_value_across_files_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.txt",
        format!("個人番号 {}\n", MN[0]).as_bytes(),
    );
    let grouped = format!("{}-{}-{}", &MN[0][..4], &MN[0][4..8], &MN[0][8..]);
    write(
        dir.path(),
        "b.csv",
        format!("氏名,マイナンバー\n架空,{grouped}\n").as_bytes(),
    );
    let (v, _) = scan_json(&[dir.path().to_str().unwrap()]);
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), 2);
    assert_eq!(mn[0]["fingerprint"], mn[1]["fingerprint"]);
}

#[test]
fn user_dictionaries_add_terms_and_bad_lines_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "memo.txt",
        "山田太郎さんは架空病に罹患。\n".as_bytes(),
    );
    let dict = dir.path().join("mine.tsv");
    std::fs::write(&dict, "# my terms\n架空病\thealth\tcustom\n").unwrap();
    let root = dir.path().to_str().unwrap();
    let (v, _) = scan_json(&[root, "--exclude", "*.tsv"]);
    assert!(findings(&v, "health").is_empty());
    let (v, code) = scan_json(&[
        root,
        "--exclude",
        "*.tsv",
        "--dictionary",
        dict.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "health").len(), 1);

    std::fs::write(&dict, "架空病\thealth\n悪い行\tweather\n").unwrap();
    let out = mamori(&["scan", root, "--dictionary", dict.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mine.tsv:2: unknown category `weather`"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_the_scan_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    for i in 0..400 {
        std::fs::write(
            dir.path().join(format!("m{i}.txt")),
            "電話番号 090-1234-5678\n".repeat(50),
        )
        .unwrap();
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "jsonl",
            "-o",
            "-",
            "-j",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_and_the_manual_come_from_the_flags() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = mamori(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("min-confidence"), "{shell}");
        assert!(script.contains("baseline"), "{shell}");
    }
    let man = mamori(&["man"]);
    assert!(man.status.success());
    let roff = String::from_utf8(man.stdout).unwrap();
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH mamori 1"),
        "{}",
        &roff[..80]
    );
    assert!(roff.contains("scan"));
    let version = mamori(&["--version"]);
    let version = String::from_utf8(version.stdout).unwrap();
    assert!(
        version.contains("IPADIC") && version.contains("dictionaries"),
        "{version}"
    );
}

#[test]
fn globs_and_lists_of_paths_choose_the_files_as_ripgrep_does() {
    let files = |args: &[&str]| -> Vec<String> {
        let out = mamori(&[&["scan", "-o", "-", "-q"], args].concat());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut f: Vec<String> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let p = f["path"].as_str().unwrap();
                p[p.find("share/").unwrap() + 6..].to_string()
            })
            .collect();
        f.sort();
        f
    };
    let csv = files(&["samples/share", "-g", "*.csv"]);
    assert!(
        !csv.is_empty() && csv.iter().all(|p| p.ends_with(".csv")),
        "{csv:?}"
    );
    assert!(
        csv.iter().any(|p| p.contains('/')),
        "globs match in subfolders too"
    );
    let not_csv = files(&["samples/share", "--glob", "!*.csv"]);
    assert!(!not_csv.is_empty() && not_csv.iter().all(|p| !p.ends_with(".csv")));
    let all = files(&["samples/share"]);
    assert_eq!(csv.len() + not_csv.len(), all.len());
    let hr = files(&["samples/share", "-g", "人事部/**", "-g", "!*.txt"]);
    assert!(
        hr.iter()
            .all(|p| p.starts_with("人事部/") && !p.ends_with(".txt")),
        "{hr:?}"
    );
    // --files-from: one path a line.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "samples/share/営業部\nsamples/share/総務部/連絡先一覧.csv\n",
    )
    .unwrap();
    let listed = files(&["--files-from", list.to_str().unwrap()]);
    assert!(
        listed.contains(&"総務部/連絡先一覧.csv".to_string()),
        "{listed:?}"
    );
    assert!(
        listed
            .iter()
            .all(|p| p.starts_with("営業部/") || p.starts_with("総務部/"))
    );
    // A bad glob stops the run.
    assert_eq!(
        mamori(&["scan", "samples", "-g", "["]).status.code(),
        Some(2)
    );
}

/// Runs `mamori scan DIR --format json -o -` with `env` set and
/// MAMORI_FINGERPRINT_KEY and XDG_CONFIG_HOME removed first.
fn scan_with_env(dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("MAMORI_FINGERPRINT_KEY")
        .env_remove("XDG_CONFIG_HOME")
        .args([
            "scan",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            "-",
            "-q",
        ])
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn service_accounts_are_told_how_to_give_a_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "電話 090-1111-2222\n").unwrap();
    // No writable home (not even for root: /proc/self cannot hold a folder).
    let out = scan_with_env(dir.path(), &[("HOME", "/proc/self")], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for hint in [
        "MAMORI_FINGERPRINT_KEY",
        "--fingerprint-key-file",
        "fingerprint_key_file",
    ] {
        assert!(err.contains(hint), "{err}");
    }
    // A short key is refused, without being quoted.
    let out = scan_with_env(dir.path(), &[("MAMORI_FINGERPRINT_KEY", "kagi-123")], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at least 16"), "{err}");
    assert!(!err.contains("kagi-123"), "{err}");
    let short = dir.path().join("short.key");
    std::fs::write(&short, "0123456789").unwrap();
    let out = scan_with_env(
        dir.path(),
        &[("MAMORI_FINGERPRINT_KEY", "env-key-0123456789abcdef")],
        &["--fingerprint-key-file", short.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    // A key file on the command line wins over the environment.
    let file = dir.path().join("file.key");
    std::fs::write(&file, "file-key-0123456789abcdef").unwrap();
    let key_id = |out: &Output| {
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        v["scan"]["key_id"].as_str().unwrap().to_string()
    };
    let flag = ["--fingerprint-key-file", file.to_str().unwrap()];
    let both = scan_with_env(
        dir.path(),
        &[("MAMORI_FINGERPRINT_KEY", "env-key-0123456789abcdef")],
        &flag,
    );
    let flag_only = scan_with_env(dir.path(), &[("HOME", "/proc/self")], &flag);
    let env_only = scan_with_env(
        dir.path(),
        &[("MAMORI_FINGERPRINT_KEY", "env-key-0123456789abcdef")],
        &[],
    );
    assert_eq!(key_id(&both), key_id(&flag_only));
    assert_ne!(key_id(&both), key_id(&env_only));
}

#[test]
fn failing_on_violations_without_a_policy_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "電話 090-1111-2222\n").unwrap();
    let out = mamori(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--fail-on",
        "violation",
        "-q",
        "--format",
        "json",
        "-o",
        "-",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--policy"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_report_to_a_fifo_or_a_symlink_leaves_them_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("a.txt"), "電話 090-1111-2222\n").unwrap();
    // A FIFO (as /dev/null or a terminal would be): written to, not
    // replaced by a regular file.
    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    let out = mamori(&[
        "scan",
        data.to_str().unwrap(),
        "--format",
        "json",
        "-q",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(report["scan"]["findings_total"], 1);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A symbolic link: its target gets the report, the link stays.
    let target = dir.path().join("real.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = mamori(&[
        "scan",
        data.to_str().unwrap(),
        "-q",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(link.is_symlink());
    let report: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(report["scan"]["findings_total"], 1);
}

#[test]
fn a_report_replaces_the_previous_one_and_leaves_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("a.txt"), "電話 090-1111-2222\n").unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let path = reports.join("report.json");
    std::fs::write(&path, "the previous report").unwrap();
    for round in 0..2 {
        let out = mamori(&[
            "scan",
            data.to_str().unwrap(),
            "-q",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(report["scan"]["findings_total"], 1, "round {round}");
        let mut names: Vec<String> = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["report.json"], "round {round}");
    }
}

/// A report with its timestamps (start, end: the only fields that differ
/// between two scans of the same files) blanked.
fn without_times(report: &[u8]) -> String {
    let text = String::from_utf8(report.to_vec()).unwrap();
    let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").unwrap();
    let shown = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC").unwrap();
    let text = stamp.replace_all(&text, "<time>").into_owned();
    let text = shown.replace_all(&text, "<time>").into_owned();
    // The audit record's command line names the output and its format,
    // which differ between the runs compared.
    let command = regex::Regex::new(
        r#"(?s)"command_line": \[.*?\]|"commandLine": "[^"]*"|"arguments": \[.*?\]|<code id="command-line">.*?</code>"#,
    )
    .unwrap();
    command.replace_all(&text, "<command>").into_owned()
}

#[test]
fn reports_are_deterministic_and_render_again_from_json() {
    // The samples (office files, archives, a policy) and forty files of
    // phones and addresses spread over folders, scanned by several threads.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let sub = dir.path().join(format!("部署{}", i % 5));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join(format!("memo{i}.txt")),
            format!(
                "担当 架空{i}郎様 TEL 090-{:04}-{:04}\n住所 東京都千代田区丸の内{}-1-1\n",
                3000 + i,
                7000 + i,
                i % 9 + 1
            ),
        )
        .unwrap();
    }
    let policy = samples().join("policy.toml");
    let roots = [samples(), dir.path().to_path_buf()];
    let out = tempfile::tempdir().unwrap();
    let path = |name: &str| out.path().join(name).to_str().unwrap().to_string();
    let scan = |format: &str, to: &str| {
        let mut args = vec!["scan", "-j", "2", "-q", "--format", format, "-o", to];
        args.extend(roots.iter().map(|r| r.to_str().unwrap()));
        args.extend(["--policy", policy.to_str().unwrap()]);
        let o = mamori(&args);
        assert!(
            o.status.code().unwrap() <= 3,
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    scan("json", &path("saved.json"));
    for format in ["json", "jsonl", "csv", "sarif", "html", "text"] {
        let (a, b) = (path(&format!("a.{format}")), path(&format!("b.{format}")));
        scan(format, &a);
        scan(format, &b);
        let first = without_times(&std::fs::read(&a).unwrap());
        assert!(first.contains("phone"), "{format}: {first}");
        // Two scans of the same files: the same bytes apart from times.
        assert_eq!(
            first,
            without_times(&std::fs::read(&b).unwrap()),
            "{format}"
        );
        // The saved JSON report rendered in this format: the same again.
        let r = path(&format!("rendered.{format}"));
        let o = mamori(&["report", &path("saved.json"), "--format", format, "-o", &r]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            first,
            without_times(&std::fs::read(&r).unwrap()),
            "{format}"
        );
    }
    // Not a report: a clear error, exit 2.
    std::fs::write(path("not.json"), "{}").unwrap();
    let o = mamori(&["report", &path("not.json"), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a mamori JSON report"));
}

#[test]
fn the_text_summary_stays_short_says_what_next_and_colours_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..13 {
        std::fs::write(
            dir.path().join(format!("memo{i:02}.txt")),
            format!("TEL 090-{:04}-5678\n", 1000 + i),
        )
        .unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let text = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "text", "-q"];
        all.extend_from_slice(args);
        String::from_utf8(mamori(&all).stdout).unwrap()
    };
    let plain = text(&[d]);
    assert!(plain.starts_with("Scanned 13 files"), "{plain}");
    assert!(plain.contains("(13 files with findings)"), "{plain}");
    assert!(plain.contains("… and 3 more files"), "{plain}");
    assert!(plain.contains("Next: run with --policy"), "{plain}");
    assert!(!plain.contains('\x1b'), "piped output is not coloured");
    // One file, one finding: singular.
    let one = dir.path().join("memo00.txt");
    let single = text(&[one.to_str().unwrap()]);
    assert!(
        single.starts_with("Scanned 1 file (") && single.contains("; 1 finding at"),
        "{single}"
    );
    // Colours when asked, also over NO_COLOR (an explicit flag wins); never
    // with --color never.
    let coloured = text(&["--color", "always", d]);
    assert!(
        coloured.contains("\x1b[1mFindings by category\x1b[0m"),
        "{coloured}"
    );
    assert!(!text(&["--color", "never", d]).contains('\x1b'));
    // Violations grouped by file, the file with the most first, with their
    // locations.
    let policy = samples().join("policy.toml");
    let judged = text(&[
        samples().to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    let at = judged.find("面談記録.txt: 3 violations").expect(&judged);
    assert!(judged[at..].contains("\n    line 6: health"), "{judged}");
    assert!(
        judged.contains("源泉徴収_連絡.txt") && !judged.contains("1 violations"),
        "{judged}"
    );
}

#[test]
fn the_report_records_how_the_scan_was_run() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    std::fs::create_dir_all(share.join("old")).unwrap();
    write(&share, "memo.txt", "担当 TEL 090-1234-5678\n".as_bytes());
    write(&share, "old/memo.txt", "TEL 090-1234-5679\n".as_bytes());
    write(&share, "debug.log", b"TEL 090-1234-5670\n");
    write(&share, "notes.md", b"TEL 090-1234-5671\n");
    write(&share, "big.txt", &[b'a'; 500]);
    write(&share, "image.bin", &[0u8, 1, 2, 0, 0, 0, 255, 254, 0, 0]);
    let config = write(
        dir.path(),
        "mamori.toml",
        b"exclude = [\"*.log\"]\nthreads = 1\n",
    );
    let policy = write(
        dir.path(),
        "policy.toml",
        "name = \"架空方針\"\ndefault = \"violation\"\n".as_bytes(),
    );
    let dict = write(dir.path(), "terms.tsv", "架空病\thealth\n".as_bytes());
    let report = dir.path().join("r.json");
    let args: Vec<String> = [
        "scan",
        share.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--exclude",
        "old",
        "-g",
        "!*.md",
        "--max-file-size",
        "100",
        "--policy",
        policy.to_str().unwrap(),
        "--dictionary",
        dict.to_str().unwrap(),
        "-q",
        "-o",
        report.to_str().unwrap(),
    ]
    .map(String::from)
    .into();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(mamori(&arg_refs).status.code(), Some(3));
    let text = std::fs::read_to_string(&report).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(mamori::report::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let a = &v["scan"]["audit"];
    assert!(!a["host"].as_str().unwrap().is_empty());
    assert!(a["user"].as_str().unwrap().contains("uid "));
    assert_eq!(a["command_line"][0], BIN);
    assert_eq!(a["command_line"].as_array().unwrap()[1..], args[..]);
    let sha = |p: &Path| mamori::report::audit::sha256(&std::fs::read(p).unwrap());
    assert_eq!(a["config"]["path"], config.to_str().unwrap());
    assert_eq!(a["config"]["sha256"], sha(&config));
    assert_eq!(a["policy"]["sha256"], sha(&policy));
    assert_eq!(a["dictionaries"][0]["sha256"], sha(&dict));
    assert_eq!(a["excludes"], serde_json::json!(["*.log", "old"]));
    assert_eq!(a["globs"], serde_json::json!(["!*.md"]));
    assert_eq!(a["max_file_size"], 100);
    assert_eq!(a["threads"], 1);
    assert_eq!(a["reveal"], false);
    // The key by its source and id, never its bytes.
    assert_eq!(a["key_source"], "MAMORI_FINGERPRINT_KEY");
    assert!(!text.contains("test-key-0123456789abcdef"));
    assert!(v["scan"]["key_id"].as_str().is_some_and(|k| !k.is_empty()));
    // The build: IPADIC and each built-in term list by hash.
    assert!(!a["build"]["ipadic"].as_str().unwrap().is_empty());
    assert_eq!(
        a["build"]["dictionaries"]["health.tsv"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    // Left out on purpose (a folder counts once), skipped by reason.
    assert_eq!(a["excluded"], serde_json::json!({"exclude": 2, "glob": 1}));
    let by_reason = v["scan"]["skipped_by_reason"].as_object().unwrap();
    assert_eq!(by_reason["larger than the size limit"], 1);
    assert_eq!(
        by_reason.values().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        v["scan"]["files_skipped"].as_u64().unwrap()
    );
    assert_eq!(findings(&v, "phone").len(), 1);

    // SARIF names the machine, the account and the command line too.
    let sarif_path = dir.path().join("r.sarif");
    let o = mamori(&[
        "report",
        report.to_str().unwrap(),
        "-o",
        sarif_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let sarif: Value = serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["machine"], a["host"]);
    assert_eq!(inv["account"], a["user"]);
    assert!(inv["commandLine"].as_str().unwrap().contains(" scan "));
    assert!(inv["commandLine"].as_str().unwrap().contains("'!*.md'"));

    // --reveal is recorded, and the unmasked value is not called masked,
    // in the scan's report and in one rendered again from it.
    let root = share.to_str().unwrap();
    let (v, _) = scan_json(&[root, "--reveal", "-q"]);
    assert_eq!(v["scan"]["audit"]["reveal"], true);
    let phones = findings(&v, "phone");
    assert!(phones.iter().all(|f| f.get("masked").is_none()));
    assert!(phones.iter().any(|f| f["value"] == "090-1234-5678"));
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let csv = mamori(&["scan", root, "--reveal", "-q", "--format", "csv"]);
    let csv_text = String::from_utf8_lossy(&csv.stdout).into_owned();
    let header = csv_text.lines().next().unwrap();
    assert!(
        header.contains(",value,") && !header.contains("masked"),
        "{header}"
    );
    let saved = dir.path().join("revealed.json");
    std::fs::write(&saved, serde_json::to_vec(&v).unwrap()).unwrap();
    let again = mamori(&["report", saved.to_str().unwrap(), "--format", "jsonl"]);
    let jsonl = String::from_utf8_lossy(&again.stdout).into_owned();
    let line: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert!(line["value"].as_str().unwrap().starts_with("090-1234-567"));
}

#[test]
fn copies_are_reported_as_read_and_counted_in_the_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let memo = format!("個人番号 {}\n担当 090-3141-5926\n", MN[0]);
    for name in ["a/memo.txt", "b/memo.txt", "c/memo.txt", "c/other.txt"] {
        std::fs::create_dir_all(d.join(name).parent().unwrap()).unwrap();
    }
    write(d, "a/memo.txt", memo.as_bytes());
    write(d, "b/memo.txt", memo.as_bytes());
    write(d, "c/memo.txt", memo.as_bytes());
    write(d, "c/other.txt", "担当 090-2718-2818\n".as_bytes());
    let report = d.join("r.json");
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "-j1", "-o", report.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(d.to_str().unwrap());
        let out = mamori(&args);
        assert_eq!(out.status.code(), Some(1));
        let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        (v, String::from_utf8(out.stderr).unwrap())
    };
    let (v, line) = scan(&[]);
    // One thread reads the first copy before the others: two are copies.
    assert!(line.contains("4 files (2 copies)"), "{line}");
    assert!(!line.contains("090-"), "{line}");
    // Each copy has its findings under its own path.
    for name in ["a/memo.txt", "b/memo.txt", "c/memo.txt"] {
        let of_file = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(name))
            .count();
        assert_eq!(of_file, 2, "{name}");
    }
    let (w, line) = scan(&["--read-copies"]);
    assert!(line.contains("4 files,"), "{line}");
    assert_eq!(v["findings"], w["findings"]);
    assert_eq!(v["files"], w["files"]);
}
