//! Permitted purposes end to end: the sample share, its sample policy, and
//! the violations planted in it.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn the_sample_policy_finds_exactly_the_planted_violations() {
    let out = run(&[
        "scan",
        "samples",
        "--policy",
        "samples/policy.toml",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(mamori::report::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let violations: BTreeSet<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"]["verdict"] == "violation")
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("samples/share/")
                    .to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let planted: BTreeSet<(String, String, u64)> = [
        ("人事部/面談記録.txt", "health", 6),
        ("人事部/面談記録.txt", "domicile", 7),
        ("営業部/顧客対応メモ.txt", "my_number", 4),
        ("総務部/回収状況メモ.txt", "my_number", 4),
        ("総務部/回収状況メモ.txt", "my_number", 5),
    ]
    .iter()
    .map(|(p, c, l)| (p.to_string(), c.to_string(), *l))
    .collect();
    assert_eq!(violations, planted);
    assert_eq!(v["scan"]["violations_total"], 6); // two health terms on line 6

    // Some data is where it belongs: the roster's My Numbers and the health
    // checkup results are permitted, each by its purpose.
    let purpose_of = |suffix: &str, cat: &str| -> String {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix) && f["category"] == cat)
            .map(|f| f["policy"]["purpose"].as_str().unwrap_or("").to_string())
            .unwrap()
    };
    assert_eq!(
        purpose_of("社員名簿_CP932.csv", "my_number"),
        "法定書類作成"
    );
    assert_eq!(purpose_of("健診結果_2026.csv", "health"), "健康管理");

    // Files and folders are classified.
    let file = |suffix: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap()
            .clone()
    };
    assert_eq!(
        file("社員名簿_CP932.csv")["classification"],
        "specific_personal"
    );
    assert_eq!(file("健診結果_2026.csv")["classification"], "special_care");
    assert_eq!(file("連絡先一覧.csv")["classification"], "personal");
    assert_eq!(file("受注一覧.csv")["classification"], "none");
    let folder = |p: &str| {
        v["folders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .unwrap()
            .clone()
    };
    assert_eq!(
        folder("samples/share/人事部")["classification"],
        "specific_personal"
    );
    assert_eq!(folder("samples/share/人事部")["violations"], 3);
    assert_eq!(
        folder("samples/share/人事部/健康管理")["classification"],
        "special_care"
    );
}

#[test]
fn fail_on_chooses_what_makes_the_exit_status() {
    let policy = ["--policy", "samples/policy.toml", "--format", "json", "-q"];
    let code = |extra: &[&str]| {
        let mut args = vec!["scan", "samples"];
        args.extend_from_slice(extra);
        run(&args).status.code()
    };
    assert_eq!(code(&policy), Some(3));
    assert_eq!(
        code(&[&policy[..], &["--fail-on", "violation"]].concat()),
        Some(3)
    );
    assert_eq!(
        code(&[&policy[..], &["--fail-on", "never"]].concat()),
        Some(0)
    );
    // Without a policy there are no violations: findings give 1, and
    // failing on violations is a usage error.
    assert_eq!(code(&["--format", "json", "-q"]), Some(1));
    assert_eq!(
        code(&["--format", "json", "-q", "--fail-on", "violation"]),
        Some(2)
    );
}

#[test]
fn policy_check_validates_with_line_numbers() {
    let out = run(&["policy", "check", "samples/policy.toml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("法定書類作成"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "default = \"violation\"\n\n[[purpose]]\nid = \"x\"\ncategories = [\"health_data\"]\npaths = [\"**\"]\n").unwrap();
    let out = run(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:3: purpose `x`: unknown category `health_data`"),
        "{err}"
    );
    // A scan with a bad policy does not start.
    let out = run(&["scan", "samples", "--policy", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn csv_is_utf8_with_bom_for_excel() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("report.csv");
    let out = run(&[
        "scan",
        "samples",
        "--policy",
        "samples/policy.toml",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let bytes = std::fs::read(&out_file).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("path,category,confidence,rule,line")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.contains(",my_number,") && r.contains(",violation,"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn reveal_shows_values_only_when_asked_and_warns() {
    let masked = run(&["scan", "samples/share/経理部", "--format", "jsonl"]);
    let revealed = run(&[
        "scan",
        "samples/share/経理部",
        "--format",
        "jsonl",
        "--reveal",
    ]);
    let m: Value =
        serde_json::from_slice(masked.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let r: Value =
        serde_json::from_slice(revealed.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert!(m["masked"].as_str().unwrap().starts_with("****"));
    // Unmasked, the value is called `value`.
    assert!(r.get("masked").is_none());
    let raw = r["value"].as_str().unwrap();
    // The EUC-JP memo writes the number in full-width digits: shown as is.
    let digits = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c))
        .count();
    assert_eq!(digits, 12, "{raw}");
    assert!(!raw.contains('*'), "{raw}");
    assert!(String::from_utf8_lossy(&revealed.stderr).contains("--reveal"));
    // Without --reveal, no warning: only the one summary line of a job.
    let err = String::from_utf8_lossy(&masked.stderr);
    assert!(!err.contains("reveal"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_configuration_file_sets_defaults_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let policy = std::fs::canonicalize("samples/policy.toml").unwrap();
    std::fs::write(
        &cfg,
        format!(
            "policy = {:?}\nexclude = [\"営業部\"]\nmin_confidence = \"high\"\n",
            policy.display().to_string()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = run(&["scan", "samples", "--config", cfg, "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(v["scan"]["policy"].is_string());
    assert_eq!(v["scan"]["min_confidence"], "high");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["path"].as_str().unwrap().contains("営業部")),
        "the configured exclude applies"
    );
    // A flag wins over the file.
    let out = run(&[
        "scan",
        "samples",
        "--config",
        cfg,
        "--format",
        "json",
        "--min-confidence",
        "low",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["min_confidence"], "low");
    // A bad key is an error naming the line.
    std::fs::write(dir.path().join("bad.toml"), "exclude = []\nthreds = 2\n").unwrap();
    let bad = dir.path().join("bad.toml");
    let out = run(&["scan", "samples", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_declared_root_gives_a_subfolder_the_verdicts_of_the_whole_share() {
    // (path, category, verdict, purpose) of each finding under 人事部.
    fn verdicts(report: &Value) -> BTreeSet<(String, String, String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().contains("人事部"))
            .map(|f| {
                let path = f["path"].as_str().unwrap();
                let file = &path[path.find("人事部").unwrap()..];
                (
                    file.to_string(),
                    f["category"].as_str().unwrap().to_string(),
                    f["policy"]["verdict"].as_str().unwrap().to_string(),
                    f["policy"]["purpose"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
    let whole = run(&[
        "scan",
        "samples",
        "--policy",
        "samples/policy.toml",
        "-o",
        "-",
        "-q",
    ]);
    let whole: Value = serde_json::from_slice(&whole.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let samples = std::fs::canonicalize("samples").unwrap();
    let text = std::fs::read_to_string("samples/policy.toml")
        .unwrap()
        .replacen(
            "default = ",
            &format!("root = {:?}\ndefault = ", samples.display().to_string()),
            1,
        );
    std::fs::write(&policy, text).unwrap();
    let part = run(&[
        "scan",
        "samples/share/人事部",
        "--policy",
        policy.to_str().unwrap(),
        "-o",
        "-",
        "-q",
    ]);
    let part: Value = serde_json::from_slice(&part.stdout).unwrap();
    let expected = verdicts(&whole);
    assert!(!expected.is_empty());
    assert!(expected.iter().any(|v| v.2 == "violation"));
    assert_eq!(verdicts(&part), expected);
}
