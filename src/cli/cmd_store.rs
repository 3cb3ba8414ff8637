//! `mamori history`, `mamori diff`, `mamori baseline …`: reading and
//! amending a store.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use mamori::baseline::Baseline;
use mamori::policy::Policy;
use mamori::report::{Collector, Judge, RunSummary, ScanInfo, terminal_safe};
use mamori::store::{Store, StoredFinding};

use super::EXIT_CLEAN;
use super::args::{BaselineCommand, FormatArg, ListFormat};

/// Store commands wait this long for a scan holding the store.
const WAIT: Duration = Duration::from_secs(10);

fn open_existing(path: &Path) -> anyhow::Result<Store> {
    if !path.is_file() {
        bail!("{}: no such store", path.display());
    }
    Ok(Store::open(path, WAIT)?)
}

pub fn history(store: &Path, format: ListFormat) -> anyhow::Result<i32> {
    let runs = open_existing(store)?.history()?;
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&runs)?),
        ListFormat::Text => {
            if runs.is_empty() {
                println!("no runs in {}", store.display());
            }
            for r in &runs {
                println!(
                    "run {:>4}  {}  {:<11} {} read, {} unchanged, {} skipped, {} unreadable, {} removed; {} findings ({} new)  {}",
                    r.id,
                    r.started,
                    r.status,
                    r.files_scanned,
                    r.files_unchanged,
                    r.files_skipped,
                    r.files_unreadable,
                    r.files_removed,
                    r.findings,
                    r.findings_new,
                    terminal_safe(&r.roots.join(", "))
                );
            }
        }
    }
    Ok(EXIT_CLEAN)
}

fn line(s: &StoredFinding) -> String {
    let f = &s.finding;
    let l = &f.location;
    let at = match (&l.sheet, &l.cell, l.line) {
        (Some(s), Some(c), _) => format!("{s}!{c}"),
        (_, _, Some(n)) => format!("line {n}"),
        _ => String::new(),
    };
    terminal_safe(&format!(
        "  {}/{} {at}: {} {} ({})  {}",
        s.root.trim_end_matches('/'),
        f.path,
        f.category,
        f.masked,
        f.confidence.id(),
        f.fingerprint
    ))
}

