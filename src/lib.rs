//! # staffdb
//!
//! Employee records on [Diesel](https://diesel.rs): the classic ORM tutorial — declare an
//! `Employee`, open a database from a URL, open a session, add, query, update, delete, commit —
//! done in type-checked Rust, on embedded SQLite by default and on PostgreSQL or MySQL/MariaDB
//! by changing the URL.
//!
//! ```
//! use staffdb::{Database, Employee, EmployeeChanges, EmployeeFilter, ListOptions, NewEmployee};
//!
//! # fn main() -> Result<(), staffdb::Error> {
//! let db = Database::open(":memory:")?; // or "staffdb.db", "postgres://…", "mysql://…"
//!
//! let mut session = db.session()?;
//! let alice = session.add(&NewEmployee::new("Alice", 25, "Manager"))?;
//! let bob = session.add(&NewEmployee::new("Bob", 22, "Developer"))?;
//! session.commit()?;
//!
//! db.transaction(|s| {
//!     let promotion = EmployeeChanges {
//!         age: Some(26),
//!         position: Some("Senior Developer".into()),
//!         ..Default::default()
//!     };
//!     s.update(alice.id, &promotion)?;
//!     s.delete(bob.id)
//! })?;
//!
//! let mut session = db.read_session()?;
//! for employee in Employee::stream(&mut session, &EmployeeFilter::new(), &ListOptions::new())? {
//!     println!("{}", employee?); // ID: 1, Name: Alice, Age: 26, Position: Senior Developer
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Backends and features
//!
//! The URL's scheme picks the backend: a path, `sqlite://PATH` or `:memory:` is SQLite (bundled,
//! always compiled in); `postgres://…` needs the `postgres` feature (system libpq) or
//! `postgres-bundled` (libpq compiled from source); `mysql://…` or `mariadb://…` needs `mysql`.
//! `servers` turns on both servers. [`Backend::is_compiled_in`] tells what a build has.
//! No feature is on by default: `web` adds `staffdb::web` (the admin pages and the JSON API, on
//! axum and tokio), `cli` adds `staffdb::cli` (an application's own command line, on clap and
//! indicatif), `tokio` adds `Database::run` and `Database::blocking` for async callers.
//!
//! ## The pieces
//!
//! - [`Database`] is a pool of connections to one URL, with migrations applied on open
//!   ([`OpenOptions`] for the rest, [`AppMigrations`] for an application's own tables).
//! - [`Session`] owns one transaction: `add`, `add_all`, `get` (an `Option`), `get_one`,
//!   `update`, `update_if_version`, `delete`, `delete_many` and `stream_all` for any [`Model`];
//!   [`Session::run`] for Diesel queries of your own. [`Database::transaction`] retries on
//!   contention; [`Database::read_session`] is read-only and reads one snapshot.
//! - The models: [`Employee`] (with its [`EmployeeFilter`] listings, [`Employee::stats`] and
//!   [`Employee::upsert_by_email`]) and [`Department`]. Ids are typed: an [`EmployeeId`] can't
//!   be passed where a [`DepartmentId`] goes.
//! - Importing and exporting any model: [`import_rows`] and [`upsert_rows`] read a CSV or JSON
//!   file of its rows (any `BufRead`, in constant memory; all or nothing, the first bad value
//!   named with its [`Place`], a line or a record, and its column), [`export_rows`] writes one.
//!   [`CsvRecords`] and [`JsonRecords`] read employees as typed records.
//!
//! ## Streaming
//!
//! [`Employee::stream`] (and `stream_summaries`, `stream_with_department`) read keyset pages of
//! 5,000 rows: memory stays flat for any table size, on every backend.
//! [`Session::stream_pages`] is the same engine for queries of your own.
//!
//! ## Statistics
//!
//! [`Employee::stats`] gives head count and average, youngest and oldest age per position or
//! department ([`GroupBy`]).
//!
//! ## Errors
//!
//! Every fallible call returns [`Error`], classified the same way on every backend, so a caller
//! matches on what happened, not on a driver's wording:
//!
//! ```
//! use staffdb::{Database, Error, NewEmployee};
//!
//! let db = Database::open(":memory:")?;
//! let mut s = db.session()?;
//! let ann = s.add(&NewEmployee::new("Ann", 30, "Clerk"))?;
//! let nothing = s.update_if_version(ann.id, ann.version, &Default::default());
//! assert!(matches!(nothing, Err(Error::Validation { field: "changes", .. }))); // refused first
//! match s.update_if_version(ann.id, 7, &staffdb::EmployeeChanges { age: Some(31), ..Default::default() }) {
//!     Err(Error::Conflict { expected: 7, actual: 1, .. }) => {} // someone else's version
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Error>(())
//! ```
//!
//! ## Layers
//!
//! `backend` (the only code that names a dialect) ← `core` (`Database`, `Session`, migrations,
//! errors) ← `models` (employees, departments) ← the front ends: `staffdb::web` (with the `web`
//! feature), `staffdb::cli` (with the `cli` feature: an application's command line, its models'
//! commands from their descriptions) and the `staffdb` CLI, which is a package of its own,
//! `staffdb-cli`, so that this crate carries no argument parsing or progress bars unless asked. No module imports one above it, and the
//! modules form no cycle; `staffdb-cli/tests/integration/layers.rs` keeps it so, over both
//! crates.

