//! Opening a database: options, the connection pool, migrations on open, and transactions with
//! retries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::migrations::{self, MigrationStatus};
use super::pool::{Connector, LastFailure, PooledConnection, SchemaGeneration};
use super::replicas::{CommitTracker, Replicas};
use super::session::Session;
use super::url::{DatabaseUrl, url_from_env};
use crate::backend::{self, Access, AnyConnection, AppMigrations, Backend, Classified};

/// How [`OpenOptions::open`] opens a database.
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
    create: bool,
    require_schema: bool,
    max_connections: u32,
    connect_timeout: Duration,
    lock_timeout: Duration,
    max_retries: u32,
    app_migrations: AppMigrations,
    read_url: Option<String>,
    read_wait: Duration,
    transaction_pooling: bool,
    wait_for_primary: Duration,
}

/// The URL parameter that sets [`OpenOptions::wait_for_primary`] (seconds: `wait_for_primary=30`,
/// or `30s`); staffdb takes it out of a server URL before the driver, which refuses parameters it
/// does not know, reads it.
pub(crate) const WAIT_FOR_PRIMARY_PARAMETER: &str = "wait_for_primary";

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            migrate: true,
            create: true,
            require_schema: false,
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(10),
            max_retries: 5,
            app_migrations: AppMigrations::new(),
            read_url: None,
            read_wait: Duration::from_secs(1),
            transaction_pooling: false,
            wait_for_primary: Duration::ZERO,
        }
    }
}

impl OpenOptions {
    /// The defaults: migrate on open, up to 10 connections, a 5 s connect timeout, a 10 s lock
    /// timeout, and up to 5 retries of a transaction that meets contention.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether pending migrations (staffdb's, then the application's) are applied on open
    /// (default: yes).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// Whether a SQLite file that does not exist yet is created (default: yes). Without it, opening
    /// a missing file fails with [`Error::NoDatabase`] and creates nothing — what a read-only
    /// command wants, so that a mistyped path is not a new, empty database. Without it and
    /// without [`migrate`](Self::migrate), an existing file is not switched to WAL either.
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

