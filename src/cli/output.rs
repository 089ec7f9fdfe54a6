//! Printing employees as lines, a table, JSON or CSV — shared by list, show, add, update, export.
//!
//! JSON and CSV carry every field, in this order and with these names: id, name, age, position,
//! email, department (its name), hired_on, version, created_at, updated_at (RFC 3339, UTC).

use std::io::{self, Write};

use chrono::NaiveDate;
use chrono::NaiveDateTime;
use serde::Serialize;
use staffdb::{EmployeeWithDepartment, Error};

use super::args::Format;

/// The fields of JSON and CSV output, in order.
pub const FIELDS: [&str; 10] = [
    "id",
    "name",
    "age",
    "position",
    "email",
    "department",
    "hired_on",
    "version",
    "created_at",
    "updated_at",
];

/// One employee as JSON and CSV show it.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    id: i64,
    name: &'a str,
    age: i32,
    position: &'a str,
    email: Option<&'a str>,
    department: Option<&'a str>,
    hired_on: Option<NaiveDate>,
    version: i32,
    created_at: Rfc3339,
    updated_at: Rfc3339,
}

impl<'a> Record<'a> {
    /// The record of one row.
    pub fn new(row: &'a EmployeeWithDepartment) -> Self {
        let e = &row.employee;
        Record {
            id: e.id.get(),
            name: &e.name,
            age: e.age,
            position: &e.position,
            email: e.email.as_deref(),
            department: row.department.as_deref(),
            hired_on: e.hired_on,
            version: e.version,
            created_at: Rfc3339::new(&e.created_at),
            updated_at: Rfc3339::new(&e.updated_at),
        }
    }

    /// Writes the record as one CSV row, field by field: the same bytes `csv.serialize` writes,
    /// without serde's per-field dispatch (a sixth of `list --format csv`, measured with perf).
    fn write_csv<W: Write>(&self, csv: &mut csv::Writer<W>) -> csv::Result<()> {
        let mut id = itoa::Buffer::new();
        let mut age = itoa::Buffer::new();
        let mut version = itoa::Buffer::new();
        // ISO 8601 as `Display` writes it: `YYYY-MM-DD`, or up to 14 bytes for chrono's
        // extreme years (`+262142-12-31`), so 16 always suffice.
        let mut date_buffer = [0u8; 16];
        let hired_on = match self.hired_on {
            Some(date) => {
                let mut out = &mut date_buffer[..];
                write!(out, "{date}")?;
                let unused = out.len();
                &date_buffer[..date_buffer.len() - unused]
            }
            None => &[],
        };
        csv.write_field(id.format(self.id))?;
        csv.write_field(self.name)?;
        csv.write_field(age.format(self.age))?;
        csv.write_field(self.position)?;
        csv.write_field(self.email.unwrap_or_default())?;
        csv.write_field(self.department.unwrap_or_default())?;
        csv.write_field(hired_on)?;
        csv.write_field(version.format(self.version))?;
        csv.write_field(self.created_at.as_str())?;
        csv.write_field(self.updated_at.as_str())?;
        csv.write_record(None::<&[u8]>)
    }

    fn cells(&self) -> [String; 10] {
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        [
            self.id.to_string(),
            self.name.to_owned(),
            self.age.to_string(),
            self.position.to_owned(),
            text(self.email),
            text(self.department),
            self.hired_on.map(|d| d.to_string()).unwrap_or_default(),
            self.version.to_string(),
            self.created_at.to_string(),
            self.updated_at.to_string(),
        ]
    }
}

/// Writes rows one at a time in a format; only `table` holds rows, to align the columns.
pub struct Printer<W: Write> {
    format: Format,
    sink: Sink<W>,
    rows: usize,
    table: Vec<[String; 10]>,
    /// `show`, `add` and `update` print one JSON object, not an array.
    single: bool,
}

enum Sink<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

