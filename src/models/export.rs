//! The writer of record files, the twin of `formats`' readers: every employee as CSV or JSON,
//! streamed, in the form `import` reads back — what `staffdb export` and the web's download
//! write, byte for byte.
//!
//! Both carry every field, in this order and with these names: id, name, age, position, email,
//! department (its name), hired_on, version, created_at, updated_at (RFC 3339, UTC).

use std::io::{self, Write};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::employee::{Employee, EmployeeWithDepartment};
use super::formats::{RecordFormat, csv_cell};
use super::transfer::ExportError;

use crate::core::session::Session;

/// The fields of an export, in order.
pub const EXPORT_COLUMNS: [&str; 10] = [
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

/// One employee as an export shows it: [`EXPORT_COLUMNS`], the department by its name, the
/// timestamps in RFC 3339.
#[derive(Debug, Serialize)]
pub struct ExportRecord<'a> {
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

impl<'a> ExportRecord<'a> {
    /// The record of one row.
    pub fn new(row: &'a EmployeeWithDepartment) -> Self {
        let e = &row.employee;
        ExportRecord {
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
        // Text a spreadsheet could run gets a `'` (csv_cell); numbers, dates and timestamps
        // never begin with one of its characters.
        csv.write_field(id.format(self.id))?;
        csv.write_field(csv_cell(self.name).as_bytes())?;
        csv.write_field(age.format(self.age))?;
        csv.write_field(csv_cell(self.position).as_bytes())?;
        csv.write_field(csv_cell(self.email.unwrap_or_default()).as_bytes())?;
        csv.write_field(csv_cell(self.department.unwrap_or_default()).as_bytes())?;
        csv.write_field(hired_on)?;
        csv.write_field(version.format(self.version))?;
        csv.write_field(self.created_at.as_str())?;
        csv.write_field(self.updated_at.as_str())?;
        csv.write_record(None::<&[u8]>)
    }

    /// The fields as text, in [`EXPORT_COLUMNS`]' order (empty for none).
    pub fn cells(&self) -> [String; 10] {
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

/// Writes employees one at a time as CSV (a header row first, even with no rows) or JSON (an
/// array of objects, or one object for [`RecordWriter::single`]); holds no row.
///
/// ```
/// use staffdb::{Database, Employee, NewEmployee, RecordFormat, RecordWriter};
///
/// let db = Database::open(":memory:")?;
/// let mut s = db.session()?;
/// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager"))?.with_department(&mut s)?;
/// let mut out = Vec::new();
/// let mut csv = RecordWriter::new(RecordFormat::Csv, &mut out)?;
/// csv.row(&alice)?;
/// csv.finish()?;
/// let text = String::from_utf8(out).expect("UTF-8");
/// assert!(text.starts_with("id,name,age,position,email,department,hired_on,version,"));
/// assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("1,Alice,25,Manager,,,,1,")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RecordWriter<W: Write> {
    sink: Sink<W>,
    rows: usize,
    /// One JSON object, not an array.
    single: bool,
}

enum Sink<W: Write> {
    Json(W),
    Csv(Box<csv::Writer<W>>),
}

fn csv_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> RecordWriter<W> {
    /// A writer of a file of `format`; CSV's header is written at once.
    pub fn new(format: RecordFormat, out: W) -> io::Result<Self> {
        let sink = match format {
            RecordFormat::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out);
                csv.write_record(EXPORT_COLUMNS).map_err(csv_io)?;
                Sink::Csv(Box::new(csv))
            }
            RecordFormat::Json => Sink::Json(out),
        };
        Ok(RecordWriter {
            sink,
            rows: 0,
            single: false,
        })
    }

    /// A writer of one row: JSON writes a single object (and a newline), CSV a header and a row.
    pub fn single(format: RecordFormat, out: W) -> io::Result<Self> {
        let mut writer = Self::new(format, out)?;
        writer.single = true;
        Ok(writer)
    }

    /// Writes one row.
    pub fn row(&mut self, row: &EmployeeWithDepartment) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match &mut self.sink {
            Sink::Csv(csv) => ExportRecord::new(row).write_csv(csv).map_err(csv_io),
            Sink::Json(out) => {
                if !self.single {
                    out.write_all(if first { b"[\n  " } else { b",\n  " })?;
                }
                serde_json::to_writer(&mut *out, &ExportRecord::new(row))
                    .map_err(io::Error::from)?;
                if self.single {
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
        }
    }

    /// Ends the file (JSON's closing bracket) and flushes it.
    pub fn finish(self) -> io::Result<()> {
        let mut out = match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Json(mut out) => {
                if !self.single {
                    out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                }
                out
            }
        };
        out.flush()
    }
}

impl Employee {
    /// Writes every employee, by id, as a `format` file that [`import_rows`](crate::import_rows)
    /// reads back:
    /// streamed a keyset page at a time, so memory stays flat however many rows there are. It is
    /// the generic [`export_rows`](crate::export_rows) of every employee: the department is a
    /// `titled` reference, written by its name.
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewEmployee, RecordFormat};
    ///
    /// let db = Database::open(":memory:")?;
    /// db.transaction(|s| s.add(&NewEmployee::new("Alice", 25, "Manager")))?;
    /// let mut json = Vec::new();
    /// Employee::export(&mut db.read_session()?, RecordFormat::Json, &mut json)?;
    /// assert!(String::from_utf8_lossy(&json).contains(r#""name":"Alice""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export(
        session: &mut Session,
        format: RecordFormat,
        out: impl Write,
    ) -> Result<(), ExportError> {
        let everyone = crate::Query::<Employee>::new();
        crate::export_rows(session, &everyone, format, out).map(drop)
    }
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
    /// library's own JSON uses), so an export's and the library's own JSON timestamps agree.
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
