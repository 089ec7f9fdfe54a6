//! `staffdb import FILE`: employees from CSV or JSON, every record validated first, then written
//! in one transaction — one bad record and nothing is written.
//!
//! The file is read twice, never held whole: the first pass validates every record and gathers
//! only the emails and department names; the second writes the records a chunk at a time through
//! `add_all` (or `upsert_by_email`), inside the one transaction. Standard input is first copied
//! to an anonymous temporary file so that it, too, can be read twice.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::Value;
use staffdb::{Error, NewEmployee, Session};

use super::args::FileFormat;
use super::{Context, Failure};

/// Options of `staffdb import`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The format [default: from the file's extension].
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Update the employee with the same email instead of failing on it.
    #[arg(long)]
    upsert: bool,
}

/// The columns (CSV) or keys (JSON) a record may carry.
const COLUMNS: [&str; 6] = ["name", "age", "position", "email", "department", "hired_on"];
/// Columns that `export` writes and `import` ignores.
const IGNORED: [&str; 4] = ["id", "version", "created_at", "updated_at"];

/// Records written per `add_all` / `upsert_by_email` call in the second pass.
const CHUNK: usize = 5_000;

/// Where a record is in its file, for error messages.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The physical line a CSV record starts on (the header is line 1).
    Line(u64),
    /// The 1-based index of a JSON record.
    Record(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Record(index) => write!(f, "record {index}"),
        }
    }
}

/// One validated record.
#[derive(Debug)]
struct Parsed {
    employee: NewEmployee,
    department: Option<String>,
    place: Place,
}

/// One record's raw values, before validation; `None` is a missing or empty value.
#[derive(Debug, Default)]
struct Raw {
    name: Option<String>,
    age: Option<Age>,
    position: Option<String>,
    email: Option<String>,
    department: Option<String>,
    hired_on: Option<String>,
}

#[derive(Debug)]
enum Age {
    Text(String),
    Number(Option<i64>),
}

/// Reads, validates and writes the file; prints how many records were written.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let stdin = opts.file.as_os_str() == "-";
    let shown = if stdin {
        "standard input".to_owned()
    } else {
        opts.file.display().to_string()
    };
    let format = match opts.format {
        Some(format) => format,
        None => format_of(&opts.file).ok_or_else(|| {
            Failure::Invalid(format!(
                "cannot tell the format of {shown}: name a .csv or .json file, or pass --format csv|json"
            ))
        })?,
    };
    let interrupted = watch_ctrl_c();
    let input = Input::new(&opts.file, stdin, &shown)?;

    // Pass 1: validate everything; keep only emails (for duplicates) and department names.
    let mut emails: HashMap<String, Place> = HashMap::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut total = 0u64;
    each_record(format, input.open()?, |record| {
        stop_if(&interrupted)?;
        total += 1;
        if let Some(email) = &record.employee.email
            && let Some(first) = emails.insert(email.clone(), record.place)
        {
            return Err(Error::validation(
                "email",
                format!(
                    "`{email}` appears twice, on {first} and on {}",
                    record.place
                ),
            )
            .into());
        }
        if let Some(name) = record.department {
            names.insert(name);
        }
        Ok(())
    })?;

    let db = context.open()?;
    let mut session = db.session()?;
    let mut departments = HashMap::with_capacity(names.len());
    for name in names {
        let id = session.ensure_department(&name)?.id;
        departments.insert(name, id);
    }
    if !opts.upsert {
        let existing = session.employee_ids_by_email(emails.keys())?;
        if let Some((email, place, id)) = existing
            .iter()
            .filter_map(|(email, id)| emails.get(email).map(|place| (email, *place, id)))
            .min_by_key(|(_, place, _)| place.order())
        {
            return Err(Failure::Refused(format!(
                "{place}: email `{email}` already belongs to employee {id}; nothing was imported (use --upsert to update it)"
            ))
            .into());
        }
    }
    drop(emails);

    // Pass 2: the same records, a chunk at a time, into the one transaction.
    let progress = progress_bar(context, total);
    let mut written = Written::default();
    let mut chunk: Vec<NewEmployee> = Vec::with_capacity(CHUNK);
    each_record(format, input.open()?, |record| {
        stop_if(&interrupted)?;
        let mut employee = record.employee;
        employee.department_id = record
            .department
            .and_then(|name| departments.get(&name).copied());
        chunk.push(employee);
        if chunk.len() == CHUNK {
            written.flush(&mut session, &mut chunk, opts.upsert, &progress)?;
        }
        Ok(())
    })?;
    written.flush(&mut session, &mut chunk, opts.upsert, &progress)?;
    stop_if(&interrupted)?;
    session.commit()?;
    progress.finish_and_clear();
    let Written { added, updated } = written;
    if opts.upsert {
        context.note(format!(
            "imported {} records from {shown}: {added} added, {updated} updated",
            added + updated
        ));
    } else {
        context.note(format!("imported {added} employees from {shown}"));
    }
    Ok(())
}

