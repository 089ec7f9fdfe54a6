//! Export and import of any model, from its description. Export: every column by name, CSV (a header row, then one
//! row per record, text cells guarded against spreadsheet formulas) or JSON (an array of objects,
//! each value typed by its column's kind), streamed a page at a time from the session's one
//! snapshot, never held whole.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use serde_json::{Number, Value};

use super::formats::{
    JsonRecords, Place, RecordError, RecordFormat, csv_cell, csv_cell_read, skip_bom,
};
use super::upsert::Upserted;
use crate::core::error::Error;
use crate::core::fields::{Column, Describe, Kind};
use crate::core::model::{Model, Validate};
use crate::core::query::{Listed, MAX_LIMIT, Query};
use crate::core::session::Session;

/// Why an export stopped: the database could not be read, or the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading failed.
    #[error(transparent)]
    Database(#[from] Error),
    /// Writing failed (a full disk, a closed pipe, a client that went away).
    #[error("cannot write the export: {0}")]
    Write(#[source] io::Error),
}

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
/// assert!(text.starts_with("id,name,age,position,email,department,hired_on,version,created_at,updated_at\n"));
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
        writer.page(session, &page.items)?;
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
    /// A JSON row, made before it is written.
    line: Vec<u8>,
    /// The texts of the row being written, one after another, and where each ends.
    texts: String,
    ends: Vec<usize>,
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
                csv.write_record(M::COLUMNS.iter().map(|c| c.record_name()))
                    .map_err(io::Error::other)?;
                Sink::Csv(Box::new(csv))
            }
            RecordFormat::Json => Sink::Json(out),
        };
        Ok(RowWriter {
            sink,
            line: Vec::new(),
            texts: String::new(),
            ends: Vec::with_capacity(M::COLUMNS.len()),
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
    /// by its column's kind in JSON, times in RFC 3339 (UTC). A [`titled`](Column::titled)
    /// reference is written as its id here: [`RowWriter::page`] writes its title.
    pub fn row(&mut self, row: &M) -> io::Result<()> {
        self.write(row, &[])
    }

    /// Writes one row, each column of `titles` (its place in [`Describe::COLUMNS`], its text)
    /// with that text: a titled reference's title.
    fn write(&mut self, row: &M, titles: &[(usize, &str)]) -> io::Result<()> {
        let (texts, ends) = (&mut self.texts, &mut self.ends);
        texts.clear();
        ends.clear();
        row.push_texts(texts, ends);
        let text = |at: usize| -> &str {
            match titles.iter().find(|(column, _)| *column == at) {
                Some((_, title)) => title,
                None => &texts[if at == 0 { 0 } else { ends[at - 1] }..ends[at]],
            }
        };
        match &mut self.sink {
            Sink::Csv(csv) => {
                for (at, column) in M::COLUMNS.iter().enumerate() {
                    csv.write_field(cell(column, text(at)).as_bytes())
                        .map_err(io::Error::other)?;
                }
                csv.write_record(None::<&[u8]>).map_err(io::Error::other)?;
            }
            Sink::Json(out) => {
                if !self.single {
                    out.write_all(if self.rows == 0 { b"[\n  " } else { b",\n  " })?;
                }
                // Written value by value, as serde_json would write the object, without making
                // a `Value` of each (the export's hot loop), into one buffer: one write a row.
                let line = &mut self.line;
                line.clear();
                line.push(b'{');
                for (at, column) in M::COLUMNS.iter().enumerate() {
                    if at > 0 {
                        line.push(b',');
                    }
                    serde_json::to_writer(&mut *line, column.record_name())?;
                    line.push(b':');
                    write_json_value(&mut *line, column, text(at))?;
                }
                line.push(b'}');
                out.write_all(line)?;
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

impl<M: Listed, W: Write> RowWriter<M, W> {
    /// Writes `rows`, each [`titled`](Column::titled) reference by the title of the row it
    /// names: one statement per titled reference, whatever the number of rows.
    pub fn page(&mut self, session: &mut Session, rows: &[M]) -> Result<(), ExportError> {
        let titles = page_titles(session, rows)?;
        let mut row_titles: Vec<(usize, &str)> = Vec::with_capacity(titles.len());
        for (at, row) in rows.iter().enumerate() {
            row_titles.clear();
            row_titles.extend(titles.iter().map(|(column, t)| (*column, t[at].as_str())));
            self.write(row, &row_titles).map_err(ExportError::Write)?;
        }
        Ok(())
    }
}

/// The title each of `rows` shows for each [`titled`](Column::titled) reference (`""` for
/// none), with the reference's place in [`Describe::COLUMNS`]: one statement per reference.
pub(crate) fn page_titles<M: Listed>(
    session: &mut Session,
    rows: &[M],
) -> crate::Result<Vec<(usize, Vec<String>)>> {
    let titled = M::COLUMNS.iter().enumerate();
    let titled = titled.filter_map(|(at, column)| Some((at, column.titled?)));
    titled
        .map(|(at, relation)| {
            let groups = session.related_by_name::<M>(relation, rows)?;
            let titles = groups.into_iter().map(|group| {
                group
                    .into_iter()
                    .next()
                    .map(|r| r.title)
                    .unwrap_or_default()
            });
            Ok((at, titles.collect()))
        })
        .collect()
}

/// A column's text as a JSON value of its kind, written: NULL is `null`, a whole number as its
/// digits, text (and a titled reference's title) as a JSON string.
fn write_json_value(out: &mut Vec<u8>, column: &Column, text: &str) -> io::Result<()> {
    let whole = |text: &str| {
        let digits = text.strip_prefix('-').unwrap_or(text);
        !digits.is_empty() && digits.len() < 19 && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if column.nullable && text.is_empty() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    match column.kind {
        _ if column.titled.is_some() => serde_json::to_writer(out, text)?,
        Kind::Integer | Kind::Id if whole(text) => out.extend_from_slice(text.as_bytes()),
        Kind::Text | Kind::Date => serde_json::to_writer(out, text)?,
        Kind::Timestamp => serde_json::to_writer(out, &rfc3339(text).as_deref().unwrap_or(text))?,
        _ => serde_json::to_writer(out, &json_value(column, text.to_owned()))?,
    }
    Ok(())
}

/// A column's text as its CSV cell: timestamps in RFC 3339, text (and titles) guarded against
/// formulas.
fn cell<'t>(column: &Column, text: &'t str) -> Cow<'t, str> {
    match column.kind {
        _ if column.titled.is_some() => csv_cell(text),
        Kind::Timestamp if !text.is_empty() => {
            rfc3339(text).map_or(Cow::Borrowed(text), Cow::Owned)
        }
        Kind::Text => csv_cell(text),
        _ => Cow::Borrowed(text),
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
        _ => Value::String(text),
    }
}

/// A timestamp's text as RFC 3339 (UTC, microseconds), as every staffdb export writes it.
fn rfc3339(text: &str) -> Option<String> {
    crate::core::fields::rfc3339(text)
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
    /// The CSV header lacks a column every new row needs.
    #[error("line 1: missing column `{0}`")]
    MissingColumn(&'static str),
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
    /// The column to upsert on is not one of the model's unique columns an import writes.
    #[error("cannot upsert on `{name}`: {reason}")]
    UpsertOn {
        /// The name given.
        name: String,
        /// Why, in words (naming the columns there are).
        reason: String,
    },
    /// Two records carry the same value of a unique column (the upsert's, or another an import
    /// writes).
    #[error("{place}: invalid {field}: `{value}` appears twice, on {first} and on {place}")]
    DuplicateKey {
        /// The second record with the value.
        place: Place,
        /// The column.
        field: &'static str,
        /// The value.
        value: String,
        /// The first record with it.
        first: Place,
    },
    /// A record gives a unique column a value some stored row has.
    #[error("{place}: {field} `{value}` already belongs to {model} {id}")]
    Taken {
        /// The first record (in the file's order) with a stored value.
        place: Place,
        /// The column.
        field: &'static str,
        /// The value, as the column compares it (an email lowercased).
        value: String,
        /// What a row of the model is called.
        model: &'static str,
        /// The id of the row that has it.
        id: i64,
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
            | ImportRowsError::Invalid { place, .. }
            | ImportRowsError::Taken { place, .. }
            | ImportRowsError::DuplicateKey { place, .. } => Some(*place),
            ImportRowsError::DuplicateColumn(_) | ImportRowsError::MissingColumn(_) => {
                Some(Place::Line(1))
            }
            ImportRowsError::UpsertOn { .. } | ImportRowsError::Database(_) => None,
        }
    }
}

/// Adds every record of a `format` file of `M`'s rows — all of them, or none: each value is read
/// as its column's type and checked against its rules (the first bad one is named with its line
/// or record and its column), and the rows are written 10,000 at a time in one savepoint of
/// `session` (multi-row statements; PostgreSQL's `COPY`), so the file is never held whole; a
/// refusal anywhere rolls the savepoint back. The columns are the model's written ones by name;
/// its key, version and the times the database or staffdb write may be present (an export's
/// file imports as it is) and are ignored. Returns how many rows were added.
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
    let added = in_savepoint(session, |s| import_in_batches::<M>(s, format, input))?;
    session.after_bulk_write(M::TABLE, added)?;
    Ok(added)
}

/// Runs `work` in a savepoint of `session`, rolled back if it fails; a refusal comes out as it
/// went in (the savepoint's own error type is the library's).
fn in_savepoint<T>(
    session: &mut Session,
    work: impl FnOnce(&mut Session) -> Result<T, ImportRowsError>,
) -> Result<T, ImportRowsError> {
    let mut refused = None;
    let outcome = session.savepoint(|s| {
        work(s).map_err(|error| match error {
            ImportRowsError::Database(error) => error,
            other => {
                refused = Some(other);
                Error::application(io::Error::other("the import was refused"))
            }
        })
    });
    match refused {
        Some(refused) => Err(refused),
        None => Ok(outcome?),
    }
}

/// Rows read and checked before they are written: enough that a statement carries many, few
/// enough that a file of millions never sits in memory whole.
const IMPORT_BATCH: usize = 10_000;

/// [`import_rows`]' reading and writing, inside its savepoint: every [`IMPORT_BATCH`] records,
/// their unknown titles and taken unique values are refused and the rows written. A refusal
/// later in the file rolls the savepoint back, so nothing of the file stays written.
fn import_in_batches<M: Listed>(
    session: &mut Session,
    format: RecordFormat,
    input: impl BufRead,
) -> Result<usize, ImportRowsError> {
    let mut rows = Vec::new();
    let mut titles = Titles::of::<M>();
    let mut unique = UniqueValues::of::<M>();
    let mut added = 0;
    read_records::<M>(format, input, &mut |place, value| {
        unique.take(place, value)?;
        let value = titles.take::<M>(rows.len(), place, value)?;
        rows.push(new_row::<M>(place, &value)?);
        if rows.len() == IMPORT_BATCH {
            added += write_batch::<M>(session, &mut rows, &mut titles, &mut unique)?;
        }
        Ok(())
    })?;
    added += write_batch::<M>(session, &mut rows, &mut titles, &mut unique)?;
    Ok(added)
}

/// Writes the rows read since the last batch, their unknown titles and taken unique values
/// refused first, and starts the next batch.
fn write_batch<M: Listed>(
    session: &mut Session,
    rows: &mut Vec<M::New>,
    titles: &mut Titles,
    unique: &mut UniqueValues,
) -> Result<usize, ImportRowsError> {
    titles.refuse_unknown::<M>(session)?;
    unique.refuse_taken::<M>(session)?;
    titles.resolve::<M>(session, |record, column, id| {
        M::__set_new_text(&mut rows[record], column, id)
    })?;
    *titles = Titles::of::<M>();
    Ok(session.add_all(std::mem::take(rows))?)
}

/// Records looked up per statement by an upsert: a few levels of `OR`, far below every
/// backend's bind limit.
const KEYS_PER_QUERY: usize = 500;

/// [`import_rows`], but a record whose value of the unique column `on` is already some row's
/// updates that row (the columns the file gives, as a `PATCH` would; the version bumped as by
/// any update) instead of being refused; the others are added. Django's
/// `update_or_create`, for a whole file.
///
/// All or nothing: `on` must be one of the model's unique columns an import writes (else
/// [`ImportRowsError::UpsertOn`], naming them, before anything runs), every record a valid new
/// row, and no two records may carry the same value of `on` ([`ImportRowsError::DuplicateKey`],
/// naming both places). In one savepoint, 10,000 records at a time (the file is never held
/// whole), the rows are found by `on` 500 values to a statement, the new ones added in
/// multi-row statements, and the others updated; a refusal anywhere rolls it all back. A record with no value of `on` (NULL) is
/// always added. A value compares as the column's type (an email as it is stored,
/// lowercased).
///
/// ```
/// use staffdb::{Database, Department, NewDepartment, RecordFormat, upsert_rows};
///
/// let db = Database::open(":memory:")?;
/// db.transaction(|s| s.add(&NewDepartment::new("Sales")))?;
/// let csv = "name\nSales\nLegal\n";
/// let done = db.transaction(|s| Ok(upsert_rows::<Department>(s, RecordFormat::Csv, csv.as_bytes(), "name")))??;
/// assert_eq!((done.added, done.updated), (1, 1));
/// let refused = db.transaction(|s| Ok(upsert_rows::<Department>(s, RecordFormat::Csv, csv.as_bytes(), "colour")))?;
/// assert!(refused.unwrap_err().to_string().starts_with("cannot upsert on `colour`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn upsert_rows<M: Listed>(
    session: &mut Session,
    format: RecordFormat,
    input: impl BufRead,
    on: &str,
) -> Result<Upserted, ImportRowsError> {
    let column = upsert_column::<M>(on)?;
    in_savepoint(session, |s| {
        upsert_in_batches::<M>(s, format, input, column)
    })
}

/// [`upsert_rows`]' reading and writing, inside its savepoint, [`IMPORT_BATCH`] records at a
/// time; a value of `column` given twice is refused wherever in the file it is.
fn upsert_in_batches<M: Listed>(
    session: &mut Session,
    format: RecordFormat,
    input: impl BufRead,
    column: &'static Column,
) -> Result<Upserted, ImportRowsError> {
    let mut batch = UpsertBatch::<M>::new();
    let mut first_at: HashMap<String, Place> = HashMap::new();
    let mut done = Upserted::default();
    read_records::<M>(format, input, &mut |place, value| {
        let value = &batch.titles.take::<M>(batch.records.len(), place, value)?;
        let new = new_row::<M>(place, value)?;
        let key = value(column.name)
            .map(|text| key_text(column, &text))
            .filter(|key| !key.is_empty());
        if let Some(key) = &key
            && let Some(first) = first_at.insert(key.clone(), place)
        {
            return Err(ImportRowsError::DuplicateKey {
                place,
                field: column.name,
                value: key.clone(),
                first,
            });
        }
        let changes = match key {
            Some(_) => Some(changes_row::<M>(place, value)?),
            None => None,
        };
        batch.keys.extend(key.clone());
        batch.records.push(UpsertRecord { new, key, changes });
        if batch.records.len() == IMPORT_BATCH {
            done = done + batch.write(session, column)?;
        }
        Ok(())
    })?;
    Ok(done + batch.write(session, column)?)
}

/// The records of an upsert read since the last write, their titles and their keys.
struct UpsertBatch<M: Model> {
    records: Vec<UpsertRecord<M>>,
    keys: Vec<String>,
    titles: Titles,
}

impl<M: Listed> UpsertBatch<M> {
    fn new() -> Self {
        UpsertBatch {
            records: Vec::new(),
            keys: Vec::new(),
            titles: Titles::of::<M>(),
        }
    }

    /// Refuses an unknown title, puts the titles' ids in, writes the batch, and starts the
    /// next.
    fn write(
        &mut self,
        session: &mut Session,
        column: &'static Column,
    ) -> Result<Upserted, ImportRowsError> {
        let UpsertBatch {
            mut records,
            keys,
            mut titles,
        } = std::mem::replace(self, UpsertBatch::new());
        titles.refuse_unknown::<M>(session)?;
        titles.resolve::<M>(session, |at, column, id| {
            let record = &mut records[at];
            M::__set_new_text(&mut record.new, column, id)?;
            match &mut record.changes {
                Some(changes) => M::__set_change_text(changes, column, id),
                None => Ok(()),
            }
        })?;
        Ok(write_upsert::<M>(session, column, &keys, records)?)
    }
}

/// One record of an upsert: the row it adds, or, when its key is some row's, the changes it
/// makes to it.
struct UpsertRecord<M: Model> {
    new: M::New,
    key: Option<String>,
    changes: Option<M::Changes>,
}

/// The column an upsert is on: unique, and written by an import.
fn upsert_column<M: Describe>(name: &str) -> Result<&'static Column, ImportRowsError> {
    let unique: Vec<&str> = M::COLUMNS
        .iter()
        .filter(|c| c.unique && c.is_written())
        .map(|c| c.name)
        .collect();
    let choices = match unique.as_slice() {
        [] => format!("{} has no unique column an import writes", M::TABLE),
        names => format!("the unique columns of {}: {}", M::TABLE, names.join(", ")),
    };
    let refuse = |why: String| {
        Err(ImportRowsError::UpsertOn {
            name: name.to_owned(),
            reason: format!("{why}; {choices}"),
        })
    };
    match M::column(name) {
        Some(column) if column.unique && column.is_written() => Ok(column),
        Some(_) => refuse(format!("it is not a unique column of {}", M::TABLE)),
        None => refuse(format!("{} has no such column", M::TABLE)),
    }
}

/// A value of the upsert's column as rows and records are matched by: a number as its
/// column's type writes it (`05` is `5`), an email lowercased as it is stored, other text as
/// it is.
fn key_text(column: &Column, text: &str) -> String {
    match column.kind {
        Kind::Integer | Kind::Id => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| text.trim().to_owned(), |n| n.to_string()),
        Kind::Text if column.rules.email => text.trim().to_lowercase(),
        Kind::Text => text.to_owned(),
        _ => text.trim().to_owned(),
    }
}

