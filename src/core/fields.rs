//! What a model says about its columns, for code that works on any model: the description
//! `#[derive(Model)]` writes ([`Describe`], [`Column`]), the values a column may hold
//! ([`FieldValue`]: their kind, their text form, their rules), and the checks the derive asks the
//! compiler to make, each with an error in words.

use chrono::{NaiveDate, NaiveDateTime};

use super::changes::{Change, HistoryQuery};
use super::error::{Error, Result};
use super::model::Model;
use super::session::Session;
use crate::backend::AnyConnection;
use crate::backend::copy::CopyFields;

/// The most characters an email address may have.
pub const MAX_EMAIL_CHARS: usize = 254;

/// What kind of value a column holds, as the front ends show and parse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// A whole number (`SmallInt`, `Integer`, `BigInt`).
    Integer,
    /// A floating-point number.
    Float,
    /// Text.
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A date and time without a zone (staffdb stores UTC), `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    Timestamp,
    /// A row's id (made by [`id!`](crate::id)): its own table's or, with
    /// [`Column::references`], another's.
    Id,
}

/// One column of a model, as its declaration describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name in the table and in the model.
    pub name: &'static str,
    /// What people call it: `#[staffdb(label = "…")]`, else made from the name (`lead_id` →
    /// `Lead`).
    pub label: &'static str,
    /// Its field's doc comment, the first paragraph as one line (empty without one): what the
    /// API's OpenAPI document says of it.
    pub doc: &'static str,
    /// The kind of value it holds.
    pub kind: Kind,
    /// Whether it may be NULL (its field is an `Option`).
    pub nullable: bool,
    /// The primary key.
    pub key: bool,
    /// The optimistic-locking version.
    pub version: bool,
    /// Set by the database (a default, a trigger) or by staffdb itself (a `created` or
    /// `updated` time): never written by a form, an import or a client.
    pub generated: bool,
    /// Unique in the table.
    pub unique: bool,
    /// Lists may be sorted by it.
    pub sortable: bool,
    /// Lists may be filtered by it.
    pub filterable: bool,
    /// A text search looks in it.
    pub searchable: bool,
    /// The model (its [`Model::NAME`]) whose id it holds.
    pub references: Option<&'static str>,
    /// For a reference declared `titled`: the name records give it (its relation's, `department`
    /// for `department_id`). Exports, imports and the command line show and read it by the title
    /// of the row it names ([`Describe::title`]), not by its id.
    pub titled: Option<&'static str>,
    /// For a reference declared `create_titled`: an import adds a row of the referenced model,
    /// made from the title alone, for a title no row has (else such a title is refused).
    pub creates_titled: bool,
    /// The rules its values must keep.
    pub rules: Rules,
}

impl Column {
    /// The column's name in a file of records, and on the command line's output: the name
    /// records give a [`titled`](Column::titled) reference, else its own.
    pub fn record_name(&self) -> &'static str {
        self.titled.unwrap_or(self.name)
    }

    /// True for a column the insert and update forms write.
    pub fn is_written(&self) -> bool {
        !(self.key || self.version || self.generated)
    }

    /// One of its values, as [`Describe::texts`] writes it, as a JSON value of its kind: ids
    /// and whole numbers as numbers, times in RFC 3339 (UTC, microseconds), NULL (the empty
    /// text of a nullable column) as `null`, anything else as a string — as the JSON API and
    /// `--format json` show a row.
    pub fn json_value(&self, text: String) -> serde_json::Value {
        use serde_json::Value;
        if self.nullable && text.is_empty() {
            return Value::Null;
        }
        let typed = match self.kind {
            Kind::Bool => text.parse::<bool>().ok().map(Value::Bool),
            Kind::Integer | Kind::Id => text.parse::<i64>().ok().map(Value::from),
            Kind::Float => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            Kind::Timestamp => rfc3339(&text).map(Value::String),
            _ => None,
        };
        typed.unwrap_or(Value::String(text))
    }
}

/// A time as [`FieldValue::to_text`] writes it in RFC 3339, UTC, to the microsecond, as every
/// staffdb export and JSON answer writes it; `None` for text that is no time.
pub(crate) fn rfc3339(text: &str) -> Option<String> {
    rfc3339_micros(text).or_else(|| {
        // A time the fast path does not take (a year past 9999, a leap second).
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|time| {
                let utc = time.and_utc();
                utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            })
    })
}

