//! `mamori scan`: walk → read → detect → report. Workers render what they
//! find and apply it to the report themselves, one at a time
//! ([`report::Combiner`]); with a store, its thread records each file first.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use mamori::baseline::Baseline;
use mamori::detect::DetectorSet;
use mamori::mask::Fingerprinter;
use mamori::policy::Policy;
use mamori::read::archive::Limits;
use mamori::read::pdf::PdfIsolation;
use mamori::report;
use mamori::report::{Collector, Format, Item, Judge, RunSummary, ScanInfo, plural};
use mamori::scan::Shard;
use mamori::store::{RunSpec, Store};
use mamori::walk::{Excludes, WalkOptions};
use mamori::{Confidence, Event, ScanConfig, Scanner};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::args::{ConfidenceArg, FailOn, FormatArg, ScanArgs};
use super::config::FileConfig;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_VIOLATIONS};

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

pub(super) fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub(super) fn choose_format(
    format: Option<FormatArg>,
    output: Option<&Path>,
) -> anyhow::Result<Format> {
    let arg = match (format, output) {
        (Some(f), _) => f,
        (None, Some(p)) if p.as_os_str() == "-" => FormatArg::Json,
        (None, Some(p)) => match p.extension().and_then(|e| e.to_str()) {
            Some("json") => FormatArg::Json,
            Some("jsonl" | "ndjson") => FormatArg::Jsonl,
            Some("csv") => FormatArg::Csv,
            Some("sarif") => FormatArg::Sarif,
            Some("html" | "htm") => FormatArg::Html,
            Some("txt" | "text") => FormatArg::Text,
            _ => bail!(
                "cannot tell the report format from {} (use .json, .jsonl, .csv, .sarif, .html, .txt or --format)",
                p.display()
            ),
        },
        (None, None) if io::stdout().is_terminal() => FormatArg::Text,
        (None, None) => FormatArg::Json,
    };
    Ok(match arg {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Html => Format::Html,
    })
}

/// Where the report goes. A report file is written to a temporary file
/// beside it and renamed into place when complete: the previous report
/// survives a failed or interrupted run, a reader never sees half a file,
/// and two runs writing one report each leave a whole one. A path that is
/// not a regular file (`/dev/null`, a FIFO, a terminal) is written to as it
/// is, never replaced; a symbolic link is followed and its target replaced.
pub(super) enum Output {
    Stdout,
    Direct,
    File {
        temp: tempfile::NamedTempFile,
        path: std::path::PathBuf,
    },
}

impl Output {
    pub(super) fn open(path: Option<&Path>) -> anyhow::Result<(Output, Box<dyn Write + Send>)> {
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok((Output::Stdout, Box::new(io::BufWriter::new(io::stdout()))));
        };
        let resolved;
        let path = match std::fs::metadata(path) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                return Ok((Output::Direct, Box::new(io::BufWriter::new(file))));
            }
            Ok(_) if path.is_symlink() => {
                resolved = std::fs::canonicalize(path)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
                resolved.as_path()
            }
            _ => path,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let temp = builder
            .tempfile_in(dir)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
        let file = temp
            .as_file()
            .try_clone()
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
        // Written 1 MiB at a time (8 KiB before), a 130 MB report costs
        // less system time to write, and removing it at the end of the next
        // scan 6 ms instead of 11-12 ms (`strace -T`).
        Ok((
            Output::File {
                temp,
                path: path.to_path_buf(),
            },
            Box::new(io::BufWriter::with_capacity(1 << 20, file)),
        ))
    }

    /// Puts the complete report in place.
    ///
    /// The previous report is first renamed aside and removed once the new
    /// one is in place: ext4 (in its default `auto_da_alloc` mode) allocates
    /// and starts writing out every block of a file renamed over another
    /// one within the rename, which took 60–100 ms of a scan's end for a
    /// 120 MB report; renamed to a free name, the file is written out later
    /// in the background like any other. A reader may find no report for
    /// the instant between the two renames, never half of one.
    pub(super) fn publish(self) -> anyhow::Result<()> {
        let Output::File { temp, path } = self else {
            return Ok(());
        };
        let aside = temp.path().with_extension("old");
        let moved = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
            && !aside.exists()
            && std::fs::rename(&path, &aside).is_ok();
        if let Err(e) = temp.persist(&path) {
            if moved {
                let _ = std::fs::rename(&aside, &path);
            }
            return Err(anyhow::Error::new(e.error))
                .with_context(|| format!("cannot write the report to {}", path.display()));
        }
        if moved && let Err(e) = std::fs::remove_file(&aside) {
            eprintln!(
                "mamori: warning: cannot remove the previous report at {}: {e}",
                mamori::report::terminal_safe(&aside.to_string_lossy())
            );
        }
        Ok(())
    }
}

