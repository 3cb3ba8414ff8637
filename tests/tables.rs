//! Tables as people make them: split name and address columns, no header or
//! English headers, readings that are not names, and forms in workbooks.
//! Every input is made here; names and places are invented.

#[path = "support/scan.rs"]
mod support;

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;
use support::scan;

/// (line or cell, category, rule) of every finding.
fn found(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            let at = match l["cell"].as_str() {
                Some(c) => c.to_string(),
                None => format!("{}:{}", l["line"], l["column"]),
            };
            (
                at,
                f["category"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn count(v: &Value, category: &str) -> usize {
    found(v).iter().filter(|f| f.1 == category).count()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Five invented people: surname, given name, their readings, phone, birth date.
const PEOPLE: [[&str; 6]; 5] = [
    [
        "佐藤",
        "健一",
        "サトウ",
        "ケンイチ",
        "0312345678",
        "1980/01/02",
    ],
    [
        "鈴木",
        "花子",
        "スズキ",
        "ハナコ",
        "09012345678",
        "1975/12/30",
    ],
    [
        "高橋",
        "誠",
        "タカハシ",
        "マコト",
        "0451234567",
        "1990/07/07",
    ],
    [
        "田中",
        "美咲",
        "タナカ",
        "ミサキ",
        "0663334444",
        "2001/03/15",
    ],
    [
        "伊藤",
        "大輔",
        "イトウ",
        "ダイスケ",
        "0112223333",
        "1968/11/11",
    ],
];

#[test]
fn surname_and_given_name_columns_are_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("姓,名,姓（カタカナ）,名（カタカナ）,性別\n");
    for p in PEOPLE {
        csv.push_str(&format!("{},{},{},{},男\n", p[0], p[1], p[2], p[3]));
    }
    let v = scan(&write(dir.path(), "roster.csv", &csv));
    // Every name cell, one-character given names included; 性別 is not one.
    assert_eq!(count(&v, "person_name"), 20, "{:#?}", found(&v));
    assert!(found(&v).iter().all(|f| f.2 == "person_name.column"));
}

#[test]
fn headerless_tables_are_profiled_from_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::new();
    for (i, p) in PEOPLE.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},{},{},{},{},user{i}@example.jp,pw{i}x9\n",
            p[0], p[1], p[2], p[3], p[4], p[5]
        ));
    }
    let v = scan(&write(dir.path(), "export.csv", &csv));
    let f = found(&v);
    assert_eq!(count(&v, "person_name"), 20, "{f:#?}");
    assert_eq!(count(&v, "phone"), 5, "{f:#?}");
    assert_eq!(count(&v, "date_of_birth"), 5, "{f:#?}");
    assert_eq!(count(&v, "email"), 5, "{f:#?}");
    // Inferred, not labelled: medium, and the rule says so.
    for (_, category, rule) in &f {
        if category != "email" {
            assert!(rule.ends_with(".profile"), "{rule}");
        }
    }
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["category"] != "email")
            .all(|f| f["confidence"] == "medium")
    );
}

#[test]
fn english_headers_name_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("first_name,last_name,tel,zip,company_name\n");
    for p in PEOPLE {
        csv.push_str(&format!("{},{},{},100-0001,架空商事\n", p[1], p[0], p[4]));
    }
    let v = scan(&write(dir.path(), "users.csv", &csv));
    assert_eq!(count(&v, "person_name"), 10, "{:#?}", found(&v));
    assert_eq!(count(&v, "phone"), 5);
    assert_eq!(count(&v, "postal_code"), 5);
}