/// A time as [`FieldValue::to_text`] writes it (`2024-03-01T09:00:00.5`) in RFC 3339, UTC, to
/// the microsecond (`2024-03-01T09:00:00.500000Z`), as chrono's `to_rfc3339_opts(Micros, true)`
/// writes it, without parsing a format: the JSON of every row has two of them. `None` for any
/// other shape of text.
fn rfc3339_micros(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let (seconds, fraction) = (bytes.get(..19)?, &bytes[19..]);
    let shape = seconds.iter().enumerate().all(|(at, b)| match at {
        4 | 7 => *b == b'-',
        10 => *b == b'T',
        13 | 16 => *b == b':',
        _ => b.is_ascii_digit(),
    });
    let digits = match fraction {
        [] => &[][..],
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => digits,
        _ => return None,
    };
    if !shape || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = String::with_capacity(27);
    out.push_str(&text[..19]);
    out.push('.');
    // Microseconds: the first six digits, zeros after a shorter fraction (never rounded).
    for at in 0..6 {
        out.push(digits.get(at).map_or('0', |d| char::from(*d)));
    }
    out.push('Z');
    Some(out)
}

/// The rules a field's value must keep, from its `#[staffdb(…)]` options; checked by
/// [`FieldValue::check`] before anything reaches the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// Text may be blank (`#[staffdb(blank)]`); by default it may not.
    pub blank: bool,
    /// Text is a well-formed email address, stored lowercased.
    pub email: bool,
    /// Text may hold line breaks and tabs (`#[staffdb(multiline)]`); by default it is one line,
    /// with no control character at all.
    pub multiline: bool,
    /// The most characters (not bytes) text may have.
    pub max_chars: Option<usize>,
    /// The smallest number allowed.
    pub min: Option<i64>,
    /// The largest number allowed.
    pub max: Option<i64>,
}

/// A model whose columns are described: what `#[derive(Model)]` writes, and what every front end
/// (the admin's forms and lists, imports, exports, filters) reads instead of knowing the model.
pub trait Describe: Model {
    /// The table's name.
    const TABLE: &'static str;
    /// Every column, in the model's field order.
    const COLUMNS: &'static [Column];

    /// This row's values as text, one per column of [`Describe::COLUMNS`] (`""` for NULL).
    fn texts(&self) -> Vec<String>;

    /// [`Describe::texts`] appended to one buffer, `ends` given where each column's text ends:
    /// what an export writes a row from, without a `String` per value.
    fn push_texts(&self, out: &mut String, ends: &mut Vec<usize>) {
        for text in self.texts() {
            out.push_str(&text);
            ends.push(out.len());
        }
    }

    /// This row's value of the column named `column` as text (`""` for NULL), without writing
    /// the others (a list shows a few of a row's columns); `None` for no column of the model.
    fn text(&self, column: &str) -> Option<String> {
        let at = Self::COLUMNS.iter().position(|c| c.name == column)?;
        self.texts().into_iter().nth(at)
    }

    /// An insert form from text values by column name (a missing or empty value is NULL for a
    /// nullable column, and refused for any other); validated as [`Session::add`] would.
    ///
    /// [`Session::add`]: crate::Session::add
    fn new_from_texts(value: &dyn Fn(&str) -> Option<String>) -> Result<Self::New>;

    /// Changes from text values by column name: a column without a value is left alone, an
    /// empty value makes a nullable column NULL.
    fn changes_from_texts(value: &dyn Fn(&str) -> Option<String>) -> Result<Self::Changes>;

    /// The row's version, for a model that has one.
    fn row_version(&self) -> Option<i32>;

    /// What a person calls this row, as Django's `__str__`: its first unique text column (a
    /// department's or a project's name), else its first text column (an employee's name), else
    /// its id. A reference to it is picked and shown by this.
    fn title(&self) -> String;

    /// The row as one line of a command's output, when the model declares its `Display` to be
    /// that (`#[staffdb(display)]`: the employees' `ID: 1, Name: Alice, Age: 25, Position:
    /// Manager`); `None`, the default, prints the key and the columns a write sets.
    fn line(&self) -> Option<String> {
        None
    }

    /// The column [`Describe::title`] reads (`None` when a row's title is its id): what a
    /// [`titled`](Column::titled) reference to the model is found by.
    const TITLE_COLUMN: Option<&'static str> = None;

