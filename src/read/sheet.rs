//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) via calamine: every sheet, every
//! cell with a value, each knowing its sheet, cell and column header.
//!
//! xlsx, xlsm and xlsb are read with calamine's streaming cell readers, so
//! memory stays bounded by one row (and the shared strings); xls and ods
//! load a sheet at a time.

use super::archive::Limits;
use calamine::{DataType, Ods, Reader, Xls, Xlsb, Xlsx};
use encoding_rs::{Encoding, UTF_8};

use super::ReadSeek;
use super::table::{Cell, CellContext, HeaderSearch, Row, TableBuilder};
use crate::error::{Error, ErrorKind, Result};
use crate::unit::{CellRef, TextUnit};

/// Which workbook format a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookKind {
    /// Office Open XML (xlsx, xlsm).
    Xlsx,
    /// Excel binary workbook.
    Xlsb,
    /// Legacy Excel (BIFF in an OLE2 container).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
}

impl WorkbookKind {
    /// Lower-case name (`xlsx`).
    pub fn name(self) -> &'static str {
        match self {
            WorkbookKind::Xlsx => "xlsx",
            WorkbookKind::Xlsb => "xlsb",
            WorkbookKind::Xls => "xls",
            WorkbookKind::Ods => "ods",
        }
    }
}

type Buf<'a> = Box<dyn ReadSeek + 'a>;

/// Opens the workbook's bytes from their start (several readers may try).
pub type Opener<'o, 'a> = dyn Fn() -> std::io::Result<Buf<'a>> + 'o;

fn open<'a>(opener: &Opener<'_, 'a>) -> Result<Buf<'a>> {
    opener().map_err(|e| Error::new(ErrorKind::Io, e.to_string()))
}

fn corrupt(kind: &str, e: impl std::fmt::Debug) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot read as {kind} ({})", super::error_kind(&e)),
    )
}

/// Text of a cell value: strings as they are, whole numbers without a
/// decimal point (a My Number stored as a number is still twelve digits),
/// nothing for dates, booleans, errors and empty cells.
fn cell_text<D: DataType>(d: &D) -> Option<(String, bool)> {
    if d.is_empty()
        || d.is_datetime()
        || d.is_datetime_iso()
        || d.is_duration_iso()
        || d.is_bool()
        || d.is_error()
    {
        return None;
    }
    if let Some(s) = d.get_string() {
        return (!s.trim().is_empty()).then(|| (s.to_string(), false));
    }
    if let Some(i) = d.get_int() {
        return Some((i.to_string(), true));
    }
    let f = d.get_float()?;
    if f.fract() == 0.0 && f.abs() < 1e17 {
        Some((format!("{f:.0}"), true))
    } else {
        Some((f.to_string(), true))
    }
}

fn is_hidden(sheets: &[calamine::Sheet], name: &str) -> bool {
    sheets
        .iter()
        .find(|s| s.name == name)
        .is_some_and(|s| s.visible != calamine::SheetVisible::Visible)
}

/// Turns rows of one sheet into units: tables found by their header rows
/// ([`super::table`]).
struct SheetUnits<'a, F> {
    sheet: String,
    hidden: bool,
    tables: TableBuilder<(u32, bool)>,
    each: &'a mut F,
}

impl<'a, F: FnMut(&TextUnit, &'static Encoding)> SheetUnits<'a, F> {
    fn new(sheet: String, hidden: bool, each: &'a mut F) -> Self {
        SheetUnits {
            sheet,
            hidden,
            tables: TableBuilder::new(HeaderSearch::Anywhere),
            each,
        }
    }

    fn emitter<'s>(
        sheet: &'s str,
        hidden: bool,
        each: &'s mut F,
    ) -> impl FnMut(&Cell<(u32, bool)>, CellContext) + 's {
        move |cell, ctx| {
            let mut unit = ctx.unit(cell.text.clone());
            unit.cell = Some(CellRef {
                sheet: sheet.to_string(),
                row: cell.payload.0,
                column: cell.column,
                sheet_hidden: hidden,
                numeric: cell.payload.1,
            });
            each(&unit, UTF_8);
        }
    }

    fn row(&mut self, row: u32, cells: &[(u32, String, bool)]) {
        let cells = cells
            .iter()
            .map(|(col, text, numeric)| Cell {
                column: *col,
                text: text.clone(),
                payload: (row, *numeric),
            })
            .collect();
        let mut emit = Self::emitter(&self.sheet, self.hidden, self.each);
        self.tables.push(Row { cells }, &mut emit);
    }

    fn finish(mut self) {
        let mut emit = Self::emitter(&self.sheet, self.hidden, self.each);
        self.tables.finish(&mut emit);
    }
}

/// Opens a zip (`ole == false`) or OLE2 file as a workbook and reads every
/// sheet. `Ok(None)` if no workbook reader accepts the file (a zip that is
/// not a spreadsheet); an error if it opened but could not be read.
pub fn read_workbook<'a>(
    opener: &Opener<'_, 'a>,
    ole: bool,
    limits: &Limits,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> Result<Option<WorkbookKind>> {
    if !ole {
        check_parts(opener, limits)?;
    }
    if ole {
        return match Xls::<Buf<'a>>::new(open(opener)?) {
            Ok(wb) => read_ranges(wb, "xls", each).map(|_| Some(WorkbookKind::Xls)),
            Err(_) => Ok(None),
        };
    }
    if let Ok(wb) = Xlsx::<Buf<'a>>::new(open(opener)?) {
        return read_xlsx(wb, each).map(|_| Some(WorkbookKind::Xlsx));
    }
    if let Ok(wb) = Xlsb::<Buf<'a>>::new(open(opener)?) {
        return read_xlsb(wb, each).map(|_| Some(WorkbookKind::Xlsb));
    }
    if let Ok(wb) = Ods::<Buf<'a>>::new(open(opener)?) {
        return read_ranges(wb, "ods", each).map(|_| Some(WorkbookKind::Ods));
    }
    Ok(None)
}

