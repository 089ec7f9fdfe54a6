//! The traits a table's model implements to be served by a [`Session`](crate::Session): the
//! shape of Lemmy's `Crud` and SQLAlchemy's `session.add(obj)` / `session.get(Model, id)`.
//!
//! A model names its id type, its insert form and its update form, and writes the few queries
//! that are its own (insert, find, update, delete, one keyset page) in plain Diesel against an
//! [`AnyConnection`]. The Session adds everything else the same way for every model: validation
//! before the database, failure tracking, savepoints, batching, streaming, `NotFound` and
//! optimistic-locking `Conflict`s. Versions, timestamps and validation are a model's choice:
//! [`Validate`] does nothing by default, and [`Versioned`] is a separate trait.

use std::fmt::Display;

use super::error::Result;
use crate::backend::{AnyConnection, Backend};

/// A table's row, as the Session reads and writes it.
///
/// Derive it: `#[derive(staffdb::Model)]` on the read struct beside its `table!` writes this impl
/// and everything around it (see the README's "A table of your own", and
/// `examples/own_table/project.rs`). By hand, a model writes the five queries below that have no
/// default; the others (hidden from these docs) are performance hooks — multi-row and `COPY`
/// batches, reads kept for MySQL's updates — that the derive and staffdb's own models fill in.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a staffdb model",
    label = "not a model",
    note = "a model is a struct with #[derive(staffdb::Model)]; if it has one, the error the derive reported comes first"
)]
pub trait Model: Sized {
    /// The id type: a newtype, so that one table's id can't be passed for another's.
    type Id: ModelId<Model = Self>;
    /// What [`Session::add`](crate::Session::add) takes.
    type New: NewModel<Model = Self> + Clone;
    /// What [`Session::update`](crate::Session::update) takes.
    type Changes: Validate + Clone;
    /// What a row is called in messages: `employee`, `department`, `project`.
    const NAME: &'static str;

    /// This row's id.
    fn id(&self) -> Self::Id;

    /// Inserts one row and returns it as stored.
    fn insert(conn: &mut AnyConnection, new: Self::New) -> Result<Self>;

    /// The row with this id, if there is one.
    fn find(conn: &mut AnyConnection, id: Self::Id) -> Result<Option<Self>>;

    /// The rows with these ids, in id order (an id that names no row is left out). The derive
    /// writes one `IN (…)` statement; this default, for a hand-written model, finds one by one.
    fn find_many(conn: &mut AnyConnection, ids: &[Self::Id]) -> Result<Vec<Self>> {
        let mut rows = Vec::with_capacity(ids.len());
        for &id in ids {
            rows.extend(Self::find(conn, id)?);
        }
        Ok(rows)
    }

    /// Applies `changes` to the row; `None` when there is no such row.
    fn update(
        conn: &mut AnyConnection,
        id: Self::Id,
        changes: &Self::Changes,
    ) -> Result<Option<Self>>;

    #[doc(hidden)]
    /// A copy of this row, which the Session keeps after reading it where an update would
    /// otherwise read the row back (MySQL), for [`Model::update_read`]. The default: `None`,
    /// nothing kept.
    fn keep_read(&self) -> Option<KeptRow> {
        None
    }

    #[doc(hidden)]
    /// Applies `changes` to the row `id` *if it is still `read`*, a row this session read and
    /// kept ([`Model::keep_read`]), and returns the stored row without reading it back; `None`
    /// when the row has changed since (or `read` is not that row, or the model cannot tell),
    /// and [`Session::update`](crate::Session::update) then updates and reads back as usual.
    /// A versioned model tells by its version, which every writer bumps. On MySQL this makes
    /// `get` + `update` two round trips instead of three. The default: `None`.
    fn update_read(
        conn: &mut AnyConnection,
        read: KeptRow,
        id: Self::Id,
        changes: &Self::Changes,
    ) -> Result<Option<Self>> {
        let _ = (conn, read, id, changes);
        Ok(None)
    }

    /// Deletes the row; false when there was none.
    fn delete(conn: &mut AnyConnection, id: Self::Id) -> Result<bool>;

    /// Up to `limit` rows in id order, after `after` (from the first row when `None`): one
    /// keyset page, which [`Session::stream_all`](crate::Session::stream_all) strings together.
    fn page_after(
        conn: &mut AnyConnection,
        after: Option<Self::Id>,
        limit: i64,
    ) -> Result<Vec<Self>>;

    #[doc(hidden)]
    /// Inserts validated rows; returns how many. The default inserts them one by one; a model
    /// that expects bulk loads writes multi-row statements (see [`Model::batch_size`]).
    fn insert_batch(conn: &mut AnyConnection, rows: Vec<Self::New>) -> Result<usize> {
        let count = rows.len();
        rows.into_iter()
            .try_for_each(|row| Self::insert(conn, row).map(drop))?;
        Ok(count)
    }

    #[doc(hidden)]
    /// True when [`Session::add_all`](crate::Session::add_all) should hand all its rows to one
    /// [`Model::insert_stream`] call on `backend` (PostgreSQL's `COPY`, say) rather than
    /// batches to [`Model::insert_batch`]. The default: batches.
    fn streams_inserts(backend: Backend) -> bool {
        let _ = backend;
        false
    }

