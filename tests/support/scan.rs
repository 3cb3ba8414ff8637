//! Runs the binary the way the format tests do: JSON report, a fixed
//! fingerprint key, a config home of its own (a user's config cannot change
//! the outcome).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The JSON report of `mamori scan PATH`.
pub fn scan(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("MAMORI_FINGERPRINT_KEY", "test-0123456789abcdef")
        .arg("scan")
        .arg(path)
        .args(["--format", "json", "--quiet"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}