/// Largest shared-strings part read: the workbook readers hold all of it.
const MAX_SHARED_STRINGS: u64 = 64 << 20;

/// Inflates each part of a zip-based workbook, counting and discarding,
/// before a reader that holds parts in memory sees it: a part that inflates
/// beyond the entry limit (the shared strings beyond 64 MiB) or a thousand
/// times its size (one cell of a gigabyte) makes the workbook unreadable,
/// reported, instead of exhausting memory. Sizes are counted, not taken from
/// the zip's declarations. Not a zip or not a workbook: nothing to check.
fn check_parts(opener: &Opener<'_, '_>, limits: &Limits) -> Result<()> {
    let Ok(mut zip) = zip::ZipArchive::new(open(opener)?) else {
        return Ok(());
    };
    // Only workbooks: other zips are archives, read entry by entry within
    // the archive limits.
    let workbook = ["xl/workbook.xml", "xl/workbook.bin", "content.xml"]
        .iter()
        .any(|n| zip.index_for_name(n).is_some());
    if !workbook {
        return Ok(());
    }
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let compressed = part.compressed_size().max(1);
        let cap = if name.ends_with("sharedStrings.xml") {
            MAX_SHARED_STRINGS.min(limits.max_entry_bytes)
        } else {
            limits.max_entry_bytes
        };
        let n = std::io::copy(
            &mut std::io::Read::take(&mut part, cap + 1),
            &mut std::io::sink(),
        )
        .unwrap_or(0);
        let over = |why: String| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "workbook part {} {why}",
                    crate::report::terminal_safe(&name)
                ),
            )
        };
        if n > cap {
            return Err(over(format!("inflates beyond the limit ({cap} bytes)")));
        }
        if n > 1 << 20 && n / compressed > limits.max_ratio {
            return Err(over(format!(
                "inflates {}-fold, beyond the limit ({}-fold)",
                n / compressed,
                limits.max_ratio
            )));
        }
    }
    Ok(())
}

/// Groups a sheet's cells, streamed in row order, into rows.
fn stream_rows<'d, F, E>(
    units: &mut SheetUnits<'_, F>,
    mut next: impl FnMut() -> std::result::Result<Option<calamine::Cell<calamine::DataRef<'d>>>, E>,
    kind: &str,
) -> Result<()>
where
    F: FnMut(&TextUnit, &'static Encoding),
    E: std::fmt::Debug,
{
    let mut current: Option<u32> = None;
    let mut cells: Vec<(u32, String, bool)> = Vec::new();
    while let Some(cell) = next().map_err(|e| corrupt(kind, e))? {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(prev) = current {
                units.row(prev, &cells);
            }
            cells.clear();
            current = Some(r);
        }
        if let Some((t, numeric)) = cell_text(cell.get_value()) {
            cells.push((c, t, numeric));
        }
    }
    if let Some(prev) = current {
        units.row(prev, &cells);
    }
    Ok(())
}

/// Reads every sheet of a workbook whose format has a streaming cell
/// reader (xlsx and xlsb have the same methods but no common trait).
macro_rules! read_streamed {
    ($wb:expr, $each:expr, $kind:literal) => {{
        let mut wb = $wb;
        for name in wb.sheet_names() {
            let hidden = is_hidden(wb.sheets_metadata(), &name);
            let mut units = SheetUnits::new(name.clone(), hidden, &mut *$each);
            let mut reader = wb
                .worksheet_cells_reader(&name)
                .map_err(|e| corrupt($kind, e))?;
            stream_rows(&mut units, || reader.next_cell(), $kind)?;
            units.finish();
        }
        Ok(())
    }};
}

fn read_xlsx(wb: Xlsx<Buf<'_>>, each: &mut impl FnMut(&TextUnit, &'static Encoding)) -> Result<()> {
    read_streamed!(wb, each, "xlsx")
}

fn read_xlsb(wb: Xlsb<Buf<'_>>, each: &mut impl FnMut(&TextUnit, &'static Encoding)) -> Result<()> {
    read_streamed!(wb, each, "xlsb")
}

fn read_ranges<'a, R: Reader<Buf<'a>>>(
    mut wb: R,
    kind: &str,
    each: &mut impl FnMut(&TextUnit, &'static Encoding),
) -> Result<()>
where
    R::Error: std::fmt::Display,
{
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| corrupt(kind, e))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let hidden = is_hidden(wb.sheets_metadata(), &name);
        let mut units = SheetUnits::new(name.clone(), hidden, &mut *each);
        for (i, row) in range.rows().enumerate() {
            let cells: Vec<(u32, String, bool)> = row
                .iter()
                .enumerate()
                .filter_map(|(j, d)| cell_text(d).map(|(t, n)| (c0 + j as u32, t, n)))
                .collect();
            units.row(r0 + i as u32, &cells);
        }
        units.finish();
    }
    Ok(())
}
