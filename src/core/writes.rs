//! What a write of a model takes, column by column: which columns an insert or an update sets,
//! which a new row must name, and how wide a number's field is. Every front end that turns text
//! into a model's insert and update forms — the JSON API's bodies, the command line's flags —
//! reads this instead of knowing the model.

use std::cell::RefCell;

use super::error::Error;
use super::fields::{Column, Describe, Kind};

/// One column, as a write sees it.
#[derive(Debug, Clone, Copy)]
pub struct WriteField {
    /// The column as described.
    pub column: &'static Column,
    /// A write sets it: an insert and an update take a value for it.
    pub written: bool,
    /// A new row must name it (neither nullable nor given a default by the model).
    pub required: bool,
    /// For a written whole-number column, the values its field's type holds.
    pub range: Option<(i64, i64)>,
    /// For a written floating-point column, true when its field is an `f32`.
    pub single: bool,
}

/// Every column of `M`, in the model's order, as a write sees it.
///
/// [`Column::is_written`] is true for a `created` or `updated` time as well, which staffdb
/// writes itself, and a description says neither which columns have a default nor how wide a
/// whole number is: so the model's own text readers ([`Describe::new_from_texts`],
/// [`Describe::changes_from_texts`]) are asked, once, with sample texts. They only parse
/// (validation comes later, in the Session), and touch no database.
///
/// ```
/// use staffdb::{Employee, write_fields};
///
/// let fields = write_fields::<Employee>();
/// let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.column.name).collect();
/// assert_eq!(required, ["name", "age", "position"]);
/// assert!(!fields.iter().any(|f| f.written && f.column.name == "created_at"));
/// ```
pub fn write_fields<M: Describe>() -> Vec<WriteField> {
    let taken = written::<M>();
    M::COLUMNS
        .iter()
        .map(|column| {
            let written = taken.contains(&column.name);
            WriteField {
                column,
                written,
                required: written && required::<M>(column, &taken),
                range: (written && column.kind == Kind::Integer).then(|| range::<M>(column)),
                single: written && column.kind == Kind::Float && single::<M>(column),
            }
        })
        .collect()
}

/// The columns a write takes: those the changes' reader asks for.
fn written<M: Describe>() -> Vec<&'static str> {
    let asked = RefCell::new(Vec::new());
    let _ = M::changes_from_texts(&|name| {
        asked.borrow_mut().push(name.to_owned());
        None
    });
    let asked = asked.into_inner();
    M::COLUMNS
        .iter()
        .map(|c| c.name)
        .filter(|name| asked.iter().any(|a| a == name))
        .collect()
}

/// Whether a new row must name `column`: the insert's reader refuses it missing when every
/// other written column has a value.
fn required<M: Describe>(column: &Column, written: &[&'static str]) -> bool {
    let refused = M::new_from_texts(&|name| {
        (name != column.name && written.contains(&name))
            .then(|| M::column(name).map(sample).unwrap_or_default())
    });
    matches!(refused, Err(Error::Validation { field, .. }) if field == column.name)
}

/// A text every reader of the kind parses (its rules are checked later, not here).
fn sample(column: &Column) -> String {
    match column.kind {
        Kind::Bool => "false",
        Kind::Integer | Kind::Float => "0",
        Kind::Id => "1",
        Kind::Date => "2000-01-01",
        Kind::Timestamp => "2000-01-01T00:00:00",
        _ => "x",
    }
    .to_owned()
}

/// Whether the changes' reader takes `text` for `column`.
fn reads<M: Describe>(column: &Column, text: &str) -> bool {
    M::changes_from_texts(&|name| (name == column.name).then(|| text.to_owned())).is_ok()
}

/// The values a whole-number column's type holds: `i16`, `i32` or `i64`.
fn range<M: Describe>(column: &Column) -> (i64, i64) {
    if !reads::<M>(column, "32768") {
        (i16::MIN.into(), i16::MAX.into())
    } else if !reads::<M>(column, "2147483648") {
        (i32::MIN.into(), i32::MAX.into())
    } else {
        (i64::MIN, i64::MAX)
    }
}

/// Whether a floating-point column is an `f32` (which cannot hold 1e39).
fn single<M: Describe>(column: &Column) -> bool {
    !reads::<M>(column, "1e39")
}
