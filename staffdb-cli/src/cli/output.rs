//! Printing employees as lines, a table, JSON or CSV — shared by list, show, add, update, export.
//! JSON and CSV are the library's export format (`staffdb::RecordWriter`).

use std::io::{self, Write};

use staffdb::{EXPORT_COLUMNS, EmployeeWithDepartment, ExportRecord, RecordFormat, RecordWriter};

use super::values::Format;

/// Writes rows one at a time in a format; only `table` holds rows, to align the columns. CSV
/// and JSON are the library's [`RecordWriter`], so `list --format csv` and `export` agree.
pub struct Printer<W: Write> {
    sink: Sink<W>,
}

enum Sink<W: Write> {
    Lines(W),
    Table(W, Vec<[String; 10]>),
    Records(RecordWriter<W>),
}

impl<W: Write> Printer<W> {
    /// A printer for a listing.
    pub fn new(format: Format, out: W) -> io::Result<Self> {
        Self::make(format, out, RecordWriter::new)
    }

    fn make(
        format: Format,
        out: W,
        records: fn(RecordFormat, W) -> io::Result<RecordWriter<W>>,
    ) -> io::Result<Self> {
        let sink = match format {
            Format::Lines => Sink::Lines(out),
            Format::Table => Sink::Table(out, Vec::new()),
            Format::Csv => Sink::Records(records(RecordFormat::Csv, out)?),
            Format::Json => Sink::Records(records(RecordFormat::Json, out)?),
        };
        Ok(Printer { sink })
    }

    /// Writes one row.
    pub fn row(&mut self, row: &EmployeeWithDepartment) -> io::Result<()> {
        match &mut self.sink {
            Sink::Lines(out) => writeln!(out, "{}", row.employee),
            Sink::Table(_, rows) => {
                rows.push(ExportRecord::new(row).cells());
                Ok(())
            }
            Sink::Records(writer) => writer.row(row),
        }
    }

    /// Ends the output (closing bracket, aligned table) and flushes it.
    pub fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Lines(mut out) => out.flush(),
            Sink::Table(mut out, rows) => {
                write_table(&mut out, &EXPORT_COLUMNS, &rows)?;
                out.flush()
            }
            Sink::Records(writer) => writer.finish(),
        }
    }
}

/// Writes aligned columns (widths in characters), a header row first.
pub fn write_table<const N: usize>(
    out: &mut impl Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                let pad = width - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
