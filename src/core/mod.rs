//! # The core layer: databases, sessions, models' traits, migrations
//!
//! Backend-neutral: it reaches the database only through [`crate::backend`], and knows nothing
//! of employees or departments (those are [`crate::models`], the layer above).

#[cfg(feature = "tokio")]
mod asynchronous;
pub(crate) mod cached_update;
pub(crate) mod changes;
pub(crate) mod database;
pub(crate) mod error;
pub(crate) mod fields;
pub(crate) mod history;
mod id;
pub(crate) mod migrations;
pub(crate) mod model;
pub(crate) mod pool;
pub(crate) mod query;
pub(crate) mod relations;
pub(crate) mod replicas;
pub(crate) mod session;
pub(crate) mod url;
pub(crate) mod writes;

/// The id the database assigned to the last row this connection inserted, for a model's
/// [`Model::insert`](model::Model::insert) on a backend without `RETURNING` (or any backend):
/// `last_insert_rowid()`, `lastval()` or `LAST_INSERT_ID()`. Per connection, so no other writer
/// can race it.
pub fn last_insert_id(conn: &mut crate::AnyConnection) -> error::Result<i64> {
    Ok(crate::backend::last_insert_id(conn)?)
}
