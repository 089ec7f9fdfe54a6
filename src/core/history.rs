//! The history of every row of a model declared `#[staffdb(history = its_history_table)]`
//! ([`Describe::HISTORY_TABLE`]): kept by the database's own triggers for every writer (staffdb, psql, the sqlite3 shell, another
//! ORM), read here — a row's changes ([`Session::history`]), the rows as of an instant
//! ([`Session::as_of`]), the deleted rows ([`Session::deleted`]) — and used: a row restored to
//! an earlier version or brought back under its own id ([`Session::restore`]), and old history
//! pruned in short batches ([`Database::prune_history`]).
//!
//! A history table holds, per change, the whole row as it was after it (before it, for a
//! delete), and `history_id`, `history_operation`, `history_at` (UTC), `history_user` (the
//! staffdb user a write through staffdb acted for: [`Database::acting_as`]) and
//! `history_database_user`. Its migration writes the triggers; the README's "Users and history"
//! shows one.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::changes::{Change, HistoryQuery, Operation};
use super::database::Database;
use super::error::{Error, Result};
use super::fields::{Column, Describe};
use super::model::{Model, ModelId};
use super::session::Session;
use crate::backend::AnyConnection;

impl<M: Describe> Change<M> {
    /// What this change did to the columns people write (not the version nor the times staffdb
    /// or the database keep), from the row as `before` left it: every such column for the first
    /// change of a row (`before` is `None`), none for a delete.
    pub fn differences(&self, before: Option<&Change<M>>) -> Vec<Difference> {
        if self.operation == Operation::Delete {
            return Vec::new();
        }
        let before = before.map(|change| change.row.texts());
        M::COLUMNS
            .iter()
            .zip(self.row.texts())
            .enumerate()
            .filter(|(_, (column, _))| column.is_written())
            .filter_map(|(at, (column, to))| {
                let from = before.as_ref().and_then(|texts| texts.get(at).cloned());
                (from.as_ref() != Some(&to)).then_some(Difference { column, from, to })
            })
            .collect()
    }
}

/// One column a change changed, as text (`""` for NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The column.
    pub column: &'static Column,
    /// Its value before: `None` when the change made the row.
    pub from: Option<String>,
    /// Its value after.
    pub to: String,
}

/// Every change with what it changed, from a row's history as [`Session::history`] reads it
/// (oldest first): each compared with the one before it.
pub fn with_differences<M: Describe>(changes: &[Change<M>]) -> Vec<ChangeRecord<'_, M>> {
    changes
        .iter()
        .enumerate()
        .map(|(at, change)| {
            let before = at.checked_sub(1).map(|b| &changes[b]);
            ChangeRecord {
                change,
                differences: change.differences(before),
            }
        })
        .collect()
}

/// A change as JSON shows it, for the API and `--format json`: `history_id`, `operation`, `at`
/// (RFC 3339, UTC), `user`, `database_user`, `changed` (each column it changed as
/// `{"from": …, "to": …}`, `from` absent for a new row) and `row` (every column by name, in the
/// model's order).
#[derive(Debug)]
pub struct ChangeRecord<'a, M> {
    /// The change.
    pub change: &'a Change<M>,
    /// What it changed ([`Change::differences`]).
    pub differences: Vec<Difference>,
}

impl<M: Describe> Serialize for ChangeRecord<'_, M> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let change = self.change;
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("history_id", &change.history_id)?;
        map.serialize_entry("operation", &change.operation)?;
        let at = change.at.and_utc();
        map.serialize_entry(
            "at",
            &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )?;
        map.serialize_entry("user", &change.user)?;
        map.serialize_entry("database_user", &change.database_user)?;
        map.serialize_entry("changed", &Changed(&self.differences))?;
        map.serialize_entry("row", &RowJson(&change.row))?;
        map.end()
    }
}

/// The `changed` object of a [`ChangeRecord`].
struct Changed<'a>(&'a [Difference]);

impl Serialize for Changed<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for d in self.0 {
            let mut values = serde_json::Map::new();
            if let Some(from) = &d.from {
                values.insert("from".into(), d.column.json_value(from.clone()));
            }
            values.insert("to".into(), d.column.json_value(d.to.clone()));
            map.serialize_entry(d.column.name, &values)?;
        }
        map.end()
    }
}

/// A row as JSON: every column by name, in the model's order ([`Column::json_value`]).
struct RowJson<'a, M>(&'a M);

impl<M: Describe> Serialize for RowJson<'_, M> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(M::COLUMNS.len()))?;
        for (column, text) in M::COLUMNS.iter().zip(self.0.texts()) {
            map.serialize_entry(column.name, &column.json_value(text))?;
        }
        map.end()
    }
}

