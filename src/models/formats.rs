//! Reading employees from CSV and JSON as typed records ([`CsvRecords`], [`JsonRecords`]), and
//! the pieces every model's import and export share: [`RecordFormat`], [`Place`], and the CSV
//! cells that neutralise formulas ([`csv_cell`], [`csv_cell_read`]).
//!
//! The readers take any [`BufRead`] (a file, standard input spooled to a file, a byte slice), skip
//! a UTF-8 byte-order mark, and yield one [`ImportRecord`] or one [`RecordError`] at a time, never
//! holding the whole input: a file of millions of rows reads in constant memory. The values are
//! typed here (a whole-number age, a real date); the import validates them.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{BufRead, Read};

use serde_json::Value;

use super::{NewEmployee, parse_date};
use crate::Error;

/// One employee record read from a file: the employee, the name of their department, and where
/// the record is in its file (a line or a record number, for messages).
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// The employee; `department_id` is ignored (the department is named instead).
    pub employee: NewEmployee,
    /// The department's name.
    pub department: Option<String>,
    /// The record's line (CSV) or 1-based element (JSON).
    pub place: u64,
}

/// The columns (CSV) or keys (JSON) a record may carry.
pub const IMPORT_COLUMNS: [&str; 6] =
    ["name", "age", "position", "email", "department", "hired_on"];
/// The columns (CSV) or keys (JSON) that `staffdb export` writes and an import ignores.
pub const IGNORED_COLUMNS: [&str; 4] = ["id", "version", "created_at", "updated_at"];

/// Where in its input a record or an error is: a CSV file's physical line, a JSON array's
/// element (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A line of a CSV file (the header is line 1).
    Line(u64),
    /// An element of a JSON array (the first is record 1).
    Record(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Record(record) => write!(f, "record {record}"),
        }
    }
}

/// Why a CSV or JSON record could not be read. [`RecordError::place`] says where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The input could not be read.
    #[error("cannot read: {source}")]
    Io {
        /// Where reading stopped.
        place: Place,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed CSV: a row with more fields than the header, bytes that are not UTF-8.
    #[error("{}", csv_message(*.line, .source))]
    Csv {
        /// The line, when the CSV reader knows it.
        line: Option<u64>,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
    /// The CSV input has no header row.
    #[error("line 1: the CSV file has no header row")]
    NoHeader,
    /// A header names a column that is neither imported nor ignored.
    #[error(
        "line 1: unknown column `{0}`; the columns are {columns} (and {ignored}, ignored)",
        columns = IMPORT_COLUMNS.join(", "),
        ignored = IGNORED_COLUMNS.join(", ")
    )]
    UnknownColumn(String),
    /// A header names a column twice.
    #[error("line 1: column `{0}` appears twice")]
    DuplicateColumn(&'static str),
    /// The header lacks a column every record needs (`name`, `age`, `position`).
    #[error("line 1: missing column `{0}`")]
    MissingColumn(&'static str),
    /// The JSON input is not an array.
    #[error("malformed JSON: expected a JSON array of objects")]
    NotAnArray,
    /// Malformed JSON inside an element; the parser's line and column count from the element's
    /// start.
    #[error("malformed JSON: {source}")]
    Json {
        /// The element being read.
        record: u64,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Something other than `,` or `]` follows an element.
    #[error("malformed JSON: expected `,` or `]` after an element")]
    MissingSeparator {
        /// The element that would have come next.
        record: u64,
    },
    /// Something other than whitespace follows the array's closing bracket.
    #[error("malformed JSON: trailing characters after the array")]
    TrailingCharacters {
        /// The element that would have come next.
        record: u64,
    },
    /// An element of the array is not an object.
    #[error("record {0}: expected a JSON object")]
    NotAnObject(u64),
    /// An object has a key that is neither imported nor ignored.
    #[error(
        "record {record}: unknown field `{field}`; the fields are {columns} (and {ignored}, ignored)",
        columns = IMPORT_COLUMNS.join(", "),
        ignored = IGNORED_COLUMNS.join(", ")
    )]
    UnknownField {
        /// The element.
        record: u64,
        /// The key.
        field: String,
    },
    /// A value cannot be typed: an age that is no whole number, a date that does not exist, a
    /// JSON value of the wrong type.
    #[error("{place}: invalid {field}: {reason}")]
    Invalid {
        /// The record.
        place: Place,
        /// The field (`age`, `hired_on`).
        field: &'static str,
        /// Why, in words.
        reason: String,
    },
}

