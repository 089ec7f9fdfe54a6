//! Migrations: staffdb's own, the application's beside them, and any another tool applied.
//!
//! The bookkeeping is Diesel's own `__diesel_schema_migrations` table, so `diesel migration run`
//! and staffdb can each migrate a database the other created. A version staffdb does not know —
//! `diesel setup`'s `00000000000000`, or an application's migration run by Diesel's CLI — is
//! listed and left alone. What is refused is only what is unsafe: a database whose *staffdb*
//! schema is newer than the binary. staffdb records its own versions in `staffdb_schema_versions`
//! too, which is how the two are told apart.
//!
//! Opening a database costs one cheap, unlocked `SELECT` of the applied versions. Only when
//! something is pending does staffdb take the backend's migration lock, look again, and
//! migrate: several processes starting at once on an empty database all succeed, and one of
//! them does the work.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::error::{Error, Result};
use crate::backend::migrations::Known;
use crate::backend::{self, AnyConnection, AppMigrations, with_conn};

/// The version `diesel setup` records for its own first migration.
const DIESEL_INITIAL_SETUP: &str = "00000000000000";

/// Where one migration stands in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied to the database.
    Applied,
    /// Known to this binary, not applied yet.
    Pending,
    /// Applied to the database by another tool (`diesel setup`, `diesel migration run` of an
    /// application's migration this binary was not given); left alone.
    Foreign,
}

/// Whose migration it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationOwner {
    /// One of staffdb's own (its tables).
    Staffdb,
    /// The application's, given with [`OpenOptions::app_migrations`](crate::OpenOptions::app_migrations).
    Application,
    /// Neither: applied by another tool; staffdb knows only its version.
    Unknown,
}

/// One migration's version, name and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The version, e.g. `20261124000001`.
    pub version: String,
    /// The directory name, e.g. `2026-11-24-000001_create_departments`; for a migration another
    /// tool applied, `diesel_initial_setup` or `None` when unknown.
    pub name: Option<String>,
    /// Applied, pending, or applied by another tool.
    pub state: MigrationState,
    /// Whose migration it is.
    pub owner: MigrationOwner,
}

fn failed(reason: &str) -> impl FnOnce(backend::migrations::MigrationError) -> Error + '_ {
    move |source| Error::Migration {
        reason: reason.to_owned(),
        source: Some(source),
    }
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The versions in a bookkeeping table, or `None` when the table does not exist (yet).
///
/// Inside the migration lock's transaction the `SELECT` runs in a savepoint: on PostgreSQL a
/// missing table's error would otherwise abort the whole transaction.
fn versions_in(conn: &mut AnyConnection, table: &str) -> Option<BTreeSet<String>> {
    use diesel::connection::{TransactionManager, TransactionManagerStatus};
    let sql = format!("SELECT version FROM {table}");
    let load = |conn: &mut AnyConnection| -> QueryResult<Vec<Version>> {
        with_conn!(conn, |c| diesel::sql_query(&sql).load(c))
    };
    let in_transaction = matches!(
        <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn),
        TransactionManagerStatus::Valid(status) if status.transaction_depth().is_some()
    );
    let rows = if in_transaction {
        conn.transaction(load)
    } else {
        load(conn)
    };
    rows.ok()
        .map(|rows| rows.into_iter().map(|r| r.version).collect())
}

fn applied(conn: &mut AnyConnection) -> BTreeSet<String> {
    versions_in(conn, "__diesel_schema_migrations").unwrap_or_default()
}

fn known(conn: &AnyConnection, app: &AppMigrations) -> Result<Vec<Known>> {
    backend::migrations::known(conn.backend(), app)
        .map_err(failed("cannot read the embedded migrations"))
}

/// Refuses a database that a newer staffdb migrated: its staffdb schema has a version this
/// binary does not embed.
fn refuse_newer(conn: &mut AnyConnection, known: &[Known]) -> Result<()> {
    let recorded = versions_in(conn, "staffdb_schema_versions").unwrap_or_default();
    let newer: Vec<&str> = recorded
        .iter()
        .filter(|v| !known.iter().any(|k| k.staffdb && &k.version == *v))
        .map(String::as_str)
        .collect();
    if newer.is_empty() {
        return Ok(());
    }
    Err(Error::migration(format!(
        "the database was migrated by a newer staffdb (its schema has version {}); upgrade staffdb",
        newer.join(", ")
    )))
}

/// Migrations run on the primary only: a standby would refuse the first statement, and one whose
/// primary was never migrated has nothing to offer until it is.
fn refuse_standby(conn: &mut AnyConnection) -> Result<()> {
    if backend::migrations::read_only_server(conn)? {
        return Err(Error::migration(
            "the server is a read-only standby and its primary has not applied every migration: \
             run `staffdb migrate` against the primary",
        ));
    }
    Ok(())
}

/// Runs `work` holding the backend's migration lock.
fn locked<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T>,
) -> Result<T> {
    if !backend::migrations::lock(conn)? {
        return Err(Error::migration(
            "timed out waiting for another process to finish migrating",
        ));
    }
    let outcome = work(conn);
    let unlocked = backend::migrations::unlock(conn, outcome.is_ok());
    let value = outcome?;
    unlocked?;
    Ok(value)
}