    /// Sets the column named `column` of an insert form from text, as
    /// [`Describe::new_from_texts`] reads it: how an import puts the id a titled reference's
    /// title names into rows read before the titles were looked up.
    #[doc(hidden)]
    fn __set_new_text(new: &mut Self::New, column: &'static str, text: &str) -> Result<()> {
        let _ = (new, text);
        Err(Error::validation(column, "is not a titled reference"))
    }

    /// [`Describe::__set_new_text`] for changes.
    #[doc(hidden)]
    fn __set_change_text(
        changes: &mut Self::Changes,
        column: &'static str,
        text: &str,
    ) -> Result<()> {
        let _ = (changes, text);
        Err(Error::validation(column, "is not a titled reference"))
    }

    /// Applies `changes` to the row `id`: for a versioned model given a `version`, only if the
    /// row still has it ([`Session::update_if_version`]); otherwise whatever its version
    /// ([`Session::update`]).
    ///
    /// [`Session::update`]: crate::Session::update
    /// [`Session::update_if_version`]: crate::Session::update_if_version
    fn update_expecting(
        session: &mut Session,
        id: Self::Id,
        version: Option<i32>,
        changes: &Self::Changes,
    ) -> Result<Self>;

    /// The column named `name`.
    fn column(name: &str) -> Option<&'static Column> {
        Self::COLUMNS.iter().find(|c| c.name == name)
    }

    /// The history table the database keeps for the model (`#[staffdb(history = …)]`), if it
    /// keeps one: see [`Session::history`].
    const HISTORY_TABLE: Option<&'static str> = None;

    /// The changes `query` asks for, in the order they were made; [`Error::NoHistory`] for a
    /// model without history. What [`Session::history`] and its kin read.
    #[doc(hidden)]
    fn read_history(
        conn: &mut AnyConnection,
        query: HistoryQuery<Self::Id>,
    ) -> Result<Vec<Change<Self>>> {
        let _ = (conn, query);
        Err(Error::NoHistory { entity: Self::NAME })
    }

    /// Inserts `row` under its own id, with the version after its own (a deleted row brought
    /// back); the rows inserted.
    #[doc(hidden)]
    fn reinsert(conn: &mut AnyConnection, row: &Self) -> Result<usize> {
        let _ = (conn, row);
        Err(Error::NoHistory { entity: Self::NAME })
    }
}

/// A value a model's field may hold: its kind, its text form, and the rules it can keep.
///
/// staffdb implements it for `bool`, the integers, `f32`, `f64`, `String`, `NaiveDate`,
/// `NaiveDateTime`, the ids [`id!`](crate::id) makes, and `Option` of any of them (NULL).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type a staffdb model's field can have",
    label = "not a field type staffdb knows",
    note = "a field is a `bool`, an integer, `f32`, `f64`, `String`, `chrono::NaiveDate`, `chrono::NaiveDateTime`, an id made by `staffdb::id!`, or an `Option` of one (for a nullable column)"
)]
pub trait FieldValue: Sized {
    /// The kind of value.
    const KIND: Kind;
    /// Whether it may be NULL.
    const NULLABLE: bool = false;

    /// The value as text (`""` for NULL).
    fn to_text(&self) -> String;

    /// Appends [`FieldValue::to_text`]'s text to `out`, without a `String` of its own where the
    /// type can (an export writes every value of every row).
    fn push_text(&self, out: &mut String) {
        out.push_str(&self.to_text());
    }

    /// Reads the value from text; `Err` says why it is not one, in words.
    fn from_text(text: &str) -> std::result::Result<Self, String>;

    /// Checks `rules` (and may normalise the value, as an email is lowercased); the error names
    /// `field`. The default keeps only the number bounds, through [`FieldValue::as_number`].
    fn check(&mut self, field: &'static str, rules: &Rules) -> Result<()> {
        match self.as_number() {
            Some(number) => check_bounds(field, number, rules),
            None => Ok(()),
        }
    }

    /// The value as a number, for a `min`/`max` rule.
    fn as_number(&self) -> Option<i64> {
        None
    }

    /// True when [`FieldValue::write_copy`] writes PostgreSQL's binary encoding of the value
    /// (for every column type the value can be read from): a derived model whose fields all
    /// have it is bulk-inserted through one binary `COPY`, else through Diesel's. Not an API.
    #[doc(hidden)]
    const COPY_BINARY: bool = false;

