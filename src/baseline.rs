//! Baselines: findings a team has accepted, by fingerprint (and optionally
//! path), with a reason and an optional expiry. Accepted findings stay in
//! reports, marked `suppressed`, are counted apart and do not change the
//! exit status; once expired they count again.
//!
//! A baseline file, for teams that keep it in version control:
//!
//! ```toml
//! [[accept]]
//! fingerprint = "9c1f0e4b2a7d4c3e8f6a5b4c3d2e1f00"
//! # Optional: only at paths matching this glob (relative to the scan root).
//! path = "人事部/**"
//! reason = "給与計算の委託先に提出する控え（2027年3月まで保管）"
//! # Optional: the last day the acceptance holds.
//! expires = "2027-03-31"
//! ```
//!
//! The same entries can be kept in a store (`mamori baseline add`).

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::finding::Finding;
use crate::report::Suppression;

/// One accepted finding (or every finding of one value at some paths).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The fingerprint of the value (as in reports).
    pub fingerprint: String,
    /// Only at paths matching this glob (relative to the scan root).
    pub path: Option<String>,
    /// Why it is accepted.
    pub reason: String,
    /// The last day it holds, `YYYY-MM-DD`.
    pub expires: Option<String>,
    matcher: Option<GlobMatcher>,
}

impl Entry {
    /// An entry; errors on a bad glob or date.
    pub fn new(
        fingerprint: &str,
        path: Option<&str>,
        reason: &str,
        expires: Option<&str>,
    ) -> Result<Entry> {
        let bad = |why: String| Error::new(ErrorKind::Config, why);
        let fingerprint = fingerprint.trim().to_ascii_lowercase();
        if fingerprint.is_empty() || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "`{fingerprint}` is not a fingerprint (hex, as in reports)"
            )));
        }
        if reason.trim().is_empty() {
            return Err(bad("a baseline entry needs a reason".into()));
        }
        if let Some(d) = expires {
            check_date(d).map_err(bad)?;
        }
        let matcher = path
            .map(|g| {
                GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map(|g| g.compile_matcher())
                    .map_err(|e| bad(format!("invalid path glob `{g}`: {e}")))
            })
            .transpose()?;
        Ok(Entry {
            fingerprint,
            path: path.map(str::to_string),
            reason: reason.to_string(),
            expires: expires.map(str::to_string),
            matcher,
        })
    }
}

/// `YYYY-MM-DD` or why not.
pub fn check_date(d: &str) -> std::result::Result<(), String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, format)
        .map(|_| ())
        .map_err(|_| format!("`{d}` is not a date (YYYY-MM-DD)"))
}

/// Accepted findings.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    accept: Vec<FileEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    fingerprint: String,
    #[serde(default)]
    path: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

impl Baseline {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a baseline file; errors name the file and line.
    pub fn parse(src: &str, name: &str) -> Result<Baseline> {
        let line_of = |at: usize| src[..at.min(src.len())].matches('\n').count() + 1;
        let file: File = toml::from_str(src).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(s.start));
            Error::new(ErrorKind::Config, format!("{name}:{line}: {}", e.message()))
        })?;
        let mut out = Baseline::new();
        for (i, e) in file.accept.into_iter().enumerate() {
            let line = src
                .match_indices("[[accept]]")
                .nth(i)
                .map_or(1, |(at, _)| line_of(at));
            let entry = Entry::new(
                &e.fingerprint,
                e.path.as_deref(),
                &e.reason,
                e.expires.as_deref(),
            )
            .map_err(|err| {
                Error::new(
                    ErrorKind::Config,
                    format!("{name}:{line}: {}", err.reason()),
                )
            })?;
            out.entries.push(entry);
        }
        Ok(out)
    }

    /// Reads a baseline file.
    pub fn load(path: &std::path::Path) -> Result<Baseline> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(&e, path))?;
        Self::parse(&src, &path.display().to_string())
    }

    /// Adds an entry.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The acceptance of `finding` (in the file at `relative`, relative to
    /// its scan root) on `today` (`YYYY-MM-DD`), if an entry holds.
    pub fn accepts(&self, finding: &Finding, relative: &str, today: &str) -> Option<Suppression> {
        self.entries
            .iter()
            .filter(|e| e.fingerprint == finding.fingerprint)
            .filter(|e| e.expires.as_deref().is_none_or(|d| d >= today))
            .find(|e| e.matcher.as_ref().is_none_or(|m| m.is_match(relative)))
            .map(|e| Suppression {
                reason: e.reason.clone(),
                expires: e.expires.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(fp: &str) -> Finding {
        Finding {
            path: "share/人事/名簿.csv".into(),
            category: crate::Category::Phone,
            confidence: crate::Confidence::High,
            rule: "phone.keyword".into(),
            location: Default::default(),
            masked: "090-****-5678".into(),
            fingerprint: fp.into(),
            context: String::new(),
        }
    }

    #[test]
    fn accepts_by_fingerprint_path_and_date() {
        let src = r#"
[[accept]]
fingerprint = "AB12"
reason = "委託先控え"
expires = "2027-03-31"

[[accept]]
fingerprint = "cd34"
path = "人事/**"
reason = "人事の原本"
"#;
        let b = Baseline::parse(src, "b.toml").unwrap();
        let s = b
            .accepts(&finding("ab12"), "x/y.csv", "2027-03-31")
            .unwrap();
        assert_eq!(s.reason, "委託先控え");
        assert_eq!(s.expires.as_deref(), Some("2027-03-31"));
        // Expired the day after.
        assert!(
            b.accepts(&finding("ab12"), "x/y.csv", "2027-04-01")
                .is_none()
        );
        assert!(
            b.accepts(&finding("cd34"), "人事/名簿.csv", "2030-01-01")
                .is_some()
        );
        assert!(
            b.accepts(&finding("cd34"), "営業/名簿.csv", "2030-01-01")
                .is_none()
        );
        assert!(
            b.accepts(&finding("ef56"), "人事/名簿.csv", "2030-01-01")
                .is_none()
        );
    }

    #[test]
    fn errors_name_the_line() {
        let src = "[[accept]]\nfingerprint = \"ab\"\nreason = \"x\"\n\n[[accept]]\nfingerprint = \"zz\"\nreason = \"y\"\n";
        let e = Baseline::parse(src, "b.toml").unwrap_err();
        assert!(e.reason().starts_with("b.toml:5:"), "{}", e.reason());
        let e = Baseline::parse(
            "[[accept]]\nfingerprint = \"ab\"\nreason = \"x\"\nexpires = \"2027-13-01\"\n",
            "b.toml",
        )
        .unwrap_err();
        assert!(e.reason().contains("not a date"), "{}", e.reason());
    }
}
