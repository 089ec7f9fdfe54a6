//! What a model's history holds — a [`Change`] of a row, its [`Operation`] — and what the
//! derive's `read_history` is asked ([`HistoryQuery`]): the data alone, which the model traits
//! name; reading and using it is [`super::history`]'s.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::error::{Error, Result};
use super::model::Model;

/// What a change did to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// The row as it was when its history began (the migration that added the history table
    /// recorded every row already there).
    Baseline,
    /// The row was inserted.
    Insert,
    /// The row was updated: this is how it was after.
    Update,
    /// The row was deleted: this is how it was before.
    Delete,
}

impl Operation {
    /// Its name, as the history table stores it: `insert`, `update`, `delete`, `baseline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Baseline => "baseline",
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Operation, String> {
        match text {
            "baseline" => Ok(Operation::Baseline),
            "insert" => Ok(Operation::Insert),
            "update" => Ok(Operation::Update),
            "delete" => Ok(Operation::Delete),
            other => Err(format!("`{other}` is not an operation a history records")),
        }
    }
}

/// One version of a row, as its model's history table keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<M> {
    /// The history row's own id: changes are ordered by it.
    pub history_id: i64,
    /// What the change did.
    pub operation: Operation,
    /// When, in UTC (on PostgreSQL the time of its transaction, elsewhere of its statement).
    pub at: NaiveDateTime,
    /// The staffdb user a write through staffdb acted for ([`Database::acting_as`](crate::Database::acting_as)); `None`
    /// for any other writer.
    pub user: Option<String>,
    /// The database user that wrote it (`None` on SQLite, which has none).
    pub database_user: Option<String>,
    /// The row after the change (before it, for a delete).
    pub row: M,
}

impl<M> Change<M> {
    /// Who made the change, as people read it: the staffdb user, else the database user marked
    /// as one (`postgres (database user)`), else `unknown (SQLite keeps no user)` — a write
    /// without a staffdb user on SQLite, which has no users of its own.
    pub fn actor(&self) -> String {
        match (&self.user, &self.database_user) {
            (Some(user), _) => user.clone(),
            (None, Some(database)) => format!("{database} (database user)"),
            (None, None) => "unknown (SQLite keeps no user)".to_owned(),
        }
    }
}

/// Which history rows a model's `read_history` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryQuery<I> {
    /// Every change of the row with this id, oldest first.
    Row(I),
    /// The last change of every row at or before the instant (deletes included).
    LatestAt(NaiveDateTime),
    /// The last change of every row (deletes included).
    Latest,
    /// The one change with this `history_id`.
    Entry(i64),
}

/// A history row as the derive loads it, made a [`Change`].
#[doc(hidden)]
pub fn change_from_row<M: Model, S: Into<NaiveDateTime>>(
    (history_id, operation, at, user, database_user, row): (
        i64,
        String,
        S,
        Option<String>,
        Option<String>,
        M,
    ),
) -> Result<Change<M>> {
    let operation = operation
        .parse()
        .map_err(|reason: String| Error::Unreadable {
            entity: M::NAME,
            id: Some(row.id().into()),
            column: "history_operation".to_owned(),
            source: reason.into(),
        })?;
    Ok(Change {
        history_id,
        operation,
        at: at.into(),
        user,
        database_user,
        row,
    })
}