    /// Writes the value as one field of a binary `COPY` row, where [`FieldValue::COPY_BINARY`].
    #[doc(hidden)]
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        let _ = fields;
    }
}

/// `min <= number <= max`.
fn check_bounds(field: &'static str, number: i64, rules: &Rules) -> Result<()> {
    match (rules.min, rules.max) {
        (Some(min), Some(max)) if !(min..=max).contains(&number) => Err(Error::validation(
            field,
            format!("must be between {min} and {max} (got {number})"),
        )),
        (Some(min), _) if number < min => Err(Error::validation(
            field,
            if min == 0 {
                format!("must not be negative (got {number})")
            } else {
                format!("must be at least {min} (got {number})")
            },
        )),
        (_, Some(max)) if number > max => Err(Error::validation(
            field,
            format!("must be at most {max} (got {number})"),
        )),
        _ => Ok(()),
    }
}

/// A whole number in text: decimal digits with an optional sign, or the same written with a
/// zero fraction (`30.0`), as JSON Schema's `integer`, a spreadsheet's export and a float's
/// formatter may write it. Anything else (`30.5`, `3e1`, ` `) is `None`.
///
/// ```
/// use staffdb::whole_number;
/// assert_eq!(whole_number::<i64>("30"), Some(30));
/// assert_eq!(whole_number::<i32>(" -4.00 "), Some(-4));
/// assert_eq!(whole_number::<i64>("30.5"), None);
/// assert_eq!(whole_number::<i16>("40000"), None);
/// ```
pub fn whole_number<T: std::str::FromStr>(text: &str) -> Option<T> {
    let text = text.trim();
    let digits = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') => {
            whole
        }
        Some(_) => return None,
        None => text,
    };
    digits.parse().ok()
}

/// Integers: their text is decimal (a zero fraction allowed, as [`whole_number`] reads it).
/// Why `text` is no whole number of a type from `min` to `max`: the range is named only for a
/// number outside it (or with a fraction), not for a word.
fn not_whole(text: &str, min: impl std::fmt::Display, max: impl std::fmt::Display) -> String {
    if text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
        format!("`{text}` is not a whole number from {min} to {max}")
    } else {
        format!("`{text}` is not a whole number")
    }
}

macro_rules! integer_value {
    ($($t:ty => $copy:ident),*) => {$(
        impl FieldValue for $t {
            const KIND: Kind = Kind::Integer;
            fn to_text(&self) -> String {
                itoa::Buffer::new().format(*self).to_owned()
            }
            fn push_text(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
            fn from_text(text: &str) -> std::result::Result<Self, String> {
                whole_number(text).ok_or_else(|| not_whole(text, <$t>::MIN, <$t>::MAX))
            }
            fn as_number(&self) -> Option<i64> {
                Some(i64::from(*self))
            }
            const COPY_BINARY: bool = true;
            fn write_copy(&self, fields: &mut CopyFields<'_>) {
                fields.$copy(*self);
            }
        }
    )*};
}
integer_value!(i16 => int2, i32 => int4, i64 => int8);

/// Floats: their text is decimal.
macro_rules! float_value {
    ($($t:ty => $copy:ident),*) => {$(
        impl FieldValue for $t {
            const KIND: Kind = Kind::Float;
            fn to_text(&self) -> String {
                self.to_string()
            }
            fn from_text(text: &str) -> std::result::Result<Self, String> {
                match text.trim().parse::<$t>() {
                    Ok(value) if value.is_finite() => Ok(value),
                    _ => Err(format!("`{text}` is not a number")),
                }
            }
            const COPY_BINARY: bool = true;
            fn write_copy(&self, fields: &mut CopyFields<'_>) {
                fields.$copy(*self);
            }
        }
    )*};
}
float_value!(f32 => float4, f64 => float8);

impl FieldValue for bool {
    const KIND: Kind = Kind::Bool;
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(format!("`{text}` is not true or false")),
        }
    }
    const COPY_BINARY: bool = true;
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        fields.boolean(*self);
    }
}

