//! mamori (守り) finds personal data in Japanese files — My Numbers, contact
//! details, names, health and criminal records, domiciles of origin and the
//! other special-care categories — in text of any Japanese encoding, tables,
//! workbooks, office documents, PDFs, e-mail and archives, so that data held
//! outside its permitted purpose can be found and removed.
//!
//! # Pipeline
//!
//! Each stage is a module, with small public types between them:
//!
//! 1. [`walk`]: roots → files ([`walk::FileEntry`]), in parallel, with
//!    excludes, size limits and symlink-loop detection;
//! 2. [`read`]: bytes → decoded [`TextUnit`]s (a line, a table value with its
//!    row and column header, a cell, a paragraph), format and encoding
//!    detected from content, archives opened recursively within limits;
//! 3. [`normalize`]: full-width and dash folding with offsets kept;
//! 4. [`detect`]: units → [`detect::Candidate`]s with a [`Confidence`];
//! 5. [`scan`]: the pipeline in parallel, producing [`Finding`]s with a
//!    [`Location`] in the original file, masked values and keyed
//!    fingerprints ([`mask`]);
//! 6. [`policy`]: permitted purposes → a verdict per finding; [`classify`]:
//!    the level of personal data in each file and folder;
//! 7. [`report`]: findings → `text`, `json`, `jsonl`, `csv`, `sarif`, `html`.
//!
//! [`tokenize`] wraps lindera with the IPADIC dictionary compiled in.
//!
//! # Example
//!
//! ```
//! use mamori::detect::DetectorSet;
//! use mamori::{Category, Confidence, TextUnit};
//!
//! let unit = TextUnit::line("個人番号：1234-5678-9018".into(), 1, 0, 0);
//! let found = DetectorSet::builtin().detect(&unit);
//! assert_eq!(found[0].category, Category::MyNumber);
//! assert_eq!(found[0].confidence, Confidence::High);
//! assert_eq!(found[0].masked, "****-****-9018");
//! ```

#![deny(missing_docs)]

pub mod baseline;
pub mod classify;
pub mod detect;
pub mod error;
pub mod finding;
pub mod mask;
pub mod normalize;
pub mod policy;
pub mod read;
pub mod report;
pub mod scan;
mod spare;
pub mod store;
pub mod tokenize;
pub mod unit;
pub mod walk;

pub use error::{Error, ErrorKind, Result};
pub use finding::{Category, Confidence, Finding, Location};
pub use scan::{Event, FileResult, ScanConfig, Scanner};
pub use unit::TextUnit;
