//! Walking: from scan roots to the files to read.
//!
//! A scan lists directories with a parallel walker ([`walk_parallel`], the
//! `ignore` crate's, as in ripgrep) feeding a bounded queue that a pool of
//! readers drains; [`walk`] lists in order, one directory at a time.
//! Hidden files are included (a share's hidden files are still data).
//! Symbolic links are not followed unless asked; when they are, loops are
//! detected and reported. Everything that is not scanned is reported with a
//! reason, except paths excluded on purpose.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::error::{Error, ErrorKind, Result};

/// Which paths to leave out.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    by_name: GlobSet,
    by_path: GlobSet,
    /// Exact files left out (mamori's own store and reports), absolute,
    /// with their file names (compared first: most paths differ there).
    files: Vec<(std::ffi::OsString, PathBuf)>,
    empty: bool,
}

impl Excludes {
    /// Compiles exclusion globs. A glob without `/` matches a file or
    /// directory name anywhere (`*.log`, `node_modules`); one with `/`
    /// matches the path relative to the scan root (`backup/**`), or the
    /// full path.
    pub fn new<S: AsRef<str>>(globs: &[S]) -> Result<Self> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        for g in globs {
            let g = g.as_ref();
            let glob = Glob::new(g.trim_end_matches('/')).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("invalid --exclude glob `{g}`: {e}"),
                )
            })?;
            if g.trim_end_matches('/').contains('/') {
                by_path.add(glob);
            } else {
                by_name.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| Error::new(ErrorKind::Config, format!("invalid --exclude glob: {e}")))
        };
        Ok(Excludes {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
            files: Vec::new(),
            empty: globs.is_empty(),
        })
    }

    /// Also leaves out these exact files (a scan's own store and report,
    /// which are not data to scan), wherever the walk reaches them.
    pub fn with_files(mut self, files: impl IntoIterator<Item = PathBuf>) -> Self {
        for f in files {
            if let Ok(abs) = std::path::absolute(&f) {
                let name = abs.file_name().unwrap_or_default().to_os_string();
                self.files.push((name, abs));
                self.empty = false;
            }
        }
        self
    }

    /// Whether `path` (found under `root`) is excluded.
    pub fn is_excluded(&self, root: &Path, path: &Path) -> bool {
        self.why(root, path).is_some()
    }

    /// Why `path` (found under `root`) is excluded, if it is.
    fn why(&self, root: &Path, path: &Path) -> Option<Why> {
        if self.empty {
            return None;
        }
        // Every entry of a walk comes here: the name is taken once, and a
        // glob set without globs is not asked (it would take the path
        // apart first).
        let name = path.file_name();
        if !self.by_name.is_empty() && name.is_some_and(|n| self.by_name.is_match(n)) {
            return Some(Why::Exclude);
        }
        if self
            .files
            .iter()
            .any(|(own, _)| name == Some(own.as_os_str()))
            && std::path::absolute(path).is_ok_and(|abs| self.files.iter().any(|(_, f)| *f == abs))
        {
            return Some(Why::Own);
        }
        if self.by_path.is_empty() {
            return None;
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        (self.by_path.is_match(rel) || self.by_path.is_match(path)).then_some(Why::Exclude)
    }
}

/// Why a path was left out.
#[derive(Debug, Clone, Copy)]
enum Why {
    Exclude,
    Own,
    Glob,
}

/// Paths a walk left out on purpose, counted by reason as they are met (an
/// excluded folder counts once, whatever it holds), for the report.
#[derive(Debug, Default)]
pub struct Excluded {
    /// Matched an `--exclude` glob (or a report being written beside the output).
    pub by_exclude: AtomicU64,
    /// Left out by `-g/--glob`.
    pub by_glob: AtomicU64,
    /// mamori's own report and store.
    pub own_files: AtomicU64,
    /// Another shard's files and skips (`--shard`), counted by the scan.
    pub other_shard: AtomicU64,
}

