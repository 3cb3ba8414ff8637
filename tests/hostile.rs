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
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
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
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
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

/// The zip `bytes` with each entry passed through `edit(name, data)`.
fn rezip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(&name, opts).unwrap();
            w.write_all(&edit(&name, data)).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

/// A workbook: sheet 1 has a phone under its header, sheet 2 another.
fn workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "氏名").unwrap();
    ws.write_string(0, 1, "電話番号").unwrap();
    ws.write_string(0, 2, "備考").unwrap();
    ws.write_string(1, 0, "架空 一郎").unwrap();
    ws.write_string(1, 1, "090-1357-2468").unwrap();
    ws.write_string(1, 2, "ERRCELL").unwrap();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "電話番号").unwrap();
    ws.write_string(1, 0, "080-9753-1357").unwrap();
    wb.save_to_buffer().unwrap()
}

fn phones(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "phone")
        .map(|f| f["masked"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn workbooks_that_lie_about_counts_or_carry_odd_error_cells_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let book = workbook();
    // A shared-strings part declaring four billion strings.
    let lying = rezip(&book, |name, data| {
        if name == "xl/sharedStrings.xml" {
            let s = String::from_utf8(data).unwrap();
            let start = s.find("uniqueCount=\"").unwrap() + 13;
            let end = start + s[start..].find('"').unwrap();
            format!("{}4294967295{}", &s[..start], &s[end..]).into_bytes()
        } else {
            data
        }
    });
    std::fs::write(dir.path().join("lying.xlsx"), lying).unwrap();
    // An error cell holding a My Number-shaped value, and one with an error
    // kind the reader does not know.
    let errors = |value: &'static str| {
        move |name: &str, data: Vec<u8>| {
            if name == "xl/worksheets/sheet1.xml" {
                let s = String::from_utf8(data).unwrap();
                // The cell C2 (a shared string) becomes an error cell.
                let at = s.find("<c r=\"C2\"").unwrap();
                let end = at + s[at..].find("</c>").unwrap() + 4;
                format!(
                    "{}<c r=\"C2\" t=\"e\"><v>{value}</v></c>{}",
                    &s[..at],
                    &s[end..]
                )
                .into_bytes()
            } else {
                data
            }
        }
    };
    std::fs::write(
        dir.path().join("error.xlsx"),
        rezip(&book, errors("123456789018")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("spill.xlsx"),
        rezip(&book, errors("#SPILL!")),
    )
    .unwrap();

    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
        .args(["scan", dir.path().to_str().unwrap(), "-o", "-"])
        .output()
        .unwrap();
    let all = [&out.stdout[..], &out.stderr[..]].concat();
    assert!(
        !String::from_utf8_lossy(&all).contains("123456789018"),
        "a raw value in the output"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["files_scanned"], 3, "{}", v["scan"]);
    assert!(
        v["scan"]["errors"].as_array().unwrap().is_empty(),
        "{}",
        v["scan"]
    );
    // Both sheets of every workbook are read.
    assert_eq!(phones(&v).len(), 6, "{:?}", phones(&v));
}

#[test]
fn an_ods_of_repeat_counts_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    // 5,000 rows of 16,384 repeated non-empty cells (82 million), declared in a few
    // hundred bytes, then one row with a phone.
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p>電話番号</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>090-2468-1357</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="5000"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("mimetype", stored).unwrap();
        w.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("content.xml", deflated).unwrap();
        w.write_all(content.as_bytes()).unwrap();
        w.start_file("META-INF/manifest.xml", deflated).unwrap();
        w.write_all(manifest.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 2048);
    std::fs::write(dir.path().join("bomb.ods"), &bytes).unwrap();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
        .args(["scan", dir.path().to_str().unwrap(), "-o", "-", "-q"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: u64 = err.lines().last().unwrap().trim().parse().unwrap();
    assert!(kb < 1024 * 1024, "peak RSS {kb} KB");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Read (the phone is found) or reported over the limit, never a crash.
    let found = phones(&v).len() == 1;
    let reported = !v["scan"]["errors"].as_array().unwrap().is_empty();
    assert!(found || reported, "{}", v["scan"]);
}

#[test]
fn damaged_and_mixed_encodings_cost_a_character_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let line = "顧客の電話番号は 090-2020-3030 です。\n";
    // One invalid byte in a UTF-8 memo.
    let mut damaged = line.repeat(40).into_bytes();
    damaged.insert(30, 0xff);
    damaged.extend_from_slice("担当 山田 電話番号 080-4040-5050\n既往歴：糖尿病\n".as_bytes());
    std::fs::write(dir.path().join("damaged.txt"), damaged).unwrap();
    // A Shift_JIS line after 64 KB of UTF-8.
    let mut mixed = "ただの文章です。\n".repeat(3000).into_bytes();
    assert!(mixed.len() > 64 * 1024);
    mixed.extend_from_slice(
        &encoding_rs::SHIFT_JIS
            .encode("電話番号 070-6060-7070\n既往歴：高血圧症\n")
            .0,
    );
    std::fs::write(dir.path().join("mixed.txt"), mixed).unwrap();
    let (v, _, _) = scan(dir.path());
    let mut found: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "phone")
        .map(|f| {
            format!(
                "{} {} {}",
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap(),
                f["masked"].as_str().unwrap(),
                f["location"]["byte_offset"]
            )
        })
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.split(' ').take(2).eq(b.split(' ').take(2)));
    let masked: Vec<&str> = found
        .iter()
        .map(|f| f.rsplit_once(' ').unwrap().0)
        .collect();
    // The UTF-8 memo keeps its 40 lines' number (one masked value) and its
    // last line; the Shift_JIS line is read as Shift_JIS.
    assert!(masked.contains(&"damaged.txt ***-****-3030"), "{found:?}");
    assert!(masked.contains(&"damaged.txt ***-****-5050"), "{found:?}");
    assert!(masked.contains(&"mixed.txt ***-****-7070"), "{found:?}");
    // Words survive too: the health terms of both files are found.
    let health: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "health")
        .map(|f| f["masked"].as_str().unwrap())
        .collect();
    assert!(health.contains(&"糖尿病"), "{health:?}");
    assert!(health.contains(&"高血圧症"), "{health:?}");
    // The byte offset of the Shift_JIS value points at its first digit.
    let sjis = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["masked"] == "***-****-7070")
        .unwrap();
    let off = sjis["location"]["byte_offset"].as_u64().unwrap() as usize;
    let bytes = std::fs::read(dir.path().join("mixed.txt")).unwrap();
    assert_eq!(&bytes[off..off + 3], b"070");
}

