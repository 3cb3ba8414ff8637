//! `mamori history`, `mamori diff`, `mamori baseline …`: reading and
//! amending a store.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use mamori::report::terminal_safe;
use mamori::store::{Store, StoredFinding};

use super::EXIT_CLEAN;
use super::args::{BaselineCommand, ListFormat};

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

fn line(f: &StoredFinding) -> String {
    let l = &f.location;
    let at = match (&l.sheet, &l.cell, l.line) {
        (Some(s), Some(c), _) => format!("{s}!{c}"),
        (_, _, Some(n)) => format!("line {n}"),
        _ => String::new(),
    };
    terminal_safe(&format!(
        "  {}/{} {at}: {} {} ({})  {}",
        f.root.trim_end_matches('/'),
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
    let d = open_existing(store)?.diff(from, to)?;
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        ListFormat::Text => {
            println!(
                "run {} → run {}: {} new, {} resolved",
                d.from,
                d.to,
                d.new.len(),
                d.resolved.len()
            );
            if !d.new.is_empty() {
                println!("\nNew");
                d.new.iter().for_each(|f| println!("{}", line(f)));
            }
            if !d.resolved.is_empty() {
                println!("\nResolved");
                d.resolved.iter().for_each(|f| println!("{}", line(f)));
            }
        }
    }
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
