//! PDF text, page by page, with pdf-extract (pure Rust, builds offline).
//!
//! PDF parsers are known to panic and to loop on malformed files, so
//! extraction is isolated: with a helper command configured
//! ([`PdfIsolation::helper`], the `mamori` binary itself in the CLI), it runs
//! in a child process that is killed after [`PdfIsolation::timeout`]; without
//! one it runs on a watchdog thread under `catch_unwind`, and a timeout
//! abandons the thread. Either way one bad PDF cannot stop or crash a scan.
//!
//! Pages whose text cannot be extracted (scanned images, fonts without a
//! text mapping) are reported as such. Locations are the page and the line
//! within the page's text.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Once, mpsc};
use std::time::{Duration, Instant};

use encoding_rs::{Encoding, UTF_8};

use crate::error::{Error, ErrorKind, Result};
use crate::unit::{DocRef, TextUnit};

/// Page separator in the helper's output.
pub const PAGE_SEPARATOR: char = '\u{000C}';

/// How PDF extraction is isolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfIsolation {
    /// A command run as `HELPER pdf-text -` with the PDF on stdin, printing
    /// the pages separated by form feeds. `None`: extract in process.
    pub helper: Option<PathBuf>,
    /// Extraction of one PDF is abandoned after this long.
    pub timeout: Duration,
}

impl Default for PdfIsolation {
    fn default() -> Self {
        PdfIsolation {
            helper: None,
            timeout: Duration::from_secs(30),
        }
    }
}

fn pdf_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, msg)
}

/// Extracts the text of each page, in this process (no isolation). This is
/// what the helper runs.
pub fn extract_pages(bytes: &[u8]) -> std::result::Result<Vec<String>, String> {
    pdf_extract::extract_text_from_mem_by_pages(bytes).map_err(|e| {
        let msg = e.to_string();
        if msg.to_ascii_lowercase().contains("encrypt")
            || msg.to_ascii_lowercase().contains("password")
        {
            "encrypted (password-protected) PDF".to_string()
        } else {
            format!("cannot read as pdf: {msg}")
        }
    })
}

/// Silences the panic messages of extraction threads (a malformed PDF is
/// reported as an error, not as a crash on stderr).
fn quiet_pdf_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some("mamori-pdf") {
                previous(info);
            }
        }));
    });
}

fn in_thread(bytes: Arc<Vec<u8>>, timeout: Duration) -> Result<Vec<String>> {
    quiet_pdf_panics();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("mamori-pdf".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(|| extract_pages(&bytes));
            let _ = tx.send(r);
        })
        .map_err(|e| pdf_error(format!("cannot start PDF extraction: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(r)) => r.map_err(pdf_error),
        Ok(Err(_)) => Err(pdf_error("malformed PDF (the extractor failed)")),
        Err(_) => Err(pdf_error(format!(
            "PDF extraction timed out after {} s",
            timeout.as_secs()
        ))),
    }
}

fn in_child(helper: &PathBuf, bytes: Arc<Vec<u8>>, timeout: Duration) -> Result<Vec<String>> {
    let mut child = Command::new(helper)
        .args(["pdf-text", "-"])
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| pdf_error(format!("cannot start the PDF helper: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let feed = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let mut stdout = child.stdout.take().expect("piped stdout");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = (&mut stdout).take(1 << 30).read_to_end(&mut s);
        s
    });
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(pdf_error(format!(
                    "PDF extraction timed out after {} s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(pdf_error(format!("PDF helper: {e}"))),
        }
    };
    let _ = feed.join();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let msg = stderr.lines().next().unwrap_or("").trim();
        return Err(pdf_error(
            if msg.is_empty() || msg.starts_with("thread '") {
                "malformed PDF (the extractor failed)".to_string()
            } else {
                msg.trim_start_matches("mamori: ").to_string()
            },
        ));
    }
    Ok(String::from_utf8_lossy(&stdout)
        .split(PAGE_SEPARATOR)
        .map(str::to_string)
        .collect())
}

/// Compresses page numbers into ranges: `3, 5–7`.
fn ranges(pages: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pages.len() {
        let start = pages[i];
        while i + 1 < pages.len() && pages[i + 1] == pages[i] + 1 {
            i += 1;
        }
        out.push(if pages[i] == start {
            start.to_string()
        } else {
            format!("{start}–{}", pages[i])
        });
        i += 1;
    }
    out.join(", ")
}

/// Extracts a PDF and hands each line of each page to `each`. Returns a
/// note on pages without extractable text, if any.
pub(crate) fn read_pdf(
    bytes: Vec<u8>,
    isolation: &PdfIsolation,
    each: &mut dyn FnMut(&TextUnit, &'static Encoding),
) -> Result<Option<String>> {
    let bytes = Arc::new(bytes);
    let pages = match &isolation.helper {
        Some(helper) => in_child(helper, bytes, isolation.timeout)?,
        None => in_thread(bytes, isolation.timeout)?,
    };
    let mut empty = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let number = i as u64 + 1;
        if page.trim().is_empty() {
            empty.push(number);
            continue;
        }
        let mut preceding = String::new();
        for (n, line) in page.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let unit = TextUnit {
                text: line.to_string(),
                preceding: std::mem::take(&mut preceding),
                doc: Some(DocRef {
                    part: format!("page {number}"),
                    paragraph: n as u64 + 1,
                    slide: None,
                    page: Some(number),
                }),
                ..Default::default()
            };
            each(&unit, UTF_8);
            preceding = super::tail(line, super::PRECEDING_CHARS);
        }
    }
    Ok((!empty.is_empty()).then(|| {
        format!(
            "pdf page{} {} of {} without extractable text (scanned image, or a font without a text mapping)",
            if empty.len() == 1 { "" } else { "s" },
            ranges(&empty),
            pages.len()
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1–3, 5, 7–8");
        assert_eq!(ranges(&[4]), "4");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = read_pdf(
            b"%PDF-1.4\n garbage".to_vec(),
            &PdfIsolation::default(),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("pdf") || err.to_string().contains("PDF"),
            "{err}"
        );
    }
}
