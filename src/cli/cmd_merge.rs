//! `mamori merge`: the JSON reports of a sharded scan's shards combined into
//! the report one unsharded scan would have written — every total, file
//! level, folder roll-up and violation recomputed from the findings.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mamori::Confidence;
use mamori::report::{Collector, FileReport, Item, Reported, ScanInfo};
use mamori::scan::FileRef;
use mamori::store::{RunSpec, Store};
use mamori::walk::FileMeta;
use serde_json::Value;

use super::EXIT_CLEAN;
use super::args::FormatArg;
use super::cmd_scan::{Output, choose_format};

/// One shard's report, read.
struct ShardReport {
    path: PathBuf,
    doc: Value,
}

impl ShardReport {
    fn scan(&self, key: &str) -> &Value {
        &self.doc["scan"][key]
    }
}

fn load(path: &Path) -> anyhow::Result<ShardReport> {
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    let doc: Value = serde_json::from_slice(&text).with_context(|| {
        format!(
            "{} is not a JSON report of mamori (scan with --format json)",
            path.display()
        )
    })?;
    if doc["schema_version"] != "1.0" || !doc["scan"].is_object() {
        bail!("{} is not a mamori JSON report", path.display());
    }
    Ok(ShardReport {
        path: path.to_path_buf(),
        doc,
    })
}

/// Checks that the reports are the shards of one scan, each once.
fn check(reports: &[ShardReport]) -> anyhow::Result<u32> {
    let first = &reports[0];
    for r in &reports[1..] {
        for (key, what) in [
            ("roots", "roots"),
            ("ruleset", "rules (version, dictionaries, threshold)"),
            ("key_id", "fingerprint keys"),
            ("min_confidence", "confidence thresholds"),
            ("policy", "policies"),
        ] {
            if r.scan(key) != first.scan(key) {
                bail!(
                    "{} and {} are not shards of one scan: different {what} ({} vs {})",
                    first.path.display(),
                    r.path.display(),
                    first.scan(key),
                    r.scan(key)
                );
            }
        }
    }
    let mut count = None;
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for r in reports {
        if r.doc["run"]["status"] == "interrupted" {
            bail!(
                "{}: the shard's run was interrupted; scan it again",
                r.path.display()
            );
        }
        let shard = r.scan("shard");
        let (Some(k), Some(n)) = (shard["index"].as_u64(), shard["count"].as_u64()) else {
            bail!(
                "{} is not a shard's report (no scan.shard)",
                r.path.display()
            );
        };
        if *count.get_or_insert(n) != n {
            bail!(
                "{}: shard {k} of {n}, but other reports are of {} shards",
                r.path.display(),
                count.unwrap_or(n)
            );
        }
        if let Some(other) = seen.insert(k, &r.path) {
            bail!(
                "shard {k}/{n} is given twice: {} and {}",
                other.display(),
                r.path.display()
            );
        }
    }
    let n = count.unwrap_or(0);
    let missing: Vec<String> = (1..=n)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        bail!("missing shards: {}", missing.join(", "));
    }
    Ok(n as u32)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The audit record of the reports together: one report's as it is; for
/// shards, the first shard's (they share roots, rules and key), without
/// the count of other shards' files, naming every shard report by hash.
fn audit_of(reports: &[ShardReport]) -> Option<mamori::report::Audit> {
    let mut audit: mamori::report::Audit =
        serde_json::from_value(reports[0].scan("audit").clone()).ok()?;
    if reports.len() > 1 {
        audit.excluded.remove("other_shard");
        audit.merged_from = reports
            .iter()
            .map(|r| mamori::report::FileUsed::of(&r.path))
            .collect();
    }
    Some(audit)
}

/// `mamori report REPORT.json`: one saved JSON report written again in
/// any format, through the same collector as a scan, so that a scan runs
/// once and each audience gets its format.
pub fn render(
    report: &Path,
    format: Option<FormatArg>,
    output: Option<&Path>,
) -> anyhow::Result<i32> {
    let report = load(report)?;
    if report.doc["run"]["status"] == "interrupted" {
        eprintln!(
            "mamori: {}: the scan was interrupted; the report covers what it read",
            report.path.display()
        );
    }
    write(&[report], format, output, None)
}

pub fn run(
    reports: &[PathBuf],
    format: Option<FormatArg>,
    output: Option<&Path>,
    store: Option<&Path>,
) -> anyhow::Result<i32> {
    let reports: Vec<ShardReport> = reports
        .iter()
        .map(|p| load(p))
        .collect::<anyhow::Result<_>>()?;
    check(&reports)?;
    write(&reports, format, output, store)
}

