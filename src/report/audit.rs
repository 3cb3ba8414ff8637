//! What a report records about how its scan was run, so that it stands on
//! its own before an auditor: who ran it on which machine, with which build
//! and term lists, which command line, configuration, policy and limits,
//! and what was left out on purpose. No secret goes in: the fingerprint key
//! is named by its id and where it came from, never by its bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A file the scan used (configuration, policy, baseline, dictionary), by
/// path and content: the SHA-256 is that of the file's bytes, as
/// `sha256sum` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUsed {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes, hex; empty if it could not be read.
    pub sha256: String,
}

impl FileUsed {
    /// The file at `path`, hashed now.
    pub fn of(path: &Path) -> FileUsed {
        FileUsed {
            path: crate::finding::path_text(path),
            sha256: std::fs::read(path).map(|b| sha256(&b)).unwrap_or_default(),
        }
    }

    /// A file already read, `bytes` its content.
    pub fn with_bytes(path: &Path, bytes: &[u8]) -> FileUsed {
        FileUsed {
            path: crate::finding::path_text(path),
            sha256: sha256(bytes),
        }
    }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::mask::hex(&Sha256::digest(bytes))
}

/// The build: what decides findings besides the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// mamori's version.
    pub version: String,
    /// The IPADIC the tokenizer was built from (Debian package version).
    pub ipadic: String,
    /// A hash of the IPADIC source files compiled in.
    pub ipadic_source: String,
    /// The built-in term lists, by file name, with the SHA-256 of each.
    pub dictionaries: BTreeMap<String, String>,
}

impl Build {
    /// This binary's build.
    pub fn current() -> Build {
        Build {
            version: env!("CARGO_PKG_VERSION").to_string(),
            ipadic: crate::tokenize::IPADIC_VERSION.to_string(),
            ipadic_source: crate::tokenize::IPADIC_ID.to_string(),
            dictionaries: crate::detect::builtin_table_hashes()
                .map(|(name, hash)| (name.to_string(), hash.to_string()))
                .collect(),
        }
    }
}

/// How the scan was run (the report's `audit` object).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// The machine's host name.
    pub host: String,
    /// The account that ran the scan (name, and uid on Unix).
    pub user: String,
    /// The working directory relative paths were taken from.
    pub working_directory: String,
    /// The build.
    pub build: Build,
    /// The command line, as given.
    pub command_line: Vec<String>,
    /// The configuration file read, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<FileUsed>,
    /// The policy file, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<FileUsed>,
    /// The baseline file, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<FileUsed>,
    /// User dictionaries (`--dictionary`, config).
    #[serde(default)]
    pub dictionaries: Vec<FileUsed>,
    /// `--exclude` globs (command line and config).
    #[serde(default)]
    pub excludes: Vec<String>,
    /// `-g/--glob` globs.
    #[serde(default)]
    pub globs: Vec<String>,
    /// Files larger than this many bytes were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<u64>,
    /// Symbolic links were followed.
    #[serde(default)]
    pub follow_links: bool,
    /// Worker threads.
    pub threads: usize,
    /// Where the fingerprint key came from (`environment`, a key file's
    /// path, or `ephemeral`); its id is `scan.key_id`.
    pub key_source: String,
    /// Values were reported unmasked (`--reveal`): findings then carry
    /// `value` instead of `masked`.
    #[serde(default)]
    pub reveal: bool,
    /// Paths left out on purpose, by reason (`exclude`, `glob`, `own_file`,
    /// `other_shard`); an excluded folder counts once.
    #[serde(default)]
    pub excluded: BTreeMap<String, u64>,
    /// For a merged report: the shard reports it was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<FileUsed>,
}

/// This machine's host name.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer and its length are valid; gethostname writes
        // at most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

/// The account running this process: its name (from the password
/// database on Unix, else `USER`/`USERNAME`), with the uid on Unix.
pub fn user_name() -> String {
    #[cfg(unix)]
    {
        // SAFETY: geteuid cannot fail.
        let uid = unsafe { libc::geteuid() };
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; on success `result`
        // points at `pwd`, whose strings live in `buf`.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        let name = if rc == 0 && !result.is_null() && !pwd.pw_name.is_null() {
            // SAFETY: pw_name is a NUL-terminated string inside `buf`.
            unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
                .to_string_lossy()
                .into_owned()
        } else {
            std::env::var("USER").unwrap_or_default()
        };
        format!("{name} (uid {uid})")
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_default()
    }
}

/// The reasons of skipped files grouped: the text before any detail in
/// parentheses or after a colon (`larger than the size limit`,
/// `not text`).
pub fn reason_kind(reason: &str) -> String {
    let end = reason.find([':', '(']).unwrap_or(reason.len());
    reason[..end].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_without_their_details() {
        assert_eq!(
            reason_kind("larger than the size limit (20 > 10 bytes)"),
            "larger than the size limit"
        );
        assert_eq!(reason_kind("not text: binary"), "not text");
        assert_eq!(
            reason_kind("symbolic link not followed (use --follow)"),
            "symbolic link not followed"
        );
    }

    #[test]
    fn files_are_hashed_as_sha256sum_does() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("policy.toml");
        std::fs::write(&p, "abc").unwrap();
        assert_eq!(
            FileUsed::of(&p).sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(FileUsed::of(&dir.path().join("missing")).sha256.is_empty());
    }

    #[test]
    fn the_build_names_ipadic_and_every_term_list() {
        let b = Build::current();
        assert!(!b.ipadic.is_empty());
        assert!(b.dictionaries.len() >= 4);
        assert!(b.dictionaries.values().all(|h| h.len() == 64));
    }
}
