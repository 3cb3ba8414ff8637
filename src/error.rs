//! The library's error type.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file or directory does not exist (or vanished during the scan).
    NotFound,
    /// The operating system refused access.
    PermissionDenied,
    /// Not a regular file (device, socket, FIFO) or a symlink that is not followed.
    NotRegularFile,
    /// A symbolic link loop.
    SymlinkLoop,
    /// Any other input/output error.
    Io,
    /// Invalid configuration or arguments.
    Config,
    /// The tokenizer dictionary could not be loaded.
    Dictionary,
    /// The store (database of runs) could not be opened, read or written,
    /// or another run holds it.
    Store,
}

/// An error with the path it concerns, when there is one.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    message: String,
}

impl Error {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            path: None,
            message: message.into(),
        }
    }

    /// Attaches the path the error concerns (unless it already has one).
    pub fn with_path(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    /// From an I/O error, classified by its kind.
    pub fn io(err: &std::io::Error, path: &Path) -> Self {
        use std::io::ErrorKind as K;
        let kind = match err.kind() {
            K::NotFound => ErrorKind::NotFound,
            K::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::Io,
        };
        let message = match kind {
            ErrorKind::NotFound => "not found (it may have been removed during the scan)".into(),
            ErrorKind::PermissionDenied => "permission denied".into(),
            _ => err.to_string(),
        };
        Error::new(kind, message).with_path(path)
    }

    /// Drops the path (for errors about bytes that are not a file).
    pub fn without_path(mut self) -> Self {
        self.path = None;
        self
    }

    /// The broad kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The path concerned, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The reason, without the path.
    pub fn reason(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