impl FieldValue for String {
    const KIND: Kind = Kind::Text;
    fn to_text(&self) -> String {
        self.clone()
    }
    fn push_text(&self, out: &mut String) {
        out.push_str(self);
    }
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        Ok(text.to_owned())
    }
    const COPY_BINARY: bool = true;
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        fields.text(self);
    }
    /// Not blank (unless `blank`), no control characters, at most `max_chars` characters, and
    /// with `email` a well-formed address, lowercased.
    fn check(&mut self, field: &'static str, rules: &Rules) -> Result<()> {
        if !rules.blank && self.trim().is_empty() {
            return Err(Error::validation(field, "must not be empty or blank"));
        }
        // A text has at most as many characters as bytes: only a long one needs counting.
        if let Some(max) = rules.max_chars.filter(|max| self.len() > *max) {
            let chars = self.chars().count();
            if chars > max {
                return Err(Error::validation(
                    field,
                    format!("must be at most {max} characters (it has {chars})"),
                ));
            }
        }
        if has_control(self, rules.multiline) {
            return Err(Error::validation(
                field,
                "must not contain control characters",
            ));
        }
        if rules.email && !(rules.blank && self.is_empty()) {
            *self = email(field, self)?;
        }
        Ok(())
    }
}

/// A model's relation as the generic front ends (the API's `include=`, the admin) see it: what
/// [`Listed::RELATIONS`](crate::Listed::RELATIONS) lists, written by the derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationInfo {
    /// Its name: `lead`, `members`.
    pub name: &'static str,
    /// What a form or a list calls it: `Members` (from the name, as a column's label is).
    pub label: &'static str,
    /// The related model's table.
    pub target: &'static str,
    /// The related model's columns (what a front end shows of a related row).
    pub columns: &'static [Column],
    /// Many related rows (a many-to-many) rather than at most one (a reference).
    pub many: bool,
    /// Edited as a set of ids ([`Session::set_related`](crate::Session::set_related)): a many-to-many.
    pub editable: bool,
    /// The column that holds the reference (`lead_id`), for a reference; `None` for a
    /// many-to-many. A list shows that column as the related row's title.
    pub column: Option<&'static str>,
}

/// A related row as the generic front ends show it: its id, its title, and its columns' texts.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedRow {
    /// Its id.
    pub id: i64,
    /// What a list or a picker calls it ([`Describe::title`]).
    pub title: String,
    /// Its model's columns.
    pub columns: &'static [Column],
    /// Each column's value as text, in the columns' order ([`Describe::texts`]).
    pub texts: Vec<String>,
}

impl RelatedRow {
    /// The row as front ends show it.
    pub fn of<R: Describe>(row: &R) -> RelatedRow {
        RelatedRow {
            id: row.id().into(),
            title: row.title(),
            columns: R::COLUMNS,
            texts: row.texts(),
        }
    }
}

/// Whether `text` holds a control character, other than the line breaks and tab a
/// `multiline` text may hold. Printable ASCII, the common case, is one vectorized pass over the
/// bytes; only other text is decoded.
fn has_control(text: &str, multiline: bool) -> bool {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return false;
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    text.chars().any(|c| c.is_control() && !allowed(c))
}

/// Writes `date` as `%Y-%m-%d` does — a list writes one per row and cell, and chrono parses
/// its format string on every call — for the years 0 to 9999 (chrono's own way beyond).
fn write_date(text: &mut String, date: NaiveDate) {
    use chrono::Datelike;
    use std::fmt::Write;
    let (year, month, day) = (date.year(), date.month(), date.day());
    if let Ok(year @ 0..=9999) = u32::try_from(year) {
        // Digit by digit: every row of an export writes its dates and times (a quarter of its
        // time through `write!`, measured with perf).
        push_digits(text, year, 4);
        text.push('-');
        push_digits(text, month, 2);
        text.push('-');
        push_digits(text, day, 2);
    } else {
        let _ = write!(text, "{}", date.format("%Y-%m-%d"));
    }
}

/// Pushes `value`'s last `width` decimal digits, zero-padded.
fn push_digits(text: &mut String, value: u32, width: u32) {
    for at in (0..width).rev() {
        let digit = value / 10u32.pow(at) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

impl FieldValue for NaiveDate {
    const KIND: Kind = Kind::Date;
    fn to_text(&self) -> String {
        let mut text = String::with_capacity(10);
        write_date(&mut text, *self);
        text
    }
    fn push_text(&self, out: &mut String) {
        write_date(out, *self);
    }
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        parse_date(text.trim()).map_err(|e| match e {
            Error::Validation { reason, .. } => reason,
            other => other.to_string(),
        })
    }
    const COPY_BINARY: bool = true;
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        fields.date(*self);
    }
}

