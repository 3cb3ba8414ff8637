//! Archives: zip, tar, gzip (and so tar.gz), opened recursively, each entry
//! read like a file of its own and located by its inner path
//! (`backup.zip!人事/社員名簿.xlsx`).
//!
//! Archives are where bombs live, so every entry is held to [`Limits`]:
//! nesting depth, bytes per entry (entries are buffered in memory, because a
//! workbook inside needs to seek), total bytes and entries per outer file,
//! and the compression ratio. Sizes written in the archive are not trusted:
//! reading stops at the limit whatever the header says. Each limit hit, each
//! encrypted or corrupt entry, is reported through
//! [`Visitor::entry`], and the rest of the archive is
//! still read.

use std::io::Read;

use encoding_rs::SHIFT_JIS;

use super::{Source, Visitor, read_source};
use crate::error::{Error, ErrorKind, Result};

/// Limits against archive bombs and runaway nesting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Archives inside archives deeper than this are not opened.
    pub max_depth: usize,
    /// Largest entry read (uncompressed bytes).
    pub max_entry_bytes: u64,
    /// Most uncompressed bytes read from one outer file, all entries together.
    pub max_total_bytes: u64,
    /// Most entries read from one outer file.
    pub max_entries: u64,
    /// Largest compression ratio accepted for entries over 1 MiB.
    pub max_ratio: u64,
    /// How PDF extraction is isolated, and its time limit.
    pub pdf: super::pdf::PdfIsolation,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 5,
            max_entry_bytes: 256 << 20,
            max_total_bytes: 4 << 30,
            max_entries: 100_000,
            max_ratio: 200,
            pdf: super::pdf::PdfIsolation::default(),
        }
    }
}

/// What one outer file has used of its limits so far.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    bytes: u64,
    entries: u64,
    depth: usize,
}

fn limit(msg: String) -> Error {
    Error::new(ErrorKind::Io, msg)
}

/// Joins an archive's inner path and an entry name: `a.zip!b/c.csv`.
fn join(inner: &str, entry: &str) -> String {
    if inner.is_empty() {
        entry.to_string()
    } else {
        format!("{inner}!{entry}")
    }
}

/// Decodes an entry name: UTF-8 if it is valid, else CP932 (Japanese
/// Windows zips set no UTF-8 flag), else lossy.
pub fn decode_name(raw: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    let (s, _, errors) = SHIFT_JIS.decode(raw);
    if !errors {
        return s.into_owned();
    }
    String::from_utf8_lossy(raw).into_owned()
}

/// Reads `reader` to the end into memory; `None` past `max` bytes.
pub(crate) fn read_bounded(reader: &mut dyn Read, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    reader.take(max + 1).read_to_end(&mut buf)?;
    Ok(if buf.len() as u64 > max {
        None
    } else {
        Some(buf)
    })
}

/// Checks the budget before reading an entry of (declared) `size` bytes.
pub(crate) fn admit(
    budget: &Budget,
    limits: &Limits,
    size: u64,
    compressed: Option<u64>,
) -> Option<String> {
    if budget.entries >= limits.max_entries {
        return Some(format!(
            "entry limit reached ({} entries)",
            limits.max_entries
        ));
    }
    if let Some(c) = compressed
        && size > 1 << 20
        && size / c.max(1) > limits.max_ratio
    {
        return Some(format!(
            "compression ratio {}:1 over the limit of {}:1 (zip bomb?)",
            size / c.max(1),
            limits.max_ratio
        ));
    }
    if size > limits.max_entry_bytes {
        return Some(format!(
            "entry larger than the limit ({size} > {} bytes)",
            limits.max_entry_bytes
        ));
    }
    if budget.bytes + size > limits.max_total_bytes {
        return Some(format!(
            "archive size limit reached ({} bytes in all)",
            limits.max_total_bytes
        ));
    }
    None
}

/// Reads one buffered entry as a file of its own, recursively.
pub(crate) fn visit_entry(
    bytes: &[u8],
    name: &str,
    path: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) {
    budget.entries += 1;
    budget.bytes += bytes.len() as u64;
    let base = name.rsplit('/').next().unwrap_or(name);
    budget.depth += 1;
    // A reader's panic is contained to its entry.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_source(Source::Bytes(bytes), base, path, limits, budget, visitor)
    }))
    .unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Io,
            "internal error while reading this entry (a bug in mamori or a library)",
        ))
    });
    budget.depth -= 1;
    visitor.entry(path, outcome);
}

pub(crate) fn check_depth(budget: &Budget, limits: &Limits) -> Result<()> {
    if budget.depth >= limits.max_depth {
        return Err(limit(format!(
            "archive nested deeper than the limit ({} levels)",
            limits.max_depth
        )));
    }
    Ok(())
}

