//! File formats end to end: workbooks, archives, and the files that cannot
//! be read. Every fixture is generated here.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use rust_xlsxwriter::Workbook;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

/// Valid My Numbers; the second has a leading zero.
const MN: [&str; 2] = ["123456789018", "012345678903"];

fn scan(path: &Path) -> (Value, i32) {
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("scan")
        .arg(path)
        .args(["--format", "json", "--quiet"])
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

fn findings<'a>(v: &'a Value, category: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == category)
        .collect()
}

fn roster_xlsx() -> Vec<u8> {
    assert!(mamori::detect::digits::is_valid_my_number(MN[1]));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("社員名簿").unwrap();
    for (c, h) in ["氏名", "個人番号", "電話番号", "入社日"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "架空 一郎").unwrap();
    ws.write_string(1, 1, MN[0]).unwrap();
    ws.write_string(1, 2, "090-1234-5678").unwrap();
    // A date serial is a number but not an identifier.
    ws.write_number(1, 3, 45000.0).unwrap();
    ws.write_string(2, 0, "見本 花子").unwrap();
    // Stored as a number: the leading zero is gone.
    ws.write_number(2, 1, MN[1].parse::<f64>().unwrap())
        .unwrap();
    let hidden = wb.add_worksheet();
    hidden.set_name("非表示").unwrap();
    hidden.write_string(0, 0, "マイナンバー").unwrap();
    hidden
        .write_number(1, 0, MN[0].parse::<f64>().unwrap())
        .unwrap();
    hidden.set_hidden(true);
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_cells_headers_numbers_and_hidden_sheets() {
    let dir = tempfile::tempdir().unwrap();
    // Content decides, not the name: a workbook renamed .dat is still read.
    std::fs::write(dir.path().join("meibo.dat"), roster_xlsx()).unwrap();
    let (v, code) = scan(dir.path());
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["format"], "xlsx");
    let mn = findings(&v, "my_number");
    let at = |sheet: &str, cell: &str| {
        mn.iter()
            .find(|f| f["location"]["sheet"] == sheet && f["location"]["cell"] == cell)
            .unwrap_or_else(|| panic!("no My Number at {sheet}!{cell}: {mn:#?}"))
    };
    assert_eq!(
        at("社員名簿", "B2")["location"]["column_header"],
        "個人番号"
    );
    assert_eq!(at("社員名簿", "B3")["rule"], "my_number.lost_leading_zero");
    assert_eq!(at("非表示", "A2")["location"]["sheet_hidden"], true);
    assert_eq!(mn.len(), 3);
    assert_eq!(findings(&v, "phone").len(), 1);
    assert_eq!(findings(&v, "person_name").len(), 2);
    // The date serial in D2 is not reported as anything.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["location"]["cell"] != "D2")
    );
}

fn zip_with(entries: &[(&str, &[u8])], password: Option<&[u8]>) -> Vec<u8> {
    use zip::unstable::write::FileOptionsExt;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, data) in entries {
            let mut opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            if let Some(p) = password {
                opts = opts.with_deprecated_encryption(p).unwrap();
            }
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn a_workbook_inside_a_zip_inside_a_zip_is_located_by_inner_path() {
    let dir = tempfile::tempdir().unwrap();
    let inner = zip_with(&[("人事/社員名簿.xlsx", &roster_xlsx())], None);
    let outer = zip_with(&[("backup/inner.zip", &inner)], None);
    std::fs::write(dir.path().join("share.zip"), outer).unwrap();
    let (v, _) = scan(dir.path());
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), 3);
    let path = mn[0]["path"].as_str().unwrap();
    assert!(
        path.ends_with("share.zip!backup/inner.zip!人事/社員名簿.xlsx"),
        "{path}"
    );
}

/// A zip written by Japanese Windows: the entry name in CP932, no UTF-8 flag.
fn cp932_named_zip() -> Vec<u8> {
    let sjis = encoding_rs::SHIFT_JIS.encode("社員名簿.csv").0.into_owned();
    let placeholder = "a".repeat(sjis.len() - 4) + ".csv";
    let body = format!("氏名,個人番号\n架空 一郎,{}\n", MN[0]);
    let mut z = zip_with(&[(&placeholder, body.as_bytes())], None);
    let needle = placeholder.as_bytes();
    let mut i = 0;
    let mut replaced = 0;
    while i + needle.len() <= z.len() {
        if &z[i..i + needle.len()] == needle {
            z[i..i + needle.len()].copy_from_slice(&sjis);
            replaced += 1;
        }
        i += 1;
    }
    assert_eq!(replaced, 2, "local header and central directory");
    z
}