fn progress_bar(quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("valid template"),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// What a listing ahead of the scan has counted: files and bytes to read,
/// and whether it is done (the totals are then final).
#[derive(Default)]
struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
    done: AtomicBool,
}

/// Lists the roots on a thread of its own, with the scan's filters, to
/// count what the scan will read: the progress bar then shows a percentage
/// and an estimate of the time left. Only for a progress bar on a terminal
/// (a second listing costs little beside reading the files).
fn count_ahead(config: &ScanConfig) -> Arc<Totals> {
    let totals = Arc::new(Totals::default());
    let mut config = config.clone();
    // The scan counts what it leaves out; this listing does not.
    config.walk.excluded = None;
    let t = totals.clone();
    let _ = std::thread::Builder::new()
        .name("mamori-count".into())
        .spawn(move || {
            for item in mamori::walk::walk(&config.roots, &config.walk) {
                if let mamori::walk::WalkItem::File(f) = &item
                    && config.takes(&item)
                {
                    t.files.fetch_add(1, Ordering::Relaxed);
                    t.bytes.fetch_add(f.size, Ordering::Relaxed);
                }
            }
            t.done.store(true, Ordering::Release);
        });
    totals
}

/// The progress line: done so far, out of the totals once counted, with a
/// percentage (of bytes) and the time left at the rate so far.
fn progress_message(i: &ScanInfo, totals: &Totals, secs: f64) -> String {
    let files = i.files_scanned + i.files_skipped + i.errors_total;
    let rate = i.bytes_scanned as f64 / secs;
    let found = plural(i.findings_total, "finding");
    if !totals.done.load(Ordering::Acquire) {
        return format!(
            "{files} files ({:.1} MB; counting…), {found}, {:.1} MB/s",
            i.bytes_scanned as f64 / 1e6,
            rate / 1e6
        );
    }
    let (total_files, total_bytes) = (
        totals.files.load(Ordering::Relaxed),
        totals.bytes.load(Ordering::Relaxed),
    );
    let done = i.bytes_scanned.min(total_bytes);
    let percent = if total_bytes == 0 {
        100.0
    } else {
        done as f64 * 100.0 / total_bytes as f64
    };
    let left = if rate > 0.0 {
        let s = (total_bytes - done) as f64 / rate;
        format!(", {}:{:02} left", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        String::new()
    };
    format!(
        "{files}/{total_files} files, {:.1}/{:.1} MB ({percent:.0} %), {found}, {:.1} MB/s{left}",
        i.bytes_scanned as f64 / 1e6,
        total_bytes as f64 / 1e6,
        rate / 1e6
    )
}

/// SHA-256 hex of some bytes.
/// Items queued for the report (and for the store) at most, before a worker
/// waits for room.
const QUEUED: usize = 128;

/// What goes to the report: an item, rendered on the worker, or word that
/// every file before a path is done ([`Scanner::run_in_order`]).
// Nearly every message is an item: boxing them would add an allocation per
// file to spare a few bytes per queue slot.
#[allow(clippy::large_enum_variant)]
enum Queued {
    Item(Item, Option<report::Rendered>),
    DoneBefore(String),
}

/// The report's side of a scan: the collector, and what the user is told
/// as files come. Workers apply what they queue ([`report::Combiner`]).
struct Reporting {
    collector: Collector<Box<dyn Write + Send>>,
    /// The output failed (a closed pipe, a full disk): the scan stops, and
    /// what comes after is dropped.
    failed: Option<io::Error>,
    pb: Option<ProgressBar>,
    quiet: bool,
    totals: Arc<Totals>,
    started: std::time::Instant,
    /// Stops the scan.
    interrupted: Arc<AtomicBool>,
}

impl Reporting {
    fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        let line = report::terminal_safe(line);
        match &self.pb {
            Some(pb) => pb.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Takes one item, or word that files are done, into the report.
    fn take(&mut self, queued: Queued) {
        if self.failed.is_some() {
            return;
        }
        let result = match queued {
            Queued::DoneBefore(path) => self.collector.done_before(&path),
            Queued::Item(item, rendered) => {
                match &item {
                    Item::Error { path, reason } => self.say(&format!("mamori: {path}: {reason}")),
                    Item::File(r) => {
                        for p in r.problems.iter().filter(|p| p.error) {
                            self.say(&format!("mamori: {}: {}", p.path, p.reason));
                        }
                    }
                    Item::Skipped { .. } | Item::Findings(_) => {}
                }
                let added = self.collector.add_item(item, rendered);
                if let Some(pb) = &self.pb {
                    let secs = self.started.elapsed().as_secs_f64().max(0.001);
                    pb.set_message(progress_message(self.collector.info(), &self.totals, secs));
                }
                added
            }
        };
        if let Err(e) = result {
            // Stop scanning for nobody.
            self.interrupted.store(true, Ordering::SeqCst);
            self.failed = Some(e);
        }
    }

    /// The report's end: written when the scan was complete, with the
    /// store's account of the run (`run`). Returns the scan's totals and
    /// whether the report was written.
    fn finish(
        self,
        run: Option<RunSummary>,
        excluded: &mamori::walk::Excluded,
    ) -> anyhow::Result<(ScanInfo, bool)> {
        let Reporting {
            mut collector,
            failed,
            pb,
            interrupted,
            ..
        } = self;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if let Some(pb) = &pb {
            pb.finish_and_clear();
        }
        // Interrupted or not, as the store recorded the run (a Ctrl-C that
        // comes after the store finished does not undo a complete run).
        let mut stopped = interrupted.load(Ordering::SeqCst);
        if let Some(run) = run {
            stopped = run.status != "complete";
            collector.set_run(run);
        }
        if stopped {
            return Ok((collector.info().clone(), false));
        }
        collector.set_excluded(excluded.by_reason());
        Ok((collector.finish(now())?, true))
    }
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    mamori::mask::hex(&h.finalize())
}

/// Set by the first Ctrl-C or SIGTERM: stop taking files, record the run as
/// interrupted, keep the previous report. A second one ends the process.
fn install_stop() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
        eprintln!("mamori: interrupted; finishing the files in progress (again to quit at once)");
    });
    stop
}

