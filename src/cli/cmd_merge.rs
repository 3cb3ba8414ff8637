//! `mamori merge`: the JSON reports of a sharded scan's shards combined into
//! the report one unsharded scan would have written — every total, file
//! level, folder roll-up and violation recomputed from the findings.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mamori::Confidence;
use mamori::report::{Collector, FileReport, FindingsReport, Item, Reported, ScanInfo};
use mamori::scan::{FINDINGS_BATCH, FileRef};
use mamori::store::{RunSpec, RunWriter, Store, StoreReader};
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

/// Reads a report's document but its findings (left in the file, read
/// one at a time by [`each_finding`]): a report of a gigabyte is not held.
fn load(path: &Path) -> anyhow::Result<ShardReport> {
    let mut head = serde_json::Map::new();
    read_document(path, &mut Pass::Head(&mut head)).with_context(|| {
        format!(
            "{} is not a JSON report of mamori (scan with --format json)",
            path.display()
        )
    })?;
    let doc = Value::Object(head);
    if doc["schema_version"] != "1.0" || !doc["scan"].is_object() {
        bail!("{} is not a mamori JSON report", path.display());
    }
    Ok(ShardReport {
        path: path.to_path_buf(),
        doc,
    })
}

/// What a reading of a report's document keeps.
enum Pass<'a> {
    /// Every member but the findings.
    Head(&'a mut serde_json::Map<String, Value>),
    /// Each finding, handed over as it is read; the error that stopped it.
    Findings(
        &'a mut dyn FnMut(Reported) -> anyhow::Result<()>,
        Option<anyhow::Error>,
    ),
}

/// Reads the document at `path` through `pass`.
fn read_document(path: &Path, pass: &mut Pass<'_>) -> anyhow::Result<()> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let read = serde::Deserializer::deserialize_map(&mut de, &mut *pass).and_then(|()| de.end());
    if let Pass::Findings(_, stopped) = pass
        && let Some(e) = stopped.take()
    {
        return Err(e);
    }
    Ok(read?)
}

/// Calls `each` with every finding of the report at `path`, in its order.
fn each_finding(
    path: &Path,
    mut each: impl FnMut(Reported) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    read_document(path, &mut Pass::Findings(&mut each, None))
        .with_context(|| format!("{}: a finding that is not one", path.display()))
}

