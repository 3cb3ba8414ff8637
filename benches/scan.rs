//! Scan throughput on generated Japanese text: a memo-like mix of prose,
//! numbers that are not My Numbers, and some that are (one line in ten, each
//! of which makes the name detector tokenize it), at the default medium
//! threshold.
//!
//! Run with `cargo bench --bench scan`. Reported as bytes per second.

use std::fmt::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mamori::detect::DetectorSet;
use mamori::mask::{Fingerprinter, KeySource};
use mamori::{Confidence, ScanConfig, Scanner, TextUnit};

fn my_number(seed: u64) -> String {
    let w = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let d: Vec<u64> = (0..11)
        .map(|i| (seed / 7u64.pow(i % 8) + i as u64) % 10)
        .collect();
    let r = d.iter().zip(w).map(|(a, b)| a * b).sum::<u64>() % 11;
    let c = if r <= 1 { 0 } else { 11 - r };
    d.iter().map(|x| x.to_string()).collect::<String>() + &c.to_string()
}

fn corpus(bytes: usize) -> String {
    let prose = [
        "本日もがんばりましょう。会議は第2会議室で行います。",
        "インフルエンザ予防接種の社内案内を掲示しました。",
        "見積金額：16,339,254円（税込）",
        "システム障害の対応は完了しました。ログを確認してください。",
    ];
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < bytes {
        i += 1;
        match i % 10 {
            0 => writeln!(s, "個人番号：{}", my_number(i)).unwrap(),
            3 => writeln!(s, "注文番号 {} の商品を発送しました。", my_number(i * 31)).unwrap(),
            5 => writeln!(s, "2026-01-{:02} 10:00 受付 {}", i % 28 + 1, i * 7919).unwrap(),
            _ => writeln!(s, "{}", prose[(i % 4) as usize]).unwrap(),
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = corpus(4 << 20);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);

    let detectors = DetectorSet::builtin();
    let lines: Vec<TextUnit> = text
        .lines()
        .enumerate()
        .map(|(i, l)| TextUnit::line(l.to_string(), i as u64 + 1, 0, 0))
        .collect();
    g.bench_function("detect_lines", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|u| detectors.detect_at(u, Confidence::Medium).len())
                .sum::<usize>()
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let utf8 = dir.path().join("memo.txt");
    std::fs::write(&utf8, &text).unwrap();
    let sjis = dir.path().join("memo_sjis.txt");
    std::fs::write(&sjis, encoding_rs::SHIFT_JIS.encode(&text).0).unwrap();
    let scanner = Scanner::new(
        ScanConfig::new(vec![dir.path().to_path_buf()]),
        Fingerprinter::with_key(b"bench", KeySource::Environment),
    );
    for (name, path) in [("file_utf8", &utf8), ("file_shift_jis", &sjis)] {
        g.bench_function(name, |b| {
            let size = std::fs::metadata(path).unwrap().len();
            b.iter(|| {
                scanner
                    .scan_file(path, size)
                    .unwrap()
                    .unwrap()
                    .findings
                    .len()
            })
        });
    }
    g.finish();
}

/// A 5 MB memo with a phone number or a labelled name in most lines, once
/// with its line breaks and once as one single line: offset work must stay
/// linear in the length of a line, so both take about as long (the issue's
/// bound is twice).
fn line_length(c: &mut Criterion) {
    let mut lines = Vec::new();
    let mut size = 0;
    let mut i = 0u64;
    while size < 5 << 20 {
        i += 1;
        let line = match i % 4 {
            0 => format!(
                "連絡先 電話：03-{:04}-{:04} 担当 架空様",
                1000 + i % 9000,
                i % 10000
            ),
            1 => format!("携帯 090-{:04}-{:04}", 2000 + i % 8000, i % 10000),
            _ => "本日の打合せは第2会議室で行います。資料は共有フォルダにあります。".to_string(),
        };
        size += line.len() + 1;
        lines.push(line);
    }
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many_lines.txt");
    std::fs::write(&many, lines.join("\n") + "\n").unwrap();
    let one = dir.path().join("one_line.txt");
    std::fs::write(&one, lines.join(" ") + "\n").unwrap();
    let scanner = Scanner::new(
        ScanConfig::new(vec![dir.path().to_path_buf()]),
        Fingerprinter::with_key(b"bench", KeySource::Environment),
    );
    let mut g = c.benchmark_group("line_length");
    g.throughput(Throughput::Bytes(size as u64));
    g.sample_size(10);
    for (name, path) in [("many_lines_5mb", &many), ("one_line_5mb", &one)] {
        g.bench_function(name, |b| {
            let size = std::fs::metadata(path).unwrap().len();
            b.iter(|| {
                scanner
                    .scan_file(path, size)
                    .unwrap()
                    .unwrap()
                    .findings
                    .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, line_length);
criterion_main!(benches);
