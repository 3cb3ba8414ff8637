//! Masking and fingerprints: reports never hold a raw value.
//!
//! A fingerprint is HMAC-SHA-256 over `category:normalised value` with a
//! secret key, truncated to 128 bits and hex-encoded. The same value gives the
//! same fingerprint under the same key, so an auditor can follow one My Number
//! across files and scans without seeing it; without the key a fingerprint
//! cannot be reversed by trying all 10¹¹ possible My Numbers.
//!
//! The key comes from, in order: the `MAMORI_FINGERPRINT_KEY` environment
//! variable; a key file named in the configuration; the per-installation key
//! file `$XDG_CONFIG_HOME/mamori/fingerprint.key` (or
//! `~/.config/mamori/fingerprint.key`), created with 32 random bytes and
//! mode 0600 on first use. Share the key between scanning hosts to make their
//! fingerprints comparable.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::detect::Candidate;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::Category;

/// Environment variable holding the fingerprint key.
pub const KEY_ENV: &str = "MAMORI_FINGERPRINT_KEY";

/// Where a fingerprint key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The environment variable [`KEY_ENV`].
    Environment,
    /// A key file.
    File(PathBuf),
    /// A random key for this run only: fingerprints do not match other runs.
    Ephemeral,
}

/// Computes keyed fingerprints.
#[derive(Clone)]
pub struct Fingerprinter {
    mac: Hmac<Sha256>,
    source: KeySource,
    key_id: String,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fingerprinter")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

fn random_key() -> Vec<u8> {
    let mut key = [0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        // No OS randomness: fall back to time and process id (still secret
        // enough for a per-run key, never written anywhere).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        key[..16].copy_from_slice(&t.to_le_bytes());
        key[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    }
    key.to_vec()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The shortest fingerprint key accepted, in bytes: a shorter one could be
/// guessed, and with it every fingerprint reversed by trying values.
pub const MIN_KEY_BYTES: usize = 16;

/// What a service account without a writable home is told.
const HOW_TO_GIVE_A_KEY: &str = "give a key of at least 16 bytes with MAMORI_FINGERPRINT_KEY, \
     --fingerprint-key-file FILE or fingerprint_key_file in the config \
     (for example: head -c 32 /dev/urandom | base64 > FILE)";

/// Refuses a key shorter than [`MIN_KEY_BYTES`] (never quoting it).
fn check_length(len: usize, from: &str) -> Result<()> {
    if len < MIN_KEY_BYTES {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "the fingerprint key from {from} is {len} bytes; at least {MIN_KEY_BYTES} are needed \
                 (for example: head -c 32 /dev/urandom | base64)"
            ),
        ));
    }
    Ok(())
}

/// The default per-installation key file.
pub fn default_key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("mamori").join("fingerprint.key"))
}

fn read_or_create_key(path: &Path) -> Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(k) if !k.trim_ascii().is_empty() => return Ok(k.trim_ascii().to_vec()),
        Ok(_) => {
            return Err(
                Error::new(ErrorKind::Config, "the fingerprint key file is empty").with_path(path),
            );
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&e, path)),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(&e, dir))?;
    }
    let key = hex(&random_key()).into_bytes();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(mut f) => {
            use std::io::Write;
            f.write_all(&key).map_err(|e| Error::io(&e, path))?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read(path).map_err(|e| Error::io(&e, path))
        }
        Err(e) => Err(Error::io(&e, path)),
    }
}

impl Fingerprinter {
    /// A fingerprinter with an explicit key.
    pub fn with_key(key: &[u8], source: KeySource) -> Self {
        use sha2::Digest;
        let id = Sha256::new()
            .chain_update(b"mamori fingerprint key id\0")
            .chain_update(key)
            .finalize();
        Fingerprinter {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length"),
            source,
            key_id: hex(&id[..8]),
        }
    }

    /// A fingerprinter with a random key valid for this process only.
    pub fn ephemeral() -> Self {
        Self::with_key(&random_key(), KeySource::Ephemeral)
    }