impl FieldValue for NaiveDateTime {
    const KIND: Kind = Kind::Timestamp;
    fn to_text(&self) -> String {
        let mut text = String::with_capacity(26);
        self.push_text(&mut text);
        text
    }
    fn push_text(&self, text: &mut String) {
        use chrono::Timelike;
        use std::fmt::Write;
        let nanos = self.nanosecond();
        if nanos >= 1_000_000_000 {
            // A leap second, which chrono writes its own way.
            let _ = write!(text, "{}", self.format("%Y-%m-%dT%H:%M:%S%.f"));
            return;
        }
        write_date(text, self.date());
        text.push('T');
        push_digits(text, self.hour(), 2);
        text.push(':');
        push_digits(text, self.minute(), 2);
        text.push(':');
        push_digits(text, self.second(), 2);
        // As chrono's `%.f`: no fraction, or 3, 6 or 9 digits, as few as the value needs.
        let (fraction, width) = match nanos {
            0 => return,
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        text.push('.');
        push_digits(text, fraction, width);
    }
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("`{text}` is not a date and time written YYYY-MM-DDTHH:MM:SS"))
    }
    const COPY_BINARY: bool = true;
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        fields.timestamp(*self);
    }
}

/// NULL is `None`, and its text is empty.
impl<T: FieldValue> FieldValue for Option<T> {
    const KIND: Kind = T::KIND;
    const NULLABLE: bool = true;
    fn to_text(&self) -> String {
        self.as_ref().map(T::to_text).unwrap_or_default()
    }
    fn push_text(&self, out: &mut String) {
        if let Some(value) = self {
            value.push_text(out);
        }
    }
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            T::from_text(text).map(Some)
        }
    }
    fn check(&mut self, field: &'static str, rules: &Rules) -> Result<()> {
        match self {
            Some(value) => value.check(field, rules),
            None => Ok(()),
        }
    }
    const COPY_BINARY: bool = T::COPY_BINARY;
    fn write_copy(&self, fields: &mut CopyFields<'_>) {
        match self {
            Some(value) => value.write_copy(fields),
            None => fields.null(),
        }
    }
}

/// A well-formed email address (`local@domain.tld`) in `field`; returns it lowercased, as it is
/// stored.
pub fn email(field: &'static str, value: &str) -> Result<String> {
    let invalid = |reason: &str| Error::validation(field, format!("`{value}` {reason}"));
    let chars = value.chars().count();
    if chars > MAX_EMAIL_CHARS {
        return Err(invalid(&format!(
            "is too long ({chars} characters, at most {MAX_EMAIL_CHARS})"
        )));
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err(invalid("is not an email address: it has no `@`"));
    };
    if local.is_empty() || local.chars().count() > 64 {
        return Err(invalid("needs 1 to 64 characters before the `@`"));
    }
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c);
    if local.chars().any(bad_char) || local.starts_with('.') || local.ends_with('.') {
        return Err(invalid("has characters not allowed before the `@`"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(invalid(
            "has no valid domain after the `@` (like example.com)",
        ));
    }
    Ok(value.to_lowercase())
}

/// Parses a calendar date written `YYYY-MM-DD`, refusing dates that do not exist.
///
/// ```
/// use staffdb::parse_date;
///
/// assert!(parse_date("2024-02-29").is_ok());
/// assert!(parse_date("2023-02-29").is_err());
/// assert!(parse_date("29/02/2024").is_err());
/// ```
pub fn parse_date(value: &str) -> Result<NaiveDate> {
    let well_shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_shaped {
        return Err(Error::validation(
            "date",
            format!("`{value}` is not a date written YYYY-MM-DD"),
        ));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Error::validation("date", format!("`{value}` is not a real calendar date")))
}

// ---- what the derive asks the compiler to check -------------------------------------------

/// A field whose type can hold its column's values on backend `DB`: the derive asks it of every
/// field, for every backend compiled in, so a mismatch with the `table!` is a compile error at
/// the field.
#[diagnostic::on_unimplemented(
    message = "the field's type `{Self}` cannot hold its column's values (SQL type `{ST}`) on `{DB}`",
    label = "this field's type does not match its column in the `table!`",
    note = "a `Nullable<…>` column needs an `Option<…>` field; `Integer` is `i32`, `BigInt` is `i64` or an id made by `staffdb::id!`, `Text` is `String`, `Timestamp` is `chrono::NaiveDateTime`"
)]
pub trait ColumnFits<ST, DB> {}

