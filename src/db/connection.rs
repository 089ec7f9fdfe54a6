//! The one connection type, whichever backend the URL chose.
//!
//! [`AnyConnection`] derives Diesel's `MultiConnection`, so code written by a user against
//! `session.conn()` is ordinary Diesel DSL and runs on every backend. staffdb's own queries go
//! through the crate's `with_conn!` macro instead, which runs the same code on the concrete
//! connection: that reaches what `MultiConnection` cannot do (RETURNING, multi-row INSERT, COPY).

// The derive cannot take `#[cfg]` on a variant, so the enum is spelled once per feature set.
macro_rules! any_connection {
    ($($(#[$meta:meta])* $variant:ident($conn:ty)),+ $(,)?) => {
        /// A connection to any of the backends compiled in; the URL's scheme picks the variant.
        #[derive(diesel::MultiConnection)]
        #[allow(missing_docs)]
        pub enum AnyConnection {
            $($(#[$meta])* $variant($conn)),+
        }
    };
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
any_connection! {
    /// Embedded SQLite.
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL.
    Postgres(diesel::PgConnection),
    /// MySQL / MariaDB.
    Mysql(diesel::MysqlConnection),
}

#[cfg(all(feature = "postgres", not(feature = "mysql")))]
any_connection! {
    /// Embedded SQLite.
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL.
    Postgres(diesel::PgConnection),
}

#[cfg(all(not(feature = "postgres"), feature = "mysql"))]
any_connection! {
    /// Embedded SQLite.
    Sqlite(diesel::SqliteConnection),
    /// MySQL / MariaDB.
    Mysql(diesel::MysqlConnection),
}

#[cfg(not(any(feature = "postgres", feature = "mysql")))]
any_connection! {
    /// Embedded SQLite.
    Sqlite(diesel::SqliteConnection),
}

impl AnyConnection {
    /// The backend this connection talks to.
    pub fn backend(&self) -> crate::Backend {
        with_conn!(self, |_c| -> Sqlite { crate::Backend::Sqlite }
            Postgres { crate::Backend::Postgres }
            Mysql { crate::Backend::Mysql })
    }
}
