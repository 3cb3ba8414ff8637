//! PDF text, page by page.
//!
//! Japanese PDFs are written with predefined CJK CMaps (90ms-RKSJ-H, EUC-H,
//! UniJIS-UTF16-H), CID fonts without a ToUnicode map (pLaTeX/dvipdfmx's
//! Identity-H, read through the Adobe-Japan1 collection), vertical text and
//! damaged cross-reference tables. Measured on Japanese PDFs from pdf.js's
//! and pdfminer's test suites and generated ones (one per CMap kind), only
//! poppler's `pdftotext` reads them all (9/9 real, 9/9 generated; pdf-extract
//! 3/9 and 1/9, and it panics on predefined CMaps), so mamori runs
//! `pdftotext` (Debian's `poppler-utils` with `poppler-data`) when it is on
//! the `PATH` ([`PdfIsolation::pdftotext`]) and falls back to pdf-extract
//! (pure Rust) otherwise.
//!
//! PDF parsers are known to panic and to loop on malformed files, so
//! extraction is isolated: `pdftotext` is a child process, and pdf-extract
//! runs in one too with a helper command configured ([`PdfIsolation::helper`],
//! the `mamori` binary itself in the CLI); either child is killed after
//! [`PdfIsolation::timeout`]. Without a helper, pdf-extract runs on a
//! watchdog thread under `catch_unwind`, and a timeout abandons the thread.
//! Either way one bad PDF cannot stop or crash a scan.
//!
//! Fonts often map glyphs to Kangxi radicals (⼀), CJK compatibility
//! ideographs (理) and vertical presentation forms (︵): they are folded to
//! the characters they stand for, one for one.
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
    /// poppler's `pdftotext`, run as `pdftotext -enc UTF-8 -eol unix - -`;
    /// `None`: pdf-extract. The default finds it on the `PATH`.
    pub pdftotext: Option<PathBuf>,
    /// Extraction of one PDF is abandoned after this long.
    pub timeout: Duration,
}

impl Default for PdfIsolation {
    fn default() -> Self {
        PdfIsolation {
            helper: None,
            pdftotext: find_pdftotext(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// `pdftotext` on the `PATH`, if any.
pub fn find_pdftotext() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("pdftotext"))
        .find(|p| p.is_file())
}

/// Folds what PDF fonts put in place of ordinary characters: Kangxi and
/// supplementary radicals, CJK compatibility ideographs and vertical
/// presentation forms, each to the one character it stands for (NFKC).
fn fold_glyph_forms(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.chars()
        .map(|c| {
            let special = matches!(c as u32,
                0x2E80..=0x2FDF | 0xF900..=0xFAFF | 0xFE10..=0xFE1F | 0xFE30..=0xFE4F | 0x2F800..=0x2FA1F);
            if !special {
                return c;
            }
            let mut folded = std::iter::once(c).nfkc();
            match (folded.next(), folded.next()) {
                (Some(f), None) => f,
                _ => c,
            }
        })
        .collect()
}

fn pdf_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, msg)
}

/// Extracts the text of each page, in this process (no isolation). This is
/// what the helper runs. A page that cannot be read gives no text (the
/// other pages are still read).
pub fn extract_pages(bytes: &[u8]) -> std::result::Result<Vec<String>, String> {
    use pdf_extract::Document;
    let kind = |e: pdf_extract::Error| {
        let msg = e.to_string().to_ascii_lowercase();
        if msg.contains("encrypt") || msg.contains("password") {
            "encrypted (password-protected) PDF".to_string()
        } else {
            // The extractor's message may quote the file's content: only
            // its kind is reported.
            "malformed PDF (cannot read its structure)".to_string()
        }
    };
    let mut doc = Document::load_mem(bytes).map_err(kind)?;
    if doc.is_encrypted() {
        doc.decrypt("").map_err(kind)?;
    }
    let pages = doc.get_pages();
    // pdf-extract looks up what a page inherits by recursing up its /Parent
    // chain: a chain that loops overflows the stack.
    if pages.values().any(|&page| parent_chain_loops(&doc, page)) {
        return Err("malformed PDF (its page tree loops)".to_string());
    }
    decode_streams(&mut doc);
    Ok(pages
        .keys()
        .map(|&n| {
            let mut text = String::new();
            let read = {
                let mut output = pdf_extract::PlainTextOutput::new(&mut text);
                pdf_extract::output_doc_page(&doc, &mut output, n)
            };
            if read.is_err() {
                text.clear();
            }
            text
        })
        .collect())
}

/// How many decoded bytes the own extractor accepts from one stream, and
/// from all the streams of one PDF. Content streams are text operators:
/// 64 MiB is far above any real page.
const STREAM_BUDGET: usize = 64 << 20;
const DOCUMENT_BUDGET: usize = 256 << 20;

