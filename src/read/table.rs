//! Tables as people lay them out, for every reader of tabular data (CSV and
//! TSV, sheets, Word tables, HTML tables).
//!
//! * The header row is found, not assumed: it may follow a title row (`社員名簿`
//!   above `No. | 氏名 | 電話番号`), and a file may have none (a generator's
//!   headerless CSV). A header row holds only labels (no long digit runs, no
//!   `@`) and either a word tables use as a header (氏名, 姓, tel, zip…) or
//!   data rows below it that do not look like labels.
//! * A sheet may hold several tables, each under its own header; a new header
//!   row starts a new table ([`HeaderSearch::Anywhere`]).
//! * Labels may sit in the first column (`氏名 | 山田 | 鈴木`, a form's
//!   `作業者 | 山田 太郎`): the row's label is kept as its row header.
//! * Each table's first records ([`TableSample::ROWS`]) are buffered and
//!   shared with its units as a [`TableSample`], so the detection stage can
//!   tell from the values what a column holds when the header does not say.
//!
//! Memory is bounded: at most [`TableSample::ROWS`] + [`TITLE_ROWS`] rows and
//! [`PENDING_BYTES`] of text wait for the sample to fill.

use std::sync::Arc;

use encoding_rs::Encoding;

use crate::detect::columns::is_header_word;
use crate::unit::{Field, Piece, Record, TablePos, TableSample, TextUnit};

/// How many rows at the start of a table may come before its header (titles,
/// dates, blank-looking rows).
pub const TITLE_ROWS: usize = 8;
/// Rows wait for the sample to fill up to this much text.
pub const PENDING_BYTES: usize = 4 << 20;
/// Longest text a label cell can have.
const LABEL_CHARS: usize = 32;

/// Where header rows may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSearch {
    /// Only among the first rows (CSV, Word tables): one table per source.
    Start,
    /// Anywhere (sheets): each header row starts a new table.
    Anywhere,
}

/// One row handed to a [`TableBuilder`]: its non-empty cells by 0-based
/// column, each with what the reader needs to make its unit (`T`).
#[derive(Debug, Clone)]
pub struct Row<T> {
    /// The cells, in column order.
    pub cells: Vec<Cell<T>>,
}

/// One cell of a [`Row`].
#[derive(Debug, Clone)]
pub struct Cell<T> {
    /// 0-based column.
    pub column: u32,
    /// The value.
    pub text: String,
    /// The reader's own data (positions, sheet cell).
    pub payload: T,
}

/// The context of one cell, for its unit.
#[derive(Debug, Clone, Default)]
pub struct CellContext {
    /// The header of the cell's column, or the label right above it.
    pub column_header: Option<String>,
    /// The label in the row's first cell.
    pub row_header: Option<String>,
    /// The end of the previous cell of the row.
    pub preceding: String,
    /// The whole row.
    pub record: Option<Record>,
    /// The table and column (data rows only, not header and title rows).
    pub table: Option<TablePos>,
}

impl CellContext {
    /// The unit of a cell's `text` with this context; the reader adds where
    /// the text comes from (pieces, sheet cell, document part).
    pub fn unit(self, text: String) -> TextUnit {
        TextUnit {
            text,
            column_header: self.column_header,
            row_header: self.row_header,
            preceding: self.preceding,
            record: self.record,
            table: self.table,
            ..Default::default()
        }
    }
}

/// What text readers (CSV, HTML) keep for a cell: its 1-based record number
/// and where its characters are in the file.
pub type Positioned = (u64, Vec<Piece>);

/// Hands the cells of a text table to `each` as units located in the file.
pub fn emit_positioned<'e>(
    encoding: &'static Encoding,
    each: &'e mut impl FnMut(&TextUnit, &'static Encoding),
) -> impl FnMut(&Cell<Positioned>, CellContext) + 'e {
    move |cell, ctx| {
        let mut unit = ctx.unit(cell.text.clone());
        unit.pieces = cell.payload.1.clone();
        unit.row = Some(cell.payload.0);
        each(&unit, encoding);
    }
}

