//! Migrations: staffdb's own, the application's beside them, and any another tool applied.
//!
//! The bookkeeping is Diesel's own `__diesel_schema_migrations` table, so `diesel migration run`
//! and staffdb can each migrate a database the other created. A version staffdb does not know —
//! `diesel setup`'s `00000000000000`, or an application's migration run by Diesel's CLI — is
//! listed and left alone. What is refused is only what is unsafe: a database whose *staffdb*
//! schema is newer than the binary. staffdb records its own versions in `staffdb_schema_versions`
//! too, which is how the two are told apart.
//!
//! Opening a database costs two cheap, unlocked `SELECT`s of the versions. Only when something
//! is pending does staffdb take the backend's migration lock, look again, and migrate: several
//! processes starting at once on an empty database all succeed, and one of them does the work.
//!
//! A migration whose `metadata.toml` says `run_in_transaction = false` — a SQLite table rebuild,
//! which must turn foreign keys off, and `PRAGMA foreign_keys` does nothing inside a transaction
//! — runs as `diesel migration run` runs it: outside any transaction, making its own. Where the
//! lock is a transaction (SQLite, PostgreSQL) staffdb commits what it has applied so far, runs
//! that migration without the lock (there is none to hold outside a transaction on SQLite), and
//! takes the lock again for the rest; see [`run_outside`] for how two processes that start it at
//! once, and a process killed between its COMMIT and Diesel's record of it, are made safe.

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

/// The versions staffdb's migrations recorded in `staffdb_schema_versions`, each in the same
/// transaction as its work; `None` before that table exists.
fn recorded(conn: &mut AnyConnection) -> Option<BTreeSet<String>> {
    versions_in(conn, "staffdb_schema_versions")
}

fn known(conn: &AnyConnection, app: &AppMigrations) -> Result<Vec<Known>> {
    backend::migrations::known(conn.backend(), app)
        .map_err(failed("cannot read the embedded migrations"))
}