#[test]
fn every_gzip_member_and_text_with_a_nul_are_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let member = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mut gz = member("一つ目のメンバー\n");
    gz.extend(member("電話番号 090-1313-2424\n"));
    std::fs::write(dir.path().join("memo.txt.gz"), gz).unwrap();
    let mut nul = "本文の途中に".as_bytes().to_vec();
    nul.push(0);
    nul.extend_from_slice(
        "壊れた箇所があります。\n電話番号 090-3535-4646\n"
            .repeat(20)
            .as_bytes(),
    );
    std::fs::write(dir.path().join("nul.txt"), nul).unwrap();
    let (v, _, _) = scan(dir.path());
    let found = phones(&v);
    assert!(found.contains(&"***-****-2424".to_string()), "{found:?}");
    assert!(found.contains(&"***-****-4646".to_string()), "{found:?}");
}

#[test]
fn workbook_parts_that_inflate_a_thousandfold_are_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let book = workbook();
    // Shared strings of 80 MB (one string), compressed to a few hundred KB.
    let big_strings = rezip(&book, |name, data| {
        if name == "xl/sharedStrings.xml" {
            let s = String::from_utf8(data).unwrap();
            let at = s.find("<si>").unwrap();
            let mut out = s[..at].to_string();
            out.push_str("<si><t>");
            out.push_str(&"A".repeat(80 << 20));
            out.push_str("</t></si>");
            out.push_str(&s[at..]);
            out.into_bytes()
        } else {
            data
        }
    });
    std::fs::write(dir.path().join("strings.xlsx"), big_strings).unwrap();
    // One inline cell of 20 MB in the sheet.
    let big_cell = rezip(&book, |name, data| {
        if name == "xl/worksheets/sheet1.xml" {
            let s = String::from_utf8(data).unwrap();
            let at = s.find("</sheetData>").unwrap();
            format!(
                "{}<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><t>{}</t></is></c></row>{}",
                &s[..at],
                "B".repeat(20 << 20),
                &s[at..]
            )
            .into_bytes()
        } else {
            data
        }
    });
    std::fs::write(dir.path().join("cell.xlsx"), big_cell).unwrap();
    std::fs::write(dir.path().join("fine.xlsx"), workbook()).unwrap();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
        .args(["scan", dir.path().to_str().unwrap(), "-o", "-", "-q"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: u64 = err.lines().last().unwrap().trim().parse().unwrap();
    assert!(kb < 1024 * 1024, "peak RSS {kb} KB");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = v["scan"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in errors {
        let reason = e["reason"].as_str().unwrap();
        assert!(reason.contains("inflates"), "{reason}");
    }
    // The sound workbook beside them is read.
    assert_eq!(phones(&v).len(), 2, "{:?}", phones(&v));
}

#[test]
fn sarif_locates_files_relative_to_the_root_even_with_a_bang_in_a_folder() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("営業!2026");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("memo.txt"), "電話番号 090-1414-2525\n").unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("中/名簿.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all("電話番号 090-3636-4747\n".as_bytes())
        .unwrap();
    std::fs::write(folder.join("a.zip"), zip.finish().unwrap().into_inner()).unwrap();
    let sarif: Value = serde_json::from_slice(&report(dir.path(), "sarif")).unwrap();
    let run = &sarif["runs"][0];
    let base = run["originalUriBaseIds"]["ROOT0"]["uri"].as_str().unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let mut uris: Vec<(String, String)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0];
            let a = &loc["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uriBaseId"], "ROOT0");
            (
                a["uri"].as_str().unwrap().to_string(),
                loc["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    uris.sort();
    assert_eq!(
        uris,
        [
            (
                "%E5%96%B6%E6%A5%AD%212026/a.zip".to_string(),
                "中/名簿.txt".to_string()
            ),
            (
                "%E5%96%B6%E6%A5%AD%212026/memo.txt".to_string(),
                String::new()
            ),
        ]
    );
}

/// Runs `mamori ARGS` under GNU time: its output and its peak RSS in KB
/// (the largest of mamori and the children it waited for).
fn run_measured(args: &[&std::ffi::OsStr]) -> (std::process::Output, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kb = err.lines().last().unwrap().trim().parse().unwrap();
    (out, kb)
}

/// One BIFF record: type, length, data.
fn biff(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend((data.len() as u16).to_le_bytes());
    r.extend(data);
    r
}

/// A BIFF8 workbook stream of one sheet whose DIMENSIONS record declares
/// `rows` x `cols`, holding a header and one value (UTF-16 label cells).
fn xls_stream(rows: u32, cols: u16, header: &str, value: &str) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut d = 0x0600u16.to_le_bytes().to_vec();
        d.extend(dt.to_le_bytes());
        d.extend([0; 12]);
        biff(0x0809, &d)
    };
    let label = |row: u16, text: &str| {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut d = Vec::new();
        d.extend(row.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend((units.len() as u16).to_le_bytes());
        d.push(1);
        d.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        biff(0x0204, &d)
    };
    let name = "S";
    let boundsheet_len = 4 + 8 + name.len();
    let globals_len = bof(5).len() + boundsheet_len + 4;
    let mut sheet_entry = (globals_len as u32).to_le_bytes().to_vec();
    sheet_entry.extend([0, 0, name.len() as u8, 0]);
    sheet_entry.extend(name.as_bytes());
    let mut s = bof(5);
    s.extend(biff(0x0085, &sheet_entry));
    s.extend(biff(0x000A, &[]));
    assert_eq!(s.len(), globals_len);
    s.extend(bof(0x10));
    let mut dims = 0u32.to_le_bytes().to_vec();
    dims.extend(rows.to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    dims.extend(cols.to_le_bytes());
    dims.extend([0, 0]);
    s.extend(biff(0x0200, &dims));
    s.extend(label(0, header));
    s.extend(label(1, value));
    s.extend(biff(0x000A, &[]));
    s
}

#[test]
fn an_xls_declaring_four_billion_rows_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dims.xls");
    {
        use std::io::Write;
        let mut cfb = cfb::create(&path).unwrap();
        let mut stream = cfb.create_stream("/Workbook").unwrap();
        stream
            .write_all(&xls_stream(u32::MAX, 0xFFFF, "電話番号", "090-2468-1357"))
            .unwrap();
        stream.flush().unwrap();
        drop(stream);
        cfb.flush().unwrap();
    }
    let (out, kb) = run_measured(&[
        "scan".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        "-".as_ref(),
        "-q".as_ref(),
    ]);
    assert!(kb < 1024 * 1024, "peak RSS {kb} KB");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(phones(&v), ["***-****-1357"], "{}", v["scan"]);
}