impl Session {
    /// Every change of the row `id`, oldest first: inserted, each update, deleted (and restored),
    /// with who and when. Empty for an id that never existed.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee, EmployeeChanges, Operation};
    ///
    /// let db = Database::open(":memory:")?;
    /// let bob = db.transaction(|s| s.add(&NewEmployee::new("Bob", 22, "Developer")))?;
    /// let older = EmployeeChanges { age: Some(23), ..Default::default() };
    /// db.transaction(|s| s.update(bob.id, &older))?;
    /// let changes = db.read_session()?.history(bob.id)?;
    /// let what: Vec<_> = changes.iter().map(|c| (c.operation, c.row.age)).collect();
    /// assert_eq!(what, [(Operation::Insert, 22), (Operation::Update, 23)]);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn history<I: ModelId>(&mut self, id: I) -> Result<Vec<Change<I::Model>>>
    where
        I::Model: Describe,
    {
        self.run(|conn| I::Model::read_history(conn, HistoryQuery::Row(id)))
    }

    /// Every row of `M` as it was at `at` (UTC), by id: for each row, its last change at or
    /// before then, unless that was its delete.
    pub fn as_of<M: Describe>(&mut self, at: NaiveDateTime) -> Result<Vec<M>> {
        let mut rows: Vec<M> = self
            .run(|conn| M::read_history(conn, HistoryQuery::LatestAt(at)))?
            .into_iter()
            .filter(|change| change.operation != Operation::Delete)
            .map(|change| change.row)
            .collect();
        rows.sort_by_key(|row| row.id());
        Ok(rows)
    }

    /// The row `id` as it was at `at` (UTC): `None` if it did not exist then.
    pub fn get_as_of<I: ModelId>(&mut self, id: I, at: NaiveDateTime) -> Result<Option<I::Model>>
    where
        I::Model: Describe,
    {
        Ok(self
            .history(id)?
            .into_iter()
            .take_while(|change| change.at <= at)
            .last()
            .filter(|change| change.operation != Operation::Delete)
            .map(|change| change.row))
    }

    /// The rows of `M` that are deleted now, each as its delete found it, most recently deleted
    /// first: what [`Session::restore`] can bring back.
    pub fn deleted<M: Describe>(&mut self) -> Result<Vec<Change<M>>> {
        let mut deleted: Vec<Change<M>> = self
            .run(|conn| M::read_history(conn, HistoryQuery::Latest))?
            .into_iter()
            .filter(|change| change.operation == Operation::Delete)
            .collect();
        deleted.sort_by_key(|change| std::cmp::Reverse(change.history_id));
        Ok(deleted)
    }

    /// Restores the row `id` to the version its change `history_id` recorded, and returns it:
    /// a row that exists is updated to those values (a new version: history is never
    /// rewritten); a deleted one is inserted again under its own id, with the version after the
    /// one it had. [`Error::NotFound`] when `history_id` is not a change of that row; a
    /// unique value another row has taken since is [`Error::UniqueViolation`], and nothing
    /// changes.
    pub fn restore<I: ModelId>(&mut self, id: I, history_id: i64) -> Result<I::Model>
    where
        I::Model: Describe,
    {
        let change = self
            .run(|conn| I::Model::read_history(conn, HistoryQuery::Entry(history_id)))?
            .into_iter()
            .find(|change| change.row.id() == id)
            .ok_or(Error::NotFound {
                entity: "change",
                id: history_id,
            })?;
        if self.get(id)?.is_some() {
            let texts = change.row.texts();
            let value = |column: &str| {
                I::Model::COLUMNS
                    .iter()
                    .position(|c| c.name == column && c.is_written())
                    .and_then(|at| texts.get(at).cloned())
            };
            let changes = I::Model::changes_from_texts(&value)?;
            return self.update(id, &changes);
        }
        self.run(|conn| I::Model::reinsert(conn, &change.row))?;
        self.get_one(id)
    }
}

/// How many history rows [`Database::prune_history`] deletes per transaction: short enough
/// that no writer waits on its locks for long.
pub const PRUNE_BATCH: usize = 1_000;

impl Database {
    /// Deletes the changes of `M` made before `before` (UTC), [`PRUNE_BATCH`] rows per
    /// transaction, oldest first, calling `progress` with the total so far after each batch;
    /// returns how many it deleted. The last change of each row is kept whatever its age, so
    /// that every row's current version and every deleted row stay in the history.
    pub fn prune_history<M: Describe>(
        &self,
        before: NaiveDateTime,
        mut progress: impl FnMut(usize),
    ) -> Result<usize> {
        let mut total = 0;
        loop {
            let deleted = self.transaction(|s| s.run(|conn| prune_batch::<M>(conn, before)))?;
            if deleted == 0 {
                return Ok(total);
            }
            total += deleted;
            progress(total);
        }
    }
}

/// One batch of [`Database::prune_history`]: the oldest changes before `before` that are not
/// their row's last.
fn prune_batch<M: Describe>(conn: &mut AnyConnection, before: NaiveDateTime) -> Result<usize> {
    Ok(crate::backend::prune_history(
        conn,
        M::HISTORY_TABLE.ok_or(Error::NoHistory { entity: M::NAME })?,
        M::COLUMNS.iter().find(|c| c.key).map_or("id", |c| c.name),
        before,
        PRUNE_BATCH,
    )?)
}