/// A record's values as the changes an upsert makes to the row it matches, checked.
fn changes_row<M: Listed>(
    place: Place,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<M::Changes, ImportRowsError> {
    let mut changes = M::changes_from_texts(value).map_err(|error| at(place, error))?;
    changes.validate().map_err(|error| at(place, error))?;
    Ok(changes)
}

/// The upsert's writes, in its savepoint: the rows found by `keys`, the new rows added (first:
/// as [`Employee::upsert_by_email`](crate::Employee::upsert_by_email), so that ids follow the
/// file), the others updated.
fn write_upsert<M: Listed>(
    s: &mut Session,
    column: &'static Column,
    keys: &[String],
    records: Vec<UpsertRecord<M>>,
) -> Result<Upserted, Error> {
    let index = M::COLUMNS
        .iter()
        .position(|c| c.name == column.name)
        .unwrap_or(0);
    let mut existing: HashMap<String, M::Id> = HashMap::new();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        let query = Query::<M>::new()
            .any_of(column, chunk.to_vec())?
            .limit(MAX_LIMIT)?;
        for row in s.list(&query)?.items {
            if let Some(text) = row.texts().get(index) {
                existing.insert(key_text(column, text), row.id());
            }
        }
    }
    let mut new = Vec::new();
    let mut updates = Vec::new();
    for record in records {
        let found = record.key.as_ref().and_then(|key| existing.get(key));
        match (found, record.changes) {
            (Some(&id), Some(changes)) => updates.push((id, changes)),
            _ => new.push(record.new),
        }
    }
    // A value that was nobody's when looked up and is somebody's now was added by a
    // concurrent writer since: the transaction must run again to update that row instead.
    let added = s.add_all(new).map_err(|error| match error {
        Error::UniqueViolation { field, .. } if field == column.name => Error::Contention(format!(
            "a {} was added by a concurrent transaction",
            column.name
        )),
        other => other,
    })?;
    let updated = updates.len();
    for (id, changes) in updates {
        s.update(id, &changes)?;
    }
    s.after_bulk_write(M::TABLE, added + updated)?;
    Ok(Upserted { added, updated })
}

