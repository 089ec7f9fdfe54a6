//! Export and import of any model, from its description. Export: every column by name, CSV (a header row, then one
//! row per record, text cells guarded against spreadsheet formulas) or JSON (an array of objects,
//! each value typed by its column's kind), streamed a page at a time from the session's one
//! snapshot, never held whole.

use std::io::{self, BufRead, Write};

use chrono::NaiveDateTime;
use serde_json::{Number, Value};

use super::export::{ExportError, Rfc3339};
use super::formats::{
    JsonRecords, Place, RecordError, RecordFormat, csv_cell, csv_cell_read, skip_bom,
};
use crate::core::error::Error;
use crate::core::fields::{Column, Describe, FieldValue, Kind};
use crate::core::model::Validate;
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
    let mut writer = RowWriter::<M, _>::new(format, out).map_err(ExportError::Write)?;
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

/// A file of `M`'s rows being written a row at a time, as [`export_rows`] writes it: CSV (a
/// header row of the column names, then the rows) or JSON (an array of objects, or one object
/// for [`RowWriter::single`]). Holds no row: a list of any length streams through it.
///
/// ```
/// use staffdb::{Database, Employee, NewEmployee, RecordFormat, RowWriter};
///
/// let db = Database::open(":memory:")?;
/// let ann = db.transaction(|s| s.add(&NewEmployee::new("Ann", 30, "Clerk")))?;
/// let mut out = Vec::new();
/// let mut writer = RowWriter::<Employee, _>::single(RecordFormat::Json, &mut out)?;
/// writer.row(&ann)?;
/// writer.finish()?;
/// assert!(String::from_utf8_lossy(&out).starts_with(r#"{"id":1,"name":"Ann","age":30,"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RowWriter<M, W: Write> {
    sink: Sink<W>,
    rows: usize,
    single: bool,
    model: std::marker::PhantomData<M>,
}

/// Where the rows go: one CSV writer for the whole file, or JSON text.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W),
}

impl<M: Describe, W: Write> RowWriter<M, W> {
    /// A writer of a list of rows; CSV's header row is written at once.
    pub fn new(format: RecordFormat, out: W) -> io::Result<Self> {
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
        Ok(RowWriter {
            sink,
            rows: 0,
            single: false,
            model: std::marker::PhantomData,
        })
    }

    /// A writer of one row: JSON writes a single object (and a newline), CSV a header and a row.
    pub fn single(format: RecordFormat, out: W) -> io::Result<Self> {
        let mut writer = Self::new(format, out)?;
        writer.single = true;
        Ok(writer)
    }