    /// Whether the database must already hold staffdb's schema, current (default: no). With it,
    /// opening never changes the database: nothing is migrated or created (it implies
    /// `migrate(false)` and `create(false)`), and a database that holds none of staffdb's
    /// migrations fails with [`Error::NoSchema`], one with migrations pending with
    /// [`Error::SchemaBehind`] (new code reading old tables could misread them) — what a
    /// program that only reads wants, so that pointing it at the wrong database (a server's
    /// `postgres` maintenance database, say) changes nothing there.
    ///
    /// ```
    /// use staffdb::{Error, OpenOptions};
    ///
    /// let dir = tempfile::tempdir().expect("temp dir");
    /// let path = dir.path().join("empty.db");
    /// std::fs::write(&path, b"")?; // a file, but no staffdb schema in it
    /// let opened = OpenOptions::new().require_schema(true).open(&path.display().to_string());
    /// assert!(matches!(opened, Err(Error::NoSchema { .. })));
    /// assert_eq!(std::fs::metadata(&path)?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn require_schema(mut self, require: bool) -> Self {
        self.require_schema = require;
        self
    }

    /// The application's own migrations, run after staffdb's and listed with them.
    pub fn app_migrations(mut self, migrations: AppMigrations) -> Self {
        self.app_migrations = migrations;
        self
    }

    /// The most connections the pool holds at once (default 10; `:memory:` always uses one).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long reaching the database may take, on every path to it: a connection from the pool,
    /// and a new connection to a server (libpq's `connect_timeout`, unless the URL sets its own,
    /// whole seconds, at least 2; on MySQL, the wait for the server's greeting) (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a transaction waits, in all, for locks other transactions hold, before it fails
    /// with [`Error::LockTimeout`] (default 10 s). The same on every backend: SQLite's busy
    /// timeout, PostgreSQL's `lock_timeout`, MySQL's `innodb_lock_wait_timeout` (whole seconds,
    /// at least 1). [`Database::transaction`] does not multiply it by its retries: an attempt that
    /// waited this long is not run again.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Where read sessions go: hot standbys of the primary (`postgres://u:p@s1,s2/db`, several
    /// hosts allowed), or other Galera nodes. [`Database::read_session`] then reads from a
    /// standby that has replayed every commit this database made (read-your-writes), waiting up
    /// to [`read_wait`](Self::read_wait) for it, and else from the primary; a standby that cannot
    /// be reached is skipped. Writes and migrations always go to the main URL. The read URL
    /// must name the same backend as the main one.
    pub fn read_url(mut self, url: impl Into<String>) -> Self {
        self.read_url = Some(url.into());
        self
    }

    /// How long a read session waits for a standby to replay this database's newest commit
    /// before it reads from the primary instead (default 1 s).
    pub fn read_wait(mut self, wait: Duration) -> Self {
        self.read_wait = wait;
        self
    }

    /// Whether PostgreSQL is reached through a transaction pooler — PgBouncer with
    /// `pool_mode = transaction`, or any pooler that gives each transaction whichever server
    /// connection is free (default: no; the URL parameter `pool_mode=transaction` turns it on
    /// too, and so does a server that says it listens on a port the URL does not name).
    ///
    /// With it, nothing outlives a transaction: no statement is prepared under a name (Diesel's
    /// statement cache is off, for good: each statement is parsed with its parameters in one
    /// round trip, as an unnamed statement, so a name can never run another client's query),
    /// the lock timeout and UTC are set with `SET LOCAL` at the start of every transaction
    /// instead of once per connection, and the migration lock is transaction-scoped (as it
    /// always is). It is correct on a direct connection too, only slower. No effect on SQLite
    /// and MySQL.
    ///
    /// ```
    /// use staffdb::OpenOptions;
    ///
    /// let options = OpenOptions::new().transaction_pooling(true);
    /// # let _ = options;
    /// ```
    pub fn transaction_pooling(mut self, pooled: bool) -> Self {
        self.transaction_pooling = pooled;
        self
    }

    /// How long opening the database and [`Database::transaction`] wait for a writable primary
    /// (default: not at all) — across a failover, say, while no server takes writes.
    ///
    /// An attempt that fails *before anything was sent for commit* because no writable host is
    /// reachable — every host refused or reset the connection or timed out, was starting up or
    /// shutting down, or was a standby (a write refused as read-only, or libpq's
    /// `target_session_attrs=read-write` unmet) — is tried again, with a growing pause of at
    /// most 0.2 s, until this much time has passed since the first; then it fails with
    /// [`Error::NoPrimary`], whose source is the last attempt's error. A wrong password or a
    /// missing database fails at once. A connection lost *during* `COMMIT` is still
    /// [`Error::OutcomeUnknown`] and never tried again: the work runs to a commit at most once.
    /// The URL parameter `wait_for_primary=SECONDS` sets it too (taken out before the driver
    /// sees the URL). [`Database::session`] does not wait: a caller's own session cannot be run
    /// again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staffdb::OpenOptions;
    ///
    /// let options = OpenOptions::new().wait_for_primary(Duration::from_secs(30));
    /// # let _ = options;
    /// ```
    pub fn wait_for_primary(mut self, wait: Duration) -> Self {
        self.wait_for_primary = wait;
        self
    }

    /// How many times [`Database::transaction`] reruns a transaction that met a deadlock,
    /// serialization failure, busy database or lost connection (default 5); and how many times
    /// opening connects again when the server went away between its first connection and the
    /// checks of the schema (a Galera node killed a moment ago).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Opens the database at `url` with these options.
    pub fn open(&self, url: &str) -> Result<Database> {
        let (url, wait) = take_wait_for_primary(url)?;
        match wait {
            Some(wait) => self.clone().wait_for_primary(wait).open_url(url),
            None => self.open_url(url),
        }
    }

    fn open_url(&self, url: DatabaseUrl) -> Result<Database> {
        if (!self.create || self.require_schema)
            && let Some(path) = url.sqlite_path()
            && !url.is_memory()
            && !std::path::Path::new(path).exists()
        {
            return Err(Error::NoDatabase {
                path: path.to_owned(),
            });
        }
        let schema = SchemaGeneration::default();
        let connector = self.connector(&url, &schema, false);
        let memory = url.is_memory();
        let replicas = self.replicas(&url, &schema)?;
        let app_migrations = Arc::new(self.app_migrations.clone());
        if !memory {
            let mut wait = PrimaryWait::new(self.wait_for_primary);
            let mut lost = 0;
            while let Err(error) =
                self.first_connection(&connector, &app_migrations, replicas.as_ref(), &url)
            {
                // A server that died between the connection and its checks (a Galera node
                // killed a moment ago): connect again, which finds the hosts still up.
                if matches!(error, Error::ConnectionLost(_)) && lost < self.max_retries {
                    lost += 1;
                    std::thread::sleep(backoff(lost));
                    continue;
                }
                if !wait.covers(&error) {
                    return Err(error);
                }
                wait.pause(&error)?;
            }
        }
        let database = self.database(url, connector, replicas, app_migrations, schema);
        if memory && self.require_schema {
            let database_name = database.url.to_string();
            migrations::require_current(
                &mut *database.connection()?,
                &database.app_migrations,
                &database_name,
            )?;
        } else if memory && self.migrate {
            migrations::run_pending(&mut *database.connection()?, &database.app_migrations)?;
        }
        Ok(database)
    }

    /// The database over a pool of `connector`'s connections, none made yet.
    fn database(
        &self,
        url: DatabaseUrl,
        connector: Connector,
        replicas: Option<Replicas>,
        app_migrations: Arc<AppMigrations>,
        schema: SchemaGeneration,
    ) -> Database {
        let last_failure = connector.last_failure.clone();
        Database {
            pool: self.pool(connector, url.is_memory()),
            last_failure,
            connect_timeout: self.connect_timeout,
            replicas,
            url,
            max_retries: self.max_retries,
            lock_timeout: self.lock_timeout,
            wait_for_primary: self.wait_for_primary,
            app_migrations,
            schema,
            actor: None,
        }
    }

    /// One direct connection first: a wrong password or a server that is down is reported at
    /// once and typed, not after the pool's timeout as a string. It switches a SQLite file to WAL
    /// and applies pending migrations — or, with [`require_schema`](Self::require_schema),
    /// first checks that the schema is there and current, so that a database without it is not
    /// switched to WAL either.
    fn first_connection(
        &self,
        connector: &Connector,
        app_migrations: &AppMigrations,
        replicas: Option<&Replicas>,
        url: &DatabaseUrl,
    ) -> Result<()> {
        let mut conn = connector.connect()?;
        if self.require_schema {
            migrations::require_current(&mut conn, app_migrations, &url.to_string())?;
        }
        // Switching to WAL writes the file: an opener that neither migrates nor creates (one
        // that only looks, as `migrate --status`) leaves a file that may be no staffdb
        // database as it found it. Whoever migrated a staffdb database switched it already.
        if self.migrate || self.create || self.require_schema {
            let deadline = Instant::now() + self.lock_timeout;
            let mut attempt = 0;
            backend::enable_wal(&mut conn, |error| {
                attempt += 1;
                let retry =
                    backend::classify(error) == Classified::Transient && Instant::now() < deadline;
                if retry {
                    std::thread::sleep(backoff(attempt));
                }
                retry
            })
            .map_err(|e| connector.failure(e))?;
        }
        // Reads on standbys must wait for the migrations as for any other commit.
        if self.migrate
            && !self.require_schema
            && !migrations::run_pending(&mut conn, app_migrations)?.is_empty()
            && let Some(replicas) = replicas
        {
            replicas.commits.record_from(&mut conn);
        }
        Ok(())
    }

    fn connector(
        &self,
        url: &DatabaseUrl,
        schema: &SchemaGeneration,
        for_reads: bool,
    ) -> Connector {
        Connector {
            url: url.clone(),
            options: backend::ConnectOptions {
                lock_timeout: self.lock_timeout,
                connect_timeout: self.connect_timeout,
                for_reads,
                transaction_pooling: self.transaction_pooling,
            },
            schema: schema.clone(),
            last_failure: LastFailure::default(),
        }
    }

    /// The standbys' pool, when a read URL was given; it connects on first use.
    fn replicas(&self, main: &DatabaseUrl, schema: &SchemaGeneration) -> Result<Option<Replicas>> {
        let Some(read_url) = &self.read_url else {
            return Ok(None);
        };
        let url = DatabaseUrl::parse(read_url)?;
        if url.backend() != main.backend() || url.backend().is_embedded() {
            return Err(Error::validation(
                "read URL",
                format!(
                    "reads go to standbys of the same server: give a {} URL",
                    main.backend()
                ),
            ));
        }
        Ok(Some(Replicas::new(
            self.pool(self.connector(&url, schema, true), false),
            url,
            CommitTracker::default(),
            self.read_wait,
            self.connect_timeout,
        )))
    }

    fn pool(&self, connector: Connector, memory: bool) -> r2d2::Pool<Connector> {
        // `:memory:` lives and dies with its one connection: keep it forever.
        let (size, min_idle, idle, lifetime) = if memory {
            (1, 1, None, None)
        } else {
            let idle = Some(Duration::from_secs(300));
            (
                self.max_connections,
                0,
                idle,
                Some(Duration::from_secs(1800)),
            )
        };
        r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(min_idle))
            .idle_timeout(idle)
            .max_lifetime(lifetime)
            .connection_timeout(self.connect_timeout)
            // A SQLite file cannot go stale; a server connection is checked before use.
            .test_on_check_out(!connector.url.backend().is_embedded())
            .build_unchecked(connector)
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
    pool: r2d2::Pool<Connector>,
    /// Why the pool's latest connection attempt failed, for its timeout's message.
    last_failure: LastFailure,
    connect_timeout: Duration,
    replicas: Option<Replicas>,
    url: DatabaseUrl,
    max_retries: u32,
    lock_timeout: Duration,
    wait_for_primary: Duration,
    app_migrations: Arc<AppMigrations>,
    schema: SchemaGeneration,
    /// The staffdb user its write sessions act for ([`Database::acting_as`]).
    actor: Option<Arc<str>>,
}

