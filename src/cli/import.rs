//! `staffdb import FILE`: employees from CSV or JSON, through the library's
//! [`Employee::import`] — every record validated first, then all written in one transaction.
//!
//! This file only reads: it turns CSV rows or JSON objects into [`ImportRecord`]s, as often as
//! the library asks (it reads twice: to validate, then to write). Standard input is first copied
//! to an anonymous temporary file so that it, too, can be read twice.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use staffdb::{
    Employee, ImportError, ImportOptions, ImportRecord, ImportRecords, ImportSource, NewEmployee,
};

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

/// Reads the file through the library's import; prints how many records were written.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let stdin = opts.file.as_os_str() == "-";
    let shown = if stdin {
        "standard input".to_owned()
    } else {
        opts.file.display().to_string()
    };
    let format = match opts.format {
        Some(format) => format,
        // What `staffdb export` writes by default, so `staffdb export | staffdb import -` works.
        None if stdin => FileFormat::Csv,
        None => format_of(&opts.file).ok_or_else(|| {
            Failure::Invalid(format!(
                "cannot tell the format of {shown}: name a .csv or .json file, or pass --format csv|json"
            ))
        })?,
    };
    let interrupted = watch_ctrl_c();
    let mut source = Source {
        input: Input::new(&opts.file, stdin, &shown)?,
        format,
        progress: ProgressBar::hidden(),
        visible: context.progress_visible(),
    };
    let db = context.open()?;
    let options = ImportOptions {
        upsert: opts.upsert,
        cancel: Some(interrupted),
    };
    let imported = Employee::import(&db, &mut source, options).map_err(failure)?;
    source.progress.finish_and_clear();
    let (added, updated) = (imported.added, imported.updated);
    if opts.upsert {
        let total = added + updated;
        context.note(format!(
            "imported {total} records from {shown}: {added} added, {updated} updated"
        ));
    } else {
        let plural = if added == 1 { "" } else { "s" };
        context.note(format!("imported {added} employee{plural} from {shown}"));
    }
    Ok(())
}

/// The library's reason, as the CLI words it and with the exit code it maps to.
fn failure(error: ImportError<ReadFailure>) -> anyhow::Error {
    match error {
        ImportError::Source(read) => Failure::Invalid(read.0).into(),
        ImportError::Invalid { place, error } => anyhow::Error::new(error).context(place),
        ImportError::EmailTaken { place, email, id } => Failure::Refused(format!(
            "{place}: email `{email}` already belongs to employee {id}; nothing was imported (use --upsert to update it)"
        ))
        .into(),
        ImportError::Cancelled => {
            Failure::Interrupted("interrupted: nothing was imported".into()).into()
        }
        ImportError::Database(error) => error.into(),
        changed @ ImportError::Changed(_) => Failure::Refused(changed.to_string()).into(),
    }
}

/// Why a record could not be read: the whole message, place included (exit 2).
#[derive(Debug)]
pub struct ReadFailure(String);

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadFailure {}

/// The file, read as records of its format, with a progress bar while writing.
struct Source {
    input: Input,
    format: FileFormat,
    progress: ProgressBar,
    visible: bool,
}

impl ImportSource for Source {
    type Error = ReadFailure;

    fn records(&mut self, pass: u8) -> Result<ImportRecords<'_, ReadFailure>, ReadFailure> {
        let reader = self.input.open()?;
        if pass == 2 && self.visible {
            self.progress = progress_bar();
        }
        let progress = self.progress.clone();
        let records: ImportRecords<'static, ReadFailure> = match self.format {
            FileFormat::Csv => Box::new(CsvRecords::new(reader)?),
            FileFormat::Json => Box::new(JsonRecords::new(reader)?),
        };
        Ok(Box::new(records.inspect(move |_| progress.inc(1))))
    }

    fn describe(&self, place: u64) -> String {
        match self.format {
            FileFormat::Csv => format!("line {place}"),
            FileFormat::Json => format!("record {place}"),
        }
    }
}

/// Ctrl-C (or SIGTERM) sets the flag: the import stops at the next record, rolls back and exits
/// 130. If it is waiting for the database instead (a lock another writer holds), the handler
/// exits 130 itself a second later, leaving the uncommitted transaction to the database's own
/// rollback.
fn watch_ctrl_c() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    // Without a handler Ctrl-C still stops the import with nothing committed.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_secs(1));
        let _ = writeln!(
            std::io::stderr(),
            "error: interrupted: nothing was imported"
        );
        std::process::exit(130);
    });
    &INTERRUPTED
}

/// The file to import, or standard input copied to an anonymous temporary file.
enum Input {
    Path(PathBuf, String),
    Spooled(File),
}