    /// Resolves the key: `flag` (a key file given on the command line),
    /// else the environment ([`KEY_ENV`]), else `configured` (a key file
    /// named in a config file), else the per-installation key file (created
    /// if missing). Keys shorter than [`MIN_KEY_BYTES`] are refused.
    pub fn resolve(flag: Option<&Path>, configured: Option<&Path>) -> Result<Self> {
        if flag.is_none()
            && let Some(k) = std::env::var_os(KEY_ENV).filter(|k| !k.is_empty())
        {
            let key = k.as_encoded_bytes();
            check_length(key.len(), KEY_ENV)?;
            return Ok(Self::with_key(key, KeySource::Environment));
        }
        let (path, named) = match flag.or(configured) {
            Some(p) => (p.to_path_buf(), true),
            None => (
                default_key_path().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!(
                            "no home directory to keep the fingerprint key in; {HOW_TO_GIVE_A_KEY}"
                        ),
                    )
                })?,
                false,
            ),
        };
        let key = read_or_create_key(&path).map_err(|e| {
            if named {
                e
            } else {
                Error::new(
                    ErrorKind::Config,
                    format!(
                        "cannot keep the fingerprint key in {} ({e}); {HOW_TO_GIVE_A_KEY}",
                        path.display()
                    ),
                )
            }
        })?;
        check_length(key.len(), &path.display().to_string())?;
        Ok(Self::with_key(&key, KeySource::File(path)))
    }

    /// Where the key came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The key's id: a hash of the key, never the key. Runs whose key ids
    /// differ have fingerprints that cannot be compared.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The fingerprint of a normalised value of a category.
    pub fn fingerprint(&self, category: Category, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(category.id().as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }
}

/// Characters of context on each side of a value.
pub const CONTEXT_CHARS: usize = 20;

/// How many candidates before a context window are checked for one that
/// runs into it.
const STRADDLE_LOOKBACK: usize = 16;

/// The text around `target` (a byte range of `text`) with every candidate in
/// `all` (sorted by start) replaced by its masked form, whitespace runs shown
/// as one space.
pub fn context(text: &str, target: (usize, usize), all: &[Candidate]) -> String {
    let start = text[..target.0]
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let end = text[target.1..]
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(text.len(), |(i, _)| target.1 + i);
    // `all` is sorted by start: look only at the candidates near the window
    // (a long line holds thousands), and begin the window at a value that
    // straddles its start so that value is masked whole, never cut.
    let first = all.partition_point(|c| c.start < start);
    let mut start = start;
    for c in all[first.saturating_sub(STRADDLE_LOOKBACK)..first].iter() {
        if c.start < start && c.end > start {
            start = c.start;
        }
    }
    let near = &all[all.partition_point(|c| c.start < start)..];
    let near = &near[..near.partition_point(|c| c.start < end)];
    // Whitespace runs become one space as the pieces are appended, into one
    // string trimmed in place.
    let mut out = String::with_capacity(end - start + 8);
    let mut pos = start;
    for c in near {
        if c.end <= start || c.start >= end || c.start < pos {
            continue;
        }
        push_squeezed(&mut out, &text[pos..c.start]);
        push_squeezed(&mut out, &c.masked);
        pos = c.end;
    }
    // A value that straddles the window edge is masked whole, never cut.
    if let Some(c) = near
        .iter()
        .find(|c| c.start < end && c.end > end && c.start >= pos)
    {
        push_squeezed(&mut out, &text[pos..c.start]);
        push_squeezed(&mut out, &c.masked);
    } else if pos < end {
        push_squeezed(&mut out, &text[pos..end]);
    }
    out.truncate(out.trim_end().len());
    let lead = out.len() - out.trim_start().len();
    out.drain(..lead);
    out
}