/// Applies (or reverts) one migration, running it again when it failed on contention: on Galera
/// a migration's statements can be aborted by another node's write, like any transaction.
fn apply_retrying(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    version: &str,
    up: bool,
) -> std::result::Result<(), backend::migrations::MigrationError> {
    const ATTEMPTS: u64 = 5;
    for attempt in 1.. {
        match backend::migrations::apply(conn, app, version, up) {
            Err(error)
                if attempt < ATTEMPTS && backend::migrations::failed_on_contention(&error) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50 * attempt));
            }
            outcome => return outcome,
        }
    }
    unreachable!("the loop returns")
}

/// Known migrations not applied yet: staffdb's first, then the application's, each oldest first.
fn pending(known: &[Known], applied: &BTreeSet<String>) -> Vec<String> {
    known
        .iter()
        .filter(|k| !applied.contains(&k.version))
        .map(|k| k.version.clone())
        .collect()
}

/// Applies pending migrations; returns the versions applied (none in the common case, at the
/// cost of one unlocked `SELECT`).
pub(crate) fn run_pending(conn: &mut AnyConnection, app: &AppMigrations) -> Result<Vec<String>> {
    let known = known(conn, app)?;
    refuse_newer(conn, &known)?;
    if pending(&known, &applied(conn)).is_empty() {
        return Ok(Vec::new());
    }
    refuse_standby(conn)?;
    locked(conn, |conn| {
        refuse_newer(conn, &known)?;
        let todo = pending(&known, &applied(conn));
        for version in &todo {
            apply_retrying(conn, app, version, true)
                .map_err(failed(&format!("cannot apply migration {version}")))?;
        }
        Ok(todo)
    })
}

/// Checks, changing nothing, that staffdb's schema is in the database and current: some staffdb
/// migration applied (else [`Error::NoSchema`]), none pending (else [`Error::SchemaBehind`]),
/// none newer than this binary. `database` names it in the error.
pub(crate) fn require_current(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    database: &str,
) -> Result<()> {
    let known = known(conn, app)?;
    refuse_newer(conn, &known)?;
    let applied = applied(conn);
    if !known
        .iter()
        .any(|k| k.staffdb && applied.contains(&k.version))
    {
        return Err(Error::NoSchema {
            database: database.to_owned(),
        });
    }
    match pending(&known, &applied).len() {
        0 => Ok(()),
        pending => Err(Error::SchemaBehind {
            database: database.to_owned(),
            pending,
        }),
    }
}

/// The state of every known migration, then those another tool applied, by version.
pub(crate) fn status(
    conn: &mut AnyConnection,
    app: &AppMigrations,
) -> Result<Vec<MigrationStatus>> {
    let known = known(conn, app)?;
    let applied = applied(conn);
    let mut statuses: Vec<MigrationStatus> = known
        .iter()
        .map(|k| MigrationStatus {
            version: k.version.clone(),
            name: Some(k.name.clone()),
            state: if applied.contains(&k.version) {
                MigrationState::Applied
            } else {
                MigrationState::Pending
            },
            owner: if k.staffdb {
                MigrationOwner::Staffdb
            } else {
                MigrationOwner::Application
            },
        })
        .collect();
    statuses.extend(
        applied
            .iter()
            .filter(|v| !known.iter().any(|k| &k.version == *v))
            .map(|version| MigrationStatus {
                version: version.clone(),
                name: (version == DIESEL_INITIAL_SETUP)
                    .then(|| format!("{DIESEL_INITIAL_SETUP}_diesel_initial_setup")),
                state: MigrationState::Foreign,
                owner: MigrationOwner::Unknown,
            }),
    );
    statuses.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(statuses)
}

/// Known, applied migrations, newest first.
fn applied_known(conn: &mut AnyConnection, known: &[Known]) -> Vec<String> {
    let applied = applied(conn);
    let mut versions: Vec<String> = known
        .iter()
        .filter(|k| applied.contains(&k.version))
        .map(|k| k.version.clone())
        .collect();
    versions.sort_by(|a, b| b.cmp(a));
    versions
}

/// Reverts the newest applied migration this binary knows; returns its version.
pub(crate) fn revert_last(conn: &mut AnyConnection, app: &AppMigrations) -> Result<String> {
    let known = known(conn, app)?;
    refuse_standby(conn)?;
    locked(conn, |conn| {
        refuse_newer(conn, &known)?;
        let Some(version) = applied_known(conn, &known).into_iter().next() else {
            return Err(Error::migration("no migration is applied"));
        };
        apply_retrying(conn, app, &version, false)
            .map_err(failed(&format!("cannot revert migration {version}")))?;
        Ok(version)
    })
}

/// Reverts every applied migration this binary knows, newest first; returns their versions.
/// Migrations another tool applied are left alone.
pub(crate) fn revert_all(conn: &mut AnyConnection, app: &AppMigrations) -> Result<Vec<String>> {
    let known = known(conn, app)?;
    refuse_standby(conn)?;
    locked(conn, |conn| {
        refuse_newer(conn, &known)?;
        let versions = applied_known(conn, &known);
        for version in &versions {
            apply_retrying(conn, app, version, false)
                .map_err(failed(&format!("cannot revert migration {version}")))?;
        }
        Ok(versions)
    })
}