impl Input {
    /// A regular file is read where it is; standard input, a FIFO, `/dev/stdin` or any other
    /// stream that can be read only once is first copied to a temporary file.
    fn new(path: &Path, stdin: bool, shown: &str) -> anyhow::Result<Input> {
        let unreadable = |e: std::io::Error| Failure::Invalid(format!("cannot read {shown}: {e}"));
        let regular = !stdin && std::fs::metadata(path).map_err(unreadable)?.is_file();
        if regular {
            return Ok(Input::Path(path.to_owned(), shown.to_owned()));
        }
        let mut file = tempfile::tempfile()
            .with_context(|| format!("cannot create a temporary file to hold {shown}"))?;
        if stdin {
            std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(unreadable)?;
        } else {
            std::io::copy(&mut File::open(path).map_err(unreadable)?, &mut file)
                .map_err(unreadable)?;
        }
        Ok(Input::Spooled(file))
    }

    /// A reader from the start, past a UTF-8 byte-order mark if there is one.
    fn open(&self) -> Result<BufReader<File>, ReadFailure> {
        let file = match self {
            Input::Path(path, shown) => {
                File::open(path).map_err(|e| ReadFailure(format!("cannot read {shown}: {e}")))?
            }
            Input::Spooled(file) => file
                .try_clone()
                .and_then(|mut file| file.seek(SeekFrom::Start(0)).map(|_| file))
                .map_err(|e| ReadFailure(format!("cannot read standard input: {e}")))?,
        };
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let head = reader.fill_buf().map_err(|e| ReadFailure(e.to_string()))?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
        Ok(reader)
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

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} rows  {per_sec}  {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// One record's raw values, before they are typed; `None` is a missing or empty value.
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

impl Raw {
    /// The record with its values typed (a whole-number age, a real date); the library then
    /// validates it. A value that can't be typed names its place and field.
    fn into_record(self, place: u64, shown: &str) -> Result<ImportRecord, ReadFailure> {
        let invalid = |field: &str, reason: String| {
            ReadFailure(format!("{shown}: invalid {field}: {reason}"))
        };
        let age = match self.age {
            None => return Err(invalid("age", "is missing".into())),
            Some(Age::Text(text)) => text
                .trim()
                .parse::<i32>()
                .map_err(|_| invalid("age", format!("`{text}` is not a whole number")))?,
            Some(Age::Number(n)) => n
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| invalid("age", "must be a whole number from 0 to 150".into()))?,
        };
        let hired_on = match self.hired_on.as_deref() {
            None => None,
            Some(date) => Some(staffdb::parse_date(date).map_err(|e| match e {
                staffdb::Error::Validation { reason, .. } => invalid("hired_on", reason),
                other => invalid("hired_on", other.to_string()),
            })?),
        };
        let employee = NewEmployee {
            email: self.email,
            hired_on,
            ..NewEmployee::new(
                self.name.unwrap_or_default(),
                age,
                self.position.unwrap_or_default(),
            )
        };
        Ok(ImportRecord {
            employee,
            department: self.department,
            place,
        })
    }
}

/// What went wrong reading CSV, naming the line when csv knows it.
fn csv_failure(error: &csv::Error) -> ReadFailure {
    let what = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => format!("malformed CSV: {error}"),
    };
    match error.position() {
        Some(position) => ReadFailure(format!("line {}: {what}", position.line())),
        None => ReadFailure(what),
    }
}

/// The rows of a CSV file with a header, as records; the place is the physical line.
struct CsvRecords {
    reader: csv::Reader<BufReader<File>>,
    index: HashMap<&'static str, usize>,
    record: csv::StringRecord,
}

impl CsvRecords {
    fn new(reader: BufReader<File>) -> Result<Self, ReadFailure> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let headers = reader.headers().map_err(|e| csv_failure(&e))?.clone();
        Ok(CsvRecords {
            reader,
            index: header_index(&headers)?,
            record: csv::StringRecord::new(),
        })
    }

    fn cell(&self, column: &str) -> Option<String> {
        self.index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }
}

/// Which column holds which field, refusing unknown, repeated or missing ones.
fn header_index(headers: &csv::StringRecord) -> Result<HashMap<&'static str, usize>, ReadFailure> {
    if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
        return Err(ReadFailure("line 1: the CSV file has no header row".into()));
    }
    let mut index = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        let header = header.trim();
        if IGNORED.contains(&header) {
            continue;
        }
        let Some(&column) = COLUMNS.iter().find(|c| **c == header) else {
            return Err(ReadFailure(format!(
                "line 1: unknown column `{header}`; the columns are {} (and {}, ignored)",
                COLUMNS.join(", "),
                IGNORED.join(", ")
            )));
        };
        if index.insert(column, i).is_some() {
            return Err(ReadFailure(format!(
                "line 1: column `{column}` appears twice"
            )));
        }
    }
    match ["name", "age", "position"]
        .iter()
        .find(|c| !index.contains_key(*c))
    {
        Some(missing) => Err(ReadFailure(format!("line 1: missing column `{missing}`"))),
        None => Ok(index),
    }
}

