//! The migrations compiled into staffdb, one directory per dialect, the application's own beside
//! them, and the lock that keeps two processes from migrating at once.

use std::path::PathBuf;

use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel_migrations::{
    EmbeddedMigrations, FileBasedMigrations, MigrationHarness, embed_migrations,
};

use super::{AnyConnection, Backend};

/// What Diesel's migration machinery fails with.
pub(crate) type MigrationError = Box<dyn std::error::Error + Send + Sync>;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// Where a set of migrations comes from.
#[derive(Clone)]
enum Source {
    /// Compiled in with `embed_migrations!`.
    Embedded(std::sync::Arc<EmbeddedMigrations>),
    /// A directory read at run time, as `diesel migration run` reads it.
    Directory(PathBuf),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Embedded(_) => f.write_str("Embedded"),
            Source::Directory(path) => f.debug_tuple("Directory").field(path).finish(),
        }
    }
}

impl Source {
    fn migrations<DB: diesel::backend::Backend>(
        &self,
    ) -> Result<Vec<Box<dyn Migration<DB>>>, MigrationError> {
        match self {
            Source::Embedded(embedded) => MigrationSource::<DB>::migrations(&**embedded),
            Source::Directory(path) => {
                MigrationSource::<DB>::migrations(&FileBasedMigrations::from_path(path)?)
            }
        }
    }
}

/// An application's own migrations, run by staffdb after its own, with the same bookkeeping
/// (`__diesel_schema_migrations`), so `diesel migration run` and staffdb agree on them.
///
/// Give one set per dialect, as staffdb does, or one directory for whichever backend the URL
/// names:
///
/// ```
/// use staffdb::{AppMigrations, OpenOptions};
///
/// let app = AppMigrations::directory("migrations");
/// let options = OpenOptions::new().app_migrations(app);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct AppMigrations {
    sqlite: Option<Source>,
    postgres: Option<Source>,
    mysql: Option<Source>,
}

impl AppMigrations {
    /// No migrations of the application's own.
    pub fn new() -> Self {
        Self::default()
    }

    /// The migrations in `path`, read when a database is opened, for every backend.
    pub fn directory(path: impl Into<PathBuf>) -> Self {
        let source = Source::Directory(path.into());
        AppMigrations {
            sqlite: Some(source.clone()),
            postgres: Some(source.clone()),
            mysql: Some(source),
        }
    }

    /// The migrations to run on SQLite.
    pub fn sqlite(mut self, migrations: EmbeddedMigrations) -> Self {
        self.sqlite = Some(Source::Embedded(std::sync::Arc::new(migrations)));
        self
    }

    /// The migrations to run on PostgreSQL.
    pub fn postgres(mut self, migrations: EmbeddedMigrations) -> Self {
        self.postgres = Some(Source::Embedded(std::sync::Arc::new(migrations)));
        self
    }

    /// The migrations to run on MySQL / MariaDB.
    pub fn mysql(mut self, migrations: EmbeddedMigrations) -> Self {
        self.mysql = Some(Source::Embedded(std::sync::Arc::new(migrations)));
        self
    }

    /// True when no backend has migrations of the application's own.
    pub fn is_empty(&self) -> bool {
        self.sqlite.is_none() && self.postgres.is_none() && self.mysql.is_none()
    }

    fn for_backend(&self, backend: Backend) -> Option<&Source> {
        match backend {
            Backend::Sqlite => self.sqlite.as_ref(),
            Backend::Postgres => self.postgres.as_ref(),
            Backend::Mysql => self.mysql.as_ref(),
        }
    }
}

/// One migration this binary can run: its version, its directory name, and whether it is one
/// of staffdb's own (else the application's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) version: String,
    pub(crate) name: String,
    pub(crate) staffdb: bool,
}

fn staffdb_source(backend: Backend) -> Source {
    Source::Embedded(std::sync::Arc::new(match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => POSTGRES,
        #[cfg(feature = "mysql")]
        Backend::Mysql => MYSQL,
        _ => SQLITE,
    }))
}