impl RecordError {
    /// Where the error is: every error of a readable input names its line (CSV) or record
    /// (JSON); only a CSV reader's error without a position has none.
    pub fn place(&self) -> Option<Place> {
        match self {
            RecordError::Io { place, .. } | RecordError::Invalid { place, .. } => Some(*place),
            RecordError::Csv { line, .. } => line.map(Place::Line),
            RecordError::NoHeader
            | RecordError::UnknownColumn(_)
            | RecordError::DuplicateColumn(_)
            | RecordError::MissingColumn(_) => Some(Place::Line(1)),
            RecordError::NotAnArray => Some(Place::Record(1)),
            RecordError::Json { record, .. }
            | RecordError::MissingSeparator { record }
            | RecordError::TrailingCharacters { record }
            | RecordError::NotAnObject(record)
            | RecordError::UnknownField { record, .. } => Some(Place::Record(*record)),
        }
    }
}

fn csv_message(line: Option<u64>, error: &csv::Error) -> String {
    let what = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => format!("malformed CSV: {error}"),
    };
    match line {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

/// The input as the CSV reader pulls it, remembering where its recent line ends are, to count
/// physical lines (ended by `\n`, `\r\n` or a lone `\r`): csv's own count is one short for a
/// record after a `\r\n`, and csv places a record at the blank lines it skipped before it.
struct LineEnds<R> {
    inner: R,
    offset: u64,
    /// The `\r` and `\n` bytes the CSV reader has buffered but no record has passed yet.
    ends: VecDeque<(u64, u8)>,
    /// The `\n` bytes before those.
    newlines: u64,
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let ends = buf[..n].iter().enumerate();
        let ends = ends.filter(|(_, byte)| matches!(byte, b'\r' | b'\n'));
        self.ends
            .extend(ends.map(|(i, &byte)| (self.offset + i as u64, byte)));
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineEnds<R> {
    /// The physical line of the record csv places at `position`, past any blank lines.
    /// Records are asked about in order, so the line ends before this one are forgotten.
    fn line(&mut self, position: &csv::Position) -> u64 {
        let mut start = position.byte();
        while let Some(&(at, byte)) = self.ends.front() {
            if at > start {
                break;
            }
            if at == start {
                // A line end where the record is placed: a blank line skipped before it.
                start += 1;
            }
            // A line ends at `\n`, and at a `\r` that no `\n` follows (csv ends a record there
            // too): a lone `\r` counted as nothing put the record after it on the header's line.
            let crlf = byte == b'\r'
                && self
                    .ends
                    .get(1)
                    .is_some_and(|&(next, b)| next == at + 1 && b == b'\n');
            self.newlines += u64::from(byte == b'\n' || (byte == b'\r' && !crlf));
            self.ends.pop_front();
        }
        self.newlines + 1
    }
}

/// Consumes a UTF-8 byte-order mark at the start of `reader`, if there is one.
pub(crate) fn skip_bom<R: BufRead>(reader: &mut R, place: Place) -> Result<(), RecordError> {
    let head = reader
        .fill_buf()
        .map_err(|source| RecordError::Io { place, source })?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
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
    /// The record with its values typed (a whole-number age, a real date); the import then
    /// validates it. A value that can't be typed names its place and field.
    fn into_record(self, place: Place, at: u64) -> Result<ImportRecord, RecordError> {
        let invalid = |field, reason| RecordError::Invalid {
            place,
            field,
            reason,
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
            Some(date) => Some(parse_date(date).map_err(|e| match e {
                Error::Validation { reason, .. } => invalid("hired_on", reason),
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
            place: at,
        })
    }
}

/// What a spreadsheet takes for the start of a formula (or, tab and CR, what it strips before
/// looking): OWASP's list for CSV injection.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True for a cell a spreadsheet could run, and for one that only looks like a neutralised one:
/// any number of `'`, then a character of [`FORMULA_STARTS`].
fn needs_quote(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text cell as a CSV export writes it: one `'` before a cell that begins with `=`, `+`, `-`,
/// `@`, a tab or a CR (so that a spreadsheet shows it as text instead of running it, as OWASP
/// advises), and before a cell that is `'`s followed by one of those (so that reading it back
/// is exact); any other cell as it is. [`csv_cell_read`] undoes it: for every string `s`,
/// `csv_cell_read(&csv_cell(s)) == s`.
///
/// ```
/// use staffdb::{csv_cell, csv_cell_read};
///
/// assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
/// assert_eq!(csv_cell("'=1"), "''=1");
/// assert_eq!(csv_cell("O'Brien"), "O'Brien");
/// assert_eq!(csv_cell_read("''=1"), "'=1");
/// assert_eq!(csv_cell_read("'quoted"), "'quoted");
/// ```
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A text cell of a CSV file as its value: one leading `'` taken off when what follows is
/// `'`s and a character a spreadsheet would run (see [`csv_cell`]); any other cell as it is.
pub fn csv_cell_read(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

/// The two formats a file of employee records comes in: what `staffdb export` writes and
/// `staffdb import` (and the web API's import) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// CSV with a header row ([`CsvRecords`]).
    Csv,
    /// A JSON array of objects ([`JsonRecords`]).
    Json,
}

/// The rows of a CSV file with a header row, as records; a record's place is its physical line.
///
/// The header names the columns, in any order: `name`, `age` and `position` are required;
/// `email`, `department` and `hired_on` are optional; `id`, `version`, `created_at` and
/// `updated_at` (which `staffdb export` writes) are ignored; any other column is refused. An
/// empty cell is a missing value.
///
/// ```
/// use staffdb::{CsvRecords, Place};
///
/// let csv = "\u{feff}name,age,position\r\nAnn,30,Clerk\r\nBob,many,Clerk\r\n";
/// let mut records = CsvRecords::new(csv.as_bytes())?;
/// let ann = records.next().expect("a record")?;
/// assert_eq!((ann.employee.name.as_str(), ann.employee.age, ann.place), ("Ann", 30, 2));
/// let bob = records.next().expect("a record").unwrap_err();
/// assert_eq!(bob.place(), Some(Place::Line(3)));
/// assert_eq!(bob.to_string(), "line 3: invalid age: `many` is not a whole number");
/// # Ok::<(), staffdb::RecordError>(())
/// ```
pub struct CsvRecords<R: BufRead> {
    reader: csv::Reader<LineEnds<R>>,
    index: HashMap<&'static str, usize>,
    record: csv::StringRecord,
}

impl<R: BufRead> CsvRecords<R> {
    /// Reads the header row (after a byte-order mark, if any); refuses unknown, repeated or
    /// missing columns.
    pub fn new(mut reader: R) -> Result<Self, RecordError> {
        skip_bom(&mut reader, Place::Line(1))?;
        let reader = LineEnds {
            inner: reader,
            offset: 0,
            ends: VecDeque::new(),
            newlines: 0,
        };
        let mut records = CsvRecords {
            reader: csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(reader),
            index: HashMap::new(),
            record: csv::StringRecord::new(),
        };
        let headers = match records.reader.headers() {
            Ok(headers) => headers.clone(),
            Err(error) => return Err(records.csv_error(error)),
        };
        records.index = header_index(&headers)?;
        Ok(records)
    }

    fn csv_error(&mut self, error: csv::Error) -> RecordError {
        RecordError::Csv {
            line: error.position().map(|p| self.reader.get_mut().line(p)),
            source: error,
        }
    }

    /// The value of `column`'s cell, with an export's neutralising `'` taken off
    /// ([`csv_cell_read`]); `None` when empty.
    fn cell(&self, column: &str) -> Option<String> {
        self.index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .filter(|value| !value.is_empty())
            .map(|value| csv_cell_read(value).to_owned())
    }
}

impl<R: BufRead> fmt::Debug for CsvRecords<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvRecords")
            .field("columns", &self.index)
            .finish_non_exhaustive()
    }
}

/// Which column holds which field, refusing unknown, repeated or missing ones.
fn header_index(headers: &csv::StringRecord) -> Result<HashMap<&'static str, usize>, RecordError> {
    if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
        return Err(RecordError::NoHeader);
    }
    let mut index = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        let header = header.trim();
        if IGNORED_COLUMNS.contains(&header) {
            continue;
        }
        let Some(&column) = IMPORT_COLUMNS.iter().find(|c| **c == header) else {
            return Err(RecordError::UnknownColumn(header.to_owned()));
        };
        if index.insert(column, i).is_some() {
            return Err(RecordError::DuplicateColumn(column));
        }
    }
    match ["name", "age", "position"]
        .into_iter()
        .find(|c| !index.contains_key(c))
    {
        Some(missing) => Err(RecordError::MissingColumn(missing)),
        None => Ok(index),
    }
}