/// Where a value is first given: the record's number (in the file's order) and its place.
type FirstPlaces = HashMap<String, (usize, Place)>;

/// The values a file gives each unique column an import writes, gathered while the records are
/// read: a value given twice is refused at its second place, and one a stored row has is
/// refused, naming that row, before its batch is written (rather than as the database's
/// constraint, which names no line).
struct UniqueValues {
    /// Each unique column, the place of the first record that gives each of its values, and
    /// the values not yet looked up among the stored rows.
    columns: Vec<(&'static Column, FirstPlaces, Vec<String>)>,
    records: usize,
}

impl UniqueValues {
    /// The unique columns of `M` an import writes (a titled one is compared by id, after the
    /// titles are looked up, by the database).
    fn of<M: Describe>() -> UniqueValues {
        let unique = M::COLUMNS.iter().filter(|c| c.unique && c.is_written());
        let columns = unique
            .filter(|c| c.titled.is_none())
            .map(|c| (c, HashMap::new(), Vec::new()));
        UniqueValues {
            columns: columns.collect(),
            records: 0,
        }
    }

    /// Notes the record's unique values; one given before is refused at this place.
    fn take(
        &mut self,
        place: Place,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ImportRowsError> {
        let record = self.records;
        self.records += 1;
        for (column, seen, fresh) in &mut self.columns {
            let Some(key) = value(column.name).map(|text| key_text(column, &text)) else {
                continue;
            };
            // NULL (and blank text, which the column's rules then judge) is no value.
            if key.trim().is_empty() {
                continue;
            }
            if let Some(&(_, first)) = seen.get(&key) {
                return Err(ImportRowsError::DuplicateKey {
                    place,
                    field: column.name,
                    value: key,
                    first,
                });
            }
            fresh.push(key.clone());
            seen.insert(key, (record, place));
        }
        Ok(())
    }

    /// Refuses the first record (in the file's order) whose unique value a stored row has,
    /// of the values given since the last look, looked up 500 values to a statement.
    fn refuse_taken<M: Listed>(&mut self, session: &mut Session) -> Result<(), ImportRowsError> {
        let mut first: Option<((usize, Place), ImportRowsError)> = None;
        for (column, seen, fresh) in &mut self.columns {
            let values = std::mem::take(fresh);
            for chunk in values.chunks(KEYS_PER_QUERY) {
                let query = Query::<M>::new()
                    .any_of(column, chunk.to_vec())?
                    .limit(MAX_LIMIT)?;
                for row in session.list(&query)?.items {
                    let key = row.text(column.name).map(|text| key_text(column, &text));
                    let Some((key, &(record, place))) =
                        key.and_then(|key| seen.get_key_value(&key))
                    else {
                        continue;
                    };
                    if first.as_ref().is_some_and(|((at, _), _)| *at < record) {
                        continue;
                    }
                    let taken = ImportRowsError::Taken {
                        place,
                        field: column.name,
                        value: key.clone(),
                        model: M::NAME,
                        id: row.id().into(),
                    };
                    first = Some(((record, place), taken));
                }
            }
        }
        match first {
            Some((_, taken)) => Err(taken),
            None => Ok(()),
        }
    }
}

/// The titles a file gives its [`titled`](Column::titled) references, gathered while the
/// records are read (each record's row made with a stand-in id), then looked up (or added) in
/// one statement per 500 titles, and the ids put into the rows.
struct Titles {
    columns: Vec<TitledColumn>,
}

/// One titled reference's titles: each distinct title once, where it is first given, and which
/// record gives which.
struct TitledColumn {
    column: &'static Column,
    titles: Vec<String>,
    places: Vec<Place>,
    index: HashMap<String, usize>,
    /// (record, title) for every record that gives a title.
    cells: Vec<(usize, usize)>,
    /// The ids of the titles, once looked up before the write (a reference that adds no row).
    found: Option<HashMap<String, i64>>,
}

impl Titles {
    /// The titled references of `M`, no title read yet.
    fn of<M: Describe>() -> Titles {
        let titled = M::COLUMNS
            .iter()
            .filter(|c| c.titled.is_some() && c.is_written());
        let columns = titled
            .map(|column| TitledColumn {
                column,
                titles: Vec::new(),
                places: Vec::new(),
                index: HashMap::new(),
                cells: Vec::new(),
                found: None,
            })
            .collect();
        Titles { columns }
    }