#[test]
fn an_address_split_over_columns_is_one_address() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "氏名,住所,,,,,住所（カタカナ）,備考\n\
               架空 一郎,東京都,千代田区,丸の内,1-2-3,見本ビル201,トウキョウトチヨダク,なし\n\
               試野 花子,大阪府,大阪市北区,梅田,4-5-6,,オオサカフオオサカシ,なし\n\
               見本 七海,静岡県,清水市,港町,7-8,,シズオカケン,なし\n";
    let v = scan(&write(dir.path(), "split.csv", csv));
    let f = found(&v);
    let addresses: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["category"] == "address")
        .collect();
    assert_eq!(addresses.len(), 3, "{f:#?}");
    assert_eq!(addresses[0]["masked"], "東京都千代田区＊＊＊");
    assert_eq!(addresses[0]["rule"], "address.full");
    assert_eq!(addresses[0]["location"]["column_header"], "住所");
    // A municipality merged away since (清水市, now part of 静岡市).
    assert_eq!(addresses[2]["masked"], "静岡県＊＊＊");
    assert_eq!(addresses[2]["confidence"], "medium");
    // Towns (丸の内, 梅田) are not names, and an address reading is not one.
    assert_eq!(count(&v, "person_name"), 3, "{f:#?}");
}

#[test]
fn forms_label_their_values_left_or_above_merged_cells_included() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("申込書").unwrap();
    let merged = Format::new();
    ws.write_string(0, 2, "利用申込書").unwrap();
    // Label left, value in a merged range to its right.
    ws.write_string(2, 0, "申込者").unwrap();
    ws.merge_range(2, 1, 2, 3, "架空 次郎", &merged).unwrap();
    ws.write_string(3, 0, "電話番号").unwrap();
    ws.merge_range(3, 1, 3, 3, "03-1111-2222", &merged).unwrap();
    // Label above its value.
    ws.write_string(5, 0, "氏名").unwrap();
    ws.write_string(6, 0, "見本 三郎").unwrap();
    let path = dir.path().join("form.xlsx");
    wb.save(&path).unwrap();
    let v = scan(&path);
    let f = found(&v);
    assert!(
        f.contains(&(
            "B3".into(),
            "person_name".into(),
            "person_name.column".into()
        )),
        "{f:#?}"
    );
    assert!(f.iter().any(|x| x.0 == "B4" && x.1 == "phone"), "{f:#?}");
    assert!(
        f.iter().any(|x| x.0 == "A7" && x.1 == "person_name"),
        "{f:#?}"
    );
    assert_eq!(count(&v, "person_name"), 2, "{f:#?}");
}

#[test]
fn several_tables_in_one_sheet_each_under_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [&[&str]; 7] = [
        &["部品一覧"],
        &["No.", "名称", "数量"],
        &["1", "ボルト", "12"],
        &[],
        &["担当者一覧"],
        &["No.", "氏名", "電話番号"],
        &["1", "架空 四郎", "090-3333-4444"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, t) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *t).unwrap();
        }
    }
    let path = dir.path().join("lists.xlsx");
    wb.save(&path).unwrap();
    let v = scan(&path);
    let f = found(&v);
    assert_eq!(
        f.iter()
            .filter(|x| x.1 == "person_name")
            .map(|x| x.0.as_str())
            .collect::<Vec<_>>(),
        ["B7"],
        "{f:#?}"
    );
    let name = &v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["category"] == "person_name")
        .unwrap();
    assert_eq!(name["location"]["column_header"], "氏名");
}

#[test]
fn excel_files_that_are_html_tables_are_read_as_tables() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\">\r\n<body><table>\r\n\
                <tr><td>No.</td><td>氏名</td><td>電話番号</td></tr>\r\n\
                <tr><td>1</td><td>架空&nbsp;五郎</td><td>0312345678</td></tr>\r\n\
                <tr><td>2</td><td>見本 六子</td><td>0698765432</td></tr>\r\n\
                </table></body></html>\r\n";
    let path = dir.path().join("export.xls");
    std::fs::write(&path, encoding_rs::SHIFT_JIS.encode(html).0).unwrap();
    let v = scan(&path);
    assert_eq!(v["files"][0]["format"], "html");
    let f = found(&v);
    assert_eq!(count(&v, "person_name"), 2, "{f:#?}");
    assert_eq!(count(&v, "phone"), 2, "{f:#?}");
    let phone = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["category"] == "phone")
        .unwrap();
    assert_eq!(phone["location"]["column_header"], "電話番号");
    assert_eq!(phone["location"]["line"], 4);
    assert_eq!(phone["rule"], "phone.keyword");
}
