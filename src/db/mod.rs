//! Opening a database: URLs, backends, the connection pool and migrations.

mod connection;
pub mod migrations;
mod url;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub use self::connection::AnyConnection;
pub use self::migrations::{MigrationState, MigrationStatus};
pub use self::url::{Backend, DEFAULT_DATABASE_URL, DatabaseUrl, redact_urls};
use crate::error::{Error, Result};
use crate::session::Session;

/// How [`Database::open_with`] opens a database.
///
/// ```
/// use std::time::Duration;
/// use staffdb::OpenOptions;
///
/// let options = OpenOptions::new().migrate(false).max_connections(4).connect_timeout(Duration::from_secs(2));
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    migrate: bool,
    max_connections: u32,
    connect_timeout: Duration,
    busy_timeout: Duration,
    max_retries: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            migrate: true,
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(10),
            max_retries: 5,
        }
    }
}

impl OpenOptions {
    /// The defaults: migrate on open, up to 10 connections, a 5 s connect timeout, a 10 s SQLite
    /// busy timeout, and 5 retries of a transaction that meets contention.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether pending embedded migrations are applied on open (default: yes).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The most connections the pool holds at once (default 10; `:memory:` always uses one).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long to wait for a connection before giving up (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a SQLite writer waits for another writer before failing (default 10 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many times [`Database::transaction`] reruns a transaction that met a deadlock,
    /// serialization failure or busy database (default 5).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Opens the database at `url` with these options.
    pub fn open(&self, url: &str) -> Result<Database> {
        let url = DatabaseUrl::parse(url)?;
        let manager = ConnectionManager {
            url: url.clone(),
            busy_timeout: self.busy_timeout,
        };
        let memory = url.is_memory();
        if !memory {
            // One direct connection first: a wrong password or a server that is down is reported
            // at once and typed, not after the pool's timeout as a string.
            let mut conn = manager.establish()?;
            // Irrefutable when SQLite is the only backend compiled in.
            #[allow(irrefutable_let_patterns)]
            if let AnyConnection::Sqlite(sqlite) = &mut conn {
                enable_wal(sqlite, self.busy_timeout).map_err(|e| Error::Connection {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
            }
            if self.migrate {
                migrations::run_pending(&mut conn).map_err(|e| manager.redact(e))?;
            }
        }
        let pool = r2d2::Pool::builder()
            .max_size(if memory { 1 } else { self.max_connections })
            .min_idle(Some(if memory { 1 } else { 0 }))
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(300))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(1800))
            })
            .connection_timeout(self.connect_timeout)
            // A SQLite file cannot go stale; a server connection is checked before use.
            .test_on_check_out(url.backend() != Backend::Sqlite)
            .build_unchecked(manager);
        let database = Database {
            pool,
            url,
            max_retries: self.max_retries,
        };
        if memory && self.migrate {
            let mut conn = database.connection()?;
            migrations::run_pending(&mut conn)?;
        }
        Ok(database)
    }
}

/// A database: a pool of connections to one URL. Cheap to clone, `Send + Sync`.
///
/// ```
/// use staffdb::{Database, NewEmployee};
///
/// let db = Database::open(":memory:")?;
/// let mut session = db.session()?;
/// let alice = session.add(&NewEmployee::new("Alice", 25, "Manager"))?;
/// session.commit()?;
/// assert_eq!(alice.to_string(), "ID: 1, Name: Alice, Age: 25, Position: Manager");
/// # Ok::<(), staffdb::Error>(())
/// ```
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<ConnectionManager>,
    url: DatabaseUrl,
    max_retries: u32,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish()
    }
}

/// A connection checked out of the pool; returned to it on drop.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

impl Database {
    /// Opens the database at `url` and applies pending migrations.
    ///
    /// `url` is `sqlite://PATH`, a plain path, `:memory:`, `postgres://…` or `mysql://…`.
    /// A SQLite file is created if missing, and opened with WAL, foreign keys on and a busy
    /// timeout so that concurrent writers wait for each other instead of failing.
    pub fn open(url: &str) -> Result<Database> {
        OpenOptions::default().open(url)
    }

    /// Opens the database named by `DATABASE_URL` (read from the environment or a `.env` file,
    /// as Diesel's own tools do), or `staffdb.db` in the working directory.
    pub fn from_env() -> Result<Database> {
        Self::open(&url_from_env())
    }

    /// The database's URL, password redacted when displayed.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The backend the URL chose.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Checks a connection out of the pool, outside any transaction.
    pub fn connection(&self) -> Result<PooledConnection> {
        self.pool.get().map_err(|e| Error::Connection {
            url: self.url.to_string(),
            reason: self.url.redact(&e.to_string()),
        })
    }

    /// Begins a write transaction and returns the [`Session`] that owns it.
    ///
    /// Commit with [`Session::commit`]; dropping the session without committing rolls back.
    pub fn session(&self) -> Result<Session> {
        Session::begin(self.connection()?, true)
    }