    #[doc(hidden)]
    /// Inserts every validated row the iterator yields, as it yields them, in one statement;
    /// returns how many. The first `Err` the iterator yields is returned as it is, and what was
    /// written of the stream is left for the caller's savepoint to roll back. Called only where
    /// [`Model::streams_inserts`] is true; the default inserts batches of
    /// [`Model::batch_size`] rows.
    fn insert_stream(
        conn: &mut AnyConnection,
        rows: &mut dyn Iterator<Item = Result<Self::New>>,
    ) -> Result<usize> {
        let batch_size = Self::batch_size(conn.backend()).max(1);
        let mut written = 0;
        let mut batch = Vec::with_capacity(batch_size);
        for row in rows {
            batch.push(row?);
            if batch.len() == batch_size {
                written += Self::insert_batch(conn, std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            written += Self::insert_batch(conn, batch)?;
        }
        Ok(written)
    }

    #[doc(hidden)]
    /// How many rows [`Session::add_all`](crate::Session::add_all) hands to one
    /// [`Model::insert_batch`] call on `backend`.
    fn batch_size(backend: Backend) -> usize {
        let _ = backend;
        1_000
    }

    #[doc(hidden)]
    /// Of `ids`, those that exist. The default looks each one up.
    fn existing(conn: &mut AnyConnection, ids: &[Self::Id]) -> Result<Vec<Self::Id>> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            if Self::find(conn, id)?.is_some() {
                found.push(id);
            }
        }
        Ok(found)
    }

    #[doc(hidden)]
    /// Deletes every row of `ids` (all known to exist); returns how many. The default deletes
    /// them one by one.
    fn delete_batch(conn: &mut AnyConnection, ids: &[Self::Id]) -> Result<usize> {
        let mut deleted = 0;
        for &id in ids {
            deleted += usize::from(Self::delete(conn, id)?);
        }
        Ok(deleted)
    }
}

/// A row a [`Session`](crate::Session) keeps for [`Model::update_read`], as its model made it.
#[doc(hidden)]
pub type KeptRow = Box<dyn std::any::Any + Send + Sync>;

/// What the derive's `keep_read` asks of a row: `(&KeepProbe(row)).kept()` is a clone of it
/// when the model is `Clone` ([`KeepClone`], found first by method resolution), and nothing
/// otherwise ([`KeepNothing`]) — a model need not be `Clone`, it only misses the saving.
#[doc(hidden)]
pub struct KeepProbe<'a, T>(pub &'a T);

/// A clone of a `Clone` row, kept.
#[doc(hidden)]
pub trait KeepClone {
    /// The row, boxed.
    fn kept(&self) -> Option<KeptRow>;
}

impl<T: Clone + Send + Sync + 'static> KeepClone for KeepProbe<'_, T> {
    fn kept(&self) -> Option<KeptRow> {
        Some(Box::new(self.0.clone()))
    }
}

/// Nothing kept of a row that cannot be cloned.
#[doc(hidden)]
pub trait KeepNothing {
    /// `None`.
    fn kept(&self) -> Option<KeptRow>;
}

impl<T> KeepNothing for &KeepProbe<'_, T> {
    fn kept(&self) -> Option<KeptRow> {
        None
    }
}

/// A `Model::insert_stream` called where the model does not stream (a caller's mistake).
#[doc(hidden)]
pub fn not_streamed() -> super::error::Error {
    diesel::result::Error::QueryBuilderError(
        "COPY is PostgreSQL's; insert in batches on this backend".into(),
    )
    .into()
}

/// A model's id: it knows its model, so `session.get(id)` needs no type annotation and
/// `session.delete(department.id)` deletes a department, never an employee.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model's id",
    label = "not an id made by `staffdb::id!`",
    note = "a model's key is a `BigInt` column, and its field's type is declared by `staffdb::id! {{ pub TaskId => Task }}`"
)]
pub trait ModelId: Copy + Ord + Display + Into<i64> {
    /// The model this id identifies.
    type Model: Model<Id = Self>;
}

/// A model's insert form: it knows its model, so `session.add(&NewEmployee::new(…))` returns
/// an [`Employee`](crate::Employee).
pub trait NewModel: Validate {
    /// The model this row becomes once inserted.
    type Model: Model<New = Self>;
}

/// Checks (and may normalise, e.g. lowercase an email) a value before it reaches the database.
/// The default accepts everything: validation is a model's choice.
pub trait Validate {
    /// Refuses the value with [`Error::Validation`](crate::Error::Validation), naming the field.
    fn validate(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A model with an optimistic-locking version that grows by one on every update.
pub trait Versioned: Model {
    /// The row's current version.
    fn version(&self) -> i32;

    /// Applies `changes` only if the row still has version `expected`; `None` when no row has
    /// that id and version (the Session then tells `NotFound` from `Conflict`).
    fn update_if_version(
        conn: &mut AnyConnection,
        id: Self::Id,
        expected: i32,
        changes: &Self::Changes,
    ) -> Result<Option<Self>>;

    /// The version the row has now (`None`: no such row), for the
    /// [`Conflict`](crate::Error::Conflict) that follows an [`Versioned::update_if_version`] that
    /// matched nothing. It must read what that UPDATE saw: the latest committed version (and this
    /// transaction's own writes). On MySQL a write transaction reads a snapshot (REPEATABLE READ),
    /// so a plain `SELECT` there may still show the version another client has since replaced,
    /// and the read must lock (`FOR UPDATE`, a current read) — as `#[derive(Model)]` and
    /// [`Employee`](crate::Employee) do. The default reads the row with [`Model::find`], which is
    /// right on SQLite (one writer at a time) and PostgreSQL (READ COMMITTED) only.
    fn current_version(conn: &mut AnyConnection, id: Self::Id) -> Result<Option<i32>> {
        Ok(Self::find(conn, id)?.map(|row| row.version()))
    }
}