    /// Notes the titles record number `record` gives, each new one checked as the referenced
    /// model would take it when it is to be added, and returns the record's values with a
    /// stand-in id for each title.
    fn take<'v, M: Listed>(
        &mut self,
        record: usize,
        place: Place,
        value: &'v dyn Fn(&str) -> Option<String>,
    ) -> Result<impl Fn(&str) -> Option<String> + 'v, ImportRowsError> {
        let mut titled = Vec::new();
        for titled_column in &mut self.columns {
            let column = titled_column.column;
            // Empty is NULL; any other text is a title, kept as it is given.
            let Some(title) = value(column.name).filter(|t| !t.is_empty()) else {
                continue;
            };
            let at = match titled_column.index.get(&title) {
                Some(&at) => at,
                None => {
                    if column.creates_titled {
                        check_title::<M>(column, &title).map_err(|error| at(place, error))?;
                    }
                    titled_column.titles.push(title.clone());
                    titled_column.places.push(place);
                    titled_column
                        .index
                        .insert(title, titled_column.titles.len() - 1);
                    titled_column.titles.len() - 1
                }
            };
            titled_column.cells.push((record, at));
            titled.push(column.name);
        }
        Ok(move |name: &str| match titled.contains(&name) {
            // A stand-in the row is checked with; the title's id replaces it before it is written.
            true => Some("1".to_owned()),
            false => value(name),
        })
    }

