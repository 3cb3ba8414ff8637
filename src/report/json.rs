//! JSON and JSON Lines writers.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileSummary, FolderSummary, Reported, RunSummary, SCHEMA_VERSION, ScanInfo};

/// The JSON Schema (draft 2020-12) of the `json` report.
pub const SCHEMA: &str = include_str!("report.schema.json");

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// The document's members before its files.
#[derive(Serialize)]
struct Head<'a> {
    schema_version: &'static str,
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a RunSummary>,
    scan: &'a ScanInfo,
}

/// `value` pretty-printed as a member of the document at `depth` (its
/// lines after the first indented by two spaces a level): what one
/// pretty-printed document would hold there. JSON strings hold no raw
/// newline, so every newline is the printer's.
fn pretty_at(value: &impl Serialize, depth: usize) -> io::Result<Vec<u8>> {
    let text = serde_json::to_string_pretty(value)?;
    let indent = format!("\n{}", "  ".repeat(depth));
    Ok(text.replace('\n', &indent).into_bytes())
}

/// A file's summary as an element of the document's `files`, for
/// [`write_document`] (kept in a [`Spill`] until then, so memory does not
/// grow with the number of files).
pub(super) fn file_element(file: &FileSummary) -> io::Result<Vec<u8>> {
    pretty_at(file, 2)
}

/// Findings held on disk until the report is written: each file's findings
/// as compact JSON lines in a temporary file, so memory stays bounded by
/// the number of files, not of findings. Past [`SPILL_RAW`] bytes, each
/// file's block is compressed (LZ4): findings repeat their path and keys,
/// so a dense scan's spill is several times smaller than its report, and
/// writing less keeps the report out of the page cache's write limits;
/// below it, writing costs less than compressing.
pub(super) struct Spill {
    file: std::fs::File,
    end: u64,
    /// Compress blocks once the spill holds this many bytes (all written as
    /// they are until then).
    raw_limit: u64,
    /// Set once blocks are compressed: the threads that render blocks
    /// compress them from then on ([`super::Rendered::pack`]).
    packing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Where the blocks not yet in a run are.
    index: Vec<Entry>,
    /// About the bytes `index` holds.
    index_bytes: usize,
    /// Past this many bytes, the index is sorted and written out as a run,
    /// so memory does not grow with the number of files either.
    index_limit: usize,
    /// The index's runs, each sorted.
    runs: Vec<std::fs::File>,
}

/// Where a block is: (path, offset, stored length, length, compressed).
/// Entries sort by path, then by where they were written: a file's parts
/// stay in order.
type Entry = (String, u64, u64, usize, bool);

/// Writes each element it is given into a JSON array already opened in
/// `out`, after `indent`, all but the first after a comma; `any` says
/// whether there was one.
fn element<'a>(
    out: &'a mut impl Write,
    indent: &'a [u8],
    any: &'a mut bool,
) -> impl FnMut(&[u8]) -> io::Result<()> + 'a {
    move |element| {
        if *any {
            out.write_all(b",")?;
        }
        out.write_all(indent)?;
        out.write_all(element)?;
        *any = true;
        Ok(())
    }
}

/// Blocks are written as they are until the spill holds this many bytes.
const SPILL_RAW: u64 = 128 << 20;

/// The index is written out in sorted runs past this many bytes.
const INDEX_LIMIT: usize = 16 << 20;

