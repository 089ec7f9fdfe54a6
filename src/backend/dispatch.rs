//! Running typed Diesel queries on the concrete connection from code *outside* staffdb: an
//! application's, and what `#[derive(staffdb::Model)]` writes into it.
//!
//! Inside staffdb, `with_conn!` matches [`AnyConnection`]'s variants under `#[cfg(feature = …)]`.
//! A macro expanded in another crate cannot do that: a `#[cfg]` there reads *that* crate's
//! features, not staffdb's. So [`AnyConnection::concrete`] hands out a [`Concrete`] whose three
//! variants always exist — a backend that is not compiled in holds an empty enum, which no value
//! has — and the macros below decide with staffdb's own features, when staffdb is compiled,
//! whether an arm's code is compiled at all (`__if_postgres!`, `__if_mysql!`).

use super::AnyConnection;

/// The connection type of PostgreSQL, or a placeholder no value has when it is not compiled in.
#[cfg(feature = "postgres")]
pub type PgConnection = diesel::PgConnection;
/// The connection type of PostgreSQL, or a placeholder no value has when it is not compiled in.
#[cfg(not(feature = "postgres"))]
pub type PgConnection = NotCompiledIn;

/// The connection type of MySQL, or a placeholder no value has when it is not compiled in.
#[cfg(feature = "mysql")]
pub type MysqlConnection = diesel::MysqlConnection;
/// The connection type of MySQL, or a placeholder no value has when it is not compiled in.
#[cfg(not(feature = "mysql"))]
pub type MysqlConnection = NotCompiledIn;

/// A backend this build of staffdb does not have: no value of it exists, so its arm of a
/// [`with_connection!`](crate::with_connection) never runs (and is not compiled).
#[derive(Debug)]
pub enum NotCompiledIn {}

/// The concrete connection inside an [`AnyConnection`], with a variant for every backend.
pub enum Concrete<'a> {
    /// Embedded SQLite.
    Sqlite(&'a mut diesel::SqliteConnection),
    /// PostgreSQL ([`NotCompiledIn`] without the `postgres` feature).
    Postgres(&'a mut PgConnection),
    /// MySQL / MariaDB ([`NotCompiledIn`] without the `mysql` feature).
    Mysql(&'a mut MysqlConnection),
}

impl AnyConnection {
    /// The concrete connection, for [`with_connection!`](crate::with_connection).
    #[doc(hidden)]
    pub fn concrete(&mut self) -> Concrete<'_> {
        match self {
            AnyConnection::Sqlite(c) => Concrete::Sqlite(c),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(c) => Concrete::Postgres(c),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(c) => Concrete::Mysql(c),
        }
    }
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnyConnection({})", self.backend())
    }
}

/// `{ code } else { other }`: `code` when staffdb has PostgreSQL, else `other`.
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ({ $($yes:tt)* } else { $($no:tt)* }) => { $($yes)* };
}
/// `{ code } else { other }`: `code` when staffdb has PostgreSQL, else `other`.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ({ $($yes:tt)* } else { $($no:tt)* }) => { $($no)* };
}

/// `{ code } else { other }`: `code` when staffdb has MySQL, else `other`.
#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ({ $($yes:tt)* } else { $($no:tt)* }) => { $($yes)* };
}
/// `{ code } else { other }`: `code` when staffdb has MySQL, else `other`.
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ({ $($yes:tt)* } else { $($no:tt)* }) => { $($no)* };
}

/// One piece of code per backend on an `&mut AnyConnection`: what the derive writes where
/// PostgreSQL's `COPY` or MySQL's missing `RETURNING` make the backends differ.
#[doc(hidden)]
#[macro_export]
macro_rules! __on_backends {
    ($conn:expr,
     sqlite: |$c1:ident| $sqlite:expr,
     postgres: |$c2:ident| $postgres:expr,
     mysql: |$c3:ident| $mysql:expr $(,)?) => {
        match $crate::AnyConnection::concrete($conn) {
            $crate::__private::Concrete::Sqlite($c1) => $sqlite,
            $crate::__private::Concrete::Postgres($c2) => {
                $crate::__if_postgres!({ $postgres } else { match *$c2 {} })
            }
            $crate::__private::Concrete::Mysql($c3) => {
                $crate::__if_mysql!({ $mysql } else { match *$c3 {} })
            }
        }
    };
}

/// Runs `body` with `c` bound to the concrete connection inside an `&mut` [`AnyConnection`]
/// (`SqliteConnection`, `PgConnection` or `MysqlConnection`): the body is written once and
/// type-checked for every backend this build of staffdb has. Diesel then uses each backend's
/// own statement cache and SQL types, and the query may use what only some backends have
/// (`RETURNING`), as long as it compiles for all of them.
///
/// ```
/// use staffdb::diesel::prelude::*;
/// use staffdb::schema::departments;
///
/// let db = staffdb::Database::open(":memory:")?;
/// let mut s = db.session()?;
/// let names: Vec<String> = s.run(|conn| {
///     staffdb::with_connection!(conn, |c| departments::table.select(departments::name).load(c))
/// })?;
/// assert!(names.is_empty());
/// # Ok::<(), staffdb::Error>(())
/// ```
#[macro_export]
macro_rules! with_connection {
    ($conn:expr, |$c:ident| $body:expr) => {
        $crate::__on_backends!($conn, sqlite: |$c| $body, postgres: |$c| $body, mysql: |$c| $body)
    };
}

/// `LAST_INSERT_ID()` as an expression of the key's SQL type: on MySQL, where a write has no
/// `RETURNING`, the derive reads an inserted row back with `WHERE id = LAST_INSERT_ID()` — one
/// statement, and per connection, so no other writer can race it.
#[doc(hidden)]
pub fn last_insert_id_sql<ST>() -> diesel::expression::SqlLiteral<ST>
where
    ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue,
{
    diesel::dsl::sql::<ST>("LAST_INSERT_ID()")
}

/// The bulk-insert entry points the derive calls where the backend has them (inside
/// `__if_postgres!`, so that a build without PostgreSQL never names them).
#[doc(hidden)]
pub mod bulk {
    #[cfg(feature = "postgres")]
    pub use crate::backend::copy::copy_in;
}