impl Excluded {
    fn count(&self, why: Why) {
        let c = match why {
            Why::Exclude => &self.by_exclude,
            Why::Glob => &self.by_glob,
            Why::Own => &self.own_files,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts by reason (`exclude`, `glob`, `own_file`, `other_shard`),
    /// those above zero.
    pub fn by_reason(&self) -> std::collections::BTreeMap<String, u64> {
        [
            ("exclude", &self.by_exclude),
            ("glob", &self.by_glob),
            ("own_file", &self.own_files),
            ("other_shard", &self.other_shard),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.load(Ordering::Relaxed)))
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// What both walks leave out under one root: excludes, then `--glob`.
struct Filter {
    root: PathBuf,
    excludes: Excludes,
    globs: Option<ignore::overrides::Override>,
    counts: Option<Arc<Excluded>>,
}

impl Filter {
    fn new(root: &Path, opts: &WalkOptions) -> Filter {
        Filter {
            root: root.to_path_buf(),
            excludes: opts.excludes.clone(),
            globs: (!opts.globs.is_empty())
                .then(|| overrides(root, &opts.globs).ok())
                .flatten(),
            counts: opts.excluded.clone(),
        }
    }

    /// Whether the walk keeps (lists, or enters) the entry at `path`.
    fn keeps(&self, path: &Path, depth: usize, is_dir: bool) -> bool {
        if depth == 0 {
            return true;
        }
        let why = self.excludes.why(&self.root, path).or_else(|| {
            self.globs
                .as_ref()
                .filter(|g| g.matched(path, is_dir).is_ignore())
                .map(|_| Why::Glob)
        });
        match why {
            Some(why) => {
                if let Some(c) = &self.counts {
                    c.count(why);
                }
                false
            }
            None => true,
        }
    }
}

/// Options of a walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Follow symbolic links (loops are detected).
    pub follow_links: bool,
    /// Paths to leave out.
    pub excludes: Excludes,
    /// Files larger than this are reported and not read.
    pub max_file_size: Option<u64>,
    /// ripgrep's `-g/--glob`: globs matched against paths relative to the
    /// root; with any glob not starting with `!`, only files that match one
    /// are read; a glob starting with `!` leaves matching paths out. Later
    /// globs win. Directories are always entered unless excluded.
    pub globs: Vec<String>,
    /// Where to count what the walk leaves out (`None`: not counted).
    pub excluded: Option<Arc<Excluded>>,
}

/// The `--glob` overrides for `root`.
pub fn overrides(root: &Path, globs: &[String]) -> Result<ignore::overrides::Override> {
    let mut b = ignore::overrides::OverrideBuilder::new(root);
    for g in globs {
        b.add(g)
            .map_err(|e| Error::new(ErrorKind::Config, format!("invalid --glob `{g}`: {e}")))?;
    }
    b.build()
        .map_err(|e| Error::new(ErrorKind::Config, format!("invalid --glob: {e}")))
}

/// What identifies a file's version without reading it: a file whose
/// metadata is unchanged since a previous run need not be read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileMeta {
    /// Size in bytes when it was listed.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if the
    /// platform has none).
    pub modified_ns: i64,
    /// Device and inode (Unix) identify the file itself: a file replaced by
    /// another of the same size and time is still seen as changed.
    pub dev: u64,
    /// See `dev`.
    pub ino: u64,
}

impl FileMeta {
    /// The metadata of `m`.
    pub fn of(m: &std::fs::Metadata) -> FileMeta {
        let modified_ns = m
            .modified()
            .ok()
            .and_then(|t| match t.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_nanos()).ok(),
                Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
            })
            .unwrap_or(0);
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        FileMeta {
            size: m.len(),
            modified_ns,
            dev,
            ino,
        }
    }
}

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path as reached from the root given by the user.
    pub path: PathBuf,
    /// Size in bytes when it was listed.
    pub size: u64,
    /// Its metadata when it was listed.
    pub meta: FileMeta,
    /// The index of the root it was found under.
    pub root: usize,
}

/// What the walk yields.
#[derive(Debug)]
pub enum WalkItem {
    /// A regular file to read.
    File(FileEntry),
    /// A file deliberately not read (too large, symbolic link not followed).
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A path that could not be walked or is not a regular file.
    Error(Error),
}

impl WalkItem {
    fn under(mut self, root: usize) -> Self {
        if let WalkItem::File(f) = &mut self {
            f.root = root;
        }
        self
    }
}

/// Walks every root in turn.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> impl Iterator<Item = WalkItem> + Send {
    let opts = opts.clone();
    roots
        .iter()
        .cloned()
        .enumerate()
        .flat_map(move |(i, root)| {
            let filter = Filter::new(&root, &opts);
            let opts = opts.clone();
            WalkDir::new(&root)
                .follow_links(opts.follow_links)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(move |e| filter.keeps(e.path(), e.depth(), e.file_type().is_dir()))
                .filter_map(move |e| classify(e, &opts).map(|item| item.under(i)))
        })
}