/// Writes the report that the findings, files, skips and errors of
/// `reports` make together.
fn write(
    reports: &[ShardReport],
    format: Option<FormatArg>,
    output: Option<&Path>,
    store: Option<&Path>,
) -> anyhow::Result<i32> {
    let format = choose_format(format, output)?;
    let first = &reports[0];
    let info = ScanInfo {
        roots: first
            .scan("roots")
            .as_array()
            .map_or(Vec::new(), |a| a.iter().map(text).collect()),
        started: reports
            .iter()
            .map(|r| text(r.scan("started")))
            .min()
            .unwrap_or_default(),
        min_confidence: serde_json::from_value::<Confidence>(first.scan("min_confidence").clone())
            .unwrap_or_default(),
        policy: first.scan("policy").as_str().map(str::to_string),
        ruleset: text(first.scan("ruleset")),
        key_id: text(first.scan("key_id")),
        audit: audit_of(reports),
        ..Default::default()
    };
    let finished = reports
        .iter()
        .map(|r| text(r.scan("finished")))
        .max()
        .unwrap_or_default();

    // Every shard's files with their findings, in path order.
    let mut files: BTreeMap<String, FileReport> = BTreeMap::new();
    let mut others: Vec<Item> = Vec::new();
    for r in reports {
        let mut index: HashMap<String, String> = HashMap::new();
        for f in r.doc["files"].as_array().into_iter().flatten() {
            let path = text(&f["path"]);
            index.insert(path.clone(), path.clone());
            files.insert(
                path.clone(),
                FileReport {
                    path,
                    bytes: f["bytes"].as_u64().unwrap_or(0),
                    format: mamori::read::format_name(f["format"].as_str().unwrap_or("")),
                    encoding: f["encoding"].as_str().map(str::to_string),
                    owner: f["owner"].as_str().map(str::to_string),
                    ..Default::default()
                },
            );
        }
        for f in r.doc["findings"].as_array().into_iter().flatten() {
            let finding: Reported = serde_json::from_value(f.clone())
                .with_context(|| format!("{}: a finding that is not one", r.path.display()))?;
            // The file: the finding's path, or its part before an entry's `!`.
            let path = &finding.path;
            let file = std::iter::once(path.len())
                .chain(path.match_indices('!').map(|(i, _)| i))
                .find_map(|end| index.get(&path[..end]))
                .cloned()
                .with_context(|| {
                    format!("{}: a finding outside the files listed", r.path.display())
                })?;
            let entry = file.len() < path.len();
            let mut finding = finding;
            finding.entry_at = entry.then_some(file.len() + 1);
            files
                .get_mut(&file)
                .expect("indexed")
                .findings
                .push(finding);
        }
        for p in r.scan("skipped").as_array().into_iter().flatten() {
            others.push(Item::Skipped {
                path: text(&p["path"]),
                reason: text(&p["reason"]),
                unchanged: false,
                file: None,
            });
        }
        for p in r.scan("errors").as_array().into_iter().flatten() {
            others.push(Item::Error {
                path: text(&p["path"]),
                reason: text(&p["reason"]),
            });
        }
    }
    // With a store: one run, its files and findings, each finding new or
    // existing as for an unsharded run.
    let roots: Vec<PathBuf> = info
        .roots
        .iter()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.into()))
        .collect();
    let mut recorder = match store {
        Some(path) => {
            let mut s = Store::open(path, std::time::Duration::from_secs(0))?;
            let run = s.begin(&RunSpec {
                roots: roots.clone(),
                ruleset: info.ruleset.clone(),
                key_id: info.key_id.clone(),
                policy_hash: None,
                settings: serde_json::json!({
                    "merged": reports.iter().map(|r| r.path.display().to_string()).collect::<Vec<_>>(),
                }),
            })?;
            let reader = s.reader(&run, true);
            Some((s.writer(run), reader))
        }
        None => None,
    };
    let (handle, out) = Output::open(output)?;
    let mut collector = Collector::new(format, out, info);
    for (_, mut f) in files {
        if let Some((writer, reader)) = &mut recorder {
            f.file = roots.iter().enumerate().find_map(|(i, r)| {
                let rel = Path::new(&f.path).strip_prefix(r).ok()?;
                Some(FileRef {
                    root: i,
                    relative: rel.to_string_lossy().replace('\\', "/"),
                    meta: FileMeta {
                        size: f.bytes,
                        ..Default::default()
                    },
                })
            });
            if let Some(file) = &f.file {
                let plain: Vec<mamori::Finding> =
                    f.findings.iter().map(|r| r.finding.clone()).collect();
                for (r, s) in f
                    .findings
                    .iter_mut()
                    .zip(reader.statuses(file, &f.path, &plain))
                {
                    r.status = Some(s);
                }
            }
            let item = Item::File(f);
            writer.record(&item)?;
            collector.add_item(item, None)?;
        } else {
            collector.add_item(Item::File(f), None)?;
        }
    }
    for item in others {
        if let Some((writer, _)) = &mut recorder {
            writer.record(&item)?;
        }
        collector.add_item(item, None)?;
    }
    if let Some((writer, reader)) = recorder {
        drop(reader);
        collector.set_run(writer.finish_summary(
            true,
            store.map(|p| p.display().to_string()).unwrap_or_default(),
        )?);
    }
    collector.finish(finished)?;
    handle.publish()?;
    Ok(EXIT_CLEAN)
}
