//! Printing a model's rows: one line each (`ID: 4, Name: Apollo, Budget: 1000`, or the model's
//! `Display`), aligned columns, or the library's JSON and CSV ([`RowWriter`], so `list --format
//! csv` and `export` agree); a titled reference by its row's title everywhere.

use std::io::{self, BufWriter, StdoutLock, Write};

use clap::ArgMatches;

use chrono::NaiveDateTime;

use crate::models::page_titles;
use crate::{
    Describe, Error, ExportError, FieldValue, Kind, Listed, RecordFormat, Rfc3339, RowWriter,
    Session, write_fields,
};

/// How rows are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One line per row: the model's `Display` (`#[staffdb(display)]`), else the key and
    /// every column a write sets, by label (NULLs left out).
    #[default]
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

/// Writes rows a page at a time in a format; only `table` holds rows, to align the columns. A
/// [`titled`](crate::Column::titled) reference is shown by the title of the row it names, as
/// the model's files write it.
pub(super) struct Printer<M: Describe, W: Write> {
    sink: Sink<M, W>,
}

enum Sink<M: Describe, W: Write> {
    Lines(W, Vec<bool>),
    Table(W, Vec<Vec<String>>),
    Records(RowWriter<M, W>),
}

impl<M: Listed, W: Write> Printer<M, W> {
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

    /// Writes `rows`, their titled references looked up in `session`: one statement per
    /// reference, whatever the number of rows (none for a model whose line is its `Display`).
    pub(super) fn page(&mut self, session: &mut Session, rows: &[M]) -> Result<(), ExportError> {
        let titles = |session: &mut Session| page_titles(session, rows);
        match &mut self.sink {
            Sink::Records(writer) => writer.page(session, rows),
            Sink::Lines(out, shown) => {
                for line in lines(session, rows, shown)? {
                    writeln!(out, "{line}").map_err(ExportError::Write)?;
                }
                Ok(())
            }
            Sink::Table(_, table) => {
                let titles = titles(session)?;
                let cells = rows.iter().enumerate();
                table.extend(cells.map(|(at, row)| table_cells(row, &titles, at)));
                Ok(())
            }
        }
    }

    /// Ends the output (closing bracket, aligned table) and flushes it.
    pub(super) fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Lines(mut out, _) => out.flush(),
            Sink::Table(mut out, rows) => {
                let header = M::COLUMNS.iter().map(|c| c.record_name().to_owned());
                write_table(&mut out, &header.collect::<Vec<_>>(), &rows)?;
                out.flush()
            }
            Sink::Records(writer) => writer.finish().map(drop),
        }
    }
}

/// Each row's line: its `Display` for a model that declares it so, else [`labelled`] (its
/// titled references looked up in `session`, one statement each).
pub(super) fn lines<M: Listed>(
    session: &mut Session,
    rows: &[M],
    shown: &[bool],
) -> crate::Result<Vec<String>> {
    let lines: Vec<Option<String>> = rows.iter().map(Describe::line).collect();
    let titles = match lines.iter().all(Option::is_some) {
        true => Vec::new(),
        false => page_titles(session, rows)?,
    };
    let lines = rows.iter().zip(lines).enumerate();
    Ok(lines
        .map(|(at, (row, line))| line.unwrap_or_else(|| labelled(row, shown, &titles, at)))
        .collect())
}

/// The titles of row `at`'s titled references, by column place.
type Titles = Vec<(usize, Vec<String>)>;

/// Row `at`'s texts, each titled reference's replaced by its title.
fn texts_with_titles<M: Describe>(row: &M, titles: &Titles, at: usize) -> Vec<String> {
    let mut texts = row.texts();
    for (column, titles) in titles {
        if let (Some(text), Some(title)) = (texts.get_mut(*column), titles.get(at)) {
            text.clone_from(title);
        }
    }
    texts
}

/// A row's line: `ID: 4, Name: Apollo, Budget: 1000`, the shown columns by label, NULLs left
/// out.
fn labelled<M: Describe>(row: &M, shown: &[bool], titles: &Titles, at: usize) -> String {
    let texts = texts_with_titles(row, titles, at);
    let cells = M::COLUMNS.iter().zip(texts).zip(shown);
    let parts: Vec<String> = cells
        .filter(|((column, text), shown)| **shown && !(column.nullable && text.is_empty()))
        .map(|((column, text), _)| format!("{}: {text}", label(column)))
        .collect();
    parts.join(", ")
}

/// A row's cells in a table: its texts (titles for titled references), times in RFC 3339
/// (UTC) as JSON and CSV write them.
fn table_cells<M: Describe>(row: &M, titles: &Titles, at: usize) -> Vec<String> {
    let cells = M::COLUMNS.iter().zip(texts_with_titles(row, titles, at));
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
pub(super) fn shown_in_lines<M: Describe>() -> Vec<bool> {
    write_fields::<M>()
        .iter()
        .map(|f| f.written || f.column.key)
        .collect()
}

/// A column's label in a line; the key is `ID`, as in the employees' lines.
fn label(column: &crate::Column) -> &'static str {
    if column.key { "ID" } else { column.label }
}

/// Prints one row to stdout, its titled references looked up in `session`.
pub(super) fn print_one<M: Listed>(
    session: &mut Session,
    format: Format,
    row: &M,
) -> Result<(), ExportError> {
    let mut printer = Printer::<M, _>::new(format, stdout(), true).map_err(ExportError::Write)?;
    printer.page(session, std::slice::from_ref(row))?;
    printer.finish().map_err(ExportError::Write)
}

/// Prints the row a write is about to commit, inside its transaction: if stdout cannot take it
/// (a full disk, a closed pipe) the error rolls the transaction back, so a command that failed
/// changed nothing.
pub(super) fn print_before_commit<M: Listed>(
    session: &mut Session,
    format: Format,
    row: &M,
) -> crate::Result<()> {
    print_one(session, format, row).map_err(|error| match error {
        ExportError::Database(error) => error,
        ExportError::Write(error) => Error::application(error),
    })
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