/// A label: short, without long digit runs or an `@`.
pub fn label_like(text: &str) -> bool {
    let t = text.trim();
    let digits = t
        .chars()
        .filter(|ch| ch.is_ascii_digit() || ('０'..='９').contains(ch))
        .count();
    !t.is_empty() && t.chars().count() <= LABEL_CHARS && digits < 4 && !t.contains(['@', '＠'])
}

fn header_like<T>(row: &Row<T>) -> bool {
    row.cells.len() >= 2 && row.cells.iter().all(|c| label_like(&c.text))
}

/// A header row names its columns: two header words, or one that is not in
/// its first cell. One word in the first cell labels the row instead
/// (`氏名 | 山田 | 鈴木`).
fn has_header_word<T>(row: &Row<T>) -> bool {
    let words: Vec<usize> = row
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| is_header_word(&c.text))
        .map(|(i, _)| i)
        .collect();
    words.len() >= 2 || words.first().is_some_and(|&i| i > 0)
}

/// Groups rows into tables and hands each cell to the reader with its
/// context.
pub struct TableBuilder<T> {
    search: HeaderSearch,
    /// The current table's header, by column.
    header: Option<Vec<(u32, String)>>,
    /// The current table's sample, once its first rows have been seen.
    sample: Option<Arc<TableSample>>,
    pending: Vec<Row<T>>,
    pending_bytes: usize,
    /// A header may still be chosen among the pending rows.
    open: bool,
    /// Label cells of the previous row, for values laid out under them.
    above: Vec<(u32, String)>,
}

impl<T> TableBuilder<T> {
    /// A builder looking for headers as `search` says.
    pub fn new(search: HeaderSearch) -> Self {
        TableBuilder {
            search,
            header: None,
            sample: None,
            pending: Vec::new(),
            pending_bytes: 0,
            open: true,
            above: Vec::new(),
        }
    }

    /// Adds a row; cells whose context is known are handed to `emit`.
    pub fn push(&mut self, mut row: Row<T>, emit: &mut impl FnMut(&Cell<T>, CellContext)) {
        if row.cells.is_empty() {
            return;
        }
        // Lookups by column are binary searches: cells in column order, one
        // per column (a damaged workbook may repeat or reorder them).
        if !row.cells.windows(2).all(|w| w[0].column < w[1].column) {
            row.cells.sort_by_key(|c| c.column);
            row.cells.dedup_by_key(|c| c.column);
        }
        if self.search == HeaderSearch::Anywhere && header_like(&row) && has_header_word(&row) {
            self.finish(emit);
            self.emit_row(&row, RowKind::Header, emit);
            self.header = Some(Self::header_of(&row));
            self.sample = None;
            self.open = false;
            return;
        }
        if self.sample.is_some() {
            self.emit_row(&row, RowKind::Data, emit);
            return;
        }
        self.pending_bytes += row.cells.iter().map(|c| c.text.len()).sum::<usize>();
        self.pending.push(row);
        let limit = TableSample::ROWS + if self.open { TITLE_ROWS } else { 0 };
        if self.pending.len() >= limit || self.pending_bytes >= PENDING_BYTES {
            self.settle(emit);
        }
    }

    /// Hands over every row still waiting (call at the end of the table).
    pub fn finish(&mut self, emit: &mut impl FnMut(&Cell<T>, CellContext)) {
        if !self.pending.is_empty() {
            self.settle(emit);
        }
    }

    fn header_of(row: &Row<T>) -> Vec<(u32, String)> {
        row.cells
            .iter()
            .map(|c| (c.column, c.text.trim().to_string()))
            .collect()
    }

    /// The header among the pending rows: the first label row holding a
    /// header word within the first rows, else a first label row above rows
    /// that are not labels.
    fn choose_header(pending: &[Row<T>]) -> Option<usize> {
        // A one-column table (a list under 氏名) has a one-cell header.
        let one_column = pending.len() >= 2 && pending.iter().all(|r| r.cells.len() == 1);
        if one_column
            && is_header_word(&pending[0].cells[0].text)
            && label_like(&pending[0].cells[0].text)
        {
            return Some(0);
        }
        let first = pending.iter().take(TITLE_ROWS);
        if let Some(i) = first
            .clone()
            .position(|r| header_like(r) && has_header_word(r))
        {
            return Some(i);
        }
        let top = pending.first()?;
        let labels_itself = top.cells.first().is_some_and(|c| is_header_word(&c.text));
        (header_like(top) && !labels_itself && pending[1..].iter().any(|r| !header_like(r)))
            .then_some(0)
    }