impl Iterator for CsvRecords {
    type Item = Result<ImportRecord, ReadFailure>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return None,
            Err(error) => return Some(Err(csv_failure(&error))),
            Ok(true) => {}
        }
        let line = self.record.position().map_or(0, |p| p.line());
        let raw = Raw {
            name: self.cell("name"),
            age: self.cell("age").map(Age::Text),
            position: self.cell("position"),
            email: self.cell("email"),
            department: self.cell("department"),
            hired_on: self.cell("hired_on"),
        };
        Some(raw.into_record(line, &format!("line {line}")))
    }
}

/// The elements of a top-level JSON array, read one object at a time; the place is the 1-based
/// index.
struct JsonRecords {
    reader: BufReader<File>,
    index: u64,
    done: bool,
}

impl JsonRecords {
    fn new(mut reader: BufReader<File>) -> Result<Self, ReadFailure> {
        match next_byte(&mut reader)? {
            Some(b'[') => Ok(JsonRecords {
                reader,
                index: 0,
                done: false,
            }),
            _ => Err(ReadFailure(
                "malformed JSON: expected a JSON array of objects".into(),
            )),
        }
    }

    /// The next element, or `None` after the closing bracket.
    fn element(&mut self) -> Result<Option<Value>, ReadFailure> {
        let malformed = |e: String| ReadFailure(format!("malformed JSON: {e}"));
        if self.index > 0 {
            match next_byte(&mut self.reader)? {
                Some(b',') => {}
                Some(b']') => return self.end(),
                _ => return Err(malformed("expected `,` or `]` after an element".into())),
            }
        } else if peek_byte(&mut self.reader)? == Some(b']') {
            self.reader.consume(1);
            return self.end();
        }
        // An object ends at its `}`: serde reads no byte past it.
        let mut de = serde_json::Deserializer::from_reader(&mut self.reader);
        let value =
            serde::Deserialize::deserialize(&mut de).map_err(|e| malformed(e.to_string()))?;
        self.index += 1;
        Ok(Some(value))
    }

    /// After the closing bracket only whitespace may follow.
    fn end(&mut self) -> Result<Option<Value>, ReadFailure> {
        self.done = true;
        match next_byte(&mut self.reader)? {
            None => Ok(None),
            Some(_) => Err(ReadFailure(
                "malformed JSON: trailing characters after the array".into(),
            )),
        }
    }
}

/// The next byte that is not JSON whitespace, without consuming it.
fn peek_byte(reader: &mut BufReader<File>) -> Result<Option<u8>, ReadFailure> {
    loop {
        let buffer = reader
            .fill_buf()
            .map_err(|e| ReadFailure(format!("cannot read: {e}")))?;
        let Some(&byte) = buffer.first() else {
            return Ok(None);
        };
        if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            reader.consume(1);
        } else {
            return Ok(Some(byte));
        }
    }
}

/// The next byte that is not JSON whitespace, consumed.
fn next_byte(reader: &mut BufReader<File>) -> Result<Option<u8>, ReadFailure> {
    let byte = peek_byte(reader)?;
    if byte.is_some() {
        reader.consume(1);
    }
    Ok(byte)
}

impl Iterator for JsonRecords {
    type Item = Result<ImportRecord, ReadFailure>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let outcome = self.element().and_then(|element| match element {
            None => Ok(None),
            Some(value) => json_record(value, self.index).map(Some),
        });
        if outcome.is_err() {
            self.done = true;
        }
        outcome.transpose()
    }
}

/// One JSON element: an object with the record's fields.
fn json_record(item: Value, index: u64) -> Result<ImportRecord, ReadFailure> {
    let place = format!("record {index}");
    let Value::Object(object) = item else {
        return Err(ReadFailure(format!("{place}: expected a JSON object")));
    };
    let mut raw = Raw::default();
    for (key, value) in object {
        let text = |field: &str| match &value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(ReadFailure(format!(
                "{place}: invalid {field}: must be a string or null"
            ))),
        };
        match key.as_str() {
            "name" => raw.name = text("name")?,
            "position" => raw.position = text("position")?,
            "email" => raw.email = text("email")?,
            "department" => raw.department = text("department")?,
            "hired_on" => raw.hired_on = text("hired_on")?,
            "age" => raw.age = json_age(&value),
            other if IGNORED.contains(&other) => {}
            other => {
                return Err(ReadFailure(format!(
                    "{place}: unknown field `{other}`; the fields are {} (and {}, ignored)",
                    COLUMNS.join(", "),
                    IGNORED.join(", ")
                )));
            }
        }
    }
    raw.into_record(index, &place)
}

fn json_age(value: &Value) -> Option<Age> {
    match value {
        Value::Null => None,
        Value::Number(n) => Some(Age::Number(n.as_i64())),
        Value::String(s) => Some(Age::Text(s.clone())),
        _ => Some(Age::Number(None)),
    }
}
