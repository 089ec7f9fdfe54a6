//! Galera (MariaDB's synchronous multi-primary cluster): noticing a transaction that the cluster
//! rolled back under us.
//!
//! When a write replicated from another node conflicts with a transaction that is open on this
//! node, Galera aborts the local one ("brute-force abort"). A client that is between statements
//! is meant to get error 1213 on its next one, but over the prepared-statement protocol that
//! Diesel uses MariaDB 10.11 does not always say so: the next statements simply run in a new
//! transaction, and `COMMIT` succeeds with nothing of the first half in it. Measured with 8
//! `staffdb update` processes on one row over 3 nodes: 5 rounds in 100 ended one update short
//! with all 8 exiting 0.
//!
//! The check, chosen because it is sound for any number of statements in a session:
//! - Every write transaction on a Galera node runs with `autocommit = 0` and begins by inserting
//!   a row into a per-connection `TEMPORARY` InnoDB table. Temporary tables are not replicated
//!   or certified, so the row costs no cluster traffic, and it is undone with the transaction.
//! - Just before `COMMIT`, the session deletes that row. One row deleted: the transaction that
//!   inserted it is still the open one. No row: it was rolled back under us.
//! - With `autocommit = 0`, whatever ran after such an abort ran in a *new* transaction that is
//!   not committed yet, so the session rolls it back and nothing of the attempt remains; the
//!   caller gets a retryable contention error (`db.transaction` retries it). With autocommit on,
//!   those later statements would each have committed alone, which no check could undo.
//!
//! A read-back of the row's version (the other option) would catch only the write it follows,
//! not one aborted after it, so it is not used.

use std::time::Duration;

use diesel::MysqlConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The temporary table that holds the open-transaction marker row (a macro, for `concat!`).
macro_rules! marker_table {
    () => {
        "staffdb_open_transaction"
    };
}

/// Sets up `conn` for the marker check if its server is a Galera node; returns whether it is.
///
/// On a Galera node the session also gets `idle_write_transaction_timeout = idle_limit`
/// (whole seconds, at least 1). MariaDB 10.11 sometimes never answers a statement that a
/// brute-force abort interrupted: the server thread goes back to `Sleep` with the transaction
/// open while the client waits for a reply (seen about once in 150 rounds of 8 writers). The
/// timeout makes the server end that connection, which the client sees as
/// [`Classified::ConnectionLost`](super::Classified::ConnectionLost) and retries on a new one.
/// The cost: a write session that sits idle between statements for longer than the limit is
/// ended the same way.
///
/// Reads are causal (`wsrep_sync_wait = 1`): a read waits until this node has applied every
/// write the cluster committed before it, so a commit through one node is seen through every
/// other, by this process and by any other. The cost is that wait, on each read.
pub(crate) fn prepare(conn: &mut MysqlConnection, idle_limit: Duration) -> QueryResult<bool> {
    if !wsrep_on(conn)? {
        return Ok(false);
    }
    conn.batch_execute(concat!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS ",
        marker_table!(),
        " (open TINYINT NOT NULL PRIMARY KEY) ENGINE = InnoDB"
    ))?;
    let seconds = idle_limit.as_secs().max(1);
    conn.batch_execute(&format!(
        "SET SESSION idle_write_transaction_timeout = {seconds}, SESSION wsrep_sync_wait = 1"
    ))?;
    Ok(true)
}

fn wsrep_on(conn: &mut MysqlConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Variable {
        #[diesel(sql_type = Text, column_name = "Value")]
        value: String,
    }
    let found: Vec<Variable> = diesel::sql_query("SHOW VARIABLES LIKE 'wsrep_on'").load(conn)?;
    Ok(found.iter().any(|v| v.value.eq_ignore_ascii_case("ON")))
}

/// How a write transaction on a Galera node begins: out of autocommit, then the marker row.
pub(crate) const BEGIN_MARKED: &str = concat!(
    "SET autocommit = 0; START TRANSACTION; INSERT INTO ",
    marker_table!(),
    " VALUES (1)"
);