    /// Decides the header (if still open) and the sample, and hands over
    /// the pending rows.
    fn settle(&mut self, emit: &mut impl FnMut(&Cell<T>, CellContext)) {
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let header_at = if self.open {
            Self::choose_header(&pending)
        } else {
            None
        };
        let data_from = header_at.map_or(0, |i| i + 1);
        if let Some(i) = header_at {
            self.header = Some(Self::header_of(&pending[i]));
        }
        let sample = TableSample {
            headers: self.header.clone().unwrap_or_default(),
            rows: pending[data_from..]
                .iter()
                .take(TableSample::ROWS)
                .map(|r| r.cells.iter().map(|c| (c.column, c.text.clone())).collect())
                .collect(),
        };
        self.sample = Some(Arc::new(sample));
        self.open = false;
        for (i, row) in pending.iter().enumerate() {
            match header_at {
                Some(h) if i < h => self.emit_row(row, RowKind::Title, emit),
                Some(h) if i == h => self.emit_row(row, RowKind::Header, emit),
                _ => self.emit_row(row, RowKind::Data, emit),
            }
        }
    }

    /// The row's label: its first cell, if it is a label with a header word
    /// and more cells follow.
    fn row_label(row: &Row<T>) -> Option<String> {
        let first = row.cells.first()?;
        (row.cells.len() >= 2 && label_like(&first.text) && is_header_word(&first.text))
            .then(|| first.text.trim().to_string())
    }

    fn record(&self, row: &Row<T>) -> Record {
        Arc::new(
            row.cells
                .iter()
                .map(|c| Field {
                    column: c.column,
                    header: self.column_header(c.column),
                    text: c.text.clone(),
                })
                .collect(),
        )
    }

    fn column_header(&self, column: u32) -> Option<String> {
        let find = |cells: &[(u32, String)]| {
            cells
                .binary_search_by_key(&column, |(c, _)| *c)
                .ok()
                .map(|i| cells[i].1.clone())
                .filter(|t| !t.is_empty())
        };
        self.header
            .as_deref()
            .and_then(find)
            .or_else(|| find(&self.above))
    }

    /// A row of labels only (a form's `氏名` above its value) labels the
    /// cells below it.
    fn remember_labels(&mut self, row: &Row<T>) {
        let labels = row
            .cells
            .iter()
            .all(|c| label_like(&c.text) && is_header_word(&c.text));
        self.above = if labels {
            row.cells
                .iter()
                .map(|c| (c.column, c.text.trim().to_string()))
                .collect()
        } else {
            Vec::new()
        };
    }

    /// Hands a row's cells over. Title rows have no column header and no
    /// table; the header row's cells label columns, not one another; data
    /// rows have it all.
    fn emit_row(
        &mut self,
        row: &Row<T>,
        kind: RowKind,
        emit: &mut impl FnMut(&Cell<T>, CellContext),
    ) {
        let data = kind == RowKind::Data;
        let record = data.then(|| self.record(row));
        let row_header = (kind != RowKind::Header)
            .then(|| Self::row_label(row))
            .flatten();
        let mut preceding = String::new();
        for (i, cell) in row.cells.iter().enumerate() {
            let ctx = CellContext {
                column_header: data.then(|| self.column_header(cell.column)).flatten(),
                row_header: row_header.clone().filter(|_| i > 0),
                preceding: std::mem::take(&mut preceding),
                record: record.clone(),
                table: self.sample.as_ref().filter(|_| data).map(|s| TablePos {
                    sample: s.clone(),
                    column: cell.column,
                }),
            };
            emit(cell, ctx);
            preceding = super::tail(&cell.text, super::PRECEDING_CHARS);
        }
        self.remember_labels(row);
    }
}