#[test]
fn cp932_entry_names_decode() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.zip"), cp932_named_zip()).unwrap();
    let (v, _) = scan(dir.path());
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), 1);
    assert!(
        mn[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("old.zip!社員名簿.csv")
    );
}

#[test]
fn bombs_corrupt_and_encrypted_files_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A zip bomb: 300 MB of zeros in one entry compresses to about 300 KB.
    let mut bomb = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut bomb);
        w.start_file("zeros.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..300 {
            w.write_all(&chunk).unwrap();
        }
        w.finish().unwrap();
    }
    std::fs::write(d.join("bomb.zip"), bomb.into_inner()).unwrap();
    // A corrupt workbook: a zip that holds no workbook, named .xlsx.
    std::fs::write(
        d.join("broken.xlsx"),
        zip_with(&[("readme.txt", b"hello")], None),
    )
    .unwrap();
    let truncated = roster_xlsx();
    std::fs::write(d.join("truncated.xlsx"), &truncated[..truncated.len() / 2]).unwrap();
    // An encrypted zip.
    let secret = format!("個人番号 {}\n", MN[0]);
    std::fs::write(
        d.join("secret.zip"),
        zip_with(&[("secret.txt", secret.as_bytes())], Some(b"pass")),
    )
    .unwrap();
    // A password-protected workbook: an OLE2 container with an
    // EncryptedPackage stream (its directory names the stream in UTF-16).
    let mut locked = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    locked.extend(vec![0u8; 1024]);
    locked.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    locked.extend(vec![0u8; 1024]);
    std::fs::write(d.join("locked.xlsx"), locked).unwrap();
    // And one ordinary file that must still be scanned.
    std::fs::write(d.join("memo.txt"), format!("個人番号：{}\n", MN[0])).unwrap();

    let (v, code) = scan(d);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "my_number").len(), 1);
    let errors = v["scan"]["errors"].as_array().unwrap();
    let reason = |suffix: &str| {
        errors
            .iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(suffix))
            .map(|e| e["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{suffix} not reported: {errors:#?}"))
    };
    assert!(reason("bomb.zip!zeros.txt").contains("ratio"));
    assert!(reason("broken.xlsx").contains("spreadsheet"));
    assert!(reason("truncated.xlsx").contains("spreadsheet"));
    assert!(reason("secret.zip!secret.txt").contains("encrypted"));
    assert!(reason("locked.xlsx").contains("encrypted"));
    // The text summary lists them too.
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("scan")
        .arg(d)
        .args(["--format", "text", "--quiet"])
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Could not read: 5 paths"), "{text}");
}

fn docx() -> Vec<u8> {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>扶養控除等申告書の件</w:t></w:r></w:p>
<w:p><w:r><w:t>個人番号：{}</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:rPr><w:b/></w:rPr><w:t>{}</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>電話番号</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>架空 一郎</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>090-1234-5678</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#,
        &MN[0][..6],
        &MN[0][6..]
    );
    let header =
        r#"<w:hdr xmlns:w="w"><w:p><w:r><w:t>連絡先 03-5555-0123</w:t></w:r></w:p></w:hdr>"#;
    let core = r#"<cp:coreProperties xmlns:cp="cp" xmlns:dc="dc"><dc:creator>見本 花子</dc:creator><cp:lastModifiedBy>mihon</cp:lastModifiedBy></cp:coreProperties>"#;
    zip_with(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", body.as_bytes()),
            ("word/header1.xml", header.as_bytes()),
            ("docProps/core.xml", core.as_bytes()),
        ],
        None,
    )
}