    /// Refuses, before its batch is written, a title no row has of a reference that does not
    /// add one: named with the first record that gives it.
    /// Their ids are kept for the write, which looks them up no more.
    fn refuse_unknown<M: Listed>(&mut self, session: &mut Session) -> Result<(), ImportRowsError> {
        for titled in self.columns.iter_mut().filter(|t| !t.column.creates_titled) {
            let ids = M::__ids_by_title(titled.column, session, &titled.titles, false)?;
            if let Some(at) = titled.titles.iter().position(|t| !ids.contains_key(t)) {
                let model = titled.column.references.unwrap_or("row");
                return Err(ImportRowsError::Invalid {
                    place: titled.places[at],
                    field: titled.column.record_name(),
                    reason: format!("no {model} is called `{}`", titled.titles[at]),
                });
            }
            titled.found = Some(ids);
        }
        Ok(())
    }

    /// Looks every title up (adding a row for each one no row has, where the reference says
    /// so) and hands `set` each record's id for each of its titled columns.
    fn resolve<M: Listed>(
        &mut self,
        session: &mut Session,
        mut set: impl FnMut(usize, &'static str, &str) -> crate::Result<()>,
    ) -> crate::Result<()> {
        for titled in &mut self.columns {
            let column = titled.column;
            let ids = match titled.found.take() {
                Some(ids) => ids,
                None => M::__ids_by_title(column, session, &titled.titles, column.creates_titled)?,
            };
            for &(record, at) in &titled.cells {
                let title = &titled.titles[at];
                let id = ids.get(title).ok_or_else(|| {
                    let model = column.references.unwrap_or("row");
                    Error::Contention(format!(
                        "{model} `{title}` was deleted by a concurrent transaction"
                    ))
                })?;
                set(record, column.name, &id.to_string())?;
            }
        }
        Ok(())
    }
}

/// `M::__check_title`, its refusal naming the field as the reference and the referenced
/// model's column (`department name`): whether a new row of the referenced model could be made
/// from `title` alone.
pub(crate) fn check_title<M: Listed>(column: &'static Column, title: &str) -> crate::Result<()> {
    M::__check_title(column, title).map_err(|error| match error {
        Error::Validation {
            field,
            reason,
            record,
        } => Error::Validation {
            field: title_field(column.record_name(), field),
            reason,
            record,
        },
        other => other,
    })
}

/// `{reference} {column}`, made once per titled reference and kept: a refusal names its field
/// as a `&'static str`, and a process has a fixed few titled references.
fn title_field(reference: &'static str, column: &'static str) -> &'static str {
    use std::sync::{Mutex, PoisonError};
    type Names = HashMap<(&'static str, &'static str), &'static str>;
    static NAMES: Mutex<Option<Names>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    names
        .get_or_insert_with(HashMap::new)
        .entry((reference, column))
        .or_insert_with(|| Box::leak(format!("{reference} {column}").into_boxed_str()))
}