/// Every migration this binary knows for `backend`: staffdb's, oldest first, then the
/// application's, oldest first.
pub(crate) fn known(backend: Backend, app: &AppMigrations) -> Result<Vec<Known>, MigrationError> {
    let list = |source: &Source, staffdb: bool| -> Result<Vec<Known>, MigrationError> {
        // Names do not depend on the backend type parameter.
        let mut known: Vec<Known> = source
            .migrations::<diesel::sqlite::Sqlite>()?
            .iter()
            .map(|m| Known {
                version: m.name().version().to_string(),
                name: m.name().to_string(),
                staffdb,
            })
            .collect();
        known.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(known)
    };
    let mut all = list(&staffdb_source(backend), true)?;
    if let Some(source) = app.for_backend(backend) {
        let own = list(source, false)?;
        // Diesel's bookkeeping knows a migration by its version alone: an application migration
        // with one of staffdb's versions would be taken as applied, and never run.
        if let Some(clash) = own
            .iter()
            .find(|a| all.iter().any(|s| s.version == a.version))
        {
            return Err(format!(
                "the application's migration {} has the version of staffdb's own {}; rename its directory",
                clash.name, clash.version
            )
            .into());
        }
        all.extend(own);
    }
    Ok(all)
}

/// Runs (`up`) or reverts (`!up`) the known migration `version`, in a transaction of its own
/// where the backend has transactional DDL, recording it in `__diesel_schema_migrations`.
pub(crate) fn apply(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    version: &str,
    up: bool,
) -> Result<(), MigrationError> {
    #[cfg(feature = "mysql")]
    if let AnyConnection::Mysql(c) = conn
        && super::galera::is_node(c)?
    {
        super::galera::renew_migration_lock(c)?;
    }
    let backend = conn.backend();
    let staffdb = staffdb_source(backend);
    let sources: Vec<&Source> = std::iter::once(&staffdb)
        .chain(app.for_backend(backend))
        .collect();
    match conn {
        AnyConnection::Sqlite(c) => apply_on(c, &sources, version, up),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => apply_on(c, &sources, version, up),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => apply_on(c, &sources, version, up),
    }
}

/// True when a migration failed on contention (a deadlock, or on Galera a conflict with another
/// node's write) and may simply be run again: on PostgreSQL and SQLite it was rolled back whole,
/// and every MySQL migration may run twice.
pub(crate) fn failed_on_contention(error: &MigrationError) -> bool {
    // diesel_migrations does not export the error type that holds the query's error, so its
    // text is what can be read ("Failed to run … with: Deadlock found …").
    if let Some(error) = error.downcast_ref::<diesel::result::Error>() {
        return super::classify(error) == super::Classified::Transient;
    }
    super::errors::is_transient_text(&error.to_string())
}

/// [`apply`] on the concrete connection `conn` of backend `DB`.
fn apply_on<DB, C>(
    conn: &mut C,
    sources: &[&Source],
    version: &str,
    up: bool,
) -> Result<(), MigrationError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    // Creates `__diesel_schema_migrations` when it does not exist yet.
    conn.applied_migrations()?;
    for source in sources {
        let migrations = source.migrations::<DB>()?;
        if let Some(migration) = migrations
            .iter()
            .find(|m| m.name().version().to_string() == version)
        {
            if up {
                conn.run_migration(migration.as_ref())?;
            } else {
                conn.revert_migration(migration.as_ref())?;
            }
            return Ok(());
        }
    }
    Err(format!("no migration {version} is known to this binary").into())
}

/// An arbitrary advisory-lock key shared by every staffdb process: "staffdb" in ASCII.
#[cfg(feature = "postgres")]
const LOCK_KEY: i64 = 0x73746166666462;