/// What a row is to its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    /// Above the header (a title, a date).
    Title,
    /// The header.
    Header,
    /// A record.
    Data,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Row<()> {
        Row {
            cells: cells
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.is_empty())
                .map(|(i, t)| Cell {
                    column: i as u32,
                    text: t.to_string(),
                    payload: (),
                })
                .collect(),
        }
    }

    /// (text, column header, row header, has table) of every cell.
    fn run(
        search: HeaderSearch,
        rows: &[&[&str]],
    ) -> Vec<(String, Option<String>, Option<String>, bool)> {
        let mut b = TableBuilder::new(search);
        let mut out = Vec::new();
        let mut emit = |c: &Cell<()>, ctx: CellContext| {
            out.push((
                c.text.clone(),
                ctx.column_header,
                ctx.row_header,
                ctx.table.is_some(),
            ))
        };
        for r in rows {
            b.push(row(r), &mut emit);
        }
        b.finish(&mut emit);
        out
    }

    fn header_of<'a>(
        cells: &'a [(String, Option<String>, Option<String>, bool)],
        text: &str,
    ) -> Option<&'a str> {
        cells
            .iter()
            .find(|c| c.0 == text)
            .and_then(|c| c.1.as_deref())
    }

    #[test]
    fn header_after_a_title_row() {
        let cells = run(
            HeaderSearch::Start,
            &[
                &["会員一覧"],
                &["No.", "氏名", "電話"],
                &["1", "架空一郎", "090-0000-1111"],
            ],
        );
        assert_eq!(header_of(&cells, "架空一郎"), Some("氏名"));
        assert_eq!(header_of(&cells, "090-0000-1111"), Some("電話"));
        // Title and header cells are not table values.
        assert!(!cells.iter().find(|c| c.0 == "会員一覧").unwrap().3);
        assert!(!cells.iter().find(|c| c.0 == "氏名").unwrap().3);
    }

    #[test]
    fn headerless_tables_have_no_header_but_a_sample() {
        let cells = run(
            HeaderSearch::Start,
            &[
                &["仮山", "一郎", "0312345678"],
                &["試野", "花子", "0612345678"],
            ],
        );
        assert!(cells.iter().all(|c| c.1.is_none() && c.3));
        // A first row of labels above labels is data, not a header…
        let cells = run(HeaderSearch::Start, &[&["仮山", "一郎"], &["試野", "花子"]]);
        assert!(cells.iter().all(|c| c.1.is_none()));
        // …unless it holds a header word.
        let cells = run(
            HeaderSearch::Start,
            &[&["氏名", "会社名"], &["仮山一郎", "架空商事"]],
        );
        assert_eq!(header_of(&cells, "仮山一郎"), Some("氏名"));
    }

    #[test]
    fn each_table_of_a_sheet_has_its_header() {
        let cells = run(
            HeaderSearch::Anywhere,
            &[
                &["No.", "名称", "値"],
                &["1", "部品A", "12"],
                &[],
                &["一覧"],
                &["No.", "氏名", "電話番号"],
                &["1", "架空一郎", "090-0000-1111"],
            ],
        );
        assert_eq!(header_of(&cells, "部品A"), Some("名称"));
        assert_eq!(header_of(&cells, "架空一郎"), Some("氏名"));
    }

    #[test]
    fn labels_in_the_first_column_and_above() {
        let cells = run(
            HeaderSearch::Anywhere,
            &[
                &["氏名", "架空一郎", "試野花子"],
                &["電話番号", "0312345678"],
            ],
        );
        let row_header = |t: &str| cells.iter().find(|c| c.0 == t).unwrap().2.clone();
        assert_eq!(row_header("試野花子").as_deref(), Some("氏名"));
        assert_eq!(row_header("0312345678").as_deref(), Some("電話番号"));
        let cells = run(HeaderSearch::Anywhere, &[&["氏名"], &["架空一郎"]]);
        assert_eq!(header_of(&cells, "架空一郎"), Some("氏名"));
    }

    #[test]
    fn memory_is_bounded_by_the_sample() {
        let mut b = TableBuilder::new(HeaderSearch::Start);
        let mut seen = 0;
        let mut emit = |_: &Cell<()>, _: CellContext| seen += 1;
        for i in 0..1000 {
            b.push(row(&[&format!("{i}"), "x"]), &mut emit);
            assert!(b.pending.len() <= TableSample::ROWS + TITLE_ROWS);
        }
        b.finish(&mut emit);
        assert_eq!(seen, 2000);
    }
}