/// A record's refusal, placed: a validation error as [`ImportRowsError::Invalid`].
fn at(place: Place, error: Error) -> ImportRowsError {
    match error {
        Error::Validation { field, reason, .. } => ImportRowsError::Invalid {
            place,
            field,
            reason,
        },
        other => ImportRowsError::Database(other),
    }
}

/// What is done with each record read: given its place and its values by column name.
type EachRecord<'a> =
    dyn FnMut(Place, &dyn Fn(&str) -> Option<String>) -> Result<(), ImportRowsError> + 'a;

/// Reads every record of a `format` file of `M`'s columns, handing each to `each` with its
/// place and its values by column name.
fn read_records<M: Listed>(
    format: RecordFormat,
    input: impl BufRead,
    each: &mut EachRecord<'_>,
) -> Result<(), ImportRowsError> {
    match format {
        RecordFormat::Csv => csv_rows::<M>(input, each),
        RecordFormat::Json => json_rows::<M>(input, each),
    }
}

/// A record's values by column name, made into the model's insert form and checked.
fn new_row<M: Listed>(
    place: Place,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<M::New, ImportRowsError> {
    let mut new = M::new_from_texts(value).map_err(|error| at(place, error))?;
    new.validate().map_err(|error| at(place, error))?;
    Ok(new)
}

/// The column a file names, `None` for one that is read but not written (the key, the version,
/// the times); an unknown name is refused.
fn file_column<M: Describe>(
    name: &str,
    place: Place,
) -> Result<Option<&'static Column>, ImportRowsError> {
    match M::COLUMNS.iter().find(|c| c.record_name() == name) {
        Some(column) if column.is_written() => Ok(Some(column)),
        Some(_) => Ok(None),
        None => Err(ImportRowsError::UnknownColumn {
            place,
            name: name.to_owned(),
            columns: known_columns::<M>(),
        }),
    }
}

