//! Macros shared by the crate's modules; declared first in `lib.rs` so every module sees them.

/// Runs code on the concrete connection inside an [`AnyConnection`].
///
/// `with_conn!(conn, |c| body)` runs the same `body` with `c` bound to the `SqliteConnection`,
/// `PgConnection` or `MysqlConnection`, so it is written once and type-checked for each backend.
/// The long forms name a body per backend, for the few places where they differ:
/// `with_conn!(conn, |c| -> Sqlite { … } Postgres { … } Mysql { … })`, or, where only MySQL
/// differs (it has no `RETURNING`), `with_conn!(conn, |c| -> Sqlite | Postgres { … } Mysql { … })`.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| -> Sqlite | Postgres $ansi:block Mysql $mysql:block) => {
        with_conn!($conn, |$c| -> Sqlite $ansi Postgres $ansi Mysql $mysql)
    };
    ($conn:expr, |$c:ident| -> Sqlite $sqlite:block Postgres $pg:block Mysql $mysql:block) => {
        match $conn {
            $crate::AnyConnection::Sqlite($c) => $sqlite,
            #[cfg(feature = "postgres")]
            $crate::AnyConnection::Postgres($c) => $pg,
            #[cfg(feature = "mysql")]
            $crate::AnyConnection::Mysql($c) => $mysql,
        }
    };
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::AnyConnection::Mysql($c) => $body,
        }
    };
}
