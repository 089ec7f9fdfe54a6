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
        // A MySQL writer first forgets who the connection's last writer acted for (see
        // `set_actor`): a session variable outlives the transaction that set it.
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) if marked && !read_only => {
            AnsiTransactionManager::begin_transaction_sql(
                c,
                &format!("{FORGET_MYSQL_ACTOR}; {}", super::galera::BEGIN_MARKED),
            )
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) if !read_only => AnsiTransactionManager::begin_transaction_sql(
            c,
            &format!("{FORGET_MYSQL_ACTOR}; BEGIN"),
        ),
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

/// Clears `@staffdb_user`, which the history triggers read on MySQL.
#[cfg(feature = "mysql")]
const FORGET_MYSQL_ACTOR: &str = "SET @staffdb_user = NULL";

/// Says who acts in the write transaction just begun on `conn`: the staffdb user whom the
/// history triggers record beside the database user (`history_user`). PostgreSQL: the setting
/// `staffdb.user`, local to the transaction (`set_config(…, true)`, as `SET LOCAL`), so that a
/// pooled connection, or a transaction pooler's, never carries it into another transaction.
/// MySQL: the session variable `@staffdb_user`, which every write transaction's [`begin`]
/// clears first. SQLite: the one row of `staffdb_actor`, which [`forget_actor`] deletes before
/// `COMMIT` (a trigger of the main database cannot read a TEMP table, and the transaction holds
/// the only write lock, so no other writer sees the row).
pub(crate) fn set_actor(conn: &mut AnyConnection, user: &str) -> QueryResult<()> {
    use diesel::sql_types::Text;
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("INSERT OR REPLACE INTO staffdb_actor (id, user_name) VALUES (1, ?)")
                .bind::<Text, _>(user)
                .execute(c)?;
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            diesel::sql_query("SELECT set_config('staffdb.user', $1, true)")
                .bind::<Text, _>(user)
                .execute(c)?;
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            diesel::sql_query("SET @staffdb_user = ?")
                .bind::<Text, _>(user)
                .execute(c)?;
        }
    }
    Ok(())
}

/// Right before `COMMIT` of a transaction that [`set_actor`]: on SQLite, deletes the row, so
/// that no later writer (the sqlite3 shell, say) is recorded as that user.
pub(crate) fn forget_actor(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("DELETE FROM staffdb_actor"),
        #[allow(unreachable_patterns)]
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