/// The columns a file may give, as an unknown one's refusal lists them: those an import writes,
/// then those it reads and ignores (`name, budget (and id, version, created_at, ignored)`).
fn known_columns<M: Describe>() -> String {
    let names = |written: bool| {
        M::COLUMNS
            .iter()
            .filter(|c| c.is_written() == written)
            .map(|c| c.record_name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match names(false) {
        ignored if ignored.is_empty() => names(true),
        ignored => format!("{} (and {ignored}, ignored)", names(true)),
    }
}

/// Every record of a CSV file with a header row, handed to `each`.
fn csv_rows<M: Listed>(
    mut input: impl BufRead,
    each: &mut EachRecord<'_>,
) -> Result<(), ImportRowsError> {
    skip_bom(&mut input, Place::Line(1))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let header = reader
        .headers()
        .map_err(|source| RecordError::Csv {
            line: Some(1),
            source,
        })?
        .clone();
    let columns = header_columns::<M>(&header)?;
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
            let is_text = columns[at].is_some_and(|c| c.kind == Kind::Text || c.titled.is_some());
            Some(
                if is_text {
                    csv_cell_read(cell)
                } else {
                    cell.trim()
                }
                .to_owned(),
            )
        };
        each(place, &value)?;
    }
    Ok(())
}

