//! Embedded migrations, one directory per dialect, with the same versions in each.
//!
//! The bookkeeping is Diesel's own `__diesel_schema_migrations` table, so `diesel migration run`
//! and staffdb can each migrate a database the other created.
//!
//! Opening a database costs one cheap, unlocked `SELECT` of the applied versions. Only when
//! something is pending does staffdb take a lock (a PostgreSQL advisory lock, MySQL's
//! `GET_LOCK`, an exclusive SQLite transaction), look again, and migrate: several processes
//! starting at once on an empty database all succeed, and one of them does the work.

use std::collections::BTreeSet;

use diesel::connection::AnsiTransactionManager;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::AnyConnection;
use crate::error::{Error, Result};

/// SQLite's migrations, compiled into the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// PostgreSQL's migrations, compiled into the binary.
#[cfg(feature = "postgres")]
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// MySQL's migrations, compiled into the binary.
#[cfg(feature = "mysql")]
pub const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// Runs `$body` with `$c` the concrete connection and `$source` its backend's migrations.
macro_rules! with_migrations {
    ($conn:expr, |$c:ident, $source:ident| $body:expr) => {
        with_conn!($conn, |$c| -> Sqlite {
            let $source = SQLITE_MIGRATIONS;
            $body
        } Postgres {
            let $source = POSTGRES_MIGRATIONS;
            $body
        } Mysql {
            let $source = MYSQL_MIGRATIONS;
            $body
        })
    };
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied to the database.
    Applied,
    /// Embedded in this binary, not applied yet.
    Pending,
    /// Applied to the database but unknown to this binary: the database is newer.
    Unknown,
}

/// One migration's version, name and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The version, e.g. `20261124000001`.
    pub version: String,
    /// The directory name, e.g. `2026-11-24-000001_create_departments`; empty when unknown.
    pub name: String,
    /// Applied, pending, or applied but unknown to this binary.
    pub state: MigrationState,
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

fn migration_error(error: impl std::fmt::Display) -> Error {
    Error::Migration(error.to_string())
}

/// (version, name) of every embedded migration for this connection's backend, oldest first.
fn embedded(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    with_migrations!(conn, |_c, source| {
        // Listing reads only names, which do not depend on the backend type parameter.
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&source)
            .map_err(migration_error)
            .map(|migrations| {
                migrations
                    .iter()
                    .map(|m| (m.name().version().to_string(), m.name().to_string()))
                    .collect()
            })
    })
}

/// The applied versions, or `None` when the bookkeeping table does not exist yet.
fn applied(conn: &mut AnyConnection) -> Option<BTreeSet<String>> {
    let rows: QueryResult<Vec<AppliedVersion>> = with_conn!(conn, |c| {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(c)
    });
    rows.ok()
        .map(|rows| rows.into_iter().map(|r| r.version).collect())
}

/// Refuses a database whose applied migrations this binary does not know.
fn refuse_newer(embedded: &[(String, String)], applied: &BTreeSet<String>) -> Result<()> {
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|v| !embedded.iter().any(|(known, _)| known == *v))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Error::Migration(format!(
            "the database has migrations this staffdb does not know ({}): it was migrated by a newer version; upgrade staffdb",
            unknown.join(", ")
        )))
    }
}

fn pending(embedded: &[(String, String)], applied: &BTreeSet<String>) -> bool {
    embedded.iter().any(|(v, _)| !applied.contains(v))
}

/// Runs `work` while holding the backend's migration lock.
fn locked<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T>,
) -> Result<T> {
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN EXCLUSIVE")?;
            let outcome = work(conn);
            crate::session::finish_transaction(conn, outcome)
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            // An arbitrary key shared by every staffdb process: "staffdb" in ASCII.
            const LOCK_KEY: i64 = 0x73746166666462;
            diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK_KEY})")).execute(c)?;
            let outcome = work(conn);
            let unlock = with_conn!(conn, |c| diesel::sql_query(format!(
                "SELECT pg_advisory_unlock({LOCK_KEY})"
            ))
            .execute(c));
            let value = outcome?;
            unlock?;
            Ok(value)
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            use diesel::dsl::sql;
            use diesel::sql_types::{Integer, Nullable};
            let got: Option<i32> = diesel::select(sql::<Nullable<Integer>>(
                "GET_LOCK('staffdb_migrations', 120)",
            ))
            .get_result(c)?;
            if got != Some(1) {
                return Err(Error::Migration(
                    "timed out waiting for another process to finish migrating".into(),
                ));
            }
            let outcome = work(conn);
            let unlock: QueryResult<Option<i32>> =
                with_conn!(conn, |c| diesel::select(sql::<Nullable<Integer>>(
                    "RELEASE_LOCK('staffdb_migrations')"
                ))
                .get_result(c));
            let value = outcome?;
            unlock?;
            Ok(value)
        }
    }
}

/// Applies pending migrations; returns the versions applied (none in the common case, at the
/// cost of one unlocked `SELECT`).
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let embedded = embedded(conn)?;
    if let Some(applied) = applied(conn) {
        refuse_newer(&embedded, &applied)?;
        if !pending(&embedded, &applied) {
            return Ok(Vec::new());
        }
    }
    locked(conn, |conn| {
        if let Some(applied) = applied(conn) {
            refuse_newer(&embedded, &applied)?;
        }
        let versions = with_migrations!(conn, |c, source| c
            .run_pending_migrations(source)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>()))
        .map_err(migration_error)?;
        Ok(versions)
    })
}

/// The state of every embedded migration, plus applied ones this binary does not know.
pub(crate) fn status(conn: &mut AnyConnection) -> Result<Vec<MigrationStatus>> {
    let embedded = embedded(conn)?;
    let applied = applied(conn).unwrap_or_default();
    let mut statuses: Vec<MigrationStatus> = embedded
        .iter()
        .map(|(version, name)| MigrationStatus {
            version: version.clone(),
            name: name.clone(),
            state: if applied.contains(version) {
                MigrationState::Applied
            } else {
                MigrationState::Pending
            },
        })
        .collect();
    statuses.extend(
        applied
            .iter()
            .filter(|v| !embedded.iter().any(|(known, _)| known == *v))
            .map(|version| MigrationStatus {
                version: version.clone(),
                name: String::new(),
                state: MigrationState::Unknown,
            }),
    );
    Ok(statuses)
}

/// Reverts the newest applied migration; returns its version.
pub(crate) fn revert_last(conn: &mut AnyConnection) -> Result<String> {
    locked(conn, |conn| {
        let embedded = embedded(conn)?;
        let applied = applied(conn).unwrap_or_default();
        refuse_newer(&embedded, &applied)?;
        if applied.is_empty() {
            return Err(Error::Migration("no migration is applied".into()));
        }
        with_migrations!(conn, |c, source| c
            .revert_last_migration(source)
            .map(|v| v.to_string()))
        .map_err(migration_error)
    })
}

/// Reverts every applied migration; returns the versions reverted, newest first.
pub(crate) fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>> {
    locked(conn, |conn| {
        let embedded = embedded(conn)?;
        let applied = applied(conn).unwrap_or_default();
        refuse_newer(&embedded, &applied)?;
        with_migrations!(conn, |c, source| c.revert_all_migrations(source).map(
            |versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>()
        ))
        .map_err(migration_error)
    })
}