fn csv_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> Printer<W> {
    /// A printer for a listing.
    pub fn new(format: Format, out: W) -> io::Result<Self> {
        let sink = match format {
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out);
                // The header is written even when there are no rows.
                csv.write_record(FIELDS).map_err(csv_io)?;
                Sink::Csv(Box::new(csv))
            }
            _ => Sink::Plain(out),
        };
        Ok(Printer {
            format,
            sink,
            rows: 0,
            table: Vec::new(),
            single: false,
        })
    }

    /// A printer for one row: JSON prints a single object.
    pub fn single(format: Format, out: W) -> io::Result<Self> {
        let mut printer = Self::new(format, out)?;
        printer.single = true;
        Ok(printer)
    }

    /// Writes one row.
    pub fn row(&mut self, row: &EmployeeWithDepartment) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match (&mut self.sink, self.format) {
            (Sink::Csv(csv), _) => Record::new(row).write_csv(csv).map_err(csv_io),
            (Sink::Plain(out), Format::Lines) => writeln!(out, "{}", row.employee),
            (Sink::Plain(out), Format::Json) => {
                if !self.single {
                    out.write_all(if first { b"[\n  " } else { b",\n  " })?;
                }
                serde_json::to_writer(&mut *out, &Record::new(row)).map_err(io::Error::from)?;
                if self.single {
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            (Sink::Plain(_), _) => {
                self.table.push(Record::new(row).cells());
                Ok(())
            }
        }
    }

    /// Ends the output (closing bracket, aligned table) and flushes it.
    pub fn finish(self) -> io::Result<()> {
        let mut out = match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Plain(out) => out,
        };
        match self.format {
            Format::Json if !self.single => {
                out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?
            }
            Format::Table => write_table(&mut out, &FIELDS, &self.table)?,
            _ => {}
        }
        out.flush()
    }
}

/// Prints one row to stdout in `format` (`json` as a single object).
pub fn print_one(format: Format, row: &EmployeeWithDepartment) -> anyhow::Result<()> {
    let mut printer = Printer::single(format, super::stdout())?;
    printer.row(row)?;
    printer.finish()?;
    Ok(())
}

/// Prints the row a write is about to commit, inside its transaction: if stdout cannot take it
/// (a full disk, a closed pipe) the error rolls the transaction back, so a command that failed
/// changed nothing. If the commit itself then fails, the command exits non-zero after printing a
/// row that was not stored: the exit code, not the output, says whether the data changed.
pub fn print_before_commit(format: Format, row: &EmployeeWithDepartment) -> staffdb::Result<()> {
    let print = || -> io::Result<()> {
        let mut printer = Printer::single(format, super::stdout())?;
        printer.row(row)?;
        printer.finish()
    };
    print().map_err(Error::application)
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

/// A UTC timestamp written as RFC 3339 with microseconds, `2026-11-24T11:20:25.123456Z`, the
/// way staffdb shows every timestamp. Formatted on the stack, without chrono's format strings:
/// exporting a million rows formats two million of them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339 {
    text: [u8; Rfc3339::LEN],
}

impl Rfc3339 {
    const LEN: usize = "2026-11-24T11:20:25.123456Z".len();

    /// Formats `timestamp` (UTC); the sub-microsecond part is dropped, as every backend does.
    pub fn new(timestamp: &NaiveDateTime) -> Rfc3339 {
        use chrono::{Datelike, Timelike};
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, value: u32| {
            let mut value = value;
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        // Years outside 0..=9999 cannot occur here (timestamps come from the clock); they
        // would print modulo 10,000 rather than panic.
        put(0, 4, timestamp.year().rem_euclid(10_000) as u32);
        put(5, 2, timestamp.month());
        put(8, 2, timestamp.day());
        put(11, 2, timestamp.hour());
        put(14, 2, timestamp.minute());
        // A leap second arrives as nanosecond >= 1e9 on second 59.
        put(
            17,
            2,
            timestamp.second() + timestamp.nanosecond() / 1_000_000_000,
        );
        put(20, 6, timestamp.nanosecond() % 1_000_000_000 / 1_000);
        Rfc3339 { text }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    /// The fast formatter writes exactly what chrono's RFC 3339 formatting writes (which the
    /// library's own JSON uses), so the CLI's and the library's timestamps agree.
    #[test]
    fn rfc3339_matches_chrono() {
        let mut at = chrono::DateTime::from_timestamp(0, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        for step in 0..10_000i64 {
            at += chrono::Duration::microseconds(step * 987_654_321_987 % 9_999_999_999_999 + 7);
            let at = at
                .with_nanosecond(at.nanosecond() / 1_000 * 1_000)
                .unwrap_or(at);
            let expected = at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(Rfc3339::new(&at).as_str(), expected);
        }
    }
}
