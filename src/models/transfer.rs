//! Export of any model, from its description: every column by name, CSV (a header row, then one
//! row per record, text cells guarded against spreadsheet formulas) or JSON (an array of objects,
//! each value typed by its column's kind), streamed a page at a time from the session's one
//! snapshot, never held whole.

use std::io::{self, Write};

use chrono::NaiveDateTime;
use serde_json::{Map, Number, Value};

use super::export::{ExportError, Rfc3339};
use super::formats::{RecordFormat, csv_cell};
use crate::core::fields::{Column, FieldValue, Kind};
use crate::core::query::{Listed, MAX_LIMIT, Query};
use crate::core::session::Session;

/// Writes every row `query` matches, in its order, as a `format` file of `M`'s columns; returns
/// how many rows were written. The query's own limit and cursor are not used: the export pages
/// through all of it. Run it in a read session (one snapshot, on every backend).
///
/// ```
/// use staffdb::{Database, Employee, NewEmployee, Query, RecordFormat, export_rows};
///
/// let db = Database::open(":memory:")?;
/// db.transaction(|s| s.add(&NewEmployee::new("Ann", 30, "Clerk").email("ann@example.com")))?;
/// let mut csv = Vec::new();
/// let rows = export_rows(&mut db.read_session()?, &Query::<Employee>::new(), RecordFormat::Csv, &mut csv)?;
/// let text = String::from_utf8(csv).expect("UTF-8");
/// assert_eq!(rows, 1);
/// assert!(text.starts_with("id,name,age,position,email,department_id,hired_on,version,created_at,updated_at\n"));
/// assert!(text.lines().nth(1).is_some_and(|row| row.starts_with("1,Ann,30,Clerk,ann@example.com,,,1,")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_rows<M: Listed>(
    session: &mut Session,
    query: &Query<M>,
    format: RecordFormat,
    out: impl Write,
) -> Result<usize, ExportError> {
    let mut writer = Writer::<M, _>::new(format, out).map_err(ExportError::Write)?;
    let mut page_query = query.clone().limit(MAX_LIMIT)?;
    loop {
        let page = session.list(&page_query)?;
        for row in &page.items {
            writer.row(row).map_err(ExportError::Write)?;
        }
        match page.next {
            Some(next) => page_query = page_query.after(next),
            None => break,
        }
    }
    writer.finish().map_err(ExportError::Write)
}

/// A file of `M`'s rows being written.
struct Writer<M, W: Write> {
    sink: Sink<W>,
    rows: usize,
    model: std::marker::PhantomData<M>,
}

/// Where the rows go: one CSV writer for the whole file, or JSON text.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W),
}

impl<M: Listed, W: Write> Writer<M, W> {
    fn new(format: RecordFormat, out: W) -> io::Result<Self> {
        let sink = match format {
            RecordFormat::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out);
                csv.write_record(M::COLUMNS.iter().map(|c| c.name))
                    .map_err(io::Error::other)?;
                Sink::Csv(Box::new(csv))
            }
            RecordFormat::Json => Sink::Json(out),
        };
        Ok(Writer {
            sink,
            rows: 0,
            model: std::marker::PhantomData,
        })
    }

    fn row(&mut self, row: &M) -> io::Result<()> {
        let cells = M::COLUMNS.iter().zip(row.texts());
        match &mut self.sink {
            Sink::Csv(csv) => csv
                .write_record(cells.map(|(column, text)| cell(column, text)))
                .map_err(io::Error::other)?,
            Sink::Json(out) => {
                let object: Map<String, Value> = cells
                    .map(|(column, text)| (column.name.to_owned(), json_value(column, text)))
                    .collect();
                out.write_all(if self.rows == 0 { b"[\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut *out, &object).map_err(io::Error::from)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> io::Result<usize> {
        let mut out = match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Json(mut out) => {
                out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                out
            }
        };
        out.flush()?;
        Ok(self.rows)
    }
}

/// A column's text as its CSV cell: timestamps in RFC 3339, text guarded against formulas.
fn cell(column: &Column, text: String) -> String {
    match column.kind {
        Kind::Timestamp if !text.is_empty() => rfc3339(&text).unwrap_or(text),
        Kind::Text => csv_cell(&text).into_owned(),
        _ => text,
    }
}

/// A column's text as a JSON value of its kind; NULL is `null`.
fn json_value(column: &Column, text: String) -> Value {
    if column.nullable && text.is_empty() {
        return Value::Null;
    }
    match column.kind {
        Kind::Integer | Kind::Id => text
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .unwrap_or(Value::String(text)),
        Kind::Float => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(text)),
        Kind::Bool => Value::Bool(text == "true"),
        Kind::Timestamp => Value::String(rfc3339(&text).unwrap_or(text)),
        _ => Value::String(text),
    }
}

/// A timestamp's text as RFC 3339 (UTC, microseconds), as every staffdb export writes it.
fn rfc3339(text: &str) -> Option<String> {
    NaiveDateTime::from_text(text)
        .ok()
        .map(|at| Rfc3339::new(&at).as_str().to_owned())
}
