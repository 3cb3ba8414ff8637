//! A test whose prerequisite (../shared, Chromium, pdftotext, python3) is
//! missing is skipped on a developer's machine, but fails in CI (`CI` set to
//! anything but `false` or `0`), where `.ci/run` installs everything: a
//! check that silently stops running is not a check.

/// Skips (prints why) or, in CI, fails.
pub fn missing(why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        panic!("{why} (CI is set: a missing prerequisite fails the test)");
    }
    eprintln!("skipped: {why}");
}