/// The column of each of a CSV header's names (`None`: read and ignored); an empty header, a
/// name given twice, an unknown one, or a column every new row needs missing is refused.
fn header_columns<M: Listed>(
    header: &csv::StringRecord,
) -> Result<Vec<Option<&'static Column>>, ImportRowsError> {
    // An empty file (or a blank first line) is no file of records, as the employees' import says.
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(RecordError::NoHeader.into());
    }
    let mut columns: Vec<Option<&'static Column>> = Vec::with_capacity(header.len());
    for name in header {
        let column = file_column::<M>(name.trim(), Place::Line(1))?;
        if let Some(column) = column
            && columns.contains(&Some(column))
        {
            return Err(ImportRowsError::DuplicateColumn(column.record_name()));
        }
        columns.push(column);
    }
    let required = crate::write_fields::<M>()
        .into_iter()
        .filter(|f| f.written && f.required);
    if let Some(missing) = required
        .map(|f| f.column)
        .find(|c| !columns.contains(&Some(*c)))
    {
        return Err(ImportRowsError::MissingColumn(missing.record_name()));
    }
    Ok(columns)
}

/// Every element of a JSON array of objects, handed to `each`.
fn json_rows<M: Listed>(
    input: impl BufRead,
    each: &mut EachRecord<'_>,
) -> Result<(), ImportRowsError> {
    let mut records = JsonRecords::new(input)?;
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
            let text = json_text(column, value).map_err(|reason| ImportRowsError::Invalid {
                place,
                field: column.record_name(),
                reason,
            })?;
            texts.push((column.name, text));
        }
        let value = |name: &str| {
            texts
                .iter()
                .find(|(column, _)| *column == name)
                .map(|(_, text)| text.clone())
        };
        each(place, &value)?;
    }
    Ok(())
}

/// A JSON value as its column's text: `null` is empty (NULL, or refused where a value is
/// required), a whole number written as a float (`39.0`) is that number. A value of another
/// JSON type than its column's kind is refused, as the API's bodies refuse it (`false` is no
/// name, `"5"` no budget): what `export_rows` writes always has the right one.
fn json_text(column: &Column, value: Value) -> Result<String, String> {
    match (value, column.kind) {
        (Value::Null, _) => Ok(String::new()),
        (Value::String(title), _) if column.titled.is_some() => Ok(title),
        (_, _) if column.titled.is_some() => Err("must be a string or null".into()),
        (Value::String(text), Kind::Text | Kind::Date | Kind::Timestamp) => Ok(text),
        (Value::Bool(flag), Kind::Bool) => Ok(flag.to_string()),
        (Value::Number(n), Kind::Integer | Kind::Id | Kind::Float) => {
            Ok(match (n.as_i64(), n.as_f64()) {
                (Some(whole), _) => whole.to_string(),
                (None, Some(float)) if float.fract() == 0.0 && float.abs() < 9.0e15 => {
                    format!("{}", float as i64)
                }
                _ => n.to_string(),
            })
        }
        (_, Kind::Bool) => Err("must be true, false or null".into()),
        (_, Kind::Integer | Kind::Id | Kind::Float) => Err("must be a number or null".into()),
        _ => Err("must be a string or null".into()),
    }
}