fn pptx() -> Vec<u8> {
    let slide = |text: &str| {
        format!(
            r#"<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        )
    };
    let s1 = slide("2026年度 計画");
    let s2 = slide(&format!("マイナンバー {}", MN[0]));
    let notes = slide("担当 電話 045-123-4567");
    zip_with(
        &[
            ("ppt/presentation.xml", b"<p:presentation xmlns:p=\"p\"/>"),
            ("ppt/slides/slide1.xml", s1.as_bytes()),
            ("ppt/slides/slide2.xml", s2.as_bytes()),
            ("ppt/notesSlides/notesSlide2.xml", notes.as_bytes()),
        ],
        None,
    )
}

#[test]
fn word_and_powerpoint_text_is_located_by_part_and_paragraph() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("申告書.docx"), docx()).unwrap();
    std::fs::write(dir.path().join("計画.pptx"), pptx()).unwrap();
    let (v, _) = scan(dir.path());
    let schema: Value = serde_json::from_str(mamori::report::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&v), "report does not match its schema");
    let mut formats: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    formats.sort();
    assert_eq!(formats, ["docx", "pptx"]);
    let in_doc = |cat: &str, file: &str| -> Vec<Value> {
        findings(&v, cat)
            .into_iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(file))
            .map(|f| f["location"].clone())
            .collect()
    };
    // The My Number split across two runs is found in paragraph 2.
    let mn = in_doc("my_number", ".docx");
    assert_eq!(mn.len(), 1);
    assert_eq!(
        (mn[0]["part"].as_str(), mn[0]["paragraph"].as_u64()),
        (Some("word/document.xml"), Some(2))
    );
    let phones = in_doc("phone", ".docx");
    assert!(
        phones
            .iter()
            .any(|l| l["column_header"] == "電話番号" && l["row"] == 2)
    );
    assert!(phones.iter().any(|l| l["part"] == "word/header1.xml"));
    let names = in_doc("person_name", ".docx");
    assert!(
        names.iter().any(|l| l["part"] == "docProps/core.xml"),
        "{names:#?}"
    );
    assert!(names.iter().any(|l| l["column_header"] == "氏名"));
    let slide_mn = in_doc("my_number", ".pptx");
    assert_eq!(slide_mn[0]["slide"], 2);
    assert_eq!(
        in_doc("phone", ".pptx")[0]["part"],
        "ppt/notesSlides/notesSlide2.xml"
    );
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap().to_string() + "\r\n")
        .collect()
}

/// A message as a Japanese mail client sends it: ISO-2022-JP body and
/// MIME-encoded sender name, with a workbook attached.
fn eml() -> Vec<u8> {
    let jis = |s: &str| encoding_rs::ISO_2022_JP.encode(s).0.into_owned();
    let name = format!("=?ISO-2022-JP?B?{}?=", base64(&jis("架空 一郎")).trim());
    let body_text = format!(
        "お世話になっております。\r\n個人番号：{}\r\n折り返し先：090-1234-5678\r\n",
        MN[0]
    );
    let mut m = Vec::new();
    m.extend_from_slice(
        format!(
            "From: {name} <kakuu@example.jp>\r\nTo: soumu@example.co.jp\r\nSubject: =?ISO-2022-JP?B?{}?=\r\n\
             Date: Wed, 25 Nov 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
             Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
            base64(&jis("扶養控除申告書")).trim()
        )
        .as_bytes(),
    );
    m.extend_from_slice(&jis(&body_text));
    m.extend_from_slice(
        b"\r\n--XX\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=\"meibo.xlsx\"\r\n\
          Content-Disposition: attachment; filename=\"meibo.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    m.extend_from_slice(base64(&roster_xlsx()).as_bytes());
    m.extend_from_slice(b"--XX--\r\n");
    m
}

#[test]
fn email_headers_bodies_and_attachments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("受信.eml"), eml()).unwrap();
    let (v, _) = scan(dir.path());
    assert_eq!(v["files"][0]["format"], "eml");
    let mn = findings(&v, "my_number");
    let body = mn.iter().find(|f| f["location"]["part"] == "body").unwrap();
    assert_eq!(body["location"]["paragraph"], 2);
    let attached: Vec<_> = mn
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("受信.eml!meibo.xlsx"))
        .collect();
    assert_eq!(attached.len(), 3, "{mn:#?}");
    assert!(
        findings(&v, "phone")
            .iter()
            .any(|f| f["location"]["part"] == "body")
    );
    let names = findings(&v, "person_name");
    assert!(
        names.iter().any(|f| f["location"]["part"] == "header:From"),
        "{names:#?}"
    );
    let emails = findings(&v, "email");
    assert_eq!(emails.len(), 2, "{emails:#?}");
}