/// A PDF of two pages: the first says `text` in Helvetica, the second's
/// content stream (`stream`, FlateDecode) is whatever the caller gives.
fn pdf_with_stream(text: &str, stream: &[u8]) -> Vec<u8> {
    let page1 = format!("BT /F1 12 Tf 50 800 Td ({text}) Tj ET\n");
    let mut objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 7 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>".to_vec(),
        format!("<< /Length {} >>\nstream\n{page1}endstream", page1.len()).into_bytes(),
    ];
    let mut bomb = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.len()
    )
    .into_bytes();
    bomb.extend_from_slice(stream);
    bomb.extend_from_slice(b"\nendstream");
    objs.push(bomb);
    objs.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_pdf_stream_that_inflates_a_thousandfold_is_read_in_bounded_memory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of NUL bytes (white space to a PDF parser) in about 1 MB.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        z.write_all(&zeros).unwrap();
    }
    let stream = z.finish().unwrap();
    assert!(stream.len() < 2 << 20, "{} bytes", stream.len());
    let path = dir.path().join("bomb.pdf");
    std::fs::write(&path, pdf_with_stream("TEL 090-2468-1357", &stream)).unwrap();
    // With pdftotext when it is installed, and with mamori's own extractor
    // (no pdftotext on the PATH).
    let path_var = std::env::var("PATH").unwrap_or_default();
    for search_path in [path_var.as_str(), "/nonexistent"] {
        let started = std::time::Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(BIN)
            .env("PATH", search_path)
            .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
            .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
            .args(["scan", path.to_str().unwrap(), "-o", "-", "-q"])
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        // Peak RSS of mamori and of the extractor it ran (GNU time reports
        // the largest of the process and its waited-for children).
        let kb: u64 = err.lines().last().unwrap().trim().parse().unwrap();
        assert!(kb < 1024 * 1024, "PATH={search_path}: peak RSS {kb} KB");
        assert!(elapsed.as_secs() < 90, "PATH={search_path}: {elapsed:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The bomb costs its own page, not the file: the phone on the first
        // page is found by either extractor.
        assert_eq!(
            phones(&v),
            ["***-****-1357"],
            "PATH={search_path}: {}",
            v["scan"]
        );
        eprintln!("PATH={search_path}: {kb} KB, {elapsed:?}");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(!report.contains("090-2468-1357"));
    }
}

