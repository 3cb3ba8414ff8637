//! Command-line flags, no logic.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// mamori (守り): find personal data in Japanese files.
#[derive(Debug, Parser)]
#[command(name = "mamori", version, long_version = long_version(), about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `mamori --version`: the version, and what decides findings besides the
/// code: the IPADIC build and the built-in term lists' hash.
fn long_version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        format!(
            "{}\nIPADIC {} (source {})\ndictionaries {}",
            env!("CARGO_PKG_VERSION"),
            env!("MAMORI_IPADIC_VERSION"),
            env!("MAMORI_IPADIC_ID"),
            &mamori::detect::builtin_rules_hash()[..16]
        )
    })
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for personal data.
    ///
    /// Exit status: 0 no finding at or above --min-confidence, 1 findings,
    /// 3 findings the --policy does not permit, 2 usage or fatal error
    /// (see --fail-on). Files that cannot be read are reported and do not
    /// stop the scan.
    Scan(Box<ScanArgs>),
    /// Print the JSON Schema of the `--format json` report.
    Schema,
    /// Work with policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Internal: print the text of a PDF read from FILE or `-` (stdin), pages
    /// separated by form feeds. Scans run PDF extraction through this in a
    /// child process, so that a malformed PDF cannot crash or hang them.
    #[command(hide = true)]
    PdfText {
        /// The PDF, or `-` for standard input.
        file: String,
    },
    /// List the runs recorded in a store.
    History {
        /// The store (SQLite database written by `scan --store`).
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Compare two runs of a store: findings new in the later run and
    /// findings resolved (gone) since the earlier one. A finding is the same
    /// across runs when its file (relative to the root), category and value
    /// fingerprint are; moving it within the file does not make it new.
    Diff {
        /// The store.
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        /// The earlier run (default: the complete run before --to over the
        /// same roots).
        #[arg(long, value_name = "RUN")]
        from: Option<i64>,
        /// The later run (default: the last complete run).
        #[arg(long, value_name = "RUN")]
        to: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Write a report again in any format, without scanning again: from a
    /// saved JSON report (`mamori report REPORT.json --format html`), or
    /// from a run recorded in a store (judged with --policy and the
    /// baselines).
    Report {
        /// A JSON report written by `mamori scan --format json`.
        #[arg(value_name = "REPORT", required_unless_present = "store", conflicts_with_all = ["store", "run", "policy", "baseline"])]
        report: Option<PathBuf>,
        /// The store.
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
        /// The run (default: the last complete run).
        #[arg(long, value_name = "RUN")]
        run: Option<i64>,
        /// Report format (default: text on a terminal, else json; with
        /// --output, from the file extension).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Write the report to FILE (`-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Judge the findings against this policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Accepted findings, in addition to the store's.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
    },
    /// Combine the JSON reports of the shards of one scan (`scan --shard`)
    /// into the report one unsharded scan would have written.
    Merge {
        /// The shards' reports (`--format json`), every shard once.
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<PathBuf>,
        /// Report format (default: from the output's extension, else json).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Write the merged report to FILE (`-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Record the merged scan in this store as one run (history, diff
        /// and baselines then work for sharded scans).
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
    },
    /// Accept findings (by fingerprint) so that they stop counting.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell,
    /// elvish), e.g. `mamori completions bash > /etc/bash_completion.d/mamori`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `mamori man > mamori.1`.
    Man,
    /// Show how the built-in IPADIC dictionary splits a text (for writing
    /// dictionary terms).
    Tokenize {
        /// Japanese text.
        text: String,
    },
}

/// `mamori policy …`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and list its purposes. Exit status 0 if it
    /// is valid, 2 if not (with the line of the first error).
    Check {
        /// The policy (TOML).
        file: PathBuf,
    },
}

/// `mamori baseline …`
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Accept findings: they stay in reports, marked suppressed, are counted
    /// apart and do not change the exit status (until they expire).
    Add {
        /// The store.
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        /// Fingerprints of the findings to accept (as in reports).
        #[arg(required = true, value_name = "FINGERPRINT")]
        fingerprints: Vec<String>,
        /// Why they are accepted (recorded and shown in reports).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The last day the acceptance holds.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
        /// Only at paths matching this glob (relative to the scan root).
        #[arg(long, value_name = "GLOB")]
        path: Option<String>,
    },
    /// List accepted findings.
    List {
        /// The store.
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Stop accepting findings.
    Remove {
        /// The store.
        #[arg(long, value_name = "FILE")]
        store: PathBuf,
        /// Fingerprints to remove.
        #[arg(required = true, value_name = "FINGERPRINT")]
        fingerprints: Vec<String>,
    },
}