/// Refuses a database that a newer staffdb migrated: its staffdb schema (`recorded`) has a
/// version this binary does not embed.
fn refuse_newer(recorded: Option<&BTreeSet<String>>, known: &[Known]) -> Result<()> {
    let newer: Vec<&str> = recorded
        .into_iter()
        .flatten()
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

/// Applies (or reverts) one migration — holding the lock, or `outside` any transaction —
/// running it again when it failed on contention: on Galera a migration's statements can be
/// aborted by another node's write, like any transaction, and a SQLite migration that makes its
/// own transaction may find the file busy for longer than the busy timeout.
fn apply_retrying(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    version: &str,
    up: bool,
    outside: bool,
) -> std::result::Result<(), backend::migrations::MigrationError> {
    const ATTEMPTS: u64 = 5;
    for attempt in 1.. {
        let outcome = if outside {
            backend::migrations::apply_outside(conn, app, version, up)
        } else {
            backend::migrations::apply(conn, app, version, up)
        };
        match outcome {
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

/// staffdb's own migrations that run outside a transaction whose two records disagree, each
/// with whether it is applied: such a migration writes (or deletes) its version in
/// `staffdb_schema_versions` in its own transaction, with its work, and Diesel's record in
/// `__diesel_schema_migrations` is written after it, in another — so a process killed between
/// the two leaves them disagreeing, and `staffdb_schema_versions` says what was done.
fn interrupted<'k>(
    known: &'k [Known],
    applied: &BTreeSet<String>,
    recorded: Option<&BTreeSet<String>>,
) -> Vec<(&'k str, bool)> {
    let Some(recorded) = recorded else {
        return Vec::new();
    };
    known
        .iter()
        .filter(|k| k.staffdb && !k.in_transaction)
        .map(|k| (k.version.as_str(), recorded.contains(&k.version)))
        .filter(|(version, done)| applied.contains(*version) != *done)
        .collect()
}

/// Under the lock: refuses a newer database, and completes Diesel's record of an interrupted
/// migration (see [`interrupted`]).
fn look_again(conn: &mut AnyConnection, known: &[Known]) -> Result<()> {
    let recorded = recorded(conn);
    refuse_newer(recorded.as_ref(), known)?;
    for (version, done) in interrupted(known, &applied(conn), recorded.as_ref()) {
        backend::migrations::record(conn, version, done).map_err(|e| {
            Error::migration(format!(
                "cannot complete the record of migration {version}: {e}"
            ))
        })?;
    }
    Ok(())
}

/// True when `version` must run outside a transaction and the lock is one.
fn runs_outside(conn: &AnyConnection, known: &[Known], version: &str) -> bool {
    backend::migrations::lock_is_transaction(conn)
        && known
            .iter()
            .any(|k| k.version == version && !k.in_transaction)
}

fn doing(up: bool, version: &str) -> String {
    let verb = if up { "apply" } else { "revert" };
    format!("cannot {verb} migration {version}")
}

/// Runs (`up`) or reverts the migration `version` outside any transaction, and so without the
/// lock; returns whether this process did it.
///
/// Another process may start the same migration meanwhile. staffdb's own such migrations make
/// that harmless: each begins its transaction by writing its version in
/// `staffdb_schema_versions`, so the second of two runs fails there, on the key, before it has
/// changed anything, and is rolled back (a revert, which deletes the version, can only be run
/// again to the same end). A failure is then looked into under the lock: if the migration is
/// done, another process did it, and this one has nothing to do. (An application's migration
/// that runs outside a transaction should likewise fail, or do nothing, when run a second time:
/// staffdb cannot stop a second run without a lock.)
///
/// A crash leaves the database as the migration's own transaction does — as it was, or
/// migrated — and at worst without Diesel's record of a migration that committed (or with the
/// record of one reverted): the next process to migrate completes the record (see
/// [`interrupted`]), never running the migration twice.
fn run_outside(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    known: &[Known],
    version: &str,
    up: bool,
) -> Result<bool> {
    let Err(error) = apply_retrying(conn, app, version, up, true) else {
        return Ok(true);
    };
    let done_elsewhere = locked(conn, |conn| {
        look_again(conn, known)?;
        Ok(applied(conn).contains(version) == up)
    })?;
    if done_elsewhere {
        Ok(false)
    } else {
        Err(failed(&doing(up, version))(error))
    }
}

/// Runs (`up`) or reverts, in order, the migrations `todo` lists — asked again each time the
/// lock is taken — and returns those this process ran. They run holding the lock, but for those
/// that must run outside a transaction where the lock is one: before such a migration the lock's
/// transaction commits what came before, the migration runs alone ([`run_outside`]), and the
/// lock is taken again for the rest.
fn migrate_locked(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    known: &[Known],
    up: bool,
    todo: impl Fn(&mut AnyConnection) -> Vec<String>,
) -> Result<Vec<String>> {
    let mut done = Vec::new();
    loop {
        let outside = locked(conn, |conn| {
            look_again(conn, known)?;
            for version in todo(conn) {
                if runs_outside(conn, known, &version) {
                    return Ok(Some(version));
                }
                apply_retrying(conn, app, &version, up, false)
                    .map_err(failed(&doing(up, &version)))?;
                done.push(version);
            }
            Ok(None)
        })?;
        let Some(version) = outside else {
            return Ok(done);
        };
        if run_outside(conn, app, known, &version, up)? {
            done.push(version);
        }
    }
}

/// Applies pending migrations; returns the versions applied (none in the common case, at the
/// cost of two unlocked `SELECT`s).
pub(crate) fn run_pending(conn: &mut AnyConnection, app: &AppMigrations) -> Result<Vec<String>> {
    let known = known(conn, app)?;
    let recorded = recorded(conn);
    refuse_newer(recorded.as_ref(), &known)?;
    let done = applied(conn);
    if pending(&known, &done).is_empty() && interrupted(&known, &done, recorded.as_ref()).is_empty()
    {
        return Ok(Vec::new());
    }
    refuse_standby(conn)?;
    migrate_locked(conn, app, &known, true, |conn| {
        pending(&known, &applied(conn))
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
    refuse_newer(recorded(conn).as_ref(), &known)?;
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
    let (version, outside) = locked(conn, |conn| {
        look_again(conn, &known)?;
        let Some(version) = applied_known(conn, &known).into_iter().next() else {
            return Err(Error::migration("no migration is applied"));
        };
        if runs_outside(conn, &known, &version) {
            return Ok((version, true));
        }
        apply_retrying(conn, app, &version, false, false)
            .map_err(failed(&doing(false, &version)))?;
        Ok((version, false))
    })?;
    if outside {
        run_outside(conn, app, &known, &version, false)?;
    }
    Ok(version)
}

/// Reverts every applied migration this binary knows, newest first; returns their versions.
/// Migrations another tool applied are left alone.
pub(crate) fn revert_all(conn: &mut AnyConnection, app: &AppMigrations) -> Result<Vec<String>> {
    let known = known(conn, app)?;
    refuse_standby(conn)?;
    migrate_locked(conn, app, &known, false, |conn| applied_known(conn, &known))
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use super::*;

    /// A migration that runs outside a transaction, started by a second process that looked
    /// under the lock before the first had committed it (so it found it pending): its run fails
    /// on the migration's own version in `staffdb_schema_versions`, before changing anything, and
    /// is taken as done by the other process — no error, not reported as run by this one, and the
    /// connection left with foreign keys on and no transaction open.
    #[test]
    fn a_second_run_outside_a_transaction_is_done_elsewhere() {
        const CHECKS: &str = "20261207090000";
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("staff.db").display().to_string();
        let options = backend::ConnectOptions {
            lock_timeout: std::time::Duration::from_secs(5),
            connect_timeout: std::time::Duration::from_secs(5),
            for_reads: false,
            transaction_pooling: false,
        };
        let backend = crate::DatabaseUrl::parse(&url)
            .expect("a SQLite path")
            .backend();
        let mut conn = backend::connect(backend, &url, options)
            .expect("connect")
            .conn;
        let app = AppMigrations::new();
        run_pending(&mut conn, &app).expect("migrated");
        let known = known(&conn, &app).expect("known");
        assert!(runs_outside(&conn, &known, CHECKS));
        // What the second process does once it has looked: the migration is done meanwhile.
        let ran = run_outside(&mut conn, &app, &known, CHECKS, true).expect("no error");
        assert!(!ran, "reported as run elsewhere");
        assert!(applied(&mut conn).contains(CHECKS));
        assert!(recorded(&mut conn).is_some_and(|r| r.contains(CHECKS)));
        let refused = conn
            .batch_execute(
                "INSERT INTO employees (name, age, position, department_id) VALUES ('B', 30, 'P', 99)",
            )
            .expect_err("foreign keys are on again");
        assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
        conn.batch_execute("BEGIN; ROLLBACK;")
            .expect("no transaction was left open");
    }
}