/// The most characters of a name [`Database::acting_as`] keeps: the history's `history_user`
/// holds 150 on MySQL, as long as a staffdb user's name may be.
const ACTOR_CHARS: usize = 150;

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .field("read_url", &self.read_url())
            .finish()
    }
}

impl Database {
    /// Opens the database at `url` and applies pending migrations.
    ///
    /// `url` is `sqlite://PATH`, a plain path, `:memory:`, `postgres://…` or `mysql://…`.
    /// A SQLite file is created if missing, and opened with WAL, foreign keys on and a busy
    /// timeout so that concurrent writers wait for each other instead of failing.
    /// [`OpenOptions`] sets everything else.
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

    /// The URL read sessions go to, when one was given ([`OpenOptions::read_url`]).
    pub fn read_url(&self) -> Option<&DatabaseUrl> {
        self.replicas.as_ref().map(|r| &r.url)
    }

    /// The backend the URL chose.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Opens a connection now if the pool has none, and checks that the database answers.
    pub fn ping(&self) -> Result<()> {
        backend::ping(&mut *self.connection()?).map_err(Error::from)
    }

    pub(crate) fn connection(&self) -> Result<PooledConnection> {
        let mut conn = self
            .pool
            .get()
            .map_err(|_| self.last_failure.timeout(&self.url, self.connect_timeout))?;
        conn.refresh(&self.schema);
        Ok(conn)
    }

