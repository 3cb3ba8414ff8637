//! The command-line interface: parse flags, build library configuration,
//! run, map the outcome to an exit code.

mod args;
mod cmd_scan;

use clap::Parser;

/// Exit status: nothing found at or above the threshold.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings at or above the threshold.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: usage or fatal error.
pub const EXIT_ERROR: i32 = 2;

pub fn main() -> i32 {
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
        args::Command::Scan(a) => cmd_scan::run(a),
        args::Command::Schema => {
            print!("{}", mamori::report::SCHEMA);
            Ok(EXIT_CLEAN)
        }
        args::Command::Tokenize { text } => tokenize(&text),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mamori: {e:#}");
            EXIT_ERROR
        }
    }
}

fn tokenize(text: &str) -> anyhow::Result<i32> {
    let t = mamori::tokenize::Tokenizer::shared()?;
    for tok in t.tokenize(text)? {
        println!(
            "{}\t{}\t{}",
            tok.surface,
            tok.pos.join(","),
            tok.reading.unwrap_or_default()
        );
    }
    Ok(EXIT_CLEAN)
}