/// True when the transaction [`begin`] opened is still the one open; consumes the marker, so
/// call it once, right before `COMMIT`.
pub(crate) fn still_open(conn: &mut MysqlConnection) -> QueryResult<bool> {
    let deleted = diesel::sql_query(concat!("DELETE FROM ", marker_table!())).execute(conn)?;
    Ok(deleted == 1)
}

/// How long a migration lock stays good without renewal (the holder renews it before each
/// migration). An older one is taken over by another node's `migrate`: its holder is taken to
/// have died, since a node cannot see another node's connections.
pub(crate) const MIGRATION_LEASE: Duration = Duration::from_secs(60);

/// Takes the cluster-wide migration lock, waiting up to `wait`; false when the wait ran out.
///
/// `GET_LOCK` is local to one node, so on Galera the lock is a row: the one row of
/// `staffdb_migration_lock`, inserted in autocommit. Two nodes inserting it at once conflict in
/// certification (error 1213) and one of them loses; a node that already has the row refuses
/// the duplicate. The row names its holder (node and connection). A waiter removes it when the
/// holder is gone: at once if the holder was on the waiter's own node (its connection is no
/// longer in the process list), else once the holder has not renewed it
/// ([`renew_migration_lock`]) for [`MIGRATION_LEASE`]. A single migration that runs longer than
/// that may therefore be joined by another node's `migrate`. Reads on the connection are causal
/// (see [`prepare`]), so the holder sees every migration the previous holder recorded, whichever
/// node it ran on.
pub(crate) fn lock_migrations(conn: &mut MysqlConnection, wait: Duration) -> QueryResult<bool> {
    conn.batch_execute(concat!(
        "CREATE TABLE IF NOT EXISTS staffdb_migration_lock (",
        "id TINYINT NOT NULL PRIMARY KEY, node VARCHAR(255) NOT NULL, ",
        "connection_id BIGINT UNSIGNED NOT NULL, taken_at DATETIME(6) NOT NULL",
        ") ENGINE = InnoDB"
    ))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        let taken = diesel::sql_query(concat!(
            "INSERT INTO staffdb_migration_lock (id, node, connection_id, taken_at) ",
            "SELECT 1, @@wsrep_node_name, CONNECTION_ID(), UTC_TIMESTAMP(6)"
        ))
        .execute(conn);
        match taken {
            Ok(_) => return Ok(true),
            Err(error) if held_by_another(&error) => {}
            Err(error) => return Err(error),
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        diesel::sql_query(format!(
            "DELETE FROM staffdb_migration_lock WHERE id = 1 AND (\
             (node = @@wsrep_node_name AND connection_id NOT IN \
              (SELECT id FROM information_schema.PROCESSLIST)) \
             OR taken_at < UTC_TIMESTAMP(6) - INTERVAL {} SECOND)",
            MIGRATION_LEASE.as_secs()
        ))
        .execute(conn)
        .or_else(|error| {
            if held_by_another(&error) {
                Ok(0)
            } else {
                Err(error)
            }
        })?;
        std::thread::sleep(Duration::from_millis(fastrand::u64(20..=100)));
    }
}

/// Renews the lease of the migration lock this connection holds.
pub(crate) fn renew_migration_lock(conn: &mut MysqlConnection) -> QueryResult<()> {
    conn.batch_execute(
        "UPDATE staffdb_migration_lock SET taken_at = UTC_TIMESTAMP(6) WHERE id = 1 \
         AND node = @@wsrep_node_name AND connection_id = CONNECTION_ID()",
    )
}

/// Releases what [`lock_migrations`] took.
pub(crate) fn unlock_migrations(conn: &mut MysqlConnection) -> QueryResult<()> {
    conn.batch_execute(
        "DELETE FROM staffdb_migration_lock WHERE id = 1 AND node = @@wsrep_node_name \
         AND connection_id = CONNECTION_ID()",
    )
}

/// The lock row is there already (1062), or another node's insert of it won certification (1213).
fn held_by_another(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        | Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => info.message().contains("Deadlock found"),
        _ => false,
    }
}

/// True when `conn`'s server is a Galera node.
pub(crate) fn is_node(conn: &mut MysqlConnection) -> QueryResult<bool> {
    wsrep_on(conn)
}