/// Writes a sorted run of index entries.
fn write_run(entries: &[Entry]) -> io::Result<std::fs::File> {
    use std::io::{Seek, SeekFrom};
    let mut out = io::BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
    for (path, offset, stored, len, compressed) in entries {
        out.write_all(&(path.len() as u64).to_le_bytes())?;
        out.write_all(path.as_bytes())?;
        for n in [*offset, *stored, *len as u64] {
            out.write_all(&n.to_le_bytes())?;
        }
        out.write_all(&[u8::from(*compressed)])?;
    }
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

/// The next entry of a run ([`write_run`]), `None` at its end.
fn read_entry(run: &mut impl io::Read) -> io::Result<Option<Entry>> {
    let mut n = [0u8; 8];
    match run.read_exact(&mut n) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        r => r?,
    }
    let mut path = vec![0; u64::from_le_bytes(n) as usize];
    run.read_exact(&mut path)?;
    let path =
        String::from_utf8(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let mut numbers = [0u64; 3];
    for x in &mut numbers {
        run.read_exact(&mut n)?;
        *x = u64::from_le_bytes(n);
    }
    let mut flag = [0u8; 1];
    run.read_exact(&mut flag)?;
    Ok(Some((
        path,
        numbers[0],
        numbers[1],
        numbers[2] as usize,
        flag[0] != 0,
    )))
}

impl Spill {
    pub(super) fn new() -> io::Result<Self> {
        Self::packing_with(Default::default())
    }

    /// A spill that sets `packing` when its blocks are to be compressed.
    pub(super) fn packing_with(
        packing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> io::Result<Self> {
        Ok(Spill {
            file: tempfile::tempfile()?,
            end: 0,
            raw_limit: SPILL_RAW,
            packing,
            index: Vec::new(),
            index_bytes: 0,
            index_limit: INDEX_LIMIT,
            runs: Vec::new(),
        })
    }

    /// Appends one file's findings (already in file order), one JSON line
    /// each ([`write_line`]).
    pub(super) fn add(&mut self, path: &str, block: &[u8]) -> io::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let packed = (self.end >= self.raw_limit).then(|| lz4_flex::block::compress(block));
        match &packed {
            Some(packed) => self.add_stored(path, packed, Some(block.len())),
            None => self.add_stored(path, block, None),
        }
    }

    /// Appends a block as it is stored: compressed from `unpacked` bytes
    /// (LZ4 block format), or as it is.
    pub(super) fn add_stored(
        &mut self,
        path: &str,
        stored: &[u8],
        unpacked: Option<usize>,
    ) -> io::Result<()> {
        if stored.is_empty() {
            return Ok(());
        }
        self.file.write_all(stored)?;
        self.index.push((
            path.to_string(),
            self.end,
            stored.len() as u64,
            unpacked.unwrap_or(stored.len()),
            unpacked.is_some(),
        ));
        if self.end < self.raw_limit && self.end + stored.len() as u64 >= self.raw_limit {
            self.packing
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.end += stored.len() as u64;
        self.index_bytes += path.len() + std::mem::size_of::<Entry>();
        if self.index_bytes >= self.index_limit {
            self.index.sort();
            self.runs.push(write_run(&self.index)?);
            self.index = Vec::new();
            self.index_bytes = 0;
        }
        Ok(())
    }

    /// Calls `each` with where every block is, in path order: from the
    /// index alone, or merging its runs.
    fn for_each_entry(&mut self, mut each: impl FnMut(&Entry) -> io::Result<()>) -> io::Result<()> {
        self.index.sort();
        if self.runs.is_empty() {
            return self.index.iter().try_for_each(each);
        }
        if !self.index.is_empty() {
            self.runs.push(write_run(&self.index)?);
            self.index = Vec::new();
        }
        let mut runs: Vec<_> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(|f| io::BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut heads = std::collections::BinaryHeap::new();
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(e) = read_entry(run)? {
                heads.push(std::cmp::Reverse((e, i)));
            }
        }
        while let Some(std::cmp::Reverse((e, i))) = heads.pop() {
            each(&e)?;
            if let Some(next) = read_entry(&mut runs[i])? {
                heads.push(std::cmp::Reverse((next, i)));
            }
        }
        Ok(())
    }

    /// Whether its index is all in memory (not yet written out in runs):
    /// small enough to be held as a [`Sorted`].
    pub(super) fn index_in_memory(&self) -> bool {
        self.runs.is_empty()
    }

    /// The spill's blocks in path order, to be taken from the front (see
    /// [`Sorted`]).
    pub(super) fn into_sorted(mut self) -> io::Result<Sorted> {
        let mut entries = std::collections::VecDeque::new();
        self.for_each_entry(|e| {
            entries.push_back(e.clone());
            Ok(())
        })?;
        Ok(Sorted {
            file: self.file,
            entries,
            packed: Vec::new(),
        })
    }

    /// Calls `each` with every file's block, files in path order.
    fn for_each_block(mut self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut file = self.file.try_clone()?;
        let (mut packed, mut block) = (Vec::new(), Vec::new());
        self.for_each_entry(|e| {
            read_block(&mut file, e, &mut packed, &mut block)?;
            each(&block)
        })
    }

    /// Calls `each` with every line of every file's block (without its
    /// newline), files in path order.
    fn for_each_line(self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.for_each_block(|block| {
            for line in block
                .strip_suffix(b"\n")
                .unwrap_or(block)
                .split(|&b| b == b'\n')
            {
                each(line)?;
            }
            Ok(())
        })
    }

    /// Writes every line as an element of a JSON array already opened in
    /// `out`, each after `indent` (a newline and spaces) and all but the
    /// first after a comma. False if there was none.
    pub(super) fn write_elements(self, out: &mut impl Write, indent: &[u8]) -> io::Result<bool> {
        let mut any = false;
        self.for_each_line(element(out, indent, &mut any))?;
        Ok(any)
    }

    /// Writes every block as one element of a JSON array already opened in
    /// `out`, as [`Spill::write_elements`] does lines.
    fn write_block_elements(self, out: &mut impl Write, indent: &[u8]) -> io::Result<bool> {
        let mut any = false;
        self.for_each_block(element(out, indent, &mut any))?;
        Ok(any)
    }

    /// Copies every file's block to `out`, files in path order: the
    /// streamed formats (`jsonl`, `csv`) come out the same whatever order
    /// the workers finished in.
    pub(super) fn drain(self, out: &mut impl Write) -> io::Result<()> {
        self.for_each_block(|block| out.write_all(block))
    }
}

/// A spill's blocks in path order, taken from the front: what a streaming
/// report kept on disk while the listing was still going, written out in
/// turn as the files before a path are done.
pub(super) struct Sorted {
    file: std::fs::File,
    entries: std::collections::VecDeque<Entry>,
    packed: Vec<u8>,
}

impl Sorted {
    /// The path of the next block.
    pub(super) fn next_path(&self) -> Option<&str> {
        self.entries.front().map(|e| e.0.as_str())
    }

    /// Takes the next block (unpacked) into `block`; false if none is left.
    pub(super) fn take(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        let Some(e) = self.entries.pop_front() else {
            return Ok(false);
        };
        read_block(&mut self.file, &e, &mut self.packed, block)?;
        Ok(true)
    }
}

/// Reads the block at `entry` of a spill's `file` into `block`, unpacked
/// (through `packed` if it is compressed).
fn read_block(
    file: &mut std::fs::File,
    &(_, offset, stored, len, compressed): &Entry,
    packed: &mut Vec<u8>,
    block: &mut Vec<u8>,
) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    block.resize(len, 0);
    if !compressed {
        return file.read_exact(block);
    }
    packed.resize(stored as usize, 0);
    file.read_exact(packed)?;
    let n = lz4_flex::block::decompress_into(packed, block)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    block.truncate(n);
    Ok(())
}

/// Writes the document: the head pretty-printed, with the files
/// ([`file_element`], one block each in `files`), then the findings, one
/// compact object a line, files in path order.
pub(super) fn write_document(
    out: &mut impl Write,
    info: &ScanInfo,
    run: Option<&RunSummary>,
    files: Spill,
    folders: &[FolderSummary],
    spill: Spill,
) -> io::Result<()> {
    let head = Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mamori",
            version: env!("CARGO_PKG_VERSION"),
        },
        run,
        scan: info,
    };
    let head = serde_json::to_string_pretty(&head)?;
    let head = head.strip_suffix('}').unwrap_or(&head).trim_end();
    out.write_all(head.as_bytes())?;
    out.write_all(b",\n  \"files\": [")?;
    let any = files.write_block_elements(out, b"\n    ")?;
    out.write_all(if any { b"\n  ],\n" } else { b"],\n" })?;
    out.write_all(b"  \"folders\": ")?;
    out.write_all(&pretty_at(&folders, 1)?)?;
    out.write_all(b",\n  \"findings\": [")?;
    let any = spill.write_elements(out, b"\n    ")?;
    out.write_all(if any { b"\n  ]\n}\n" } else { b"]\n}\n" })
}