/// Decodes, ahead of extraction and within the budgets, every compressed stream
/// the extractor may read (page contents, forms, fonts and their maps), and
/// stores it decoded. pdf-extract would inflate each one whole, as often as
/// it is referenced, whatever it inflates to; a stream over the budget is
/// emptied instead, so only its own text is lost. Images are left alone
/// (never read for text).
fn decode_streams(doc: &mut pdf_extract::Document) {
    use pdf_extract::Object;
    let mut left = DOCUMENT_BUDGET;
    for object in doc.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let is = |key: &[u8], value: &[u8]| {
            stream
                .dict
                .get(key)
                .and_then(|v| v.as_name())
                .is_ok_and(|n| n == value)
        };
        if !stream.is_compressed() || is(b"Subtype", b"Image") || is(b"Type", b"XRef") {
            continue;
        }
        let Ok(filters) = stream.filters() else {
            continue;
        };
        let filters: Vec<Vec<u8>> = filters.into_iter().map(<[u8]>::to_vec).collect();
        let cap = STREAM_BUDGET.min(left);
        match decode_bounded(&stream.content, &filters, cap) {
            Decoded::Within(plain) => {
                left -= plain.len();
                // Predictors (rare outside images) are applied by lopdf on
                // what is now known to decode within the budget.
                let plain = if stream.dict.has(b"DecodeParms") {
                    stream.decompressed_content().unwrap_or(plain)
                } else {
                    plain
                };
                stream.set_plain_content(plain);
            }
            Decoded::Over => stream.set_plain_content(Vec::new()),
            // A filter pdf-extract cannot decode either: left as it is.
            Decoded::Unknown => {}
        }
    }
}

enum Decoded {
    Within(Vec<u8>),
    Over,
    Unknown,
}

/// Runs a stream's filter chain, stopping as soon as any stage's output
/// passes `cap` bytes.
fn decode_bounded(content: &[u8], filters: &[Vec<u8>], cap: usize) -> Decoded {
    let mut data = content.to_vec();
    for filter in filters {
        let mut out = Vec::new();
        let read = match filter.as_slice() {
            b"FlateDecode" | b"Fl" => {
                let zlib = flate2::read::ZlibDecoder::new(data.as_slice())
                    .take(cap as u64 + 1)
                    .read_to_end(&mut out);
                // Like lopdf: a damaged zlib header or checksum is retried
                // as raw deflate.
                if zlib.is_err() && out.is_empty() && data.len() > 2 {
                    let _ = flate2::read::DeflateDecoder::new(&data[2..])
                        .take(cap as u64 + 1)
                        .read_to_end(&mut out);
                }
                Ok(())
            }
            b"LZWDecode" | b"LZW" => {
                let mut decoder =
                    weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
                let mut sink = Capped {
                    out: &mut out,
                    cap: cap + 1,
                };
                let _ = decoder.into_stream(&mut sink).decode_all(data.as_slice());
                Ok(())
            }
            // These only shrink their input.
            b"ASCII85Decode" | b"A85" | b"ASCIIHexDecode" | b"AHx" => {
                let mut s = pdf_extract::Stream::new(pdf_extract::Dictionary::new(), data.clone());
                s.dict
                    .set("Filter", pdf_extract::Object::Name(filter.clone()));
                s.decompressed_content().map(|d| out = d)
            }
            _ => return Decoded::Unknown,
        };
        if read.is_err() {
            return Decoded::Unknown;
        }
        if out.len() > cap {
            return Decoded::Over;
        }
        data = out;
    }
    Decoded::Within(data)
}