fn classify(entry: walkdir::Result<walkdir::DirEntry>, opts: &WalkOptions) -> Option<WalkItem> {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            let path = err.path().map(Path::to_path_buf).unwrap_or_default();
            if err.loop_ancestor().is_some() {
                return Some(WalkItem::Error(
                    Error::new(ErrorKind::SymlinkLoop, "symbolic link loop").with_path(&path),
                ));
            }
            return Some(WalkItem::Error(match err.io_error() {
                Some(io) => Error::io(io, &path),
                None => Error::new(ErrorKind::Io, err.to_string()).with_path(&path),
            }));
        }
    };
    let size = || {
        entry
            .metadata()
            .map(|m| FileMeta::of(&m))
            .map_err(|err| match err.io_error() {
                Some(io) => Error::io(io, entry.path()),
                None => Error::new(ErrorKind::Io, err.to_string()).with_path(entry.path()),
            })
    };
    classify_entry(entry.path(), entry.file_type(), size, opts)
}

/// What to do with a listed entry of type `ft`: nothing for a directory, a
/// file to read (with its size), a link not followed, something that is not
/// a regular file, a file over the size limit.
fn classify_entry(
    path: &Path,
    ft: std::fs::FileType,
    meta: impl FnOnce() -> Result<FileMeta>,
    opts: &WalkOptions,
) -> Option<WalkItem> {
    if ft.is_dir() {
        return None;
    }
    let path = path.to_path_buf();
    if ft.is_symlink() {
        return Some(WalkItem::Skipped {
            path,
            reason: "symbolic link not followed (use --follow)".into(),
        });
    }
    if !ft.is_file() {
        return Some(WalkItem::Error(
            Error::new(ErrorKind::NotRegularFile, "not a regular file").with_path(&path),
        ));
    }
    let meta = match meta() {
        Ok(meta) => meta,
        Err(e) => return Some(WalkItem::Error(e)),
    };
    let size = meta.size;
    if let Some(max) = opts.max_file_size
        && size > max
    {
        return Some(WalkItem::Skipped {
            path,
            reason: format!("larger than the size limit ({size} > {max} bytes)"),
        });
    }
    Some(WalkItem::File(FileEntry {
        path,
        size,
        meta,
        root: 0,
    }))
}

/// Items the parallel walk may list ahead of the scan.
const WALK_QUEUE: usize = 4096;

/// Walks every root with the `ignore` crate's parallel walker (`threads`
/// threads list directories at once, as ripgrep does) and sends what it
/// finds into a bounded queue: the scan starts with the first file, the
/// listing of a large tree or a slow network share keeps ahead of it, and
/// memory stays flat however many files there are. The order is not
/// defined; [`walk`] lists in order. Every file is listed exactly once: the
/// same files, skips and errors as [`walk`].
pub fn walk_parallel(roots: &[PathBuf], opts: &WalkOptions, threads: usize) -> Receiver<WalkItem> {
    let (tx, rx) = sync_channel(WALK_QUEUE);
    let roots = roots.to_vec();
    let opts = opts.clone();
    std::thread::spawn(move || {
        // The scan stopped listening: stop listing.
        walk_parallel_each(&roots, &opts, threads, &|item| tx.send(item).is_ok());
    });
    rx
}

/// [`walk_parallel`], handing each item to `each` on the walker's threads
/// instead of a queue. Returns true when the walk has ended, false when
/// `each` returned false (stop listing). A scan that keeps a queue of its own pushes into it
/// directly, without a thread in between.
pub fn walk_parallel_each(
    roots: &[PathBuf],
    opts: &WalkOptions,
    threads: usize,
    each: &(dyn Fn(WalkItem) -> bool + Sync),
) -> bool {
    for (i, root) in roots.iter().enumerate() {
        let filter = Filter::new(root, opts);
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .follow_links(opts.follow_links)
            .threads(threads.max(1))
            .filter_entry(move |e| {
                filter.keeps(
                    e.path(),
                    e.depth(),
                    e.file_type().is_some_and(|t| t.is_dir()),
                )
            });
        let quit = std::sync::atomic::AtomicBool::new(false);
        builder.build_parallel().run(|| {
            let quit = &quit;
            Box::new(move |entry| {
                let item = match entry {
                    Ok(e) => match e.file_type() {
                        Some(ft) => {
                            let size = || {
                                e.metadata()
                                    .map(|m| FileMeta::of(&m))
                                    .map_err(|err| walk_error(err, e.path()))
                            };
                            classify_entry(e.path(), ft, size, opts)
                        }
                        None => None,
                    },
                    Err(err) => Some(WalkItem::Error(walk_error(err, Path::new("")))),
                };
                if let Some(item) = item
                    && !each(item.under(i))
                {
                    quit.store(true, std::sync::atomic::Ordering::Relaxed);
                    return ignore::WalkState::Quit;
                }
                ignore::WalkState::Continue
            })
        });
        if quit.into_inner() {
            return false;
        }
    }
    true
}