/// Formats of the store commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// For people.
    Text,
    /// One JSON document.
    Json,
}

/// What makes the exit status non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Any finding (1), or a policy violation (3).
    Finding,
    /// Only a policy violation (3).
    Violation,
    /// Nothing: 0 unless the scan could not run.
    Never,
}

/// When to colour the text summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless the NO_COLOR environment variable is set.
    Auto,
    /// Always (also when piped).
    Always,
    /// Never.
    Never,
}

impl ColorArg {
    /// Whether a text summary written to `output` (`None` or `-`: stdout)
    /// is coloured.
    pub fn wanted(self, output: Option<&std::path::Path>) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                output.is_none_or(|p| p.as_os_str() == "-")
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatArg {
    /// Summary for people (default when writing to a terminal).
    Text,
    /// One JSON document (default otherwise).
    Json,
    /// One JSON finding per line, streamed.
    Jsonl,
    /// One finding per row, UTF-8 with BOM (opens in Japanese Excel).
    Csv,
    /// SARIF 2.1.0 for security tooling.
    Sarif,
    /// One self-contained HTML page with charts and a filterable table.
    Html,
}

/// Confidence thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    /// Report everything, including bare checksummed numbers.
    Low,
    /// Pattern plus supporting context (default).
    Medium,
    /// Only values with conclusive context.
    High,
}

/// `mamori scan` flags.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the configuration's `roots`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read only files matching GLOB, relative to the root (repeatable, as
    /// ripgrep's -g): `*.csv`, `人事部/**`; `!GLOB` leaves matches out.
    #[arg(long, short = 'g', value_name = "GLOB")]
    pub glob: Vec<String>,
    /// Also scan the paths listed in FILE, one a line (`-`: standard input),
    /// for lists too long for the command line.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<PathBuf>,
    /// Leave out paths matching GLOB (repeatable). Without `/` it matches a
    /// file or directory name anywhere (`*.log`); with `/`, the path relative
    /// to the root (`backup/**`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip (and report) files larger than SIZE, e.g. `500M`, `2G`.
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,
    /// Read every file, also one whose content an earlier file of the scan
    /// had (by default such a copy, up to 4 MiB, is given that file's
    /// findings under its own path without being read again).
    #[arg(long)]
    pub read_copies: bool,
    /// Report format (default: text on a terminal, else json; with
    /// --output, from the file extension).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the report to FILE (created with mode 0600; `-` for stdout).
    /// It is written beside FILE and renamed into place when complete.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report findings at or above this confidence [default: medium].
    #[arg(long, value_enum)]
    pub min_confidence: Option<ConfidenceArg>,
    /// No progress bar and no per-file error lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Colour the text summary: auto (on a terminal, unless NO_COLOR is
    /// set), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorArg,
    /// Add the terms of a dictionary file (repeatable). One term a line:
    /// `term<TAB>category[<TAB>subcategory[<TAB>weight]]`, as in
    /// dictionaries/health.tsv.
    #[arg(long, value_name = "FILE")]
    pub dictionary: Vec<PathBuf>,
    /// Read defaults from this configuration file (default:
    /// $MAMORI_CONFIG, else ~/.config/mamori/config.toml if it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Judge every finding against a policy of permitted purposes (TOML).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// What makes the exit status non-zero: any finding (1; 3 if the policy
    /// is violated), only violations (3), or never [default: finding].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Remember runs in this store (SQLite): unchanged files are not read
    /// again, findings are marked new or existing, an interrupted run is
    /// resumed. See `mamori history`, `diff`, `baseline`.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// With --store: read every file again, even unchanged ones.
    #[arg(long)]
    pub full: bool,
    /// With --store: wait up to SECONDS for another run holding the store
    /// (default: exit with status 2 at once).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
    /// Read only shard K of N (1 <= K <= N): the files whose root-relative
    /// path hashes to K. Also from $MAMORI_SHARD=K/N, from a Kubernetes
    /// Indexed Job's $JOB_COMPLETION_INDEX (0-based) with --shards N, or
    /// from a Slurm array's $SLURM_ARRAY_TASK_ID and $SLURM_ARRAY_TASK_COUNT.
    /// Combine the shards' JSON reports with `mamori merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The number of shards, with $JOB_COMPLETION_INDEX (Kubernetes).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Accepted findings (TOML, `[[accept]]` entries with fingerprint,
    /// reason, optional path glob and expires), in addition to the store's.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Show values unmasked in the report (a warning is printed). Only for
    /// an investigation that needs them.
    #[arg(long)]
    pub reveal: bool,
    /// Key file for fingerprints (default: $MAMORI_FINGERPRINT_KEY, else
    /// ~/.config/mamori/fingerprint.key, created on first use).
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
}