// The bundled libpq needs OpenSSL's symbols; naming the crate makes sure it is linked.
#[cfg(feature = "postgres-bundled")]
use openssl_sys as _;

// `::staffdb::…` paths, which `#[derive(Model)]` writes, work inside staffdb too.
extern crate self as staffdb;

pub mod backend;
#[cfg(feature = "cli")]
pub mod cli;
mod core;
mod models;
/// The database schema, generated by `diesel print-schema` from the SQLite migrations (see
/// `diesel.toml`) and never edited by hand. The same tables serve PostgreSQL and MySQL.
#[allow(missing_docs)]
pub mod schema;
#[cfg(feature = "web")]
pub mod web;

/// Diesel itself, so that queries of your own (see [`Session::run`]) need no second dependency.
/// Declaring a table of your own with `diesel::table!` does: the macro names the crate as
/// `::diesel`, so add `diesel = { version = "2.3", default-features = false }` (cargo builds the
/// one Diesel, with staffdb's features); see `examples/own_table.rs`.
pub use diesel;
/// Diesel's migrations crate, for `embed_migrations!` of an application's own migrations
/// (see [`AppMigrations`]).
pub use diesel_migrations;

pub use crate::backend::{AnyConnection, AppMigrations, Backend};
pub use crate::core::changes::{Change, HistoryQuery, Operation};
pub use crate::core::database::{Database, OpenOptions};
pub use crate::core::error::{Error, Result};
pub use crate::core::fields::{
    Column, Describe, FieldValue, Kind, RelatedRow, RelationInfo, Rules, whole_number,
};
pub use crate::core::history::{ChangeRecord, Difference, PRUNE_BATCH, with_differences};
pub use crate::core::last_insert_id;
pub use crate::core::migrations::{MigrationOwner, MigrationState, MigrationStatus};
#[doc(hidden)]
pub use crate::core::model::KeptRow;
pub use crate::core::model::{Model, ModelId, NewModel, Validate, Versioned};
pub use crate::core::query::{
    Condition, Counted, Cursor, DEFAULT_LIMIT, Listed, MAX_CONDITIONS, MAX_LIMIT,
    MAX_PATTERN_CHARS, Op, Page, Query, TextFilter,
};
pub use crate::core::relations::{BelongsTo, HasMany, ManyToMany, Relation};
pub use crate::core::session::{RowStream, Session};
/// `#[derive(Model)]`: a table's model from one declaration (see [`Model`]'s derive section).
///
/// Mistakes are compile errors at the field, in words: an unknown option, a flag given a value,
/// a `version` that is not an `i32` or a model without its `table` or `id` are reported by the
/// derive itself; a field whose type does not fit its column in the `table!` (checked for every
/// backend compiled in: `Nullable` needs an `Option`), a field type staffdb does not know, an
/// option on the wrong kind of field (`max_chars` on a number, `min` on text) or a `references`
/// on a field that holds no such id, by the compiler through checks the derive writes. A field
/// that is not a column is "cannot find type `…` in module `table`". Later errors about Diesel's
/// traits follow from the first; `tests/derive` keeps each message.
pub use staffdb_derive::Model;

pub use crate::core::url::{DEFAULT_DATABASE_URL, DatabaseUrl, url_from_env};
pub use crate::core::writes::{WriteField, write_fields};
pub use crate::models::*;

/// What the code `#[derive(Model)]` and [`id!`] write calls: not an API, and not covered by
/// semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::checked;
    pub use crate::backend::copy::{CopyFields, CopyRow, streams as copy_streams};
    #[allow(unused_imports)] // empty without PostgreSQL
    pub use crate::backend::dispatch::bulk::*;
    pub use crate::backend::dispatch::{Concrete, NotCompiledIn, last_insert_id_sql};
    pub use crate::backend::sql::rows_per_statement;
    pub use crate::backend::stamp::{ReadStamp, Stamp, now};
    pub use crate::backend::{Lowercase, MultiBackend};
    pub use crate::core::cached_update::update as cached_update;
    pub use crate::core::changes::change_from_row;
    pub use crate::core::fields::{
        ColumnFits, IdField, NumberField, TextField, change_from_text, defaulted_from_text,
        nothing_to_change, required_from_text,
    };
    pub use crate::core::model::{KeepClone, KeepNothing, KeepProbe, not_streamed};
    pub use crate::core::query::{
        Nulls, Order, choices, ids_by_title, new_from_title, no_relation, not_comparable, value_of,
    };
    pub use crate::core::relations::shown;
    pub use serde;

    /// Rows per multi-row INSERT statement on SQLite and MySQL (Diesel caches the statement
    /// for a fixed-size array).
    pub const ROWS_PER_CACHED_INSERT: usize = crate::backend::ROWS_PER_CACHED_INSERT;
    /// From this many rows a batch goes to PostgreSQL through `COPY`.
    pub const COPY_THRESHOLD: usize = crate::backend::sql::COPY_THRESHOLD;
    /// Rows `Session::add_all` hands to one `insert_batch` of a derived model.
    pub const ROWS_PER_BATCH: usize = 5_000;
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