#[test]
fn values_at_the_cut_of_a_long_line_are_found_once() {
    let dir = tempfile::tempdir().unwrap();
    // One line of 1.2 MB: kana, then 300 phone numbers around the 1 MiB
    // point where the line is cut into segments (one starts 6 bytes before
    // it), then kana again.
    const SEGMENT: usize = 1 << 20;
    let phones: Vec<String> = (0..300)
        .map(|i| format!("090-{:04}-{:04}と", 2000 + i, 1300 + i))
        .collect();
    let span = phones[0].len();
    let first = SEGMENT - 6 - 150 * span;
    let mut line = "あ".repeat(first / 3);
    line.push_str(&"x".repeat(first % 3));
    assert_eq!(line.len() + 150 * span, SEGMENT - 6);
    for p in &phones {
        line.push_str(p);
    }
    line.push_str(&"い".repeat(50_000));
    std::fs::write(dir.path().join("long.txt"), &line).unwrap();
    let (v, _, _) = scan(dir.path());
    let found = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "phone")
        .map(|f| f["location"]["byte_offset"].as_u64().unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    let expected: std::collections::BTreeSet<u64> =
        (0..300).map(|i| (first + i * span) as u64).collect();
    assert_eq!(found, expected);
    assert_eq!(v["scan"]["findings_by_category"]["phone"], 300);
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_are_kept_recoverably() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    // 名簿 in Shift_JIS, and a byte that is nothing at all.
    let raw: &[u8] = b"\x96\xbc\x95\xeb_\xff.txt";
    let name = std::ffi::OsStr::from_bytes(raw);
    std::fs::write(dir.path().join(name), "電話番号 090-5151-6262\n").unwrap();
    // SARIF: the URI percent-encodes the very bytes.
    let sarif: Value = serde_json::from_slice(&report(dir.path(), "sarif")).unwrap();
    let a = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(a["uri"], "%96%BC%95%EB_%FF.txt");
    // JSON: one private-use character per byte (U+10FF00 + the byte).
    let json: Value = serde_json::from_slice(&report(dir.path(), "json")).unwrap();
    let path = json["findings"][0]["path"].as_str().unwrap();
    let file_name: Vec<u8> = path
        .rsplit('/')
        .next()
        .unwrap()
        .chars()
        .map(|c| match u32::from(c) {
            u @ 0x10_FF80..=0x10_FFFF => (u - 0x10_FF00) as u8,
            u => u8::try_from(u).expect("ASCII or an escaped byte"),
        })
        .collect();
    assert_eq!(file_name, raw);
    // Text: shown as escapes, nothing raw on the terminal.
    let text = String::from_utf8(report(dir.path(), "text")).unwrap();
    assert!(text.contains(r"\x96\xbc\x95\xeb_\xff.txt"), "{text}");
}

