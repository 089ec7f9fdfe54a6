//! How a transaction begins on each backend, for writing or for reading only.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use super::AnyConnection;

/// What a transaction may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads and writes.
    ReadWrite,
    /// Reads only, from one consistent snapshot; a write is refused by the database.
    ReadOnly,
}

/// Begins the outermost transaction on `conn`.
///
/// - SQLite: a writer begins `IMMEDIATE`, taking the write lock up front and waiting for it on
///   the busy timeout (a deferred `BEGIN` that later writes can fail with BUSY at once, whatever
///   the timeout). A reader begins a plain `BEGIN` with `query_only` on, which refuses writes.
/// - PostgreSQL: a reader is `REPEATABLE READ, READ ONLY`: one snapshot for the whole session.
/// - MySQL: a reader is `READ ONLY` `WITH CONSISTENT SNAPSHOT` (InnoDB's repeatable read).
///   A writer on a Galera node (`marked`) also sets the marker that [`still_open`] checks.
/// - PostgreSQL through a transaction pooler (`pooled`: the lock timeout), the same `BEGIN`
///   followed by the session setup as `SET LOCAL`, in the same round trip.
///
/// [`still_open`]: super::galera::still_open
#[cfg_attr(
    not(all(feature = "mysql", feature = "postgres")),
    allow(unused_variables)
)]
pub(crate) fn begin(
    conn: &mut AnyConnection,
    access: Access,
    marked: bool,
    pooled: Option<std::time::Duration>,
) -> QueryResult<()> {
    let read_only = access == Access::ReadOnly;
    #[cfg(feature = "postgres")]
    if let (AnyConnection::Postgres(c), Some(lock_timeout)) = (&mut *conn, pooled) {
        let begin = if read_only {
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        } else {
            "BEGIN"
        };
        let setup = super::connection::transaction_setup(lock_timeout);
        return AnsiTransactionManager::begin_transaction_sql(c, &format!("{begin}; {setup}"));
    }
    match conn {
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) if marked && !read_only => {
            AnsiTransactionManager::begin_transaction_sql(c, super::galera::BEGIN_MARKED)
        }
        AnyConnection::Sqlite(c) if read_only => {
            c.batch_execute("PRAGMA query_only = ON")?;
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")
        }
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) if read_only => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        ),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) if read_only => AnsiTransactionManager::begin_transaction_sql(
            c,
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ),
        #[allow(unreachable_patterns)]
        other => <AnyConnection as Connection>::TransactionManager::begin_transaction(other),
    }
}

/// Undoes what [`begin`] set on the connection beyond the transaction itself, once the
/// transaction is over, so that the pooled connection is as it was.
#[cfg_attr(not(feature = "mysql"), allow(unused_variables))]
pub(crate) fn end(conn: &mut AnyConnection, access: Access, marked: bool) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) if access == Access::ReadOnly => {
            c.batch_execute("PRAGMA query_only = OFF")
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) if marked && access == Access::ReadWrite => {
            c.batch_execute("SET autocommit = 1")
        }
        _ => Ok(()),
    }
}

/// Right before `COMMIT` of a write transaction [`begin`] opened with the marker: true when
/// that transaction is still the open one, false when the cluster rolled it back under us.
pub(crate) fn still_open(conn: &mut AnyConnection) -> QueryResult<bool> {
    match conn {
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => super::galera::still_open(c),
        _ => Ok(true),
    }
}
