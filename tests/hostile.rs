//! Hostile inputs, generated here: no file may crash or exhaust a scan,
//! hide data or leak a value through a report or an error message.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

/// The JSON report of scanning `path`, and the exit code.
fn scan(path: &Path) -> (Value, Option<i32>, String) {
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile")
        .args(["scan", path.to_str().unwrap(), "-o", "-", "-q"])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report ({e}), exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        v,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A message carrying `inner` as an attached message/rfc822.
fn wrap(inner: &str, level: usize) -> String {
    format!(
        "From: a{level}@example.jp\r\nTo: b@example.jp\r\nSubject: fwd {level}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n\
         --b{level}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nlevel {level}\r\n\
         --b{level}\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--b{level}--\r\n"
    )
}

#[test]
fn messages_attached_seven_hundred_deep_are_read_to_the_nesting_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = "From: x@example.jp\r\nSubject: inner\r\n\r\n\
                 担当者の電話番号は 090-3141-5926 です。\r\n"
        .to_string();
    for level in 0..700 {
        m = wrap(&m, level);
    }
    std::fs::write(dir.path().join("deep.eml"), &m).unwrap();
    // The same value four levels down is found.
    let mut shallow = "From: x@example.jp\r\nSubject: inner\r\n\r\n\
                       担当者の電話番号は 090-2718-2818 です。\r\n"
        .to_string();
    for level in 0..3 {
        shallow = wrap(&shallow, level);
    }
    std::fs::write(dir.path().join("shallow.eml"), &shallow).unwrap();
    let (v, code, _) = scan(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(v["scan"]["files_scanned"], 2, "{}", v["scan"]);
    let phones: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "phone")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(phones.len(), 1, "{phones:?}");
    assert!(phones[0].contains("shallow.eml!"), "{phones:?}");
    // The levels beyond the limit are reported, not silently dropped.
    let errors = v["scan"]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().contains("deep.eml!")
                && e["reason"].as_str().unwrap().contains("nested deeper")),
        "{errors:?}"
    );
    // Each e-mail address of the levels read is found once, not once per
    // enclosing level.
    let addresses: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "email" && f["path"].as_str().unwrap().contains("deep.eml"))
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(addresses.len() < 20, "{}", addresses.len());
}

fn report(path: &Path, format: &str) -> Vec<u8> {
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile")
        .args([
            "scan",
            path.to_str().unwrap(),
            "--format",
            format,
            "-o",
            "-",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[cfg(unix)]
#[test]
fn reports_are_safe_to_open_in_a_terminal_excel_and_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    // A name with a terminal title sequence, a bell and a right-to-left
    // override; a header and a cell Excel would run as formulas; a context
    // that opens an HTML comment and a script.
    let evil = "a\u{1b}]0;pwned\u{7}\u{202e}txt.csv";
    std::fs::write(
        dir.path().join(evil),
        "=HYPERLINK(\"http://x\"),電話番号\n@SUM(1+1),090-1234-5678\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("formula.txt"),
        "=1+1 電話 090-1111-2222\n-2+3 電話 090-3333-4444\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("<!--<script>.txt"),
        "<!--<script>alert(1)</script> 電話 090-8765-4321\n",
    )
    .unwrap();

    let text = report(dir.path(), "text");
    let text = String::from_utf8(text).unwrap();
    assert!(!text.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{text:?}");
    assert!(text.contains("\\u{1b}"), "{text}");

    let csv = report(dir.path(), "csv");
    let csv = String::from_utf8(csv).unwrap();
    for line in csv.lines().skip(1) {
        // Cells in order; quoted cells may hold commas.
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                c => cell.push(c),
            }
        }
        cells.push(cell);
        for c in &cells {
            assert!(
                !c.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{c:?} in {line}"
            );
        }
    }
    assert!(csv.contains("'=1+1 電話"), "{csv}");
    assert!(csv.contains("'-2+3 電話"), "{csv}");

    let html = String::from_utf8(report(dir.path(), "html")).unwrap();
    // Markup appears only as mamori writes it: the file's text is escaped.
    assert!(
        !html.contains("<!--"),
        "a comment opened by the file's text"
    );
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only mamori's two scripts"
    );
}