/// The shard to read: `--shard K/N`, else $MAMORI_SHARD, else a Kubernetes
/// Indexed Job's $JOB_COMPLETION_INDEX (0-based) with `--shards N`, else a
/// Slurm array's task id and count.
fn shard_of(flag: Option<&str>, shards: Option<u32>) -> anyhow::Result<Option<Shard>> {
    let parse = |s: &str, from: &str| -> anyhow::Result<Shard> {
        let bad = || anyhow::anyhow!("{from}: `{s}` is not K/N with 1 <= K <= N");
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        Shard::new(k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?).ok_or_else(bad)
    };
    if let Some(s) = flag {
        return parse(s, "--shard").map(Some);
    }
    if let Ok(s) = std::env::var("MAMORI_SHARD")
        && !s.is_empty()
    {
        return parse(&s, "MAMORI_SHARD").map(Some);
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(n) = shards {
        let index = var("JOB_COMPLETION_INDEX").ok_or_else(|| {
            anyhow::anyhow!("--shards N needs $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or use --shard K/N")
        })?;
        let k: u32 = index
            .parse()
            .map_err(|_| anyhow::anyhow!("JOB_COMPLETION_INDEX `{index}` is not a number"))?;
        return Shard::new(k + 1, n)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("JOB_COMPLETION_INDEX {k} is not below --shards {n}"));
    }
    if let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        let min = var("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
        let num = |v: &str, name: &str| -> anyhow::Result<u32> {
            v.parse()
                .map_err(|_| anyhow::anyhow!("{name} `{v}` is not a number"))
        };
        let (id, count, min) = (
            num(&id, "SLURM_ARRAY_TASK_ID")?,
            num(&count, "SLURM_ARRAY_TASK_COUNT")?,
            num(&min, "SLURM_ARRAY_TASK_MIN")?,
        );
        if count > 1 {
            return Shard::new(id.saturating_sub(min) + 1, count)
                .map(Some)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "Slurm array task {id} (min {min}) is not one of {count} tasks: use --array=0-{} or --shard",
                        count - 1
                    )
                });
        }
    }
    Ok(None)
}