impl<T, ST, DB> ColumnFits<ST, DB> for T
where
    DB: diesel::backend::Backend,
    T: diesel::deserialize::FromSqlRow<ST, DB>,
{
}

/// A text field: `blank`, `email` and `max_chars` apply to it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a text field: `blank`, `multiline`, `email` and `max_chars` apply to `String` or `Option<String>`",
    label = "not text"
)]
pub trait TextField {}
impl TextField for String {}
impl TextField for Option<String> {}

/// A whole-number field: `min` and `max` apply to it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a whole-number field: `min` and `max` apply to `i16`, `i32`, `i64` or an `Option` of one",
    label = "not a whole number"
)]
pub trait NumberField {}
impl NumberField for i16 {}
impl NumberField for i32 {}
impl NumberField for i64 {}
impl<T: NumberField> NumberField for Option<T> {}

/// A field that holds a row's id (or NULL): what `references = Model` needs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` holds no row's id: a `references` field's type is an id made by `staffdb::id!` or an `Option` of one",
    label = "not an id"
)]
pub trait IdField {
    /// The id type.
    type Id;
    /// The id it holds, if any.
    fn held_id(&self) -> Option<Self::Id>;
}

impl<T: IdField> IdField for Option<T> {
    type Id = T::Id;
    fn held_id(&self) -> Option<T::Id> {
        self.as_ref().and_then(IdField::held_id)
    }
}

// ---- text values by column, for the front ends -------------------------------------------

/// The value of a column an insert must write: missing text is NULL for a nullable column and
/// refused for any other; unreadable text is refused, naming the column.
pub fn required_from_text<T: FieldValue>(field: &'static str, text: Option<String>) -> Result<T> {
    match text {
        Some(text) => T::from_text(&text).map_err(|reason| Error::validation(field, reason)),
        None if T::NULLABLE => T::from_text("").map_err(|reason| Error::validation(field, reason)),
        None => Err(Error::validation(field, "is required")),
    }
}

/// The value of a `default` column an insert writes: missing or blank text is the type's
/// default, as the insert form's builder starts it.
pub fn defaulted_from_text<T: FieldValue + Default>(
    field: &'static str,
    text: Option<String>,
) -> Result<T> {
    match text {
        Some(text) if !text.trim().is_empty() => {
            T::from_text(&text).map_err(|reason| Error::validation(field, reason))
        }
        _ => Ok(T::default()),
    }
}

/// A change to a column: `None` when there is no text for it (the column is left alone).
pub fn change_from_text<T: FieldValue>(
    field: &'static str,
    text: Option<String>,
) -> Result<Option<T>> {
    text.map(|text| T::from_text(&text).map_err(|reason| Error::validation(field, reason)))
        .transpose()
}

