//! `staffdb import FILE`: employees from CSV or JSON, every record validated first, then written
//! in one transaction — one bad record and nothing is written.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use staffdb::{Error, NewEmployee};

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
    let text = read_text(&opts.file, stdin, &shown)?;
    let records = match format {
        FileFormat::Csv => parse_csv(&text)?,
        FileFormat::Json => parse_json(&text)?,
    };
    drop(text);
    refuse_duplicate_emails(&records)?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(Failure::Interrupted("interrupted: nothing was imported".into()).into());
    }

    let db = context.open()?;
    let mut session = db.session()?;
    let names: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.department.as_deref())
        .collect();
    let mut departments = HashMap::with_capacity(names.len());
    for name in names {
        departments.insert(name.to_owned(), session.ensure_department(name)?.id);
    }
    if !opts.upsert {
        let existing = session
            .employee_ids_by_email(records.iter().filter_map(|r| r.employee.email.as_deref()))?;
        if let Some((record, id)) = records.iter().find_map(|r| {
            r.employee
                .email
                .as_ref()
                .and_then(|e| existing.get(e))
                .map(|id| (r, id))
        }) {
            return Err(Failure::Refused(format!(
                "{}: email `{}` already belongs to employee {id}; nothing was imported (use --upsert to update it)",
                record.place,
                record.employee.email.as_deref().unwrap_or_default()
            ))
            .into());
        }
    }

    let progress = progress_bar(context, records.len());
    let employees = records.into_iter().map(|record| {
        let mut employee = record.employee;
        employee.department_id = record
            .department
            .and_then(|name| departments.get(&name).copied());
        progress.inc(1);
        employee
    });
    let stop = Arc::clone(&interrupted);
    let employees = employees.take_while(move |_| !stop.load(Ordering::SeqCst));
    let (added, updated) = if opts.upsert {
        let done = session.upsert_by_email(employees)?;
        (done.added, done.updated)
    } else {
        (session.add_all(employees)?, 0)
    };
    progress.finish_and_clear();
    if interrupted.load(Ordering::SeqCst) {
        // Dropping the session would roll back too; a failed rollback must not hide the 130.
        let _ = session.rollback();
        return Err(Failure::Interrupted("interrupted: nothing was imported".into()).into());
    }
    session.commit()?;
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

fn read_text(path: &Path, stdin: bool, shown: &str) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    let read = if stdin {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::Invalid(format!("cannot read {shown}: {e}")))?;
    let mut text = String::from_utf8(bytes)
        .map_err(|e| Failure::Invalid(format!("{shown} is not UTF-8 text: {e}")))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

fn parse_csv(text: &str) -> anyhow::Result<Vec<Parsed>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Failure::Invalid(format!("malformed CSV header: {e}")))?
        .clone();
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
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| match e.position() {
            Some(position) => {
                Failure::Invalid(format!("line {}: malformed CSV: {e}", position.line()))
            }
            None => Failure::Invalid(format!("malformed CSV: {e}")),
        })?;
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
        records.push(validate(raw, place)?);
    }
    Ok(records)
}

fn parse_json(text: &str) -> anyhow::Result<Vec<Parsed>> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| Failure::Invalid(format!("malformed JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(Failure::Invalid("expected a JSON array of objects".into()).into());
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let place = Place::Record(i + 1);
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
        records.push(validate(raw, place)?);
    }
    Ok(records)
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

/// Two records with the same email can never both be written: invalid input naming both.
fn refuse_duplicate_emails(records: &[Parsed]) -> anyhow::Result<()> {
    let mut seen: HashMap<&str, Place> = HashMap::new();
    for record in records {
        if let Some(email) = record.employee.email.as_deref() {
            if let Some(first) = seen.insert(email, record.place) {
                return Err(Error::validation(
                    "email",
                    format!(
                        "`{email}` appears twice, on {first} and on {}",
                        record.place
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

fn progress_bar(context: &Context, total: usize) -> ProgressBar {
    if !context.progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
