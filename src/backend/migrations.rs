//! The migrations compiled into staffdb, one directory per dialect, the application's own beside
//! them, and the lock that keeps two processes from migrating at once.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
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

/// One migration this binary can run: its version, its directory name, whether it is one of
/// staffdb's own (else the application's), and whether it runs in a transaction (its
/// `metadata.toml` may say `run_in_transaction = false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) version: String,
    pub(crate) name: String,
    pub(crate) staffdb: bool,
    pub(crate) in_transaction: bool,
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
        // Names and metadata do not depend on the backend type parameter.
        let mut known: Vec<Known> = source
            .migrations::<diesel::sqlite::Sqlite>()?
            .iter()
            .map(|m| Known {
                version: m.name().version().to_string(),
                name: m.name().to_string(),
                staffdb,
                in_transaction: m.metadata().run_in_transaction(),
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

/// Runs (`up`) or reverts (`!up`) the known migration `version`, recording it in
/// `__diesel_schema_migrations`: in a transaction of its own (a savepoint inside the lock's)
/// where the backend has transactional DDL, unless its metadata says `run_in_transaction =
/// false` — which, where the lock is a transaction, [`apply_outside`] runs instead.
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

/// The known migration `version`, for backend `DB`.
fn find<DB: diesel::backend::Backend>(
    sources: &[&Source],
    version: &str,
) -> Result<Box<dyn Migration<DB>>, MigrationError> {
    for source in sources {
        if let Some(migration) = source
            .migrations::<DB>()?
            .into_iter()
            .find(|m| m.name().version().to_string() == version)
        {
            return Ok(migration);
        }
    }
    Err(format!("no migration {version} is known to this binary").into())
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
    let migration = find::<DB>(sources, version)?;
    if up {
        conn.run_migration(migration.as_ref())?;
    } else {
        conn.revert_migration(migration.as_ref())?;
    }
    Ok(())
}

/// True where [`lock`] is a transaction (SQLite, PostgreSQL): a migration that must run outside
/// one (`run_in_transaction = false`) cannot run holding the lock, and goes to [`apply_outside`].
/// MySQL's lock is no transaction, and its DDL commits as it goes: there [`apply`] runs such a
/// migration as Diesel does, unwrapped.
pub(crate) fn lock_is_transaction(conn: &AnyConnection) -> bool {
    conn.backend() != Backend::Mysql
}

/// Runs (`up`) or reverts (`!up`) the known migration `version`, one whose metadata says
/// `run_in_transaction = false`, on `conn`, which must hold no transaction: its SQL runs as it
/// is, as `diesel migration run` runs it, and makes its own transaction; then its record in
/// `__diesel_schema_migrations` is written (or removed) in a statement of its own — one that
/// another process has written (or removed) meanwhile is no failure.
///
/// The connection goes back as it came: a transaction that failing SQL left open is rolled back,
/// and on SQLite the settings a table's rebuild changes for the rest of a connection's life
/// (`foreign_keys`, `legacy_alter_table`, `ignore_check_constraints`) are put back.
pub(crate) fn apply_outside(
    conn: &mut AnyConnection,
    app: &AppMigrations,
    version: &str,
    up: bool,
) -> Result<(), MigrationError> {
    let backend = conn.backend();
    let staffdb = staffdb_source(backend);
    let sources: Vec<&Source> = std::iter::once(&staffdb)
        .chain(app.for_backend(backend))
        .collect();
    let settings = SqliteSettings::read(conn)?;
    let outcome = match conn {
        AnyConnection::Sqlite(c) => run_outside_on(c, &sources, version, up),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => run_outside_on(c, &sources, version, up),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => run_outside_on(c, &sources, version, up),
    };
    if outcome.is_err() {
        // Its SQL stopped where it failed, maybe inside its own BEGIN; and with no transaction
        // open, SQLite answers "no transaction is active", PostgreSQL only warns.
        let _ = conn.batch_execute("ROLLBACK");
    }
    if let Some(settings) = settings {
        settings.restore(conn)?;
    }
    outcome?;
    record(conn, version, up)?;
    Ok(())
}

/// Runs or reverts the migration's SQL alone, recording nothing.
fn run_outside_on<DB, C>(
    conn: &mut C,
    sources: &[&Source],
    version: &str,
    up: bool,
) -> Result<(), MigrationError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB> + Connection<Backend = DB> + 'static,
{
    // Creates `__diesel_schema_migrations` when it does not exist yet.
    conn.applied_migrations()?;
    let migration = find::<DB>(sources, version)?;
    if up {
        migration.run(conn)
    } else {
        migration.revert(conn)
    }
}

/// The settings of a SQLite connection that a table's rebuild changes: off (foreign keys) or on
/// (the other two) for the rebuild, and back after it — unless it failed midway.
#[derive(QueryableByName)]
struct SqliteSettings {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    foreign_keys: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    legacy_alter_table: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ignore_check_constraints: bool,
}

impl SqliteSettings {
    /// The connection's settings; `None` on the servers.
    fn read(conn: &mut AnyConnection) -> QueryResult<Option<Self>> {
        #[allow(irrefutable_let_patterns)]
        let AnyConnection::Sqlite(sqlite) = conn else {
            return Ok(None);
        };
        diesel::sql_query(
            "SELECT foreign_keys, legacy_alter_table, ignore_check_constraints \
             FROM pragma_foreign_keys, pragma_legacy_alter_table, pragma_ignore_check_constraints",
        )
        .get_result(sqlite)
        .map(Some)
    }

    fn restore(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        conn.batch_execute(&format!(
            "PRAGMA foreign_keys = {}; PRAGMA legacy_alter_table = {}; \
             PRAGMA ignore_check_constraints = {};",
            u8::from(self.foreign_keys),
            u8::from(self.legacy_alter_table),
            u8::from(self.ignore_check_constraints)
        ))
    }
}

diesel::table! {
    /// Diesel's bookkeeping, as diesel_migrations declares it (privately).
    __diesel_schema_migrations (version) {
        version -> VarChar,
    }
}

/// Writes (`applied`) or removes the record of `version` in `__diesel_schema_migrations`, where
/// another process may have written or removed it already: that is no failure. In a savepoint
/// inside a transaction (a failed INSERT would abort PostgreSQL's).
pub(crate) fn record(conn: &mut AnyConnection, version: &str, applied: bool) -> QueryResult<()> {
    use __diesel_schema_migrations::dsl as m;
    let written = conn.transaction(|conn| {
        super::with_conn!(conn, |c| if applied {
            diesel::insert_into(m::__diesel_schema_migrations)
                .values(m::version.eq(version))
                .execute(c)
        } else {
            diesel::delete(m::__diesel_schema_migrations.find(version)).execute(c)
        })
    });
    match written {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        other => other.map(drop),
    }
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
/// run inside it, each in a savepoint, and commit together (but for one that must run outside a
/// transaction: see [`lock_is_transaction`]) — `GET_LOCK` on MySQL, a lock row on a Galera
/// cluster (see `galera::lock_migrations`), the last two waiting up to 120 s. False when MySQL
/// timed out waiting.
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