/// `n thing` / `n things`.
pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    let file = FileConfig::load(args.config.as_deref())?;
    let mut roots: Vec<PathBuf> = if args.paths.is_empty() && args.files_from.is_none() {
        file.roots.clone()
    } else {
        args.paths.clone()
    };
    if let Some(list) = &args.files_from {
        let text = if list.as_os_str() == "-" {
            let mut s = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut s)
                .context("cannot read the list of paths from standard input")?;
            s
        } else {
            std::fs::read_to_string(list)
                .with_context(|| format!("cannot read the list of paths {}", list.display()))?
        };
        roots.extend(
            text.lines()
                .map(|l| l.trim_end_matches('\r'))
                .filter(|l| !l.is_empty())
                .map(PathBuf::from),
        );
    }
    if roots.is_empty() {
        bail!("nothing to scan: give PATHs or `roots` in the configuration file");
    }
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
    let output = args.output.clone().or(file.output.clone());
    let store_path = args.store.clone().or(file.store.clone());
    let baseline_path = args.baseline.clone().or(file.baseline.clone());
    let fail_on = args.fail_on.or(file.fail_on).unwrap_or(FailOn::Finding);
    let format = choose_format(args.format.or(file.format), output.as_deref())?;
    if threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    if fail_on == FailOn::Violation && policy_path.is_none() {
        bail!(
            "--fail-on violation needs a policy (--policy FILE, or policy in the config): without one nothing is a violation"
        );
    }
    if args.reveal && store_path.is_some() {
        bail!("--reveal cannot be used with a store: the store never holds unmasked values");
    }
    if args.reveal {
        eprintln!(
            "mamori: warning: --reveal: the report holds personal data unmasked; protect it and delete it when done"
        );
    }
    let policy = policy_path.as_deref().map(Policy::load).transpose()?;
    let policy_text = policy_path
        .as_deref()
        .map(std::fs::read)
        .transpose()
        .context("cannot read the policy")?;
    let mut baseline = match &baseline_path {
        Some(p) => Baseline::load(p)?,
        None => Baseline::new(),
    };
    // A key file on the command line wins over the environment, which wins
    // over the config file.
    let fingerprinter = Fingerprinter::resolve(
        args.fingerprint_key_file.as_deref(),
        file.fingerprint_key_file.as_deref(),
    )
    .context("fingerprint key")?;
    let mut dictionaries = Vec::new();
    for p in file.dictionaries.iter().chain(&args.dictionary) {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the dictionary {}", p.display()))?;
        dictionaries.push((p.display().to_string(), text));
    }
    // Bad dictionary lines stop the run now; the automata are built when
    // the first file is read (an unchanged tree reads none).
    for (name, text) in &dictionaries {
        mamori::detect::sensitive::parse_dictionary(text, name)?;
    }

    // Roots that cannot be read are reported and make the run an error;
    // the others are still scanned.
    let mut bad_roots = Vec::new();
    let mut good_roots = Vec::new();
    for r in roots {
        match std::fs::metadata(&r) {
            Ok(_) => good_roots.push(r),
            Err(e) => bad_roots.push((r, e)),
        }
    }
    let roots = good_roots;

    // The report, the store and their companions are not data to scan.
    let mut own_files: Vec<PathBuf> = output.iter().cloned().collect();
    // Reports being written (or left by a killed run) beside the output.
    let mut walk_excludes = excludes.clone();
    if let Some(name) = output.as_ref().and_then(|p| p.file_name()) {
        walk_excludes.push(format!(
            ".{}.*.tmp",
            globset::escape(&name.to_string_lossy())
        ));
    }
    if let Some(s) = &store_path {
        own_files.extend(mamori::store::files_of(s));
    }
    let shard = shard_of(args.shard.as_deref(), args.shards)?;
    // A bad --glob stops the run now.
    mamori::walk::overrides(Path::new("."), &args.glob)?;
    let stop = install_stop();
    let excluded = Arc::new(mamori::walk::Excluded::default());
    let mut config = ScanConfig {
        roots: roots.clone(),
        walk: WalkOptions {
            follow_links: args.follow || file.follow.unwrap_or(false),
            excludes: Excludes::new(&walk_excludes)?.with_files(own_files),
            max_file_size: max_file_size.as_deref().map(parse_size).transpose()?,
            globs: args.glob.clone(),
            excluded: Some(excluded.clone()),
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
        reveal: args.reveal,
        known: None,
        stop: Some(stop.clone()),
        reuse_copies: !args.read_copies,
        shard,
    };

    // What decides findings, recorded in every report and run.
    let ruleset = {
        let mut rules: Vec<&[u8]> = vec![env!("CARGO_PKG_VERSION").as_bytes(), b"builtin"];
        let builtin = mamori::detect::builtin_rules_hash();
        rules.push(builtin.as_bytes());
        rules.push(min_confidence.id().as_bytes());
        rules.push(fingerprinter.key_id().as_bytes());
        // Contents, not paths: the same dictionary mounted elsewhere is the
        // same rule.
        for (_, text) in &dictionaries {
            rules.push(text.as_bytes());
        }
        sha256_hex(&rules)
    };

    // The store: a run begins, its reader tells workers what is unchanged.
    let mut store_run = None;
    if let Some(path) = &store_path {
        let mut store = Store::open(path, Duration::from_secs(args.wait))?;
        let spec = RunSpec {
            roots: roots
                .iter()
                .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
                .collect(),
            ruleset: ruleset.clone(),
            key_id: fingerprinter.key_id().to_string(),
            policy_hash: policy_text.as_deref().map(|t| sha256_hex(&[t])),
            settings: serde_json::json!({
                "command_line": std::env::args().collect::<Vec<_>>(),
                "config": args.config.as_ref().map(|p| p.display().to_string()),
                "excludes": excludes,
                "max_file_size": max_file_size,
                "min_confidence": min_confidence.id(),
                "threads": threads,
                "follow": config.walk.follow_links,
                "dictionaries": dictionaries.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "policy": policy_path.as_ref().map(|p| p.display().to_string()),
                "baseline": baseline_path.as_ref().map(|p| p.display().to_string()),
                "full": args.full,
            }),
        };
        let run = store.begin(&spec)?;
        for e in store.baseline()?.entries() {
            baseline.push(e.clone());
        }
        let reader = Arc::new(store.reader(&run, args.full));
        config.known = Some(reader.clone());
        store_run = Some((store.writer(run), reader));
    }

    let config_policy_name = policy.as_ref().map(|p| {
        p.name.clone().unwrap_or_else(|| {
            policy_path
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        })
    });
    let policy_root = policy
        .as_ref()
        .and_then(|p| p.root.clone())
        .or(file.root.clone())
        .map(|r| std::path::absolute(&r).unwrap_or(r));
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let judge = Judge {
        policy: policy.as_ref(),
        policy_root,
        baseline: (!baseline.is_empty()).then_some(&baseline),
        today,
    };
    let user_dictionaries = dictionaries.clone();
    // The workers the scan runs (the pool's default: one per core). A scan
    // on one thread builds its detectors on that thread.
    let workers = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let two_threads = workers > 1;
    let key_id = fingerprinter.key_id().to_string();
    let key_source = match fingerprinter.source() {
        mamori::mask::KeySource::Environment => mamori::mask::KEY_ENV.to_string(),
        mamori::mask::KeySource::File(p) => mamori::finding::path_text(p),
        mamori::mask::KeySource::Ephemeral => "ephemeral".to_string(),
    };
    let scanner = Scanner::with_lazy_detectors(
        config,
        move || {
            DetectorSet::build(&user_dictionaries, two_threads)
                .expect("dictionaries were validated")
        },
        fingerprinter,
    );
    let (output_handle, out) = Output::open(output.as_deref())?;
    // Roots as reports show them (and locate files from them).
    let root_texts: Vec<String> = roots
        .iter()
        .map(|p| mamori::finding::path_text(p))
        .collect();
    let audit = report::Audit {
        host: report::audit::host_name(),
        user: report::audit::user_name(),
        working_directory: std::env::current_dir()
            .map(|d| mamori::finding::path_text(&d))
            .unwrap_or_default(),
        build: report::Build::current(),
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        config: file
            .source
            .as_ref()
            .map(|(p, bytes)| report::FileUsed::with_bytes(p, bytes)),
        policy: policy_path
            .as_deref()
            .zip(policy_text.as_deref())
            .map(|(p, t)| report::FileUsed::with_bytes(p, t)),
        baseline: baseline_path.as_deref().map(report::FileUsed::of),
        dictionaries: file
            .dictionaries
            .iter()
            .chain(&args.dictionary)
            .zip(&dictionaries)
            .map(|(p, (_, text))| report::FileUsed::with_bytes(p, text.as_bytes()))
            .collect(),
        excludes: excludes.clone(),
        globs: args.glob.clone(),
        max_file_size: scanner.config().walk.max_file_size,
        follow_links: scanner.config().walk.follow_links,
        threads: workers,
        key_source: key_source.clone(),
        reveal: args.reveal,
        excluded: Default::default(),
        merged_from: Vec::new(),
    };
    let info = ScanInfo {
        roots: root_texts.clone(),
        started: now(),
        min_confidence,
        policy: config_policy_name,
        ruleset: ruleset.clone(),
        key_id: key_id.clone(),
        shard,
        audit: Some(audit),
        ..Default::default()
    };
    let render_info = ScanInfo {
        roots: info.roots.clone(),
        audit: info.audit.clone(),
        ..Default::default()
    };
    let pb = progress_bar(args.quiet);
    let totals = match &pb {
        Some(_) => count_ahead(scanner.config()),
        None => Arc::new(Totals::default()),
    };
    let quiet = args.quiet;
    let color = args.color.wanted(output.as_deref());
    let started = std::time::Instant::now();
    let (writer_store, reader) = match store_run {
        Some((w, r)) => (Some(w), Some(r)),
        None => (None, None),
    };
    let store_display = store_path.as_ref().map(|p| p.display().to_string());

    // Workers → (store thread, recording each file) → report. Without a
    // store, the worker that finds the report free applies what is queued
    // (report::Combiner); with one, the store thread records each file and
    // then does the same. The queues are bounded, so memory stays flat when
    // the output or the store is slower than the scan.
    // Set when the report's spill compresses: the workers compress what
    // they render from then on.
    let packing = Arc::new(AtomicBool::new(false));
    let mut reporting = Reporting {
        collector: Collector::new(format, out, info)
            .with_color(color)
            .with_packing(packing.clone()),
        failed: None,
        pb,
        quiet,
        totals,
        started,
        interrupted: stop.clone(),
    };
    for (r, e) in &bad_roots {
        let path = r.display().to_string();
        reporting.take(Queued::Item(
            Item::Error {
                path,
                reason: e.to_string(),
            },
            None,
        ));
    }
    let reporting = Arc::new(report::Combiner::new(reporting, QUEUED));
    let (tx, store_thread) = match writer_store {
        Some(mut w) => {
            let (tx, rx) = mpsc::sync_channel::<Queued>(QUEUED);
            let reporting = reporting.clone();
            let interrupted = stop.clone();
            let handle = std::thread::spawn(move || -> anyhow::Result<RunSummary> {
                for queued in rx {
                    if let Queued::Item(item, _) = &queued
                        && let Err(e) = w.record(item)
                    {
                        // Stop the scan: what is not recorded would be lost.
                        interrupted.store(true, Ordering::SeqCst);
                        return Err(e.into());
                    }
                    reporting.push(queued, Reporting::take);
                }
                let complete = !interrupted.load(Ordering::SeqCst);
                Ok(w.finish_summary(complete, store_display.unwrap_or_default())?)
            });
            (Some(tx), Some(handle))
        }
        None => (None, None),
    };
    // The worker's way to the report, and the scan's word that every file
    // before a path is done (only the streamed formats write files as they
    // are done), in the order the workers give them.
    let deliver = |queued: Queued| match &tx {
        Some(tx) => {
            let _ = tx.send(queued);
        }
        None => reporting.push(queued, Reporting::take),
    };
    let writes_as_done = format.writes_as_done();
    let keep_text = reader.is_some();
    scanner.run_in_order(
        |event| {
            // Judged, rendered and counted here, on the worker; the report
            // then only copies bytes (and the store records the file).
            let statuses = match (&reader, &event) {
                (Some(reader), Event::Scanned(r)) => r
                    .file
                    .as_ref()
                    .map(|f| reader.statuses_of_part(f, &r.path, &r.findings, true)),
                (Some(reader), Event::Findings(r)) => r
                    .file
                    .as_ref()
                    .map(|f| reader.statuses_of_part(f, &r.path, &r.findings, false)),
                _ => None,
            };
            let mut item = judge.item(event, statuses);
            let mut rendered = report::render(format, &item, &render_info).ok().flatten();
            if let Some(r) = &mut rendered
                && packing.load(Ordering::Relaxed)
            {
                r.pack();
            }
            // Counted and let go here, on the worker, where the report
            // needs only counts and violations of them: once rendered
            // (SARIF's writer still reads each finding's rule), or in the
            // text summary, which lists none. The HTML report keeps the
            // most important ones.
            let counted_only = match format {
                report::Format::Text => true,
                report::Format::Sarif | report::Format::Html => false,
                _ => rendered.is_some(),
            };
            if counted_only && !keep_text {
                report::condense(&mut item);
                // What was rendered is let go: its buffer serves this
                // worker's next file.
                report::recycle(&mut item);
            }
            deliver(Queued::Item(item, rendered));
        },
        |before| {
            if writes_as_done {
                deliver(Queued::DoneBefore(before.to_string()));
            }
        },
    )?;
    // The store's readers close before its writer (which finishes when the
    // queue closes), so that the writer, as the last connection, folds the
    // write-ahead log back into the database.
    let copies = scanner.copies_reused();
    // Freeing what the scan kept (every content's outcome for its copies,
    // the automata) takes milliseconds: on a thread of its own while the
    // report is finished and put in place.
    let freeing = std::thread::spawn(move || drop(scanner));
    drop(reader);
    drop(tx);
    let run = match store_thread {
        Some(h) => Some(
            h.join()
                .map_err(|_| anyhow::anyhow!("the store writer panicked"))?
                .context("recording the run in the store")?,
        ),
        None => None,
    };
    let Ok(reporting) = Arc::try_unwrap(reporting) else {
        bail!("the report is still in use after the scan");
    };
    let (info, complete) = reporting
        .into_inner()
        .finish(run, &excluded)
        .context("writing the report")?;
    if !complete {
        eprintln!(
            "mamori: interrupted after {} files; {}",
            info.files_scanned,
            if store_path.is_some() {
                "the run is recorded as interrupted and the next run resumes it"
            } else {
                "no report written"
            }
        );
        return Ok(EXIT_INTERRUPTED);
    }
    output_handle.publish()?;
    // One line for a job's log (and after a report written to a file).
    if !args.quiet && (!io::stderr().is_terminal() || output.is_some()) {
        // Only what applies: unchanged and new with a store, violations
        // with a policy, accepted with a baseline.
        let mut parts = vec![plural(info.files_scanned, "file")];
        let mut of_them = Vec::new();
        if info.files_unchanged > 0 || info.findings_new.is_some() {
            of_them.push(format!("{} unchanged", info.files_unchanged));
        }
        // Files given an earlier file's findings: copies of each other.
        if copies > 0 {
            let noun = if copies == 1 { "copy" } else { "copies" };
            of_them.push(format!("{copies} {noun}"));
        }
        if !of_them.is_empty() {
            parts[0].push_str(&format!(" ({})", of_them.join(", ")));
        }
        parts.push(plural(info.findings_total, "finding"));
        if let Some(new) = info.findings_new {
            parts.push(format!("{new} new"));
        }
        if info.policy.is_some() {
            parts.push(plural(info.violations_total, "violation"));
        }
        if info.findings_suppressed > 0 {
            parts.push(format!("{} accepted", info.findings_suppressed));
        }
        parts.push(format!("{} unreadable", info.errors_total));
        eprintln!(
            "mamori: {}, {:.1} s{}",
            parts.join(", "),
            started.elapsed().as_secs_f64(),
            output
                .as_ref()
                .filter(|p| p.as_os_str() != "-")
                .map(|p| format!("; report: {}", p.display()))
                .unwrap_or_default()
        );
    }
    let _ = freeing.join();
    let nothing_read = info.files_scanned == 0 && info.errors_total > 0;
    let root_unreadable = info.errors.iter().any(|e| info.roots.contains(&e.path));
    Ok(match fail_on {
        _ if !bad_roots.is_empty() || root_unreadable || nothing_read => EXIT_ERROR,
        _ if info.violations_total > 0 && fail_on != FailOn::Never => EXIT_VIOLATIONS,
        FailOn::Finding if info.findings_total > 0 => EXIT_FINDINGS,
        _ => EXIT_CLEAN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_totals_a_percentage_and_the_time_left_once_counted() {
        let info = ScanInfo {
            files_scanned: 40,
            files_skipped: 2,
            bytes_scanned: 30_000_000,
            findings_total: 1,
            ..Default::default()
        };
        let totals = Totals::default();
        totals.files.store(100, Ordering::Relaxed);
        totals.bytes.store(120_000_000, Ordering::Relaxed);
        // Still listing: what is done so far, no percentage.
        let counting = progress_message(&info, &totals, 10.0);
        assert_eq!(
            counting,
            "42 files (30.0 MB; counting…), 1 finding, 3.0 MB/s"
        );
        totals.done.store(true, Ordering::Release);
        // 30 of 120 MB at 3 MB/s: 25 %, 90 MB left take 30 s.
        assert_eq!(
            progress_message(&info, &totals, 10.0),
            "42/100 files, 30.0/120.0 MB (25 %), 1 finding, 3.0 MB/s, 0:30 left"
        );
    }

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