    /// Begins a read-only transaction: on SQLite a plain `BEGIN`, which never waits for writers.
    pub fn read_session(&self) -> Result<Session> {
        Session::begin(self.connection()?, false)
    }

    /// Runs `work` in a transaction: commits when it returns `Ok`, rolls back on `Err`.
    ///
    /// A transaction that fails on contention — a deadlock, a serialization failure, a busy SQLite
    /// file — is rolled back and run again, up to the configured number of retries, with a
    /// jittered, growing pause between attempts. **`work` may therefore run more than once**: it
    /// must not have effects outside the database that cannot be repeated.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let bob = db.transaction(|s| s.add(&NewEmployee::new("Bob", 22, "Developer")))?;
    /// assert_eq!(bob.id, 1);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn transaction<T, F>(&self, mut work: F) -> Result<T>
    where
        F: FnMut(&mut Session) -> Result<T>,
    {
        let mut attempt = 0;
        loop {
            let outcome = self.session().and_then(|mut session| {
                work(&mut session).and_then(|value| session.commit().map(|()| value))
            });
            match outcome {
                Err(error) if error.is_retryable() && attempt < self.max_retries => {
                    attempt += 1;
                    std::thread::sleep(backoff(attempt));
                }
                outcome => return outcome,
            }
        }
    }

    /// The state of every migration this binary embeds, and any the database has that it doesn't.
    pub fn migration_status(&self) -> Result<Vec<MigrationStatus>> {
        migrations::status(&mut *self.connection()?)
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn run_pending_migrations(&self) -> Result<Vec<String>> {
        migrations::run_pending(&mut *self.connection()?)
    }

    /// Reverts the most recently applied migration; returns its version.
    pub fn revert_last_migration(&self) -> Result<String> {
        migrations::revert_last(&mut *self.connection()?)
    }

    /// Reverts every applied migration, newest first; returns the versions reverted.
    pub fn revert_all_migrations(&self) -> Result<Vec<String>> {
        migrations::revert_all(&mut *self.connection()?)
    }
}

/// The URL from `DATABASE_URL` (environment or `.env`), else [`DEFAULT_DATABASE_URL`].
pub fn url_from_env() -> String {
    // A missing or unreadable .env is no error: the environment and the default still apply.
    let _ = dotenvy::dotenv();
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// Switches a SQLite file to write-ahead logging, so that readers never wait for the writer.
///
/// WAL is a property of the file, so this runs once per `open`, not per pooled connection. The
/// switch needs a moment of exclusive access and SQLite answers BUSY at once, without its busy
/// handler, when another process holds the file (as when several start together): retry until
/// the busy timeout.
fn enable_wal(conn: &mut diesel::SqliteConnection, busy_timeout: Duration) -> QueryResult<()> {
    let deadline = std::time::Instant::now() + busy_timeout;
    let mut attempt = 0;
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL") {
            Err(error) if crate::is_transient(&error) && std::time::Instant::now() < deadline => {
                attempt += 1;
                std::thread::sleep(backoff(attempt));
            }
            outcome => return outcome,
        }
    }
}

/// Exponential backoff from 10 ms, capped at 500 ms, with full jitter so retries spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling = (10u64 << attempt.min(6)).min(500);
    Duration::from_millis(fastrand::u64(ceiling / 2..=ceiling))
}

/// Opens connections by URL scheme, with the per-connection setup each backend needs.
///
/// Diesel's derived `MultiConnection::establish` tries each backend in turn and loses the errors;
/// this one matches the scheme, so a wrong password says so.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    busy_timeout: Duration,
}

impl ConnectionManager {
    fn establish(&self) -> Result<AnyConnection> {
        let connection_error = |reason: String| Error::Connection {
            url: self.url.to_string(),
            reason: self.url.redact(&reason),
        };
        match self.url.backend() {
            Backend::Sqlite => {
                let path = self.url.sqlite_path().unwrap_or(DEFAULT_DATABASE_URL);
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(|e| connection_error(e.to_string()))?;
                let pragmas = format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.busy_timeout.as_millis()
                );
                conn.batch_execute(&pragmas)
                    .and_then(|()| crate::query::register_sqlite_functions(&mut conn))
                    .map_err(|e| connection_error(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => diesel::PgConnection::establish(self.url.expose())
                .map(AnyConnection::Postgres)
                .map_err(|e| connection_error(e.to_string())),
            #[cfg(feature = "mysql")]
            Backend::Mysql => diesel::MysqlConnection::establish(self.url.expose())
                .map(AnyConnection::Mysql)
                .map_err(|e| connection_error(e.to_string())),
            #[allow(unreachable_patterns)]
            other => Err(connection_error(format!(
                "this staffdb was built without {other} support; rebuild it with `--features {other}`"
            ))),
        }
    }

    fn redact(&self, error: Error) -> Error {
        match error {
            Error::Migration(message) => Error::Migration(self.url.redact(&message)),
            other => other,
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = Error;

    fn connect(&self) -> Result<AnyConnection> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<()> {
        conn.batch_execute("SELECT 1").map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::connection::TransactionManager;
        std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                conn,
            )
    }
}
