//! SARIF and HTML reports: SARIF validates against the SARIF 2.1.0 schema;
//! the HTML page, rendered in headless Chromium, shows the counts of the
//! JSON report. Neither holds an unmasked value.

#[path = "support/prereq.rs"]
mod prereq;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

fn scan_root_to(root: &str, format: &str, out: &Path) {
    let mut cmd = Command::new(BIN);
    cmd.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"));
    cmd.args(["scan", root, "-q", "--format", format, "-o"])
        .arg(out)
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if root == "samples" {
        cmd.args(["--policy", "samples/policy.toml"]);
    }
    let status = cmd.status().unwrap();
    assert!(matches!(status.code(), Some(1 | 3)), "{status:?}");
}

fn scan_to(format: &str, out: &Path) {
    scan_root_to("samples", format, out);
}

fn json_report_of(root: &str, dir: &Path) -> Value {
    let p = dir.join("r.json");
    scan_root_to(root, "json", &p);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn json_report(dir: &Path) -> Value {
    json_report_of("samples", dir)
}

/// Every My Number planted in the samples, as digits.
fn planted_my_numbers(report: &Value) -> Vec<String> {
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .args(["scan", "samples", "--format", "jsonl", "--reveal", "-q"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let revealed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["category"] == "my_number")
        .map(|f| {
            // Revealed: the value is called `value`, not `masked`.
            assert!(f.get("masked").is_none());
            f["value"]
                .as_str()
                .unwrap()
                .chars()
                .filter_map(|c| {
                    c.to_digit(10)
                        .or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32))
                })
                .map(|d| char::from_digit(d, 10).unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        revealed.len(),
        report["scan"]["findings_by_category"]["my_number"]
            .as_u64()
            .unwrap() as usize
    );
    revealed
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.sarif");
    scan_to("sarif", &p);
    let text = std::fs::read_to_string(&p).unwrap();
    let sarif: Value = serde_json::from_str(&text).unwrap();
    // The published schema has an erratum: the `language` pattern holds an
    // unbalanced `]`, which the validator rejects as a regex. It is fixed
    // here as the SARIF 2.1.0 errata fix it; nothing else is touched.
    let schema_text = include_str!("fixtures/sarif-2.1.0-rtm.5.json").replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let report = json_report(dir.path());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len() as u64,
        report["scan"]["findings_total"].as_u64().unwrap()
    );
    let errors = results.iter().filter(|r| r["level"] == "error").count() as u64;
    assert_eq!(errors, report["scan"]["violations_total"].as_u64().unwrap());
    for n in planted_my_numbers(&report) {
        assert!(
            !text.contains(&n) && !text.contains(&n[..8]),
            "unmasked My Number in SARIF"
        );
    }
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The number in `<span id="{id}" ...>N</span>` or a `data-count` cell.
fn count_after(dom: &str, marker: &str) -> Option<u64> {
    let at = dom.find(marker)? + marker.len();
    let rest = &dom[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    rest[start..end].trim().parse().ok()
}

/// Headless Chromium's flags for a quiet, offline, throwaway run.
fn chromium_command(chrome: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The DOM of `html` after its scripts ran in headless Chromium.
fn rendered_dom(chrome: &Path, html: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = chromium_command(chrome, profile.path())
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("findings-body"),
        "no DOM: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// Renders the HTML report of `root` in headless Chromium and checks that
/// it shows the counts of the JSON report.
fn html_matches_json(root: &str) {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    scan_root_to(root, "html", &html);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "self-contained"
    );
    let report = json_report_of(root, dir.path());
    if root == "samples" {
        for n in planted_my_numbers(&report) {
            assert!(
                !page.contains(&n) && !page.contains(&n[..8]),
                "unmasked My Number in HTML"
            );
        }
    }
    let Some(chrome) = chromium() else {
        prereq::missing(
            "headless Chromium not installed (apt-get install chromium); .ci/run installs it",
        );
        return;
    };
    let dom = rendered_dom(&chrome, &html);
    let scan = &report["scan"];
    assert_eq!(
        count_after(&dom, "id=\"total-findings\""),
        scan["findings_total"].as_u64()
    );
    if scan["policy"].is_null() {
        // Nothing was judged: no count of violations, a hint instead.
        assert!(!dom.contains("id=\"total-violations\""));
        assert!(!dom.contains("0 violations") && !dom.contains("0 policy violations"));
        assert!(dom.contains("id=\"no-policy\""));
    } else {
        assert_eq!(
            count_after(&dom, "id=\"total-violations\""),
            scan["violations_total"].as_u64()
        );
    }
    assert_eq!(
        count_after(&dom, "id=\"files-scanned\""),
        scan["files_scanned"].as_u64()
    );
    for (cat, n) in scan["findings_by_category"].as_object().unwrap() {
        let marker = format!("<tr data-category=\"{cat}\">");
        let row = &dom[dom
            .find(&marker)
            .unwrap_or_else(|| panic!("no row for {cat}"))..];
        assert_eq!(count_after(row, "data-count="), n.as_u64(), "{cat}");
    }
    // The script ran: one table row per embedded finding (all of them, or
    // the most important up to the listing limit, saying so), and the
    // filter shows all.
    let total = scan["findings_total"].as_u64().unwrap();
    let limit = mamori::report::LISTED_FINDINGS as u64;
    let rows = dom.matches("<tr class=\"finding").count() as u64;
    assert_eq!(rows, total.min(limit));
    assert_eq!(dom.contains("id=\"findings-limit\""), total > limit);
    assert_eq!(count_after(&dom, "id=\"f-shown\""), Some(total.min(limit)));
    let violations = scan["violations_total"].as_u64().unwrap();
    let violation_rows = dom.matches("<tr class=\"finding violation\"").count() as u64;
    assert_eq!(violation_rows, violations.min(limit));
}

#[test]
fn html_renders_the_counts_of_the_json_report_in_headless_chromium() {
    html_matches_json("samples");
}

#[test]
fn html_of_the_development_corpus_matches_its_json() {
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/eval/dev/files")
        .is_dir()
    {
        prereq::missing("../shared/eval/dev is not next to the repository");
        return;
    }
    html_matches_json("../shared/eval/dev/files");
}

/// The rank of a classification level (most sensitive highest).
fn level_rank(id: &str) -> u8 {
    match id {
        "specific_personal" => 3,
        "special_care" => 2,
        "personal" => 1,
        _ => 0,
    }
}

/// `attr="…"` values in `page`, in order.
fn attr_values(page: &str, attr: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!(r#"{attr}="([^"]*)""#)).unwrap();
    re.captures_iter(page).map(|c| c[1].to_string()).collect()
}

#[test]
fn html_lists_what_to_fix_first_with_owners_and_violation_places() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let root_text = root.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = |format: &str, out: &Path, policy: bool| {
        let mut cmd = Command::new(BIN);
        cmd.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
            .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
            .args(["scan", root_text, "-q", "--format", format, "-o"])
            .arg(out);
        if policy {
            cmd.arg("--policy").arg(root.join("policy.toml"));
        }
        let status = cmd.status().unwrap();
        assert!(matches!(status.code(), Some(1 | 3)), "{status:?}");
    };
    let html = dir.path().join("r.html");
    scan("html", &html, true);
    scan("json", &dir.path().join("r.json"), true);
    let page = std::fs::read_to_string(&html).unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let rel = |p: &str| {
        p.strip_prefix(root_text)
            .unwrap()
            .trim_start_matches('/')
            .to_string()
    };

    // The files with findings, ranked as the JSON's levels and counts say.
    let mut files: Vec<&Value> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["findings"].as_u64() > Some(0))
        .collect();
    files.sort_by_key(|f| {
        (
            std::cmp::Reverse(level_rank(f["classification"].as_str().unwrap())),
            std::cmp::Reverse(f["violations"].as_u64().unwrap()),
            std::cmp::Reverse(f["findings"].as_u64().unwrap()),
            f["path"].as_str().unwrap().to_string(),
        )
    });
    let fix = &page[page.find("id=\"fix-first\"").expect("a fix-first list")..];
    let fix = &fix[..fix.find("</table>").unwrap()];
    let expected: Vec<String> = files
        .iter()
        .map(|f| rel(f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(attr_values(fix, "data-path"), expected);
    assert!(files.len() >= 5, "the samples have files of every level");

    // Each row: its owner from the policy, and where its violations are.
    for f in &files {
        let path = f["path"].as_str().unwrap();
        let at = fix.find(&format!("data-path=\"{}\"", rel(path))).unwrap();
        let row = &fix[at..at + fix[at..].find("</tr>").unwrap()];
        if let Some(owner) = f["owner"].as_str() {
            assert!(row.contains(&format!("<td>{owner}</td>")), "{row}");
        }
        let mut lines: Vec<u64> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["path"] == path && v["policy"]["verdict"] == "violation")
            .map(|v| v["location"]["line"].as_u64().unwrap())
            .collect();
        lines.sort();
        assert_eq!(lines.len() as u64, f["violations"].as_u64().unwrap());
        let places = &row[row.find("class=\"places\"").unwrap_or(row.len())..];
        for line in lines.iter().take(5) {
            assert!(places.contains(&format!("line {line}")), "{row}");
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f["violations"].as_u64() > Some(0) && f["owner"].is_string()),
        "the samples have a violation in a folder with an owner"
    );

    // Paths relative to the root; times to the second; labels whole.
    for table in ["fix-first", "by-folder", "violations"] {
        let t = &page[page.find(&format!("id=\"{table}\"")).unwrap()..];
        let t = &t[..t.find("</table>").unwrap()];
        assert!(!t.contains(root_text), "{table} shows the absolute root");
    }
    let times = attr_values(&page, "datetime");
    assert_eq!(times.len(), 2);
    let second = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    assert!(times.iter().all(|t| second.is_match(t)), "{times:?}");
    for (cat, _) in report["scan"]["findings_by_category"].as_object().unwrap() {
        assert!(
            page.contains(&format!(" {cat}</td><td class=\"bar\">")),
            "chart label of {cat}"
        );
    }
    // How the scan was run, for an auditor.
    assert!(page.contains("id=\"audit\"") && page.contains("policy.toml <code>sha256 "));

    // Without a policy: no owners, no violation counts, a hint.
    scan("html", &html, false);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"fix-first\"") && page.contains("id=\"no-policy\""));
    assert!(!page.contains("violation") || !page.contains("<th>violations</th>"));
    assert!(!page.contains("id=\"total-violations\""));

    // In a browser the times are shown in local time.
    if let Some(chrome) = chromium() {
        let dom = rendered_dom(&chrome, &html);
        assert_eq!(
            attr_values(&dom, "title")
                .iter()
                .filter(|t| t.ends_with(" UTC"))
                .count(),
            2
        );
    }
}

/// The findings of a JSON report by file, in the report's order.
fn findings_by_file(report: &Value) -> Vec<(String, u64, Vec<mamori::report::Reported>)> {
    let mut out: Vec<(String, u64, Vec<mamori::report::Reported>)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["bytes"].as_u64().unwrap(),
                Vec::new(),
            )
        })
        .collect();
    for f in report["findings"].as_array().unwrap() {
        let r: mamori::report::Reported = serde_json::from_value(f.clone()).unwrap();
        let file = out
            .iter_mut()
            .filter(|(p, _, _)| r.path.starts_with(p.as_str()))
            .max_by_key(|(p, _, _)| p.len())
            .unwrap();
        file.2.push(r);
    }
    out
}