/// Reads every entry of a zip archive.
pub(crate) fn read_zip(
    src: Source<'_>,
    inner: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<()> {
    check_depth(budget, limits)?;
    let reader = src.open().map_err(|e| super::io_err(&e))?;
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| Error::new(ErrorKind::Io, format!("corrupt zip archive: {e}")))?;
    for i in 0..zip.len() {
        let (name, size, compressed, encrypted, is_dir) = match zip.by_index_raw(i) {
            Ok(f) => (
                decode_name(f.name_raw()),
                f.size(),
                f.compressed_size(),
                f.encrypted(),
                f.is_dir(),
            ),
            Err(e) => {
                visitor.entry(
                    &join(inner, &format!("#{i}")),
                    Err(limit(format!("corrupt zip entry: {e}"))),
                );
                continue;
            }
        };
        if is_dir {
            continue;
        }
        let path = join(inner, &name);
        if encrypted {
            visitor.entry(
                &path,
                Err(limit("encrypted (password-protected) zip entry".into())),
            );
            continue;
        }
        if let Some(why) = admit(budget, limits, size, Some(compressed)) {
            visitor.entry(&path, Err(limit(why)));
            continue;
        }
        let bytes = match zip.by_index(i) {
            Ok(mut f) => read_bounded(&mut f, limits.max_entry_bytes),
            Err(e) => {
                visitor.entry(&path, Err(limit(format!("cannot read zip entry: {e}"))));
                continue;
            }
        };
        match bytes {
            Ok(Some(b)) => visit_entry(&b, &name, &path, limits, budget, visitor),
            Ok(None) => visitor.entry(
                &path,
                Err(limit(format!(
                    "entry larger than the limit (> {} bytes; its header said {size})",
                    limits.max_entry_bytes
                ))),
            ),
            Err(e) => visitor.entry(&path, Err(limit(format!("corrupt zip entry: {e}")))),
        }
    }
    Ok(())
}

/// Reads every regular file of a tar stream.
pub(crate) fn read_tar(
    reader: impl Read,
    inner: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<()> {
    check_depth(budget, limits)?;
    let mut tar = tar::Archive::new(reader);
    let entries = tar
        .entries()
        .map_err(|e| Error::new(ErrorKind::Io, format!("corrupt tar archive: {e}")))?;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                visitor.entry(inner, Err(limit(format!("corrupt tar archive: {e}"))));
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = decode_name(&entry.path_bytes());
        let path = join(inner, &name);
        let size = entry.size();
        if let Some(why) = admit(budget, limits, size, None) {
            visitor.entry(&path, Err(limit(why)));
            continue;
        }
        match read_bounded(&mut entry, limits.max_entry_bytes) {
            Ok(Some(b)) => visit_entry(&b, &name, &path, limits, budget, visitor),
            Ok(None) => visitor.entry(&path, Err(limit("entry larger than the limit".into()))),
            Err(e) => {
                visitor.entry(&path, Err(limit(format!("corrupt tar entry: {e}"))));
                break;
            }
        }
    }
    Ok(())
}