/// Scans 100 rosters of 2,000 phone numbers (200,000 findings), and what
/// `add` writes beside them, into a report in `format`: the report (in a
/// directory kept for the test's life) and mamori's peak RSS in KB.
fn many_findings_reported(format: &str, add: impl FnOnce(&Path)) -> (tempfile::TempPath, u64) {
    let dir = tempfile::tempdir().unwrap();
    for f in 0..100 {
        let mut csv = String::from("電話番号\n");
        for i in 0..2000 {
            csv.push_str(&format!("090-{:04}-{:04}\n", 1000 + f, 1000 + i));
        }
        std::fs::write(dir.path().join(format!("r{f:03}.csv")), csv).unwrap();
    }
    add(dir.path());
    let report = tempfile::Builder::new()
        .suffix(&format!(".{format}"))
        .tempfile()
        .unwrap()
        .into_temp_path();
    let (_, kb) = run_measured(&[
        "scan".as_ref(),
        dir.path().as_os_str(),
        "-q".as_ref(),
        "-o".as_ref(),
        report.as_os_str(),
    ]);
    (report, kb)
}

#[test]
fn a_sarif_report_of_many_findings_is_written_in_bounded_memory() {
    let (report, kb) = many_findings_reported("sarif", |_| {});
    // Held whole, the results took about 13 KB each (2.6 GB here).
    assert!(kb < 400 * 1024, "peak RSS {kb} KB");
    let sarif: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 200_000);
    // Files in path order, each file's results in file order.
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.is_sorted());
    assert_eq!(uris[0], "r000.csv");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
        results[0]["ruleId"]
    );
}

#[test]
fn an_html_report_of_many_findings_embeds_the_most_important_in_bounded_memory() {
    // And one My Number, which is listed first however late its file comes.
    let (report, kb) = many_findings_reported("html", |dir| {
        std::fs::write(dir.join("z.txt"), "個人番号 1234 5678 9018\n").unwrap();
    });
    assert!(kb < 400 * 1024, "peak RSS {kb} KB");
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.len() < 20 << 20, "{} bytes", page.len());
    assert!(page.contains("id=\"findings-limit\""));
    let data_start = page.find("id=\"findings-data\">").unwrap();
    let data = &page[data_start..];
    let embedded = data.matches("\"category\":").count();
    assert_eq!(embedded, mamori::report::LISTED_FINDINGS);
    assert!(data.contains("\"category\":\"my_number\""));
}

