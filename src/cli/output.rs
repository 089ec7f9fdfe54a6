//! Printing employees as lines, a table, JSON or CSV — shared by list, show, add, update, export.
//!
//! JSON and CSV carry every field, in this order and with these names: id, name, age, position,
//! email, department (its name), hired_on, version, created_at, updated_at (RFC 3339, UTC).

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;
use staffdb::{Employee, EmployeeWithDepartment, Rfc3339, Session};

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
    id: i32,
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
            id: e.id,
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

/// An employee with their department's name, read in the same session.
pub fn with_department(
    session: &mut Session,
    employee: Employee,
) -> staffdb::Result<EmployeeWithDepartment> {
    let department = match employee.department_id {
        Some(id) => Some(session.department(id)?.name),
        None => None,
    };
    Ok(EmployeeWithDepartment {
        employee,
        department,
    })
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