/// True when `conn`'s server takes no writes: a PostgreSQL hot standby (in recovery), or a MySQL
/// server with `read_only` on. Migrations must not be tried there.
pub(crate) fn read_only_server(conn: &mut AnyConnection) -> QueryResult<bool> {
    match conn {
        AnyConnection::Sqlite(_) => Ok(false),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "pg_is_in_recovery()",
        ))
        .get_result(c),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "@@global.read_only = 1",
        ))
        .get_result(c),
    }
}

/// How long a `migrate` waits for another one to finish (MySQL, PostgreSQL).
#[cfg(any(feature = "mysql", feature = "postgres"))]
const MIGRATION_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Takes the migration lock: an exclusive transaction on SQLite, a transaction holding a
/// transaction-scoped advisory lock (`pg_advisory_xact_lock`) on PostgreSQL — the migrations then
/// run inside it, each in a savepoint, and all commit together — `GET_LOCK` on MySQL, a lock row on a Galera cluster (see `galera::lock_migrations`), the
/// last two waiting up to 120 s. False when MySQL timed out waiting.
pub(crate) fn lock(conn: &mut AnyConnection) -> QueryResult<bool> {
    use diesel::connection::AnsiTransactionManager;
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN EXCLUSIVE").map(|()| true)
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            // A transaction-scoped lock: it dies with the transaction, whichever server
            // connection a pooler gave it, so none is ever left held; a session lock taken
            // through a transaction pooler is neither exclusive nor released (issue 23).
            // The session setup again, as SET LOCAL, for a connection through a pooler; the
            // wait for another process's migrations is MySQL's.
            AnsiTransactionManager::begin_transaction_sql(
                c,
                &format!(
                    "BEGIN; {}",
                    super::connection::transaction_setup(MIGRATION_LOCK_WAIT)
                ),
            )?;
            let locked = diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
                .execute(c)
                .map(|_| true);
            if locked.is_err() {
                let _ = <AnsiTransactionManager as diesel::connection::TransactionManager<
                    diesel::PgConnection,
                >>::rollback_transaction(c);
            }
            locked
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            if super::galera::is_node(c)? {
                return super::galera::lock_migrations(c, MIGRATION_LOCK_WAIT);
            }
            use diesel::dsl::sql;
            use diesel::sql_types::{Integer, Nullable};
            let got: Option<i32> = diesel::select(sql::<Nullable<Integer>>(&format!(
                "GET_LOCK('staffdb_migrations', {})",
                MIGRATION_LOCK_WAIT.as_secs()
            )))
            .get_result(c)?;
            Ok(got == Some(1))
        }
    }
}

/// Releases what [`lock`] took: on SQLite and PostgreSQL, commits the lock's transaction when
/// `commit` (else rolls it back); on MySQL, fails unless `RELEASE_LOCK` says the lock was held.
pub(crate) fn unlock(conn: &mut AnyConnection, commit: bool) -> QueryResult<()> {
    use diesel::connection::TransactionManager;
    type Transactions = <AnyConnection as Connection>::TransactionManager;
    match conn {
        AnyConnection::Sqlite(_) if commit => Transactions::commit_transaction(conn),
        AnyConnection::Sqlite(_) => Transactions::rollback_transaction(conn),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(_) if commit => Transactions::commit_transaction(conn),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(_) => Transactions::rollback_transaction(conn),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            if super::galera::is_node(c)? {
                return super::galera::unlock_migrations(c);
            }
            use diesel::dsl::sql;
            use diesel::sql_types::{Integer, Nullable};
            let released = diesel::select(sql::<Nullable<Integer>>(
                "RELEASE_LOCK('staffdb_migrations')",
            ))
            .get_result::<Option<i32>>(c)?;
            // 0: held by another session, NULL: not held at all — either way this session
            // migrated without the lock it thought it had.
            if released == Some(1) {
                Ok(())
            } else {
                Err(diesel::result::Error::QueryBuilderError(
                    format!(
                        "RELEASE_LOCK('staffdb_migrations') returned {released:?}: this session did not hold the migration lock"
                    )
                    .into(),
                ))
            }
        }
    }
}