#[test]
fn one_line_of_forty_thousand_labelled_numbers_is_scanned_like_many_lines() {
    // 40,000 labelled phone numbers (about 1.1 MB) on one line, and the
    // same one per line: offset and context work that grew with the line
    // took minutes.
    let items: Vec<String> = (0..40_000)
        .map(|i| format!("電話番号:090-{:04}-{:04}", 2000 + i / 10_000, i % 10_000))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (one, many) = (dir.path().join("one"), dir.path().join("many"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&many).unwrap();
    std::fs::write(one.join("t.txt"), items.join("、")).unwrap();
    std::fs::write(many.join("t.txt"), items.join("\n")).unwrap();
    let mut took = Vec::new();
    for d in [&one, &many] {
        let started = std::time::Instant::now();
        let (v, _, _) = scan(d);
        took.push(started.elapsed());
        assert_eq!(v["scan"]["findings_by_category"]["phone"], 40_000);
    }
    eprintln!("one line {:?}, many lines {:?}", took[0], took[1]);
    // A generous bound (the work is linear; this only catches a return
    // of the quadratic case).
    assert!(took[0].as_secs() < 60, "{took:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn killing_a_scan_kills_its_pdf_child() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A pdftotext that never finishes, and says who it is.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let pid_file = dir.path().join("child.pid");
    let script = bin.join("pdftotext");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > {}.tmp && mv {0}.tmp {0}\nexec sleep 300\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("a.pdf"),
        pdf_with_stream("TEL 090-2468-1357", b""),
    )
    .unwrap();
    let mut scan = Command::new(BIN)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "hostile-0123456789abcdef")
        .args(["scan", files.to_str().unwrap(), "-q", "-o"])
        .arg(dir.path().join("r.json"))
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let pid: i32 = loop {
        if let Ok(s) = std::fs::read_to_string(&pid_file) {
            break s.trim().parse().unwrap();
        }
        assert!(started.elapsed().as_secs() < 30, "the child never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    scan.kill().unwrap();
    scan.wait().unwrap();
    // The child dies with the scan (gone, or a zombie waiting for a reaper).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| !r.trim_start().starts_with('Z'))
        })
    };
    let killed = std::time::Instant::now();
    while alive() && killed.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let orphan = alive();
    if orphan {
        kill_leftover(pid);
    }
    assert!(!orphan, "the PDF child {pid} outlived the scan");
}

/// Ends a leftover child so that a failing test leaves nothing running.
#[cfg(target_os = "linux")]
fn kill_leftover(pid: i32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}

#[test]
fn one_file_of_many_findings_and_a_line_of_blank_values_are_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 200,000 phone numbers in one roster: a file's findings were all held
    // until it was done (290 MB here), now they go in parts.
    let mut csv = String::from("電話番号\n");
    for i in 0..200_000 {
        csv.push_str(&format!("090-{:04}-{:04}\n", 3000 + i / 10_000, i % 10_000));
    }
    std::fs::write(dir.path().join("roster.csv"), csv).unwrap();
    // Three million commas before one value: blank values took 190 MB.
    let line = format!("メモ\n{}電話 090-5555-0123\n", ",".repeat(3_000_000));
    std::fs::write(dir.path().join("commas.csv"), line).unwrap();
    let report = dir.path().join("report.jsonl");
    let (out, kb) = run_measured(&[
        "scan".as_ref(),
        dir.path().join("roster.csv").as_os_str(),
        dir.path().join("commas.csv").as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-q".as_ref(),
        "-o".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(kb < 150 * 1024, "peak RSS {kb} KB");
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200_001);
    let comma = lines
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("commas.csv"))
        .unwrap();
    assert_eq!(comma["location"]["column"], 3_000_004);
    // The roster's findings in file order.
    let rows: Vec<u64> = lines
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("roster.csv"))
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert!(rows.is_sorted() && rows.len() == 200_000);
}