pub fn diff(
    store: &Path,
    from: Option<i64>,
    to: Option<i64>,
    format: ListFormat,
) -> anyhow::Result<i32> {
    // One finding at a time: a diff after a first run lists everything.
    let s = open_existing(store)?;
    let (from, to) = s.diff_runs(from, to)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let io_err = |e: io::Error| mamori::Error::new(mamori::ErrorKind::Io, e.to_string());
    match format {
        ListFormat::Json => {
            write!(
                out,
                "{{\n  \"from\": {from},\n  \"to\": {to},\n  \"new\": ["
            )?;
            for (key, (a, b)) in [("new", (to, from)), ("resolved", (from, to))] {
                if key == "resolved" {
                    write!(out, ",\n  \"resolved\": [")?;
                }
                let mut any = false;
                s.each_only_in(a, b, |f| {
                    // An element of the document, as one pretty-printed
                    // document holds it.
                    let element = serde_json::to_string_pretty(&f)
                        .map_err(|e| mamori::Error::new(mamori::ErrorKind::Io, e.to_string()))?
                        .replace('\n', "\n    ");
                    write!(out, "{}\n    {element}", if any { "," } else { "" }).map_err(io_err)?;
                    any = true;
                    Ok(())
                })?;
                write!(out, "{}]", if any { "\n  " } else { "" })?;
            }
            writeln!(out, "\n}}")?;
        }
        ListFormat::Text => {
            let new = s.count_only_in(to, from)?;
            let resolved = s.count_only_in(from, to)?;
            writeln!(out, "run {from} → run {to}: {new} new, {resolved} resolved")?;
            for (title, n, (a, b)) in [("New", new, (to, from)), ("Resolved", resolved, (from, to))]
            {
                if n == 0 {
                    continue;
                }
                writeln!(out, "\n{title}")?;
                s.each_only_in(a, b, |f| writeln!(out, "{}", line(&f)).map_err(io_err))?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

pub fn report(
    store: &Path,
    run: Option<i64>,
    format: Option<FormatArg>,
    output: Option<&Path>,
    policy: Option<&Path>,
    baseline: Option<&Path>,
) -> anyhow::Result<i32> {
    let format = super::cmd_scan::choose_format(format, output)?;
    let policy = policy.map(Policy::load).transpose()?;
    let s = open_existing(store)?;
    let mut accepted = match baseline {
        Some(p) => Baseline::load(p)?,
        None => Baseline::new(),
    };
    for e in s.baseline()?.entries() {
        accepted.push(e.clone());
    }
    let judge = Judge {
        policy: policy.as_ref(),
        policy_root: policy
            .as_ref()
            .and_then(|p| p.root.clone())
            .map(|r| std::path::absolute(&r).unwrap_or(r)),
        baseline: (!accepted.is_empty()).then_some(&accepted),
        today: time::OffsetDateTime::now_utc().date().to_string(),
    };
    let (handle, out) = super::cmd_scan::Output::open(output)?;
    let info = ScanInfo {
        policy: policy.as_ref().map(|p| p.name.clone().unwrap_or_default()),
        ..Default::default()
    };
    let mut collector = Collector::new(format, out, info);
    // The run's roots before its files: SARIF locates files from them.
    let known = s.run_record(run)?;
    collector.set_times(&known.roots, &known.started, known.finished.as_deref());
    let (record, previous_id) = s.replay(Some(known.id), |item| {
        collector
            .add_item(judge.rejudge(item), None)
            .map_err(|e| mamori::Error::new(mamori::ErrorKind::Io, e.to_string()))
    })?;
    collector.set_run(RunSummary {
        id: record.id,
        previous_id,
        status: record.status.clone(),
        store: store.display().to_string(),
        files_scanned: record.files_scanned as u64,
        files_unchanged: record.files_unchanged as u64,
        files_skipped: record.files_skipped as u64,
        files_unreadable: record.files_unreadable as u64,
        files_removed: record.files_removed as u64,
        findings_new: record.findings_new as u64,
        ruleset: record.ruleset.clone(),
    });
    collector.set_times(&record.roots, &record.started, record.finished.as_deref());
    if let Some(c) = record.settings["min_confidence"]
        .as_str()
        .and_then(|c| c.parse().ok())
    {
        collector.set_min_confidence(c);
    }
    collector.finish(record.finished.clone().unwrap_or_else(super::cmd_scan::now))?;
    handle.publish()?;
    Ok(EXIT_CLEAN)
}

pub fn baseline(cmd: BaselineCommand) -> anyhow::Result<i32> {
    match cmd {
        BaselineCommand::Add {
            store,
            fingerprints,
            reason,
            expires,
            path,
        } => {
            let mut s = Store::open(&store, WAIT)?;
            let n = s.baseline_add(&fingerprints, path.as_deref(), &reason, expires.as_deref())?;
            eprintln!("mamori: {n} fingerprints accepted in {}", store.display());
        }
        BaselineCommand::Remove {
            store,
            fingerprints,
        } => {
            let mut s = open_existing(&store)?;
            let n = s.baseline_remove(&fingerprints)?;
            eprintln!("mamori: {n} entries removed from {}", store.display());
        }
        BaselineCommand::List { store, format } => {
            let list = open_existing(&store)?.baseline_list()?;
            match format {
                ListFormat::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                ListFormat::Text => {
                    for e in &list {
                        println!(
                            "{}  {}{}  {}  (added {} by {})",
                            e.fingerprint,
                            e.path
                                .as_deref()
                                .map(|p| format!("{p}  "))
                                .unwrap_or_default(),
                            e.expires
                                .as_deref()
                                .map(|d| format!("until {d}"))
                                .unwrap_or_else(|| "no expiry".into()),
                            terminal_safe(&e.reason),
                            e.added,
                            terminal_safe(&e.added_by)
                        );
                    }
                }
            }
        }
    }
    Ok(EXIT_CLEAN)
}