/// A writer that takes at most `cap` bytes, then refuses.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.cap - self.out.len();
        if room == 0 {
            return Err(std::io::Error::other("over the stream budget"));
        }
        let n = buf.len().min(room);
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The /Parent chain from `page` comes back on itself (or is absurdly
/// deep).
fn parent_chain_loops(doc: &pdf_extract::Document, page: pdf_extract::ObjectId) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut id = page;
    loop {
        if !seen.insert(id) || seen.len() > 1024 {
            return true;
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            return false;
        };
        match dict.get(b"Parent").and_then(|p| p.as_reference()) {
            Ok(parent) => id = parent,
            Err(_) => return false,
        }
    }
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

/// Address space a PDF extraction child may use: a PDF whose streams
/// inflate a thousandfold fails in the child, not in the scan.
pub const CHILD_MEMORY: u64 = 768 << 20;

/// Limits a child before it runs: its memory ([`CHILD_MEMORY`]), and on
/// Linux it is killed when the scan dies (no orphan left at 100 % CPU).
fn confine(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls (setrlimit, prctl) between
        // fork and exec.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: CHILD_MEMORY as libc::rlim_t,
                    rlim_max: CHILD_MEMORY as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// What a child process left: its exit status, output and error text.
struct ChildOutput {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

fn run_child(
    program: &PathBuf,
    args: &[&str],
    bytes: Arc<Vec<u8>>,
    timeout: Duration,
) -> Result<ChildOutput> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    confine(&mut command);
    let mut child = command
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
    Ok(ChildOutput {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

fn in_child(helper: &PathBuf, bytes: Arc<Vec<u8>>, timeout: Duration) -> Result<Vec<String>> {
    let ChildOutput {
        status,
        stdout,
        stderr,
    } = run_child(helper, &["pdf-text", "-"], bytes, timeout)?;
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

/// Extracts with poppler's `pdftotext`: pages end with a form feed.
fn with_pdftotext(
    program: &PathBuf,
    bytes: Arc<Vec<u8>>,
    timeout: Duration,
) -> Result<Vec<String>> {
    let out = run_child(
        program,
        &["-enc", "UTF-8", "-eol", "unix", "-", "-"],
        bytes,
        timeout,
    )?;
    if !out.status.success() {
        // Messages name no values: poppler reports structure, not content.
        return Err(pdf_error(if out.stderr.contains("Incorrect password") {
            "encrypted (password-protected) PDF".to_string()
        } else {
            "malformed PDF (pdftotext could not open it)".to_string()
        }));
    }
    if out.stderr.contains("Missing language pack") {
        return Err(pdf_error(
            "PDF with CJK fonts, but poppler-data is missing (install it: sudo apt-get install poppler-data)",
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut pages: Vec<String> = text.split(PAGE_SEPARATOR).map(str::to_string).collect();
    if pages.len() > 1 && pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    Ok(pages)
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
    let pages = match (&isolation.pdftotext, &isolation.helper) {
        (Some(program), _) => with_pdftotext(program, bytes, isolation.timeout)?,
        (None, Some(helper)) => in_child(helper, bytes, isolation.timeout)?,
        (None, None) => in_thread(bytes, isolation.timeout)?,
    };
    if pages.is_empty() {
        return Err(pdf_error("malformed PDF (no pages could be read)"));
    }
    let mut empty = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let number = i as u64 + 1;
        if page.trim().is_empty() {
            empty.push(number);
            continue;
        }
        let mut preceding = String::new();
        let page = fold_glyph_forms(page);
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

    fn flate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    fn names(filters: &[&str]) -> Vec<Vec<u8>> {
        filters.iter().map(|f| f.as_bytes().to_vec()).collect()
    }

    #[test]
    fn streams_are_decoded_within_their_budget_and_refused_past_it() {
        let text = b"BT (TEL 090-2468-1357) Tj ET ".repeat(1000);
        let once = flate(&text);
        let Decoded::Within(plain) = decode_bounded(&once, &names(&["FlateDecode"]), 1 << 20)
        else {
            panic!("a 29 KB stream within a 1 MiB budget")
        };
        assert_eq!(plain, text);
        // The same through two layers, and past a budget smaller than it.
        let twice = flate(&once);
        let chain = names(&["FlateDecode", "FlateDecode"]);
        assert!(matches!(decode_bounded(&twice, &chain, 1 << 20), Decoded::Within(p) if p == text));
        assert!(matches!(
            decode_bounded(&twice, &chain, 10_000),
            Decoded::Over
        ));
        // LZW, as PDF writes it.
        let mut lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
        let coded = lzw.encode(&text).unwrap();
        let lzw = names(&["LZWDecode"]);
        assert!(matches!(decode_bounded(&coded, &lzw, 1 << 20), Decoded::Within(p) if p == text));
        assert!(matches!(
            decode_bounded(&coded, &lzw, 10_000),
            Decoded::Over
        ));
        // A filter neither mamori nor pdf-extract decodes is left alone.
        assert!(matches!(
            decode_bounded(&once, &names(&["JBIG2Decode"]), 1 << 20),
            Decoded::Unknown
        ));
    }

    /// A one-page PDF whose page's /Parent is `parent` (`2 0 R`: its Pages
    /// node; `3 0 R`: the page itself).
    fn one_page(parent: &str) -> Vec<u8> {
        let text = "BT /F1 12 Tf 50 800 Td (TEL 090-2468-1357) Tj ET";
        let objs = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            format!(
                "<< /Type /Page /Parent {parent} /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            ),
            format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        ];
        let mut out = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            offsets.push(out.len());
            out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
        }
        let xref = out.len();
        out.push_str(&format!(
            "xref\n0 {}\n0000000000 65535 f \n",
            objs.len() + 1
        ));
        for off in offsets {
            out.push_str(&format!("{off:010} 00000 n \n"));
        }
        out.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        ));
        out.into_bytes()
    }

    #[test]
    fn a_page_that_is_its_own_parent_is_refused_not_recursed_into() {
        // Found by the pdf fuzz target: the extractor recursed up the loop
        // until the stack overflowed, aborting the process.
        assert_eq!(
            extract_pages(&one_page("3 0 R")),
            Err("malformed PDF (its page tree loops)".to_string())
        );
        let pages = extract_pages(&one_page("2 0 R")).unwrap();
        assert_eq!(pages.len(), 1);
        assert!(pages[0].contains("090-2468-1357"), "{pages:?}");
    }

    #[test]
    fn glyph_forms_fold_to_what_they_show() {
        // Kangxi radical one, compatibility 理, vertical brackets and comma.
        assert_eq!(
            fold_glyph_forms("\u{2F00}般の処\u{F9E4}\u{FE35}注\u{FE36}\u{FE11}"),
            "一般の処理(注)、"
        );
        assert_eq!(fold_glyph_forms("山田　太郎"), "山田　太郎");
    }

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