impl<'de> serde::de::Visitor<'de> for &mut Pass<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a mamori JSON report")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match (&mut *self, key == "findings") {
                (Pass::Head(head), false) => {
                    let value = map.next_value()?;
                    head.insert(key, value);
                }
                (Pass::Findings(..), true) => map.next_value_seed(&mut *self)?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Pass::Findings(each, stopped) = self else {
            return Err(serde::de::Error::custom("findings where none are read"));
        };
        while let Some(finding) = seq.next_element::<Reported>()? {
            if let Err(e) = each(finding) {
                *stopped = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut Pass<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

/// Where merged files go: the report, and with a store its run.
struct Sink<'a, W: std::io::Write> {
    collector: Collector<W>,
    recorder: Option<(RunWriter, StoreReader)>,
    roots: &'a [PathBuf],
}

impl<W: std::io::Write> Sink<'_, W> {
    /// The file shown as `path` under its root (with a store).
    fn file_ref(&self, path: &str) -> Option<FileRef> {
        self.recorder.as_ref()?;
        self.roots.iter().enumerate().find_map(|(i, r)| {
            let rel = Path::new(path).strip_prefix(r).ok()?;
            Some(FileRef {
                root: i,
                relative: rel.to_string_lossy().replace('\\', "/"),
                meta: FileMeta::default(),
            })
        })
    }

    /// Marks findings of `file` new or existing (with a store); `last`:
    /// the file's last part.
    fn judge(&self, file: &FileReport, findings: &mut [Reported], last: bool) {
        let (Some((_, reader)), Some(f)) = (&self.recorder, &file.file) else {
            return;
        };
        let plain: Vec<mamori::Finding> = findings.iter().map(|r| r.finding.clone()).collect();
        let statuses = reader.statuses_of_part(f, &file.path, &plain, last);
        for (r, s) in findings.iter_mut().zip(statuses) {
            r.status = Some(s);
        }
    }

    /// Hands over the findings `file` holds, ahead of the file.
    fn part(&mut self, file: &mut FileReport) -> anyhow::Result<()> {
        let mut findings = std::mem::take(&mut file.findings);
        self.judge(file, &mut findings, false);
        self.send(Item::Findings(FindingsReport {
            path: file.path.clone(),
            unchanged: false,
            file: file.file.clone(),
            findings,
            counted: Default::default(),
        }))
    }

    /// Hands over a file with the rest of its findings.
    fn file(&mut self, mut file: FileReport) -> anyhow::Result<()> {
        let mut findings = std::mem::take(&mut file.findings);
        self.judge(&file, &mut findings, true);
        file.findings = findings;
        self.send(Item::File(file))
    }

    fn send(&mut self, item: Item) -> anyhow::Result<()> {
        if let Some((writer, _)) = &mut self.recorder {
            writer.record(&item)?;
        }
        self.collector.add_item(item, None)?;
        Ok(())
    }
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

    // With a store: one run, its files and findings, each finding new or
    // existing as for an unsharded run.
    let roots: Vec<PathBuf> = info
        .roots
        .iter()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.into()))
        .collect();
    let recorder = match store {
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
    let mut sink = Sink {
        collector: Collector::new(format, out, info),
        recorder,
        roots: &roots,
    };
    let mut others: Vec<Item> = Vec::new();
    let mut unlisted_skips: BTreeMap<String, u64> = BTreeMap::new();
    let mut unlisted_errors = 0u64;
    for r in reports {
        // The shard's files not yet handed over, by path.
        let mut files: HashMap<String, FileReport> = HashMap::new();
        for f in r.doc["files"].as_array().into_iter().flatten() {
            let path = text(&f["path"]);
            let mut report = FileReport {
                path: path.clone(),
                bytes: f["bytes"].as_u64().unwrap_or(0),
                format: mamori::read::format_name(f["format"].as_str().unwrap_or("")),
                encoding: f["encoding"].as_str().map(str::to_string),
                owner: f["owner"].as_str().map(str::to_string),
                ..Default::default()
            };
            report.file = sink.file_ref(&path);
            files.insert(path, report);
        }
        // A report's findings come file by file (in path order): each file
        // is handed over when the next one starts, its findings in parts.
        let mut current: Option<FileReport> = None;
        each_finding(&r.path, |mut finding| {
            let path = &finding.path;
            let holds = |file: &str| {
                path.strip_prefix(file)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('!'))
            };
            if !current.as_ref().is_some_and(|c| holds(&c.path)) {
                // The file: the finding's path, or its part before an
                // entry's `!`.
                let file = std::iter::once(path.len())
                    .chain(path.match_indices('!').map(|(i, _)| i))
                    .find_map(|end| files.remove(&path[..end]))
                    .with_context(|| {
                        format!(
                            "{}: a finding outside the files listed, or apart from its file's others",
                            r.path.display()
                        )
                    })?;
                if let Some(done) = current.replace(file) {
                    sink.file(done)?;
                }
            }
            let file = current.as_mut().expect("a file for the finding");
            let entry = file.path.len() < finding.path.len();
            finding.entry_at = entry.then_some(file.path.len() + 1);
            file.findings.push(finding);
            if file.findings.len() == FINDINGS_BATCH {
                sink.part(file)?;
            }
            Ok(())
        })?;
        if let Some(done) = current {
            sink.file(done)?;
        }
        let mut rest: Vec<FileReport> = files.into_values().collect();
        rest.sort_by(|a, b| a.path.cmp(&b.path));
        for f in rest {
            sink.file(f)?;
        }
        // A shard lists its first skipped paths and counts them all: the
        // ones it counted but did not list are counted here, by reason.
        let mut unlisted: BTreeMap<String, u64> = r
            .scan("skipped_by_reason")
            .as_object()
            .into_iter()
            .flatten()
            .map(|(kind, n)| (kind.clone(), n.as_u64().unwrap_or(0)))
            .collect();
        for p in r.scan("skipped").as_array().into_iter().flatten() {
            let reason = text(&p["reason"]);
            if let Some(n) = unlisted.get_mut(&mamori::report::audit::reason_kind(&reason)) {
                *n = n.saturating_sub(1);
            }
            others.push(Item::Skipped {
                path: text(&p["path"]),
                reason,
                unchanged: false,
                file: None,
            });
        }
        for (kind, n) in unlisted {
            *unlisted_skips.entry(kind).or_default() += n;
        }
        // Unreadable paths likewise (a report before `errors_total`
        // listed them all).
        let listed = r.scan("errors").as_array().map_or(0, Vec::len) as u64;
        unlisted_errors += r
            .scan("errors_total")
            .as_u64()
            .map_or(0, |n| n.saturating_sub(listed));
        for p in r.scan("errors").as_array().into_iter().flatten() {
            others.push(Item::Error {
                path: text(&p["path"]),
                reason: text(&p["reason"]),
            });
        }
    }
    for item in others {
        sink.send(item)?;
    }
    sink.collector.count_unlisted_skips(&unlisted_skips);
    sink.collector.count_unlisted_errors(unlisted_errors);
    let Sink {
        mut collector,
        recorder,
        ..
    } = sink;
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
