//! Printing a model's rows: one line each (`ID: 4, Name: Apollo, Budget: 1000`), aligned
//! columns, or the library's JSON and CSV ([`RowWriter`], so `list --format csv` and `export`
//! agree).

use std::io::{self, BufWriter, StdoutLock, Write};

use clap::ArgMatches;

use chrono::NaiveDateTime;

use crate::{Describe, Error, FieldValue, Kind, RecordFormat, Rfc3339, RowWriter, write_fields};

/// How rows are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// One line per row: the key and every column a write sets, by label (NULLs left out).
    Lines,
    /// Aligned columns, every column by name.
    Table,
    /// A JSON array of objects (one object for a single row).
    Json,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// The `--format` of `matches`.
    pub(super) fn of(matches: &ArgMatches) -> Format {
        match matches.get_one::<String>("format").map(String::as_str) {
            Some("table") => Format::Table,
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            _ => Format::Lines,
        }
    }
}

/// Buffered, locked stdout for data.
pub(super) fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Writes rows one at a time in a format; only `table` holds rows, to align the columns.
pub(super) struct Printer<M: Describe, W: Write> {
    sink: Sink<M, W>,
}

enum Sink<M: Describe, W: Write> {
    Lines(W, Vec<bool>),
    Table(W, Vec<Vec<String>>),
    Records(RowWriter<M, W>),
}

impl<M: Describe, W: Write> Printer<M, W> {
    /// A printer of a list (`single`: of one row, which JSON prints as one object).
    pub(super) fn new(format: Format, out: W, single: bool) -> io::Result<Self> {
        let records: fn(RecordFormat, W) -> io::Result<RowWriter<M, W>> = if single {
            RowWriter::single
        } else {
            RowWriter::new
        };
        let sink = match format {
            Format::Lines => Sink::Lines(out, shown_in_lines::<M>()),
            Format::Table => Sink::Table(out, Vec::new()),
            Format::Json => Sink::Records(records(RecordFormat::Json, out)?),
            Format::Csv => Sink::Records(records(RecordFormat::Csv, out)?),
        };
        Ok(Printer { sink })
    }

    /// Writes one row.
    pub(super) fn row(&mut self, row: &M) -> io::Result<()> {
        match &mut self.sink {
            Sink::Lines(out, shown) => {
                let cells = M::COLUMNS.iter().zip(row.texts()).zip(shown.iter());
                let parts: Vec<String> = cells
                    .filter(|((column, text), shown)| {
                        **shown && !(column.nullable && text.is_empty())
                    })
                    .map(|((column, text), _)| format!("{}: {text}", label(column)))
                    .collect();
                writeln!(out, "{}", parts.join(", "))
            }
            Sink::Table(_, rows) => {
                rows.push(table_cells(row));
                Ok(())
            }
            Sink::Records(writer) => writer.row(row),
        }
    }

    /// Ends the output (closing bracket, aligned table) and flushes it.
    pub(super) fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Lines(mut out, _) => out.flush(),
            Sink::Table(mut out, rows) => {
                let header: Vec<String> = M::COLUMNS.iter().map(|c| c.name.to_owned()).collect();
                write_table(&mut out, &header, &rows)?;
                out.flush()
            }
            Sink::Records(writer) => writer.finish().map(drop),
        }
    }
}

/// A row's cells in a table: its texts, times in RFC 3339 (UTC) as JSON and CSV write them.
fn table_cells<M: Describe>(row: &M) -> Vec<String> {
    let cells = M::COLUMNS.iter().zip(row.texts());
    cells
        .map(|(column, text)| match column.kind {
            Kind::Timestamp if !text.is_empty() => NaiveDateTime::from_text(&text)
                .map(|at| Rfc3339::new(&at).as_str().to_owned())
                .unwrap_or(text),
            _ => text,
        })
        .collect()
}

/// The columns a line shows: the key and those a write sets (not the version, nor what the
/// database or staffdb fill in).
fn shown_in_lines<M: Describe>() -> Vec<bool> {
    write_fields::<M>()
        .iter()
        .map(|f| f.written || f.column.key)
        .collect()
}

/// A column's label in a line; the key is `ID`, as in the employees' lines.
fn label(column: &crate::Column) -> &'static str {
    if column.key { "ID" } else { column.label }
}

/// Prints one row to stdout.
pub(super) fn print_one<M: Describe>(format: Format, row: &M) -> io::Result<()> {
    let mut printer = Printer::<M, _>::new(format, stdout(), true)?;
    printer.row(row)?;
    printer.finish()
}

/// Prints the row a write is about to commit, inside its transaction: if stdout cannot take it
/// (a full disk, a closed pipe) the error rolls the transaction back, so a command that failed
/// changed nothing.
pub(super) fn print_before_commit<M: Describe>(format: Format, row: &M) -> crate::Result<()> {
    print_one(format, row).map_err(Error::application)
}

/// Writes aligned columns (widths in characters), the header row first.
fn write_table(out: &mut impl Write, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