#[test]
fn html_of_a_million_findings_stays_small_and_opens_in_seconds() {
    // The development corpus forty times over (about a million findings);
    // without it, generated rosters of the same density.
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/dev/files");
    let work = tempfile::tempdir().unwrap();
    let root = if dev.is_dir() {
        dev.to_str().unwrap().to_string()
    } else {
        let generated = work.path().join("gen");
        std::fs::create_dir_all(&generated).unwrap();
        for i in 0..120 {
            let mut csv = String::from("氏名,電話番号,メールアドレス,住所\n");
            for r in 0..55 {
                csv.push_str(&format!(
                    "架空 {i}{r}郎,090-{:04}-{:04},user{i}x{r}@example.jp,東京都港区芝公園{}-{}-1\n",
                    1000 + i,
                    2000 + r,
                    r % 9 + 1,
                    i % 9 + 1
                ));
            }
            std::fs::write(generated.join(format!("名簿{i:03}.csv")), csv).unwrap();
        }
        generated.to_str().unwrap().to_string()
    };
    let report = json_report_of(&root, work.path());
    let files = findings_by_file(&report);
    let base = report["scan"]["findings_total"].as_u64().unwrap();

    // Forty copies, fed to the report as a scan of them would be.
    let html = work.path().join("big.html");
    let info = mamori::report::ScanInfo {
        roots: vec!["share".into()],
        started: "2026-11-26T01:02:03.123456789Z".into(),
        ..Default::default()
    };
    let out = std::io::BufWriter::new(std::fs::File::create(&html).unwrap());
    let mut collector = mamori::report::Collector::new(mamori::report::Format::Html, out, info);
    for copy in 0..40 {
        for (path, bytes, findings) in &files {
            let shown = format!("share/copy{copy:02}/{}", &path[root.len() + 1..]);
            let findings = findings
                .iter()
                .map(|f| {
                    let mut f = f.clone();
                    f.finding.path = format!("{shown}{}", &f.path[path.len()..]);
                    f
                })
                .collect();
            let item = mamori::report::Item::File(mamori::report::FileReport {
                path: shown,
                bytes: *bytes,
                format: "text",
                findings,
                ..Default::default()
            });
            collector.add_item(item, None).unwrap();
        }
    }
    let info = collector.finish("2026-11-26T01:09:03Z".into()).unwrap();
    assert_eq!(info.findings_total, base * 40);
    if dev.is_dir() {
        assert!(info.findings_total > 1_000_000, "{}", info.findings_total);
    }
    let size = std::fs::metadata(&html).unwrap().len();
    eprintln!("{} findings: HTML of {size} bytes", info.findings_total);
    assert!(size < 20 << 20, "{size} bytes");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"findings-limit\"") && page.contains("id=\"fix-first-more\""));

    let Some(chrome) = chromium() else {
        prereq::missing(
            "headless Chromium not installed (apt-get install chromium); .ci/run installs it",
        );
        return;
    };
    let started = std::time::Instant::now();
    let dom = rendered_dom(&chrome, &html);
    let wall = started.elapsed();
    // The page's own measure: from the start of loading until its script
    // has built the table (Chromium's start-up not counted).
    let ready: f64 = attr_values(&dom, "data-ready-ms")[0].parse().unwrap();
    eprintln!("ready in {ready} ms; Chromium ran {wall:?}");
    assert!(ready < 5000.0, "{ready} ms");
    let rows = dom.matches("<tr class=\"finding").count();
    assert_eq!(rows, mamori::report::LISTED_FINDINGS);
}