impl<R: BufRead> Iterator for CsvRecords<R> {
    type Item = Result<ImportRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return None,
            Err(error) => return Some(Err(self.csv_error(error))),
            Ok(true) => {}
        }
        let line = match self.record.position() {
            Some(position) => self.reader.get_mut().line(position),
            None => 0,
        };
        let raw = Raw {
            name: self.cell("name"),
            age: self.cell("age").map(Age::Text),
            position: self.cell("position"),
            email: self.cell("email"),
            department: self.cell("department"),
            hired_on: self.cell("hired_on"),
        };
        Some(raw.into_record(Place::Line(line), line))
    }
}

/// The elements of a top-level JSON array, read one object at a time; a record's place is its
/// 1-based index. Reading stops at the first error.
///
/// Each element is an object with the same keys as [`CsvRecords`]' columns; a value is a
/// string or `null` (an age may also be a number).
///
/// ```
/// use staffdb::{JsonRecords, Place};
///
/// let json = r#"[{"name": "Ann", "age": 30, "position": "Clerk"}, {"name": "Bob", "boss": 1}]"#;
/// let mut records = JsonRecords::new(json.as_bytes())?;
/// assert_eq!(records.next().expect("a record")?.employee.name, "Ann");
/// let error = records.next().expect("a record").unwrap_err();
/// assert_eq!(error.place(), Some(Place::Record(2)));
/// assert!(error.to_string().starts_with("record 2: unknown field `boss`"));
/// assert!(records.next().is_none());
/// # Ok::<(), staffdb::RecordError>(())
/// ```
#[derive(Debug)]
pub struct JsonRecords<R: BufRead> {
    reader: R,
    index: u64,
    done: bool,
}