    /// Writes one row: text cells guarded against spreadsheet formulas in CSV, each value typed
    /// by its column's kind in JSON, times in RFC 3339 (UTC).
    pub fn row(&mut self, row: &M) -> io::Result<()> {
        let cells = M::COLUMNS.iter().zip(row.texts());
        match &mut self.sink {
            Sink::Csv(csv) => csv
                .write_record(cells.map(|(column, text)| cell(column, text)))
                .map_err(io::Error::other)?,
            Sink::Json(out) => {
                let object = InOrder(
                    cells
                        .map(|(column, text)| (column.name, json_value(column, text)))
                        .collect(),
                );
                if !self.single {
                    out.write_all(if self.rows == 0 { b"[\n  " } else { b",\n  " })?;
                }
                serde_json::to_writer(&mut *out, &object).map_err(io::Error::from)?;
                if self.single {
                    out.write_all(b"\n")?;
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the file (JSON's closing bracket), flushes it, and returns how many rows it holds.
    pub fn finish(self) -> io::Result<usize> {
        let mut out = match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Json(mut out) => {
                if !self.single {
                    out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                }
                out
            }
        };
        out.flush()?;
        Ok(self.rows)
    }
}

/// A row's JSON object, its keys in the model's column order (as the JSON API writes a row),
/// not sorted as a `serde_json::Map` would sort them.
struct InOrder(Vec<(&'static str, Value)>);

impl serde::Serialize for InOrder {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
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

/// Why an import of a model's rows stopped; nothing of it was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportRowsError {
    /// The input is not well-formed CSV or JSON (or could not be read).
    #[error(transparent)]
    Read(#[from] RecordError),
    /// The header (CSV) or an object (JSON) names a column the model does not have.
    #[error("{place}: unknown column `{name}`; the columns are {columns}")]
    UnknownColumn {
        /// Where.
        place: Place,
        /// The name given.
        name: String,
        /// The model's columns an import writes.
        columns: String,
    },
    /// A column appears twice in the CSV header.
    #[error("line 1: column `{0}` appears twice")]
    DuplicateColumn(&'static str),
    /// A value is refused: not one of its column's values, or against its rules.
    #[error("{place}: invalid {field}: {reason}")]
    Invalid {
        /// The line (CSV) or record (JSON).
        place: Place,
        /// The column.
        field: &'static str,
        /// Why, in words.
        reason: String,
    },
    /// The database refused the rows (a unique value taken, a reference to no row), or failed.
    #[error(transparent)]
    Database(#[from] Error),
}

impl ImportRowsError {
    /// Where in the input the refused value is, if the error is about one.
    pub fn place(&self) -> Option<Place> {
        match self {
            ImportRowsError::Read(error) => error.place(),
            ImportRowsError::UnknownColumn { place, .. }
            | ImportRowsError::Invalid { place, .. } => Some(*place),
            ImportRowsError::DuplicateColumn(_) => Some(Place::Line(1)),
            ImportRowsError::Database(_) => None,
        }
    }
}

/// Adds every record of a `format` file of `M`'s rows — all of them, or none: each value is read
/// as its column's type and checked against its rules before anything is written (the first bad
/// one is named with its line or record and its column), then the rows are written in one
/// savepoint of `session` (multi-row statements; PostgreSQL's `COPY`). The columns are the
/// model's written ones by name; its key, version and the times the database or staffdb write
/// may be present (an export's file imports as it is) and are ignored. Returns how many rows
/// were added.
///
/// ```
/// use staffdb::{Database, Employee, RecordFormat, import_rows};
///
/// let db = Database::open(":memory:")?;
/// let csv = "name,age,position\nAnn,30,Clerk\nBob,151,Clerk\n";
/// let refused = db.transaction(|s| Ok(import_rows::<Employee>(s, RecordFormat::Csv, csv.as_bytes())));
/// assert_eq!(refused?.unwrap_err().to_string(), "line 3: invalid age: must be between 0 and 150 (got 151)");
/// let added = db.transaction(|s| Ok(import_rows::<Employee>(s, RecordFormat::Csv, "name,age,position\nAnn,30,Clerk\n".as_bytes())))?;
/// assert_eq!(added?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import_rows<M: Listed>(
    session: &mut Session,
    format: RecordFormat,
    input: impl BufRead,
) -> Result<usize, ImportRowsError> {
    let rows = match format {
        RecordFormat::Csv => csv_rows::<M>(input)?,
        RecordFormat::Json => json_rows::<M>(input)?,
    };
    Ok(session.savepoint(|s| s.add_all(rows))?)
}

/// A record's values by column name, made into the model's insert form and checked.
fn new_row<M: Listed>(
    place: Place,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<M::New, ImportRowsError> {
    let invalid = |error: Error| match error {
        Error::Validation { field, reason, .. } => ImportRowsError::Invalid {
            place,
            field,
            reason,
        },
        other => ImportRowsError::Database(other),
    };
    let mut new = M::new_from_texts(value).map_err(invalid)?;
    new.validate().map_err(invalid)?;
    Ok(new)
}

/// The column a file names, `None` for one that is read but not written (the key, the version,
/// the times); an unknown name is refused.
fn file_column<M: Describe>(
    name: &str,
    place: Place,
) -> Result<Option<&'static Column>, ImportRowsError> {
    match M::column(name) {
        Some(column) if column.is_written() => Ok(Some(column)),
        Some(_) => Ok(None),
        None => Err(ImportRowsError::UnknownColumn {
            place,
            name: name.to_owned(),
            columns: M::COLUMNS
                .iter()
                .filter(|c| c.is_written())
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Every record of a CSV file with a header row.
fn csv_rows<M: Listed>(mut input: impl BufRead) -> Result<Vec<M::New>, ImportRowsError> {
    skip_bom(&mut input, Place::Line(1))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let header = reader
        .headers()
        .map_err(|source| RecordError::Csv {
            line: Some(1),
            source,
        })?
        .clone();
    let mut columns: Vec<Option<&'static Column>> = Vec::with_capacity(header.len());
    for name in &header {
        let column = file_column::<M>(name.trim(), Place::Line(1))?;
        if let Some(column) = column
            && columns.contains(&Some(column))
        {
            return Err(ImportRowsError::DuplicateColumn(column.name));
        }
        columns.push(column);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|source| RecordError::Csv {
            line: source.position().map(|p| p.line()),
            source,
        })?;
        let place = Place::Line(record.position().map_or(0, |p| p.line()));
        let value = |name: &str| {
            let at = columns
                .iter()
                .position(|c| c.is_some_and(|c| c.name == name))?;
            let cell = record.get(at)?;
            let is_text = columns[at].is_some_and(|c| c.kind == Kind::Text);
            Some(
                if is_text {
                    csv_cell_read(cell)
                } else {
                    cell.trim()
                }
                .to_owned(),
            )
        };
        rows.push(new_row::<M>(place, &value)?);
    }
    Ok(rows)
}

/// Every element of a JSON array of objects.
fn json_rows<M: Listed>(input: impl BufRead) -> Result<Vec<M::New>, ImportRowsError> {
    let mut records = JsonRecords::new(input)?;
    let mut rows = Vec::new();
    while let Some(element) = records.next_element() {
        let (index, element) = element?;
        let place = Place::Record(index);
        let Value::Object(object) = element else {
            return Err(RecordError::NotAnObject(index).into());
        };
        let mut texts: Vec<(&'static str, String)> = Vec::with_capacity(object.len());
        for (key, value) in object {
            let Some(column) = file_column::<M>(&key, place)? else {
                continue;
            };
            let text = json_text(value).ok_or_else(|| ImportRowsError::Invalid {
                place,
                field: column.name,
                reason: "must be a string, a number, true, false or null".into(),
            })?;
            texts.push((column.name, text));
        }
        let value = |name: &str| {
            texts
                .iter()
                .find(|(column, _)| *column == name)
                .map(|(_, text)| text.clone())
        };
        rows.push(new_row::<M>(place, &value)?);
    }
    Ok(rows)
}

/// A JSON value as its column's text: `null` is empty (NULL, or refused where a value is
/// required), a whole number written as a float (`39.0`) is that number.
fn json_text(value: Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::String(text) => Some(text),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(whole), _) => whole.to_string(),
            (None, Some(float)) if float.fract() == 0.0 && float.abs() < 9.0e15 => {
                format!("{}", float as i64)
            }
            _ => n.to_string(),
        }),
        Value::Array(_) | Value::Object(_) => None,
    }
}