    /// This database, with every write session acting for the staffdb user `user`: the
    /// history of every row it writes names that user beside the database user (see
    /// [`Session::history`]). The pool is shared, so this costs a clone. `staffdb serve` does
    /// this for each logged-in user's requests. A name is kept to its first 150 characters (a
    /// staffdb user's longest; MySQL's history column holds no more).
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let vera = db.acting_as("vera");
    /// let bob = vera.transaction(|s| s.add(&NewEmployee::new("Bob", 22, "Developer")))?;
    /// let changes = db.read_session()?.history(bob.id)?;
    /// assert_eq!(changes[0].user.as_deref(), Some("vera"));
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn acting_as(&self, user: &str) -> Database {
        let kept = user
            .char_indices()
            .nth(ACTOR_CHARS)
            .map_or(user, |(end, _)| &user[..end]);
        Database {
            actor: Some(Arc::from(kept)),
            ..self.clone()
        }
    }

    /// Begins a write transaction and returns the [`Session`] that owns it.
    ///
    /// Commit with [`Session::commit`]; dropping the session without committing rolls back.
    pub fn session(&self) -> Result<Session> {
        let commits = self.replicas.as_ref().map(|r| r.commits.clone());
        Session::begin(
            self.connection()?,
            Access::ReadWrite,
            self.lock_timeout,
            commits,
            self.actor.as_deref(),
        )
    }