/// How many records the second pass has written so far.
#[derive(Debug, Default)]
struct Written {
    added: usize,
    updated: usize,
}

impl Written {
    fn flush(
        &mut self,
        session: &mut Session,
        chunk: &mut Vec<NewEmployee>,
        upsert: bool,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        let rows = chunk.len() as u64;
        if upsert {
            let done = session.upsert_by_email(chunk.drain(..))?;
            self.added += done.added;
            self.updated += done.updated;
        } else {
            self.added += session.add_all(chunk.drain(..))?;
        }
        progress.inc(rows);
        Ok(())
    }
}

/// Ends the import with exit 130 once Ctrl-C was pressed; the session, dropped, rolls back.
fn stop_if(interrupted: &AtomicBool) -> anyhow::Result<()> {
    if interrupted.load(Ordering::SeqCst) {
        return Err(Failure::Interrupted("interrupted: nothing was imported".into()).into());
    }
    Ok(())
}

/// The file to import, or standard input copied to an anonymous temporary file.
enum Input {
    Path(PathBuf, String),
    Spooled(File),
}

impl Input {
    fn new(path: &Path, stdin: bool, shown: &str) -> anyhow::Result<Input> {
        if !stdin {
            return Ok(Input::Path(path.to_owned(), shown.to_owned()));
        }
        let unreadable = |e: std::io::Error| Failure::Invalid(format!("cannot read {shown}: {e}"));
        let mut file = tempfile::tempfile()
            .context("cannot create a temporary file to hold standard input")?;
        std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(unreadable)?;
        Ok(Input::Spooled(file))
    }

    /// A reader from the start, past a UTF-8 byte-order mark if there is one.
    fn open(&self) -> anyhow::Result<BufReader<File>> {
        let file = match self {
            Input::Path(path, shown) => File::open(path)
                .map_err(|e| Failure::Invalid(format!("cannot read {shown}: {e}")))?,
            Input::Spooled(file) => {
                let mut file = file.try_clone()?;
                file.seek(SeekFrom::Start(0))?;
                file
            }
        };
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let head = reader
            .fill_buf()
            .map_err(|e| Failure::Invalid(e.to_string()))?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
        Ok(reader)
    }
}

impl Place {
    /// Orders places as they appear in the file.
    fn order(&self) -> u64 {
        match self {
            Place::Line(line) => *line,
            Place::Record(index) => *index as u64,
        }
    }
}

/// Parses and validates each record in turn, handing it to `each`; stops at the first error.
fn each_record(
    format: FileFormat,
    reader: BufReader<File>,
    each: impl FnMut(Parsed) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match format {
        FileFormat::Csv => each_csv(reader, each),
        FileFormat::Json => each_json(reader, each),
    }
}

fn format_of(path: &Path) -> Option<FileFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(FileFormat::Csv),
        "json" => Some(FileFormat::Json),
        _ => None,
    }
}

/// Ctrl-C sets the flag (the import then rolls back and exits 130); a second one exits at once,
/// which leaves the uncommitted transaction to the database's own rollback.
fn watch_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&flag);
    // Without a handler Ctrl-C still stops the import with nothing committed.
    let _ = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    flag
}

/// What went wrong reading CSV, naming the line when csv knows it.
fn csv_failure(error: &csv::Error) -> Failure {
    let what = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => format!("malformed CSV: {error}"),
    };
    match error.position() {
        Some(position) => Failure::Invalid(format!("line {}: {what}", position.line())),
        None => Failure::Invalid(what),
    }
}

fn each_csv(
    reader: impl std::io::Read,
    mut each: impl FnMut(Parsed) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = reader.headers().map_err(|e| csv_failure(&e))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
        return Err(Failure::Invalid("line 1: the CSV file has no header row".into()).into());
    }
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        let header = header.trim();
        if IGNORED.contains(&header) {
            continue;
        }
        let Some(&column) = COLUMNS.iter().find(|c| **c == header) else {
            return Err(Failure::Invalid(format!(
                "line 1: unknown column `{header}`; the columns are {} (and {}, ignored)",
                COLUMNS.join(", "),
                IGNORED.join(", ")
            ))
            .into());
        };
        if index.insert(column, i).is_some() {
            return Err(
                Failure::Invalid(format!("line 1: column `{column}` appears twice")).into(),
            );
        }
    }
    for required in ["name", "age", "position"] {
        if !index.contains_key(required) {
            return Err(Failure::Invalid(format!("line 1: missing column `{required}`")).into());
        }
    }
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_failure(&e))?
    {
        let place = Place::Line(record.position().map_or(0, |p| p.line()));
        let cell = |column: &str| {
            index
                .get(column)
                .and_then(|&i| record.get(i))
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let raw = Raw {
            name: cell("name"),
            age: cell("age").map(Age::Text),
            position: cell("position"),
            email: cell("email"),
            department: cell("department"),
            hired_on: cell("hired_on"),
        };
        each(validate(raw, place)?)?;
    }
    Ok(())
}

