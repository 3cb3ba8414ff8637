//! The command-line interface: parse flags, build library configuration,
//! run, map the outcome to an exit code.

mod args;
mod cmd_merge;
mod cmd_scan;
mod cmd_store;
mod config;

use clap::Parser;

/// Exit status: nothing found at or above the threshold.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings at or above the threshold.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: usage or fatal error.
pub const EXIT_ERROR: i32 = 2;
/// Exit status: findings the policy does not permit.
pub const EXIT_VIOLATIONS: i32 = 3;
/// Exit status: interrupted (Ctrl-C, SIGTERM), as a shell reports SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;

/// A panic is a bug in mamori or a library, never a reason to print what a
/// file holds: the message (which a parser may have built from the file's
/// content) is not shown, only where it happened. Files whose reading
/// panics are reported as unreadable and the scan goes on.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() == Some("mamori-pdf") {
            return;
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "mamori: internal error{at} (a bug; in a scan, the file is reported as unreadable and the scan goes on)"
        );
    }));
}

pub fn main() -> i32 {
    quiet_panics();
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        args::Command::Scan(a) => cmd_scan::run(*a),
        args::Command::Schema => {
            print!("{}", mamori::report::SCHEMA);
            Ok(EXIT_CLEAN)
        }
        args::Command::History { store, format } => cmd_store::history(&store, format),
        args::Command::Diff {
            store,
            from,
            to,
            format,
        } => cmd_store::diff(&store, from, to, format),
        args::Command::Baseline(cmd) => cmd_store::baseline(cmd),
        args::Command::Merge {
            reports,
            format,
            output,
            store,
        } => cmd_merge::run(&reports, format, output.as_deref(), store.as_deref()),
        args::Command::Report {
            report: Some(report),
            format,
            output,
            ..
        } => cmd_merge::render(&report, format, output.as_deref()),
        args::Command::Report {
            store,
            run,
            format,
            output,
            policy,
            baseline,
            ..
        } => cmd_store::report(
            &store.expect("clap requires a report or --store"),
            run,
            format,
            output.as_deref(),
            policy.as_deref(),
            baseline.as_deref(),
        ),
        args::Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = args::Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mamori", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script)
                .map(|_| EXIT_CLEAN)
                .map_err(anyhow::Error::from)
        }
        args::Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(args::Cli::command())
                .render(&mut std::io::stdout())
                .map(|_| EXIT_CLEAN)
                .map_err(anyhow::Error::from)
        }
        args::Command::Tokenize { text } => tokenize(&text),
        args::Command::Policy(args::PolicyCommand::Check { file }) => policy_check(&file),
        args::Command::PdfText { file } => pdf_text(&file),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`mamori scan … | head`) ends the output quietly,
        // as it does for other command-line tools.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            EXIT_CLEAN
        }
        Err(e) => {
            eprintln!("mamori: {e:#}");
            EXIT_ERROR
        }
    }
}

fn pdf_text(file: &str) -> anyhow::Result<i32> {
    use std::io::{Read, Write};
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file)?;
    }
    // A malformed PDF may make the extractor panic: report it in one line.
    std::panic::set_hook(Box::new(|_| {}));
    let pages = match std::panic::catch_unwind(|| mamori::read::pdf::extract_pages(&bytes)) {
        Ok(r) => r.map_err(anyhow::Error::msg)?,
        // The panic's message may quote the file's operands: not shown.
        Err(_) => anyhow::bail!("malformed PDF (the extractor failed)"),
    };
    let sep = mamori::read::pdf::PAGE_SEPARATOR.to_string();
    std::io::stdout().write_all(pages.join(&sep).as_bytes())?;
    Ok(EXIT_CLEAN)
}

fn policy_check(file: &std::path::Path) -> anyhow::Result<i32> {
    let policy = mamori::policy::Policy::load(file)?;
    println!(
        "{}: valid{}; findings no purpose covers: {:?}",
        file.display(),
        policy
            .name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        policy.default
    );
    for p in &policy.purposes {
        let cats: Vec<&str> = p.categories.iter().map(|c| c.id()).collect();
        println!(
            "  {}{}: {}",
            p.id,
            p.owner
                .as_ref()
                .map(|o| format!(" [{o}]"))
                .unwrap_or_default(),
            cats.join(", ")
        );
    }
    Ok(EXIT_CLEAN)
}

fn tokenize(text: &str) -> anyhow::Result<i32> {
    let t = mamori::tokenize::Tokenizer::shared()?;
    for tok in t.tokenize(text)? {
        println!(
            "{}\t{}\t{}",
            tok.surface,
            tok.pos().join(","),
            tok.reading().unwrap_or_default()
        );
    }
    Ok(EXIT_CLEAN)
}
