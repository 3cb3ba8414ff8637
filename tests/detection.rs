//! Detection on whole texts: ordinary prose and policy text must not yield
//! identifiers, and the labelled development corpus must score well.
//!
//! The corpus tests need `../shared/eval/dev` (and python3 for its scorer)
//! next to the repository; where it is absent they say so and pass.

#[path = "support/prereq.rs"]
mod prereq;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

fn scan(dir: &Path, extra: &[&str]) -> Value {
    let out = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--quiet"])
        .args(extra)
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .output()
        .expect("run mamori");
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn categories(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["context"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Paragraphs written for this test: a news item, a story, a product page
/// and a release note, full of numbers, dates, prices and times that are not
/// identifiers.
const PROSE: &str = "\
気象庁は2026年11月25日午前10時30分、関東甲信地方で木枯らし1号が吹いたと発表した。東京都心の最大瞬間風速は15.3メートルで、平年より3日早い。\
午後には気温が12度まで下がり、JR東日本の一部路線で最大20分の遅れが出た。同庁は「今週末にかけて冷え込みが強まる」として注意を呼びかけている。

その冬、祖母は毎朝五時に起きて、かまどに火を入れた。村の家は三十二軒、子どもは十一人しかいなかった。\
私は七つで、兄は十二だった。兄は町の中学校まで片道四キロの道を歩いて通い、帰りにはいつも駄菓子屋で十円の飴を買ってきた。

新型モデル「ハヤテX2」は税込価格129,800円。幅1,200mm×奥行600mm×高さ720mm、重量18.5kg。\
品番 HX2-1200-600 と HX2-1400-700 の2サイズを展開し、2026-12-01から全国の販売店で受付を開始します。\
保証期間は購入日から3年間（2029/11/30まで）。

バージョン 3.12.0 (2026-10-07) では、起動時間を平均 1.8 秒短縮しました。\
ビルド番号 20261007-1542 以降、設定ファイルの上限を 65,536 行に引き上げています。\
IPアドレス 192.168.10.25 からの接続は 10:00〜18:00 のみ許可されます。\
第3四半期の売上は前年同期比12.4%増の4,382億円、営業利益は613億7,200万円でした。
";

/// A policy text of our own: it names the sensitive categories but holds
/// nobody's data.
const POLICY: &str = "\
当社は、要配慮個人情報（人種、信条、社会的身分、病歴、犯罪の経歴、犯罪により害を被った事実等）及び\
機微情報（本籍地、門地、保健医療、性生活等）を、法令に基づく場合を除き取得しません。\
個人番号（マイナンバー）は、法定調書作成事務の目的に限り利用します。\
お客様の健康状態・病歴などの情報は、保険契約の引受審査のためにのみ利用します。\
前科・前歴に関する情報は取得いたしません。本籍地の記載を求めることはありません。
";

#[test]
fn ordinary_prose_yields_no_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prose.txt"), PROSE).unwrap();
    let report = scan(dir.path(), &[]);
    let bad: Vec<_> = categories(&report)
        .into_iter()
        .filter(|(c, _, _)| matches!(c.as_str(), "phone" | "email" | "postal_code" | "my_number"))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn a_policy_text_yields_no_sensitive_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.txt"), POLICY).unwrap();
    let report = scan(dir.path(), &[]);
    let found = categories(&report);
    assert!(found.is_empty(), "{found:#?}");
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("eval/dev/files").is_dir() {
        Some(p)
    } else {
        prereq::missing("../shared/eval/dev is not next to the repository");
        None
    }
}

#[test]
fn seed_policies_yield_no_medium_sensitive_findings() {
    let Some(shared) = shared() else { return };
    let report = scan(&shared.join("seeds"), &[]);
    let bad: Vec<_> = categories(&report)
        .into_iter()
        .filter(|(c, _, _)| {
            matches!(
                c.as_str(),
                "health" | "criminal" | "domicile" | "crime_victim"
            )
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Scores the development corpus with its own scorer: every category at
/// least 0.95 precision and recall, micro-F1 at least 0.97.
#[test]
fn development_corpus_scores() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let files = shared.join("eval/dev/files");
    let status = Command::new(BIN)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("scan")
        .arg(&files)
        .args(["--format", "json", "--quiet", "--output"])
        .arg(&report)
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let out = match Command::new("python3")
        .arg(shared.join("eval/score.py"))
        .arg(shared.join("eval/dev/labels.jsonl"))
        .arg(&report)
        .arg("--root")
        .arg(&files)
        .arg("--json")
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            prereq::missing(&format!("python3 not available ({e})"));
            return;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("{text}");
    let json_line = text
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("score.py --json line");
    let scores: Value = serde_json::from_str(json_line).unwrap();
    for (cat, s) in scores["per_category"].as_object().unwrap() {
        let (p, r) = (
            s["precision"].as_f64().unwrap(),
            s["recall"].as_f64().unwrap(),
        );
        assert!(p >= 0.95 && r >= 0.95, "{cat}: precision {p}, recall {r}");
    }
    assert!(scores["micro"]["f1"].as_f64().unwrap() >= 0.97);
}

/// A memo of invented lines: phones with labels, names with honorifics,
/// a My Number with its label, health terms near a name, prose.
fn memo_lines(n: usize) -> Vec<String> {
    let prose = [
        "本日の打合せは第2会議室で行います。",
        "資料は共有フォルダに置きました、ご確認ください。",
        "見積金額：1,234,500円（税込）",
    ];
    (0..n)
        .map(|i| match i % 6 {
            0 => format!(
                "連絡先 電話：03-{:04}-{:04} 担当 山本様",
                1000 + i % 9000,
                2000 + i % 7000
            ),
            1 => format!("携帯 090-{:04}-{:04}", 3000 + i % 6000, 4000 + i % 5000),
            2 => "個人番号：123456789018".to_string(),
            3 => "山田太郎さんは先月から糖尿病で通院している。".to_string(),
            _ => prose[i % 3].to_string(),
        })
        .collect()
}

/// (category, fingerprint, confidence) of every finding, counted.
fn finding_set(report: &Value) -> std::collections::BTreeMap<(String, String, String), usize> {
    let mut out = std::collections::BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let key = |k: &str| f[k].as_str().unwrap_or_default().to_string();
        *out.entry((key("category"), key("fingerprint"), key("confidence")))
            .or_default() += 1;
    }
    out
}

#[test]
fn one_long_line_gives_the_findings_of_many_lines() {
    let lines = memo_lines(6000);
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many");
    let one = dir.path().join("one");
    std::fs::create_dir_all(&many).unwrap();
    std::fs::create_dir_all(&one).unwrap();
    std::fs::write(many.join("memo.txt"), lines.join("\n") + "\n").unwrap();
    std::fs::write(one.join("memo.txt"), lines.join(" ") + "\n").unwrap();
    let (a, b) = (
        finding_set(&scan(&many, &[])),
        finding_set(&scan(&one, &[])),
    );
    assert!(a.values().sum::<usize>() >= 6000, "{a:?}");
    assert_eq!(a, b);
}