/// Reads a gzip stream: a tar inside is read entry by entry, anything else
/// as one file named without its `.gz`.
pub(crate) fn read_gzip(
    src: Source<'_>,
    name: &str,
    inner: &str,
    limits: &Limits,
    budget: &mut Budget,
    visitor: &mut dyn Visitor,
) -> Result<()> {
    check_depth(budget, limits)?;
    let reader = src.open().map_err(|e| super::io_err(&e))?;
    // Every member: `cat a.gz b.gz` is one valid gzip file.
    let mut gz = flate2::read::MultiGzDecoder::new(reader);
    let room = limits
        .max_entry_bytes
        .min(limits.max_total_bytes.saturating_sub(budget.bytes));
    let bytes = read_bounded(&mut gz, room)
        .map_err(|e| Error::new(ErrorKind::Io, format!("corrupt gzip data: {e}")))?
        .ok_or_else(|| limit(format!("gzip content larger than the limit ({room} bytes)")))?;
    let lower = name.to_ascii_lowercase();
    let inner_name = if lower.ends_with(".tgz") {
        format!("{}.tar", &name[..name.len() - 4])
    } else if lower.ends_with(".gz") {
        name[..name.len() - 3].to_string()
    } else {
        name.to_string()
    };
    if bytes.len() > 262 && &bytes[257..262] == b"ustar" {
        budget.bytes += bytes.len() as u64;
        return read_tar(&bytes[..], inner, limits, budget, visitor);
    }
    let path = join(inner, &inner_name);
    visit_entry(&bytes, &inner_name, &path, limits, budget, visitor);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::ReadOutcome;
    use crate::unit::TextUnit;
    use encoding_rs::Encoding;
    use std::io::Write;

    #[derive(Default)]
    struct Collect {
        units: Vec<(String, String)>,
        entries: Vec<(String, std::result::Result<ReadOutcome, String>)>,
    }

    impl Visitor for Collect {
        fn unit(&mut self, inner: &str, unit: &TextUnit, _: &'static Encoding) {
            self.units.push((inner.to_string(), unit.text.clone()));
        }
        fn entry(&mut self, inner: &str, outcome: Result<ReadOutcome>) {
            self.entries
                .push((inner.to_string(), outcome.map_err(|e| e.to_string())));
        }
    }

    fn zip_bytes(entries: &[(&[u8], &[u8])], utf8_names: bool) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, data) in entries {
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                if utf8_names {
                    w.start_file(std::str::from_utf8(name).unwrap(), opts)
                        .unwrap();
                } else {
                    w.start_file_from_path(
                        std::path::Path::new(&String::from_utf8_lossy(name).into_owned()),
                        opts,
                    )
                    .unwrap();
                }
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    fn read_bytes(bytes: &[u8], name: &str, limits: &Limits) -> (Result<ReadOutcome>, Collect) {
        let mut c = Collect::default();
        let mut budget = Budget::default();
        let out = read_source(Source::Bytes(bytes), name, "", limits, &mut budget, &mut c);
        (out, c)
    }

    #[test]
    fn zip_in_zip_gives_nested_inner_paths() {
        let inner = zip_bytes(
            &[(
                "人事/名簿.csv".as_bytes(),
                "氏名,個人番号\n山田,1\n".as_bytes(),
            )],
            true,
        );
        let outer = zip_bytes(&[(b"a.txt", "本文".as_bytes()), (b"in.zip", &inner)], true);
        let (out, c) = read_bytes(&outer, "backup.zip", &Limits::default());
        assert_eq!(
            out.unwrap(),
            ReadOutcome::Read {
                format: "zip",
                encoding: None
            }
        );
        assert!(c.units.contains(&("a.txt".into(), "本文".into())));
        assert!(
            c.units
                .contains(&("in.zip!人事/名簿.csv".into(), "山田".into()))
        );
    }

    #[test]
    fn cp932_entry_names_decode() {
        assert_eq!(
            decode_name(&SHIFT_JIS.encode("人事/社員名簿.csv").0),
            "人事/社員名簿.csv"
        );
        assert_eq!(decode_name("名簿.csv".as_bytes()), "名簿.csv");
    }

    #[test]
    fn bombs_and_limits_are_reported() {
        let big = vec![b'a'; 8 << 20];
        let z = zip_bytes(&[(b"bomb.txt", &big), (b"ok.txt", b"hello")], true);
        let (_, c) = read_bytes(&z, "b.zip", &Limits::default());
        let bomb = c.entries.iter().find(|e| e.0 == "bomb.txt").unwrap();
        assert!(
            bomb.1.as_ref().unwrap_err().contains("compression ratio"),
            "{:?}",
            bomb.1
        );
        assert!(c.units.iter().any(|u| u.0 == "ok.txt"));

        let small = Limits {
            max_entry_bytes: 3,
            ..Limits::default()
        };
        let (_, c) = read_bytes(&z, "b.zip", &small);
        assert!(c.entries.iter().any(
            |e| e.0 == "ok.txt" && e.1.as_ref().unwrap_err().contains("larger than the limit")
        ));

        // Nesting deeper than the limit.
        let mut nested = zip_bytes(&[(b"x.txt", b"x")], true);
        for _ in 0..3 {
            nested = zip_bytes(&[(b"n.zip", &nested)], true);
        }
        let shallow = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        let (_, c) = read_bytes(&nested, "n.zip", &shallow);
        assert!(
            c.entries
                .iter()
                .any(|e| e.1.as_ref().is_err_and(|m| m.contains("nested deeper"))),
            "{:?}",
            c.entries
        );
    }

    #[test]
    fn truncated_zip_is_an_error() {
        let z = zip_bytes(&[(b"a.txt", b"hello world")], true);
        let (out, _) = read_bytes(&z[..z.len() / 2], "t.zip", &Limits::default());
        assert!(out.unwrap_err().to_string().contains("corrupt zip"));
    }

    #[test]
    fn tar_and_tar_gz() {
        let mut tar_bytes = Vec::new();
        {
            let mut b = tar::Builder::new(&mut tar_bytes);
            let data = "個人番号 123456789018\n".as_bytes();
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, "memo/a.txt", data).unwrap();
            b.finish().unwrap();
        }
        let (out, c) = read_bytes(&tar_bytes, "x.tar", &Limits::default());
        assert_eq!(
            out.unwrap(),
            ReadOutcome::Read {
                format: "tar",
                encoding: None
            }
        );
        assert_eq!(c.units[0].0, "memo/a.txt");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar_bytes).unwrap();
        let tgz = gz.finish().unwrap();
        let (out, c) = read_bytes(&tgz, "x.tar.gz", &Limits::default());
        assert_eq!(
            out.unwrap(),
            ReadOutcome::Read {
                format: "gzip",
                encoding: None
            }
        );
        assert_eq!(c.units[0].0, "memo/a.txt");
        // A plain .gz file is one entry named without .gz.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all("本文\n".as_bytes()).unwrap();
        let (_, c) = read_bytes(&gz.finish().unwrap(), "log.txt.gz", &Limits::default());
        assert_eq!(c.units[0], ("log.txt".into(), "本文".into()));
    }
}