impl<R: BufRead> JsonRecords<R> {
    /// Checks that the input (after a byte-order mark, if any) opens an array.
    pub fn new(mut reader: R) -> Result<Self, RecordError> {
        skip_bom(&mut reader, Place::Record(1))?;
        let mut records = JsonRecords {
            reader,
            index: 0,
            done: false,
        };
        match records.next_byte()? {
            Some(b'[') => Ok(records),
            _ => Err(RecordError::NotAnArray),
        }
    }

    /// The next element, or `None` after the closing bracket.
    fn element(&mut self) -> Result<Option<Value>, RecordError> {
        let record = self.index + 1;
        if self.index > 0 {
            match self.next_byte()? {
                Some(b',') => {}
                Some(b']') => return self.end(),
                _ => return Err(RecordError::MissingSeparator { record }),
            }
        } else if self.peek_byte()? == Some(b']') {
            self.reader.consume(1);
            return self.end();
        }
        // An object ends at its `}`: serde reads no byte past it.
        let mut de = serde_json::Deserializer::from_reader(&mut self.reader);
        let value = serde::Deserialize::deserialize(&mut de)
            .map_err(|source| RecordError::Json { record, source })?;
        self.index = record;
        Ok(Some(value))
    }

    /// After the closing bracket only whitespace may follow.
    fn end(&mut self) -> Result<Option<Value>, RecordError> {
        self.done = true;
        match self.next_byte()? {
            None => Ok(None),
            Some(_) => Err(RecordError::TrailingCharacters {
                record: self.index + 1,
            }),
        }
    }

