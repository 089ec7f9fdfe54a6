//! # The backend layer: the only code that names a database dialect
//!
//! Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB lives in this folder and
//! nowhere else: the connection enum, how a URL's scheme picks a backend, per-connection setup,
//! how a transaction begins (and, on Galera, how a silently aborted one is noticed), bind-parameter limits, `COPY`, the upsert clause, `RETURNING` (and
//! MySQL's insert-then-read-back in its place), Unicode case folding, the timestamp codecs, the
//! embedded migrations and their locks, and how a driver's error is classified.
//!
//! The layers above call these by intent (`insert_returning!`, `Upsert`, `classify`, `begin`)
//! and never match on a backend themselves. This layer depends on Diesel and the generated
//! [`schema`](crate::schema) only: nothing in the core, the models or the CLI.

mod case;
mod connection;
pub(crate) mod copy;
pub(crate) mod dispatch;
mod errors;
#[cfg(feature = "mysql")]
mod galera;
mod history;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod hosts;
pub(crate) use self::history::prune_history;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use self::hosts::take_wait_for_primary;

/// Without a server backend compiled in, no driver reads a server URL: nothing to take out.
#[cfg(not(any(feature = "postgres", feature = "mysql")))]
pub(crate) fn take_wait_for_primary(
    url: &str,
    _name: &str,
) -> Result<(String, Option<std::time::Duration>), String> {
    Ok((url.to_owned(), None))
}
pub(crate) mod migrations;
pub(crate) mod replication;
pub(crate) mod sql;
pub(crate) mod stamp;
mod transaction;
mod url;

pub(crate) use self::case::CaseFolded;
pub use self::case::Lowercase;
pub use self::connection::{AnyConnection, MultiBackend};
pub(crate) use self::connection::{
    ConnectOptions, Connected, MultiRawValue, connect, enable_wal, ping,
};
pub(crate) use self::errors::{
    Classified, classify, is_deadlock, is_read_only_file, is_unreachable_text,
};
pub use self::migrations::AppMigrations;
pub(crate) use self::sql::{
    ROWS_PER_CACHED_INSERT, excluded, last_insert_id, rows_per_statement, stream_rows,
    streams_rows, upsert,
};
pub(crate) use self::transaction::{Access, begin, end, forget_actor, set_actor, still_open};
pub(crate) use self::url::{ParsedUrl, sqlite_path};
pub(crate) use self::url::{
    display as display_url, parse as parse_url, redact as redact_passwords,
};

/// The three database systems staffdb runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Embedded SQLite: a file, or `:memory:`.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Backend {
    /// The backend's name as a person would write it (and as its cargo feature is named).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// True for a database in a file of this process (SQLite), false for a server.
    pub fn is_embedded(self) -> bool {
        self == Backend::Sqlite
    }

    /// True when this build of staffdb can talk to the backend (its cargo feature is on).
    pub fn is_compiled_in(self) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::Mysql => cfg!(feature = "mysql"),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The backends a model's `check_for_backend` should name, whatever features are on.
///
/// A backend that is not compiled in stands for SQLite here, so that a model can write
/// `#[diesel(check_for_backend(checked::Sqlite, checked::Pg, checked::Mysql))]` once, with no
/// `cfg_attr` of its own, and still be checked against every backend this build has.
pub mod checked {
    pub use diesel::sqlite::Sqlite;

    #[cfg(feature = "postgres")]
    pub use diesel::pg::Pg;
    /// PostgreSQL is not compiled in: checking against SQLite again costs nothing.
    #[cfg(not(feature = "postgres"))]
    pub type Pg = diesel::sqlite::Sqlite;

    #[cfg(feature = "mysql")]
    pub use diesel::mysql::Mysql;
    /// MySQL is not compiled in: checking against SQLite again costs nothing.
    #[cfg(not(feature = "mysql"))]
    pub type Mysql = diesel::sqlite::Sqlite;
}

/// Runs code on the concrete connection inside an [`AnyConnection`].
///
/// `with_conn!(conn, |c| body)` runs the same `body` with `c` bound to the `SqliteConnection`,
/// `PgConnection` or `MysqlConnection`, so it is written once and type-checked for each backend:
/// the layers above use it to run their typed queries on the concrete connection (which keeps
/// Diesel's statement cache and every backend's own SQL types), never to tell backends apart.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::backend::AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::backend::AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::backend::AnyConnection::Mysql($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// True where [`write_returning!`] reads a written row back with a statement of its own (MySQL,
/// which has no `RETURNING`): there, an update of a row the session has just read can save that
/// round trip (see `Model::update_read`).
pub(crate) fn reads_back_writes(backend: Backend) -> bool {
    backend == Backend::Mysql
}