/// A minimal PDF with a CID font (Identity-H) and a ToUnicode map, as
/// Japanese PDFs are written; `descriptor: false` leaves out the font
/// descriptor, which makes the extractor fail.
fn pdf(pages: &[&[&str]], descriptor: bool) -> Vec<u8> {
    let mut chars: Vec<char> = pages
        .iter()
        .flat_map(|p| p.iter())
        .flat_map(|l| l.chars())
        .collect();
    chars.sort();
    chars.dedup();
    let cid = |c: char| chars.iter().position(|&x| x == c).unwrap() + 1;
    let mut objs: Vec<(usize, String)> = Vec::new();
    let mut kids = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let (pid, cid_obj) = (10 + 2 * i, 11 + 2 * i);
        let mut content = String::from("BT /F1 12 Tf 50 800 Td 14 TL\n");
        for line in page.iter() {
            let hex: String = line.chars().map(|c| format!("{:04X}", cid(c))).collect();
            content.push_str(&format!("<{hex}> Tj T*\n"));
        }
        content.push_str("ET\n");
        objs.push((
            cid_obj,
            format!(
                "<< /Length {} >>\nstream\n{content}endstream",
                content.len()
            ),
        ));
        objs.push((pid, format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents {cid_obj} 0 R >>")));
        kids.push(format!("{pid} 0 R"));
    }
    objs.push((1, "<< /Type /Catalog /Pages 2 0 R >>".into()));
    objs.push((
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            kids.len()
        ),
    ));
    objs.push((4, "<< /Type /Font /Subtype /Type0 /BaseFont /Dummy /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>".into()));
    let fd = if descriptor {
        " /FontDescriptor 9 0 R"
    } else {
        ""
    };
    objs.push((6, format!("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Dummy /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000{fd} >>")));
    objs.push((9, "<< /Type /FontDescriptor /FontName /Dummy /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>".into()));
    let mut cmap = format!(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n{} beginbfchar\n",
        chars.len()
    );
    for &c in &chars {
        cmap.push_str(&format!("<{:04X}> <{:04X}>\n", cid(c), c as u32));
    }
    cmap.push_str("endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    objs.push((
        7,
        format!("<< /Length {} >>\nstream\n{cmap}endstream", cmap.len()),
    ));
    objs.sort_by_key(|o| o.0);
    let mut out = b"%PDF-1.4\n".to_vec();
    let size = objs.last().unwrap().0 + 1;
    let mut offsets = vec![None; size];
    for (n, body) in &objs {
        offsets[*n] = Some(out.len());
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {size}\n").as_bytes());
    for o in &offsets {
        match o {
            Some(off) => out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 65535 f \n"),
        }
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

#[test]
fn pdf_text_by_page_and_malformed_pdfs_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mn = format!("個人番号：{}", MN[0]);
    let good = pdf(&[&["申告書の件", &mn], &[], &["電話 090-1234-5678"]], true);
    std::fs::write(dir.path().join("申告書.pdf"), &good).unwrap();
    std::fs::write(dir.path().join("broken.pdf"), pdf(&[&[&mn]], false)).unwrap();
    std::fs::write(
        dir.path().join("garbage.pdf"),
        b"%PDF-1.7\n\x00\x01 not really",
    )
    .unwrap();
    let (v, code) = scan(dir.path());
    assert_eq!(code, 1);
    // pdftotext reads a font without its descriptor (the page shows the
    // text); pdf-extract fails on it.
    let poppler = mamori::read::pdf::find_pdftotext().is_some();
    let mn = findings(&v, "my_number");
    assert_eq!(mn.len(), if poppler { 2 } else { 1 });
    assert!(mn.iter().all(|f| f["location"]["page"] == 1));
    assert_eq!(findings(&v, "phone")[0]["location"]["page"], 3);
    let skipped = v["scan"]["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["reason"]
            .as_str()
            .unwrap()
            .contains("page 2 of 3 without extractable text")),
        "{skipped:#?}"
    );
    let errors = v["scan"]["errors"].as_array().unwrap();
    let broken: &[&str] = if poppler {
        &["garbage.pdf"]
    } else {
        &["broken.pdf", "garbage.pdf"]
    };
    for name in broken {
        let e = errors
            .iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported: {errors:#?}"));
        let reason = e["reason"].as_str().unwrap();
        assert!(
            !reason.contains("panicked") && !reason.contains('\n'),
            "{reason}"
        );
    }
}

/// Damaged copies of every kind of fixture: the scan reports them and never
/// crashes (a deterministic xorshift makes the damage repeatable).
#[test]
fn damaged_files_are_reported_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mn = format!("個人番号：{}", MN[0]);
    let originals: Vec<(&str, Vec<u8>)> = vec![
        ("xlsx", roster_xlsx()),
        ("docx", docx()),
        ("pptx", pptx()),
        ("pdf", pdf(&[&[&mn]], true)),
        ("eml", eml()),
        ("zip", cp932_named_zip()),
    ];
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (ext, bytes) in &originals {
        for i in 0..6 {
            let mut b = bytes.clone();
            if i % 2 == 0 {
                // Truncated.
                b.truncate((next() as usize) % b.len());
            } else {
                // Bytes overwritten.
                for _ in 0..(1 + next() % 40) {
                    let at = (next() as usize) % b.len();
                    b[at] = next() as u8;
                }
            }
            std::fs::write(dir.path().join(format!("damaged{i}.{ext}")), b).unwrap();
        }
    }
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"])
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["scan"];
    let accounted = s["files_scanned"].as_u64().unwrap()
        + s["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["path"].as_str().unwrap().contains('!'))
            .count() as u64
        + s["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["path"].as_str().unwrap().contains('!'))
            .count() as u64;
    assert!(
        accounted >= 36,
        "every damaged file is scanned or reported: {s:#}"
    );
}