    /// Begins a read-only transaction that reads one consistent snapshot: `REPEATABLE READ, READ
    /// ONLY` on PostgreSQL, `READ ONLY WITH CONSISTENT SNAPSHOT` on MySQL, a deferred `BEGIN`
    /// with `query_only` on SQLite (which never waits for writers). A write in it fails with
    /// [`Error::ReadOnly`].
    ///
    /// With a [read URL](OpenOptions::read_url), the session is on a standby that has replayed
    /// every commit this database (and its clones) made, or on the primary when none has within
    /// the read wait.
    pub fn read_session(&self) -> Result<Session> {
        if let Some(conn) = self
            .replicas
            .as_ref()
            .and_then(|r| r.caught_up(&self.schema))
        {
            return Session::begin(conn, Access::ReadOnly, self.lock_timeout, None, None);
        }
        Session::begin(
            self.connection()?,
            Access::ReadOnly,
            self.lock_timeout,
            None,
            None,
        )
    }

    /// Runs `work` in a transaction: commits when it returns `Ok`, rolls back on `Err`.
    ///
    /// A transaction that fails on contention — a deadlock, a serialization failure, a busy SQLite
    /// file — is rolled back and run again, up to the configured number of retries, with a
    /// jittered, growing pause between attempts. **`work` may therefore run more than once**: it
    /// must not have effects outside the database that cannot be repeated. The waits do not add
    /// up: retries stop once the lock timeout has passed, and an attempt that waited the whole
    /// lock timeout fails with [`Error::LockTimeout`] at once.
    ///
    /// A connection lost before `COMMIT` ([`Error::ConnectionLost`]: the database rolled the
    /// transaction back) is retried on a new connection whatever the time; one lost during
    /// `COMMIT` ([`Error::OutcomeUnknown`]) is never retried. With
    /// [`OpenOptions::wait_for_primary`], an attempt that found no writable primary is run again
    /// until that wait has passed.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let bob = db.transaction(|s| s.add(&NewEmployee::new("Bob", 22, "Developer")))?;
    /// assert_eq!(bob.id.get(), 1);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        F: FnMut(&mut Session) -> Result<T>,
    {
        self.transaction_with(work, |error: &Error| Some(error))
    }

    /// [`Database::transaction`] for work that fails with an error type of its own, which
    /// `staffdb_error` looks into for the [`Error`] that decides whether to run it again.
    pub fn transaction_with<T, E, F>(
        &self,
        mut work: F,
        staffdb_error: impl Fn(&E) -> Option<&Error>,
    ) -> std::result::Result<T, E>
    where
        E: From<Error>,
        F: FnMut(&mut Session) -> std::result::Result<T, E>,
    {
        let started = Instant::now();
        let mut attempt = 0;
        let mut wait = PrimaryWait::new(self.wait_for_primary);
        loop {
            let outcome = self.session().map_err(E::from).and_then(|mut session| {
                let value = work(&mut session)?;
                session.commit()?;
                Ok(value)
            });
            let failure = outcome.as_ref().err().and_then(&staffdb_error);
            if let Some(failure) = failure.filter(|failure| wait.covers(failure)) {
                // Nothing was sent for commit, and no writable primary took it: wait for one.
                wait.pause(failure).map_err(E::from)?;
                continue;
            }
            match outcome {
                Err(error)
                    if staffdb_error(&error).is_some_and(Error::is_retryable)
                        && attempt < self.max_retries
                        && (started.elapsed() < self.lock_timeout
                            || matches!(staffdb_error(&error), Some(Error::ConnectionLost(_)))) =>
                {
                    attempt += 1;
                    std::thread::sleep(backoff(attempt));
                }
                outcome => return outcome,
            }
        }
    }

