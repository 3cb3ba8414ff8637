//! `mamori scan`: walk → read → detect → report, with one writer thread
//! owning the output.

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use mamori::detect::DetectorSet;
use mamori::mask::Fingerprinter;
use mamori::policy::Policy;
use mamori::read::archive::Limits;
use mamori::read::pdf::PdfIsolation;
use mamori::report;
use mamori::report::{Collector, Format, ScanInfo};
use mamori::walk::{Excludes, WalkOptions};
use mamori::{Confidence, Event, ScanConfig, Scanner};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::args::{ConfidenceArg, FailOn, FormatArg, ScanArgs};
use super::config::FileConfig;
use super::{EXIT_CLEAN, EXIT_FINDINGS, EXIT_VIOLATIONS};

/// Parses `500M`, `2G`, `1.5GiB`, `4096` (binary multiples).
fn parse_size(s: &str) -> anyhow::Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("invalid size `{s}` (examples: 4096, 500M, 2G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => bail!("invalid size unit in `{s}` (use K, M, G or T)"),
    };
    Ok((n * mult as f64) as u64)
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn choose_format(args: &ScanArgs) -> Format {
    let arg = args.format.unwrap_or_else(|| match &args.output {
        Some(p) => match p.extension().and_then(|e| e.to_str()) {
            Some("json") => FormatArg::Json,
            Some("jsonl" | "ndjson") => FormatArg::Jsonl,
            Some("csv") => FormatArg::Csv,
            Some("sarif") => FormatArg::Sarif,
            Some("html" | "htm") => FormatArg::Html,
            _ => FormatArg::Text,
        },
        None if io::stdout().is_terminal() => FormatArg::Text,
        None => FormatArg::Json,
    });
    match arg {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Html => Format::Html,
    }
}

fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        None => Box::new(io::BufWriter::new(io::stdout())),
        Some(p) => {
            let mut opts = OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let f = opts
                .open(p)
                .with_context(|| format!("cannot write the report to {}", p.display()))?;
            Box::new(io::BufWriter::new(f))
        }
    })
}

fn progress_bar(quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} files, {msg}")
            .expect("valid template"),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let file = FileConfig::load(args.config.as_deref())?;
    let min_confidence = match args.min_confidence {
        Some(ConfidenceArg::Low) => Confidence::Low,
        Some(ConfidenceArg::Medium) => Confidence::Medium,
        Some(ConfidenceArg::High) => Confidence::High,
        None => file.min_confidence.unwrap_or(Confidence::Medium),
    };
    let excludes: Vec<String> = file.exclude.iter().chain(&args.exclude).cloned().collect();
    let max_file_size = args.max_file_size.clone().or(file.max_file_size.clone());
    let policy_path = args.policy.clone().or(file.policy.clone());
    let threads = args.threads.or(file.threads);
    let config = ScanConfig {
        roots: args.paths.clone(),
        walk: WalkOptions {
            follow_links: args.follow || file.follow.unwrap_or(false),
            excludes: Excludes::new(&excludes)?,
            max_file_size: max_file_size.as_deref().map(parse_size).transpose()?,
        },
        threads,
        min_confidence,
        limits: Limits {
            // Extract PDFs in a child process of this same binary.
            pdf: PdfIsolation {
                helper: std::env::current_exe().ok(),
                ..PdfIsolation::default()
            },
            ..Limits::default()
        },
        policy: policy_path.as_deref().map(Policy::load).transpose()?,
        reveal: args.reveal,
    };
    if args.reveal {
        eprintln!(
            "mamori: warning: --reveal: the report holds personal data unmasked; protect it and delete it when done"
        );
    }
    if threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let key_file = args
        .fingerprint_key_file
        .clone()
        .or(file.fingerprint_key_file.clone());
    let fingerprinter = Fingerprinter::resolve(key_file.as_deref()).context("fingerprint key")?;
    let mut dictionaries = Vec::new();
    for p in file.dictionaries.iter().chain(&args.dictionary) {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the dictionary {}", p.display()))?;
        dictionaries.push((p.display().to_string(), text));
    }
    let detectors = DetectorSet::with_dictionaries(&dictionaries)?;
    let config_policy_name = config.policy.as_ref().map(|p| {
        p.name.clone().unwrap_or_else(|| {
            policy_path
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        })
    });
    let scanner = Scanner::with_detectors(config, detectors, fingerprinter);
    let format = choose_format(&args);
    let out = open_output(args.output.as_deref())?;
    let info = ScanInfo {
        roots: args
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        started: now(),
        min_confidence,
        policy: config_policy_name,
        ..Default::default()
    };
    let pb = progress_bar(args.quiet);
    let quiet = args.quiet;

    let (tx, rx) = mpsc::sync_channel::<(Event, Option<report::Rendered>)>(1024);
    let writer = std::thread::spawn(move || -> io::Result<ScanInfo> {
        let mut collector = Collector::new(format, out, info);
        let started = std::time::Instant::now();
        for (event, rendered) in rx {
            if !quiet {
                let errors: Vec<(&str, &str)> = match &event {
                    Event::Error { path, reason } => vec![(path, reason)],
                    Event::Scanned(r) => r
                        .problems
                        .iter()
                        .filter(|p| p.error)
                        .map(|p| (p.path.as_str(), p.reason.as_str()))
                        .collect(),
                    Event::Skipped { .. } => Vec::new(),
                };
                for (path, reason) in errors {
                    let line = format!("mamori: {path}: {reason}");
                    match &pb {
                        Some(pb) => pb.println(line),
                        None => eprintln!("{line}"),
                    }
                }
            }
            collector.add_rendered(event, rendered)?;
            if let Some(pb) = &pb {
                let i = collector.info();
                let secs = started.elapsed().as_secs_f64().max(0.001);
                pb.set_position(i.files_scanned + i.files_skipped + i.errors.len() as u64);
                pb.set_message(format!(
                    "{:.1} MB, {} findings, {:.1} MB/s",
                    i.bytes_scanned as f64 / 1e6,
                    i.findings_total,
                    i.bytes_scanned as f64 / 1e6 / secs
                ));
            }
        }
        if let Some(pb) = &pb {
            pb.finish_and_clear();
        }
        collector.finish(now())
    });
    scanner.run(|mut event| {
        // Findings are rendered here, on the worker; the writer only copies
        // bytes. It stops early only on an output error, reported below.
        let rendered = report::render(format, &event).ok().flatten();
        if rendered.is_some() {
            report::lighten(&mut event);
        }
        let _ = tx.send((event, rendered));
    })?;
    drop(tx);
    let info = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the report writer panicked"))?
        .context("writing the report")?;
    Ok(match args.fail_on {
        _ if info.violations_total > 0 && args.fail_on != FailOn::Never => EXIT_VIOLATIONS,
        FailOn::Finding if info.findings_total > 0 => EXIT_FINDINGS,
        _ => EXIT_CLEAN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("500M").unwrap(), 500 << 20);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("1.5k").unwrap(), 1536);
        assert!(parse_size("12X").is_err());
        assert!(parse_size("big").is_err());
    }
}