/// One finding as a line of compact JSON. With `reveal`, the value is
/// unmasked and its key is `value` instead of `masked`.
///
/// Written field by field rather than through serde's flattening, and the
/// strings without escaping in one copy: a dense scan writes several times
/// its input size in findings. The bytes are what `serde_json` writes for a
/// [`Reported`] (a unit test holds them equal).
pub(super) fn write_line(out: &mut Vec<u8>, finding: &Reported, reveal: bool) -> io::Result<()> {
    let f = &finding.finding;
    out.extend_from_slice(b"{\"path\":");
    string(out, &f.path);
    out.extend_from_slice(b",\"category\":");
    string(out, f.category.id());
    out.extend_from_slice(b",\"confidence\":");
    string(out, f.confidence.id());
    out.extend_from_slice(b",\"rule\":");
    string(out, &f.rule);
    out.extend_from_slice(b",\"location\":");
    location(out, &f.location);
    out.extend_from_slice(if reveal {
        b",\"value\":"
    } else {
        b",\"masked\":"
    });
    string(out, &f.masked);
    out.extend_from_slice(b",\"fingerprint\":");
    string(out, &f.fingerprint);
    out.extend_from_slice(b",\"context\":");
    string(out, &f.context);
    if let Some(policy) = &finding.policy {
        out.extend_from_slice(b",\"policy\":");
        serde_json::to_writer(&mut *out, policy)?;
    }
    if let Some(status) = &finding.status {
        out.extend_from_slice(b",\"status\":");
        serde_json::to_writer(&mut *out, status)?;
    }
    if let Some(suppressed) = &finding.suppressed {
        out.extend_from_slice(b",\"suppressed\":");
        serde_json::to_writer(&mut *out, suppressed)?;
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// A location as serde writes it: its fields in declaration order, absent
/// ones left out.
fn location(out: &mut Vec<u8>, l: &crate::finding::Location) {
    fn key(out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    }
    fn number(out: &mut Vec<u8>, name: &str, n: Option<u64>) {
        if let Some(n) = n {
            key(out, name);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
    }
    fn text(out: &mut Vec<u8>, name: &str, s: Option<&str>) {
        if let Some(s) = s {
            key(out, name);
            string(out, s);
        }
    }
    out.push(b'{');
    if let Some(line) = l.line {
        out.extend_from_slice(b"\"line\":");
        out.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
        out.push(b',');
    }
    // `column` is always there: every later field follows a comma.
    out.extend_from_slice(b"\"column\":");
    out.extend_from_slice(itoa::Buffer::new().format(l.column).as_bytes());
    number(out, "byte_offset", l.byte_offset);
    text(out, "sheet", l.sheet.as_deref());
    text(out, "part", l.part.as_deref());
    number(out, "paragraph", l.paragraph);
    number(out, "slide", l.slide);
    number(out, "page", l.page);
    if l.sheet_hidden {
        out.extend_from_slice(b",\"sheet_hidden\":true");
    }
    text(out, "cell", l.cell.as_deref());
    number(out, "row", l.row);
    text(out, "column_header", l.column_header.as_deref());
    out.push(b'}');
}

/// `s` as a JSON string: copied whole when nothing in it needs escaping
/// (checked without branches, so on SIMD lanes), else escaped by serde_json.
fn string(out: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Confidence, Finding, Location};
    use crate::policy::{Verdict, VerdictKind};
    use crate::report::reported::{Status, Suppression};

    /// What serde_json writes for a finding, `masked` renamed with reveal.
    fn by_serde(r: &Reported, reveal: bool) -> String {
        let line = serde_json::to_string(r).unwrap();
        let line = if reveal {
            line.replacen("\"masked\":", "\"value\":", 1)
        } else {
            line
        };
        line + "\n"
    }

    #[test]
    fn a_spill_gives_back_its_blocks_in_path_order_compressed_or_not() {
        let mut spill = Spill::new().unwrap();
        // The first block is written as it is, the others compressed.
        spill.raw_limit = 10;
        let blocks: [(&str, String); 3] = [
            ("共有/b.txt", "{\"b\":1}\n{\"b\":2}\n".into()),
            ("共有/a.txt", "{\"a\":1}\n".repeat(500)),
            ("共有/c.txt", "{\"c\":\"値\"}\n".into()),
        ];
        for (path, block) in &blocks {
            spill.add(path, block.as_bytes()).unwrap();
        }
        spill.add("共有/empty.txt", b"").unwrap();
        assert_eq!(
            spill.index.iter().map(|e| e.4).collect::<Vec<_>>(),
            [false, true, true]
        );
        let expected = [&blocks[1].1, &blocks[0].1, &blocks[2].1]
            .map(String::as_str)
            .concat();
        let mut drained = Vec::new();
        spill.drain(&mut drained).unwrap();
        assert_eq!(String::from_utf8(drained).unwrap(), expected);
    }

    #[test]
    fn a_spill_whose_index_is_written_out_in_runs_gives_back_the_same_order() {
        // Files in parts (several blocks under one path) among others, in
        // the order workers might finish them.
        let mut blocks = Vec::new();
        for i in 0..300u32 {
            let path = format!("共有/{:03}.txt", (i * 37) % 101);
            blocks.push((path, format!("{{\"n\":{i}}}\n")));
        }
        let drained = |index_limit: usize| {
            let mut spill = Spill::new().unwrap();
            spill.raw_limit = 200;
            spill.index_limit = index_limit;
            for (path, block) in &blocks {
                spill.add(path, block.as_bytes()).unwrap();
            }
            let runs = spill.runs.len();
            let mut out = Vec::new();
            spill.drain(&mut out).unwrap();
            (String::from_utf8(out).unwrap(), runs)
        };
        let (whole, none) = drained(usize::MAX);
        assert_eq!(none, 0);
        let (merged, runs) = drained(1000);
        assert!(runs > 10, "{runs} runs");
        assert_eq!(merged, whole);
        // Path order, and a path's blocks in the order they came.
        let mut expected = blocks.clone();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let expected: String = expected.into_iter().map(|(_, b)| b).collect();
        assert_eq!(whole, expected);
    }

    #[test]
    fn lines_are_what_serde_writes() {
        let finding = |path: &str, context: &str| Finding {
            path: path.into(),
            category: Category::PersonName,
            confidence: Confidence::High,
            rule: "person_name.token".into(),
            location: Location {
                line: Some(3),
                column: 7,
                sheet: Some("名簿\t\"2026\"".into()),
                sheet_hidden: true,
                column_header: Some("氏名".into()),
                ..Default::default()
            },
            masked: "架＊＊".into(),
            fingerprint: "0123456789abcdef0123456789abcdef".into(),
            context: context.into(),
        };
        let plain = Reported::from(finding("共有/名簿.csv", "担当 架＊＊ 様"));
        let mut marked = Reported::from(finding(
            "a\\b\"c\u{1}.txt",
            "改行\n\u{7f}タブ\t\u{10FF82}「引用\"」",
        ));
        marked.policy = Some(Verdict {
            verdict: VerdictKind::Violation,
            purpose: None,
            owner: Some("総務部".into()),
            reason: "no purpose".into(),
        });
        marked.status = Some(Status::New);
        marked.suppressed = Some(Suppression {
            reason: "承認済み".into(),
            expires: Some("2027-03-31".into()),
        });
        let mut everywhere = Reported::from(finding("資料.pptx", "架＊＊"));
        everywhere.finding.location = Location {
            line: None,
            column: 12,
            byte_offset: Some(4096),
            sheet: None,
            part: Some("ppt/slides/slide3.xml".into()),
            paragraph: Some(2),
            slide: Some(3),
            page: Some(u64::MAX),
            sheet_hidden: false,
            cell: Some("AB12".into()),
            row: Some(0),
            column_header: Some("備考\u{0}".into()),
        };
        for r in [&plain, &marked, &everywhere] {
            for reveal in [false, true] {
                let mut out = Vec::new();
                write_line(&mut out, r, reveal).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), by_serde(r, reveal));
            }
        }
    }
}