    /// The state of every migration this binary knows (staffdb's and the application's), and of
    /// those another tool applied.
    pub fn migration_status(&self) -> Result<Vec<MigrationStatus>> {
        migrations::status(&mut *self.connection()?, &self.app_migrations)
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn run_pending_migrations(&self) -> Result<Vec<String>> {
        self.changing_schema(migrations::run_pending)
    }

    /// Reverts the most recently applied migration this binary knows; returns its version.
    pub fn revert_last_migration(&self) -> Result<String> {
        self.changing_schema(migrations::revert_last)
    }

    /// Reverts every applied migration this binary knows, newest first; returns the versions
    /// reverted.
    pub fn revert_all_migrations(&self) -> Result<Vec<String>> {
        self.changing_schema(migrations::revert_all)
    }

    /// Runs `change` on a connection, then has every pooled connection forget the prepared
    /// statements it made for the schema before — whatever `change` did, as a failed migration
    /// on MySQL may have changed part of it.
    fn changing_schema<T>(
        &self,
        change: impl FnOnce(&mut AnyConnection, &AppMigrations) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.connection()?;
        let outcome = change(&mut conn, &self.app_migrations);
        self.schema.advance();
        if let Some(replicas) = &self.replicas {
            replicas.commits.record_from(&mut conn);
        }
        outcome
    }
}

/// `url` without its `wait_for_primary` parameter (server URLs only: a SQLite path is a path),
/// and the wait it asked for.
fn take_wait_for_primary(url: &str) -> Result<(DatabaseUrl, Option<Duration>)> {
    let parsed = DatabaseUrl::parse(url)?;
    if parsed.backend().is_embedded() {
        return Ok((parsed, None));
    }
    let (rest, wait) = backend::take_wait_for_primary(url.trim(), WAIT_FOR_PRIMARY_PARAMETER)
        .map_err(|reason| Error::validation("database URL", reason))?;
    Ok((DatabaseUrl::parse(&rest)?, wait))
}

/// The wait for a writable primary ([`OpenOptions::wait_for_primary`]) of one operation.
struct PrimaryWait {
    started: Instant,
    wait: Duration,
    pauses: u32,
}

impl PrimaryWait {
    fn new(wait: Duration) -> Self {
        PrimaryWait {
            started: Instant::now(),
            wait,
            pauses: 0,
        }
    }

    fn is_on(&self) -> bool {
        !self.wait.is_zero()
    }

    /// True when `error` is worth waiting out: the wait is on, and no writable primary took
    /// the attempt before anything was sent for commit.
    fn covers(&self, error: &Error) -> bool {
        self.is_on() && error.awaits_primary()
    }

    /// Sleeps before the next attempt after `error` (which [`covers`](Self::covers)), or, once
    /// the wait is over, returns the error to give up with: [`Error::NoPrimary`].
    fn pause(&mut self, error: &Error) -> Result<()> {
        let elapsed = self.started.elapsed();
        if elapsed >= self.wait {
            return Err(error.no_primary_within(self.wait));
        }
        self.pauses += 1;
        let pause = backoff(self.pauses).min(Duration::from_millis(200));
        std::thread::sleep(pause.min(self.wait - elapsed));
        Ok(())
    }
}

/// Exponential backoff from 10 ms, capped at 500 ms, with full jitter so retries spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling = (10u64 << attempt.min(6)).min(500);
    Duration::from_millis(fastrand::u64(ceiling / 2..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `options`' database at `url` without its first connection: the pool alone reaches it.
    fn pool_only(options: &OpenOptions, url: &str) -> Database {
        let url = DatabaseUrl::parse(url).expect("a URL");
        let schema = SchemaGeneration::default();
        let connector = options.connector(&url, &schema, false);
        options.database(url, connector, None, Arc::default(), schema)
    }

    /// A pool that lends no connection says why its attempts failed (the driver's reason, the
    /// password redacted), not only that it timed out.
    #[test]
    fn pool_timeout_names_the_last_connection_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("no-such-dir").join("s3cret.db");
        let options = OpenOptions::new().connect_timeout(Duration::from_millis(600));
        let error = pool_only(&options, &missing.display().to_string())
            .connection()
            .err()
            .expect("no connection to a file in a missing directory");
        let chain = format!("{:#}", anyhow::Error::new(error));
        assert!(
            chain.contains(
                "timed out after 0.6 s waiting for a connection; the latest attempt failed"
            ),
            "{chain}"
        );
        assert!(chain.contains("unable to open database file"), "{chain}");
    }
}
