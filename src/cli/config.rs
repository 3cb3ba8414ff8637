//! The configuration file: defaults for `mamori scan` that a scheduled job
//! would otherwise repeat on every command line.
//!
//! Read from `--config FILE`, else `$MAMORI_CONFIG`, else
//! `$XDG_CONFIG_HOME/mamori/config.toml` (`~/.config/mamori/config.toml`)
//! when it exists. Command-line flags win; lists (excludes, dictionaries)
//! add up. Relative paths are relative to the configuration file.
//!
//! ```toml
//! roots = ["/mnt/share"]
//! # The folder policy paths are relative to (default: each scan root).
//! root = "/mnt/share"
//! output = "/var/lib/mamori/nightly.json"
//! format = "json"
//! store = "/var/lib/mamori/store.db"
//! baseline = "accepted.toml"
//! fail_on = "violation"
//! exclude = ["*.iso", "backup/**"]
//! max_file_size = "2G"
//! min_confidence = "medium"
//! threads = 2
//! follow = false
//! dictionaries = ["dictionaries/our_terms.tsv"]
//! policy = "policy.toml"
//! fingerprint_key_file = "/etc/mamori/fingerprint.key"
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use mamori::Confidence;
use serde::Deserialize;

/// The file's settings, paths resolved.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub roots: Vec<PathBuf>,
    pub root: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub format: Option<super::args::FormatArg>,
    pub store: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub fail_on: Option<super::args::FailOn>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub max_file_size: Option<String>,
    pub min_confidence: Option<Confidence>,
    pub threads: Option<usize>,
    pub follow: Option<bool>,
    #[serde(default)]
    pub dictionaries: Vec<PathBuf>,
    pub policy: Option<PathBuf>,
    pub fingerprint_key_file: Option<PathBuf>,
    /// The file these settings came from, with its bytes (for the report).
    #[serde(skip)]
    pub source: Option<(PathBuf, Vec<u8>)>,
}

fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MAMORI_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let p = base.join("mamori").join("config.toml");
    p.is_file().then_some(p)
}

impl FileConfig {
    /// Loads the configuration: `explicit` must exist; the default
    /// locations are optional.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = explicit.map(Path::to_path_buf).or_else(default_path) else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the configuration {}", path.display()))?;
        let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        config.dictionaries.iter_mut().for_each(resolve);
        config.roots.iter_mut().for_each(resolve);
        config.root.iter_mut().for_each(resolve);
        config.output.iter_mut().for_each(resolve);
        config.store.iter_mut().for_each(resolve);
        config.baseline.iter_mut().for_each(resolve);
        config.policy.iter_mut().for_each(resolve);
        config.fingerprint_key_file.iter_mut().for_each(resolve);
        config.source = Some((path, text.into_bytes()));
        Ok(config)
    }
}