/// A model's changes that change nothing: refused in words, since an UPDATE with nothing to SET
/// is an error in Diesel.
pub fn nothing_to_change() -> Error {
    Error::validation("changes", "nothing to change")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole number out of its type's range, or with a fraction, is refused naming the range;
    /// a word is refused as no number at all.
    #[test]
    fn an_integer_refusal_names_the_range_only_for_a_number() {
        assert_eq!(i32::from_text("30.0"), Ok(30));
        assert_eq!(
            i32::from_text("2147483648"),
            Err("`2147483648` is not a whole number from -2147483648 to 2147483647".into())
        );
        assert_eq!(
            i16::from_text("1.5"),
            Err("`1.5` is not a whole number from -32768 to 32767".into())
        );
        assert_eq!(
            i64::from_text("abc"),
            Err("`abc` is not a whole number".into())
        );
        assert_eq!(
            i32::from_text("NaN"),
            Err("`NaN` is not a whole number".into())
        );
    }

    /// Dates and times are written exactly as chrono's `%Y-%m-%d` and
    /// `%Y-%m-%dT%H:%M:%S%.f` write them: every fraction length, years at the edges, a leap
    /// second.
    #[test]
    fn dates_and_times_are_written_as_chrono_writes_them() {
        let dates = [
            (1, 1, 1),
            (999, 12, 31),
            (2026, 2, 28),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ];
        let nanos = [
            0,
            1,
            999,
            1_000,
            120_000,
            5_000_000,
            123_456_789,
            999_999_999,
            1_500_000_000,
        ];
        for (y, m, d) in dates {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            assert_eq!(date.to_text(), date.format("%Y-%m-%d").to_string());
            for nano in nanos {
                let at = date.and_hms_nano_opt(23, 59, 59, nano).expect("a time");
                assert_eq!(at.to_text(), at.format("%Y-%m-%dT%H:%M:%S%.f").to_string());
                let back = NaiveDateTime::from_text(&at.to_text());
                if nano < 1_000_000_000 && (0..=9999).contains(&y) {
                    assert_eq!(back, Ok(at), "read back");
                }
                // The JSON of a time is chrono's RFC 3339 to the microsecond, fast path or not.
                let column = Column {
                    name: "at",
                    label: "At",
                    doc: "",
                    kind: Kind::Timestamp,
                    nullable: false,
                    key: false,
                    version: false,
                    generated: false,
                    unique: false,
                    sortable: false,
                    filterable: false,
                    searchable: false,
                    references: None,
                    titled: None,
                    creates_titled: false,
                    rules: Rules::default(),
                };
                let rfc3339 = at
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                assert_eq!(
                    column.json_value(at.to_text()),
                    serde_json::Value::String(rfc3339)
                );
            }
        }
    }

    /// Text rules: blank, length in characters, control characters, email.
    #[test]
    fn text_rules() {
        let rules = Rules {
            max_chars: Some(3),
            ..Rules::default()
        };
        assert!("éééé".to_owned().check("name", &rules).is_err());
        assert!("ééé".to_owned().check("name", &rules).is_ok());
        assert!("  ".to_owned().check("name", &rules).is_err());
        assert!(
            "a\u{7}"
                .to_owned()
                .check("name", &Rules::default())
                .is_err()
        );
        assert!("a\tb".to_owned().check("name", &Rules::default()).is_err());
        // DEL and the C1 controls too, beyond the ASCII fast path; printable non-ASCII passes.
        for bad in ["a\u{7f}", "a\u{85}b", "é\u{1}"] {
            assert!(
                bad.to_owned().check("name", &Rules::default()).is_err(),
                "{bad:?}"
            );
        }
        assert!(
            "Zoë ~ Ådne"
                .to_owned()
                .check("name", &Rules::default())
                .is_ok()
        );
        assert!("abcd".to_owned().check("name", &rules).is_err());
        let multiline = Rules {
            multiline: true,
            ..Rules::default()
        };
        assert!("a\tb\r\nc".to_owned().check("note", &multiline).is_ok());
        assert!("a\u{7}".to_owned().check("note", &multiline).is_err());
        let mut address = "Ann@Example.COM".to_owned();
        let email_rules = Rules {
            email: true,
            ..Rules::default()
        };
        assert!(address.check("email", &email_rules).is_ok());
        assert_eq!(address, "ann@example.com");
        assert!(None::<String>.check("note", &Rules::default()).is_ok());
    }

    /// Number bounds name the field and the value.
    #[test]
    fn number_rules() {
        let rules = Rules {
            min: Some(0),
            ..Rules::default()
        };
        let refused = (-5_i32).check("budget", &rules).map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err("invalid budget: must not be negative (got -5)".to_owned())
        );
        assert!(Some(7_i64).check("budget", &rules).is_ok());
    }

    /// Text values parse by kind; NULL is empty text.
    #[test]
    fn text_values() {
        assert_eq!(
            required_from_text::<i32>("n", Some("42".into())).ok(),
            Some(42)
        );
        assert!(required_from_text::<i32>("n", None).is_err());
        assert_eq!(
            required_from_text::<Option<i32>>("n", None).ok(),
            Some(None)
        );
        assert!(required_from_text::<NaiveDate>("d", Some("2023-02-29".into())).is_err());
        assert_eq!(change_from_text::<bool>("b", None).ok(), Some(None));
        assert_eq!(
            defaulted_from_text::<i32>("n", Some(" ".into())).ok(),
            Some(0)
        );
        assert!(defaulted_from_text::<i32>("n", Some("x".into())).is_err());
        assert_eq!(Some(3_i64).to_text(), "3");
        assert_eq!(None::<i64>.to_text(), "");
    }
}