/// Our error for an error of the parallel walk, with the path it names.
fn walk_error(err: ignore::Error, path: &Path) -> Error {
    let mut path = path.to_path_buf();
    let mut err = &err;
    loop {
        match err {
            ignore::Error::WithPath {
                path: p,
                err: inner,
            } => {
                path = p.clone();
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            _ => break,
        }
    }
    match err {
        ignore::Error::Loop { child, .. } => {
            Error::new(ErrorKind::SymlinkLoop, "symbolic link loop").with_path(child)
        }
        ignore::Error::Io(io) => Error::io(io, &path),
        other => Error::new(ErrorKind::Io, other.to_string()).with_path(&path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[WalkItem]) -> Vec<String> {
        items
            .iter()
            .filter_map(|i| match i {
                WalkItem::File(f) => Some(f.path.file_name()?.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every item as a sorted line, to compare walks listed in any order.
    fn summary(items: &[WalkItem]) -> Vec<String> {
        let mut out: Vec<String> = items
            .iter()
            .map(|i| match i {
                WalkItem::File(f) => format!("file {} {}", f.path.display(), f.size),
                WalkItem::Skipped { path, reason } => format!("skip {} {reason}", path.display()),
                WalkItem::Error(e) => format!("error {:?}", e.kind()),
            })
            .collect();
        out.sort();
        out
    }

    /// Walks in order, and checks the parallel walk lists the same.
    fn both(roots: &[PathBuf], opts: &WalkOptions) -> Vec<WalkItem> {
        let items: Vec<_> = walk(roots, opts).collect();
        let parallel: Vec<_> = walk_parallel(roots, opts, 2).into_iter().collect();
        assert_eq!(summary(&items), summary(&parallel));
        items
    }

    #[test]
    fn walks_hidden_files_and_applies_excludes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("keep/.hidden")).unwrap();
        std::fs::create_dir_all(d.join("skipdir")).unwrap();
        std::fs::write(d.join("keep/.hidden/a.txt"), "a").unwrap();
        std::fs::write(d.join("keep/b.log"), "b").unwrap();
        std::fs::write(d.join("skipdir/c.txt"), "c").unwrap();
        std::fs::write(d.join("d.txt"), "d").unwrap();
        let opts = WalkOptions {
            excludes: Excludes::new(&["*.log", "skipdir"]).unwrap(),
            ..Default::default()
        };
        let items = both(&[d.to_path_buf()], &opts);
        assert_eq!(names(&items), ["d.txt", "a.txt"]);
    }

    #[test]
    fn what_is_left_out_is_counted_by_reason_in_both_walks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("old")).unwrap();
        for f in [
            "old/a.txt",
            "old/b.txt",
            "c.log",
            "d.txt",
            "e.csv",
            "report.json",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        for parallel in [false, true] {
            let counts = Arc::new(Excluded::default());
            let opts = WalkOptions {
                excludes: Excludes::new(&["old", "*.log"])
                    .unwrap()
                    .with_files([d.join("report.json")]),
                globs: vec!["!*.csv".into()],
                excluded: Some(counts.clone()),
                ..Default::default()
            };
            let roots = [d.to_path_buf()];
            let items: Vec<_> = if parallel {
                walk_parallel(&roots, &opts, 2).into_iter().collect()
            } else {
                walk(&roots, &opts).collect()
            };
            assert_eq!(names(&items), ["d.txt"]);
            let by: Vec<(String, u64)> = counts.by_reason().into_iter().collect();
            // The folder counts once, not its two files.
            assert_eq!(
                by,
                [
                    ("exclude".to_string(), 2),
                    ("glob".to_string(), 1),
                    ("own_file".to_string(), 1)
                ]
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_skipped_unless_followed_and_loops_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/f.txt"), "x").unwrap();
        std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
        let items = both(&[d.to_path_buf()], &WalkOptions::default());
        assert!(items.iter().any(
            |i| matches!(i, WalkItem::Skipped { reason, .. } if reason.contains("symbolic link"))
        ));
        let follow = WalkOptions {
            follow_links: true,
            ..Default::default()
        };
        let items = both(&[d.to_path_buf()], &follow);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, WalkItem::Error(e) if e.kind() == ErrorKind::SymlinkLoop))
        );
        assert_eq!(names(&items), ["f.txt"]);
    }

    #[test]
    fn size_limit_and_missing_roots_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), vec![b'a'; 100]).unwrap();
        let opts = WalkOptions {
            max_file_size: Some(10),
            ..Default::default()
        };
        let roots = [dir.path().to_path_buf(), dir.path().join("missing")];
        let items = both(&roots, &opts);
        assert!(
            matches!(&items[0], WalkItem::Skipped { reason, .. } if reason.contains("size limit"))
        );
        assert!(matches!(&items[1], WalkItem::Error(e) if e.kind() == ErrorKind::NotFound));
    }
}