    /// The next byte that is not JSON whitespace, without consuming it.
    fn peek_byte(&mut self) -> Result<Option<u8>, RecordError> {
        loop {
            let buffer = self.reader.fill_buf().map_err(|source| RecordError::Io {
                place: Place::Record(self.index + 1),
                source,
            })?;
            let Some(&byte) = buffer.first() else {
                return Ok(None);
            };
            if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                self.reader.consume(1);
            } else {
                return Ok(Some(byte));
            }
        }
    }

    /// The next byte that is not JSON whitespace, consumed.
    fn next_byte(&mut self) -> Result<Option<u8>, RecordError> {
        let byte = self.peek_byte()?;
        if byte.is_some() {
            self.reader.consume(1);
        }
        Ok(byte)
    }
}

impl<R: BufRead> JsonRecords<R> {
    /// The next element of the array as it is, with its 1-based number: what an import of any
    /// model reads (the employees' records are [`JsonRecords`]' items).
    pub(crate) fn next_element(&mut self) -> Option<Result<(u64, Value), RecordError>> {
        if self.done {
            return None;
        }
        let outcome = self.element();
        if outcome.is_err() {
            self.done = true;
        }
        outcome
            .map(|element| element.map(|value| (self.index, value)))
            .transpose()
    }
}

impl<R: BufRead> Iterator for JsonRecords<R> {
    type Item = Result<ImportRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let outcome = self
            .next_element()?
            .and_then(|(index, value)| json_record(value, index));
        if outcome.is_err() {
            self.done = true;
        }
        Some(outcome)
    }
}

/// One JSON element: an object with the record's fields.
fn json_record(item: Value, index: u64) -> Result<ImportRecord, RecordError> {
    let place = Place::Record(index);
    let Value::Object(object) = item else {
        return Err(RecordError::NotAnObject(index));
    };
    let mut raw = Raw::default();
    for (key, value) in object {
        let text = |field| match &value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(RecordError::Invalid {
                place,
                field,
                reason: "must be a string or null".into(),
            }),
        };
        match key.as_str() {
            "name" => raw.name = text("name")?,
            "position" => raw.position = text("position")?,
            "email" => raw.email = text("email")?,
            "department" => raw.department = text("department")?,
            "hired_on" => raw.hired_on = text("hired_on")?,
            "age" => raw.age = json_age(&value),
            other if IGNORED_COLUMNS.contains(&other) => {}
            other => {
                return Err(RecordError::UnknownField {
                    record: index,
                    field: other.to_owned(),
                });
            }
        }
    }
    raw.into_record(place, index)
}

fn json_age(value: &Value) -> Option<Age> {
    match value {
        Value::Null => None,
        // A whole number written as a float (`39.0`) is a whole number, as JSON Schema's
        // `integer` (the API's document) has it.
        Value::Number(n) => Some(Age::Number(n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                .map(|f| f as i64)
        }))),
        Value::String(s) => Some(Age::Text(s.clone())),
        _ => Some(Age::Number(None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's place is its physical line whatever ends the lines: `\n`, `\r\n` or a lone
    /// `\r` (which csv also ends a record at), blank lines counted.
    #[test]
    fn records_are_placed_on_their_physical_lines() {
        for (csv, expected) in [
            ("name,age,position\nAnn,1,P\n\nBob,2,P\n", [2, 4]),
            ("name,age,position\r\nAnn,1,P\r\n\r\nBob,2,P\r\n", [2, 4]),
            ("name,age,position\rAnn,1,P\r\rBob,2,P\r", [2, 4]),
            ("name,age,position\r\"Ann\",1,P\n\"B\nob\",2,P\n", [2, 3]),
        ] {
            let lines: Vec<u64> = CsvRecords::new(csv.as_bytes())
                .expect("header")
                .map(|record| record.expect("record").place)
                .collect();
            assert_eq!(lines, expected, "{csv:?}");
        }
    }
}