/// Streams the elements of a top-level JSON array, one `Value` at a time.
fn each_json(
    reader: impl std::io::Read,
    mut each: impl FnMut(Parsed) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let outcome = Records {
        each: &mut each,
        failure: &mut failure,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some(failure) = failure {
        return Err(failure);
    }
    outcome.map_err(|e| Failure::Invalid(format!("malformed JSON: {e}")).into())
}

/// Visits a JSON array, validating and handing on each element; the first failure is kept.
struct Records<'a, F> {
    each: &'a mut F,
    failure: &'a mut Option<anyhow::Error>,
}

impl<'de, F: FnMut(Parsed) -> anyhow::Result<()>> DeserializeSeed<'de> for Records<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Parsed) -> anyhow::Result<()>> Visitor<'de> for Records<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            index += 1;
            let outcome = json_record(item, Place::Record(index)).and_then(|r| (self.each)(r));
            if let Err(error) = outcome {
                *self.failure = Some(error);
                return Err(A::Error::custom("stopped at a bad record"));
            }
        }
        Ok(())
    }
}

/// One JSON element: an object with the record's fields.
fn json_record(item: Value, place: Place) -> anyhow::Result<Parsed> {
    {
        let Value::Object(object) = item else {
            return Err(Failure::Invalid(format!("{place}: expected a JSON object")).into());
        };
        let mut raw = Raw::default();
        for (key, value) in object {
            let text = |field: &'static str| -> anyhow::Result<Option<String>> {
                match &value {
                    Value::Null => Ok(None),
                    Value::String(s) if s.is_empty() => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    _ => Err(anyhow::Error::new(Error::validation(
                        field,
                        "must be a string or null",
                    ))
                    .context(place.to_string())),
                }
            };
            match key.as_str() {
                "name" => raw.name = text("name")?,
                "position" => raw.position = text("position")?,
                "email" => raw.email = text("email")?,
                "department" => raw.department = text("department")?,
                "hired_on" => raw.hired_on = text("hired_on")?,
                "age" => {
                    raw.age = match &value {
                        Value::Null => None,
                        Value::Number(n) => Some(Age::Number(n.as_i64())),
                        Value::String(s) => Some(Age::Text(s.clone())),
                        _ => Some(Age::Number(None)),
                    }
                }
                other if IGNORED.contains(&other) => {}
                other => {
                    return Err(Failure::Invalid(format!(
                        "{place}: unknown field `{other}`; the fields are {} (and {}, ignored)",
                        COLUMNS.join(", "),
                        IGNORED.join(", ")
                    ))
                    .into());
                }
            }
        }
        validate(raw, place)
    }
}

/// Checks one record by the library's rules; the error names its place and field.
fn validate(raw: Raw, place: Place) -> anyhow::Result<Parsed> {
    let checked = || -> staffdb::Result<Parsed> {
        let age = match raw.age {
            None => return Err(Error::validation("age", "is missing")),
            Some(Age::Text(text)) => text
                .trim()
                .parse::<i32>()
                .map_err(|_| Error::validation("age", format!("`{text}` is not a whole number")))?,
            Some(Age::Number(n)) => n
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| Error::validation("age", "must be a whole number from 0 to 150"))?,
        };
        let mut employee = NewEmployee::new(
            raw.name.unwrap_or_default(),
            age,
            raw.position.unwrap_or_default(),
        );
        employee.email = raw.email;
        employee.hired_on = match raw.hired_on.as_deref() {
            None => None,
            Some(date) => Some(staffdb::parse_date(date).map_err(|e| match e {
                Error::Validation { reason, .. } => Error::validation("hired_on", reason),
                other => other,
            })?),
        };
        employee.validate()?;
        if let Some(name) = &raw.department {
            staffdb::upsert::validate_department_name(name)?;
        }
        Ok(Parsed {
            employee,
            department: raw.department,
            place,
        })
    };
    checked()
        .map_err(anyhow::Error::new)
        .with_context(|| place.to_string())
}

fn progress_bar(context: &Context, total: u64) -> ProgressBar {
    if !context.progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