/// Appends `s` with each whitespace character but the ideographic space
/// shown as a space, and a space after a space dropped.
fn push_squeezed(out: &mut String, s: &str) {
    for c in s.chars() {
        let c = if c.is_whitespace() && c != '\u{3000}' {
            ' '
        } else {
            c
        };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Confidence;

    fn cand(text: &str, value: &str, masked: &str) -> Candidate {
        let start = text.find(value).unwrap();
        Candidate {
            category: Category::MyNumber,
            rule: "t",
            confidence: Confidence::High,
            start,
            end: start + value.len(),
            value: value.into(),
            masked: masked.into(),
        }
    }

    #[test]
    fn fingerprints_are_keyed_and_stable() {
        let a = Fingerprinter::with_key(b"k1", KeySource::Environment);
        let b = Fingerprinter::with_key(b"k2", KeySource::Environment);
        let v = "123456789018";
        assert_eq!(
            a.fingerprint(Category::MyNumber, v),
            a.fingerprint(Category::MyNumber, v)
        );
        assert_ne!(
            a.fingerprint(Category::MyNumber, v),
            b.fingerprint(Category::MyNumber, v)
        );
        assert_ne!(
            a.fingerprint(Category::MyNumber, v),
            a.fingerprint(Category::CorporateNumber, v)
        );
        assert_eq!(a.fingerprint(Category::MyNumber, v).len(), 32);
        assert!(!a.fingerprint(Category::MyNumber, v).contains(v));
    }

    #[test]
    fn context_masks_every_value_in_it() {
        let text = "個人番号 123456789018 と 100000000005 の二件";
        let all = vec![
            cand(text, "123456789018", "********9018"),
            cand(text, "100000000005", "********0005"),
        ];
        let ctx = context(text, (all[0].start, all[0].end), &all);
        assert_eq!(ctx, "個人番号 ********9018 と ********0005 の二件");
    }

    #[test]
    fn context_shows_whitespace_runs_as_one_space_and_is_trimmed() {
        let text = "\u{3000}連絡先\t\t 090-0000-1234\n 以上\u{3000}";
        let c = cand(text, "090-0000-1234", "***-****-1234");
        assert_eq!(
            context(text, (c.start, c.end), &[c]),
            "連絡先 ***-****-1234 以上"
        );
        let text = "氏名：\u{3000}\u{3000}仮名 \r\n";
        let c = cand(text, "仮名", "仮＊＊");
        assert_eq!(
            context(text, (c.start, c.end), &[c]),
            "氏名：\u{3000}\u{3000}仮＊＊"
        );
    }

    #[test]
    fn a_value_cut_by_the_window_is_still_masked() {
        let text = format!("{}123456789018", "あ".repeat(30));
        let first = cand(&text, "あ", "X");
        let first = Candidate {
            start: 39,
            end: 42,
            ..first
        };
        let mn = cand(&text, "123456789018", "********9018");
        let ctx = context(&text, (first.start, first.end), &[first.clone(), mn]);
        assert!(!ctx.contains("1234"), "{ctx}");
    }

    #[test]
    fn a_value_running_into_the_window_from_before_is_masked_whole() {
        // The window of the second value starts 20 characters before it,
        // inside the first (a long name-like value): never show its tail.
        let first_value = "見本架空試験太郎見本架空試験次郎";
        let text = format!("{first_value}、123456789018");
        let first = cand(&text, first_value, "見＊＊");
        let mn = cand(&text, "123456789018", "********9018");
        let ctx = context(&text, (mn.start, mn.end), &[first, mn.clone()]);
        assert_eq!(ctx, "見＊＊、********9018");
        // Thousands of candidates in one line: only the nearby ones matter.
        let many: String = (0..2000).map(|i| format!("{i:012}、")).collect();
        let all: Vec<Candidate> = (0..2000)
            .map(|i| {
                let v = format!("{i:012}");
                let start = many.find(&v).unwrap();
                Candidate {
                    start,
                    end: start + 12,
                    ..cand(&many, &v, "****")
                }
            })
            .collect();
        let ctx = context(&many, (all[1000].start, all[1000].end), &all);
        assert!(ctx.chars().all(|c| c == '*' || c == '、'), "{ctx}");
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/fingerprint.key");
        let k1 = read_or_create_key(&p).unwrap();
        let k2 = read_or_create_key(&p).unwrap();
        assert_eq!(k1, k2);
        assert_eq!(k1.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
