//! The one connection type, and opening it with the setup each backend needs.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::Backend;

pub use self::any::{AnyConnection, MultiBackend, MultiRawValue};

/// The connection enum and what Diesel's derive writes beside it: `MultiBackend`, the backend of
/// queries run on the enum itself (public, since a model's generated list queries are written
/// for it; its generated items carry no docs of their own).
#[allow(missing_docs)]
mod any {
    /// A connection to any of the backends compiled in; the URL's scheme picks the variant.
    ///
    /// It derives Diesel's `MultiConnection`, so a query of your own written with Diesel's DSL
    /// runs on it whatever the backend (see [`Session::run`](crate::Session::run)).
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// Embedded SQLite.
        Sqlite(diesel::SqliteConnection),
        /// PostgreSQL.
        #[cfg(feature = "postgres")]
        Postgres(diesel::PgConnection),
        /// MySQL / MariaDB.
        #[cfg(feature = "mysql")]
        Mysql(diesel::MysqlConnection),
    }
}

/// Through [`AnyConnection`] itself (the queries built from a model's description): each
/// backend's own `lower()`.
impl<E> diesel::query_builder::QueryFragment<MultiBackend> for super::Lowercase<E>
where
    E: diesel::query_builder::QueryFragment<MultiBackend>,
{
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, MultiBackend>,
    ) -> QueryResult<()> {
        let (open, close) = match out.backend() {
            #[cfg(feature = "postgres")]
            MultiBackend::Postgres(_) => ("lower((", ") COLLATE \"default\")"),
            _ => ("lower(", ")"),
        };
        super::case::wrapped(&self.0, out, open, close)
    }
}

impl AnyConnection {
    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(_) => Backend::Mysql,
        }
    }
}

/// What opening a connection needs besides the URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectOptions {
    /// How long a statement waits for a lock another transaction holds, on every backend.
    pub(crate) lock_timeout: Duration,
    /// How long reaching a server may take (SQLite opens a file: it has no use for it).
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    pub(crate) connect_timeout: Duration,
    /// For read sessions: of several PostgreSQL hosts, prefer a standby (else the primary).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) for_reads: bool,
    /// PostgreSQL behind a transaction pooler (PgBouncer `pool_mode = transaction`): see
    /// [`OpenOptions::transaction_pooling`](crate::OpenOptions::transaction_pooling).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) transaction_pooling: bool,
}

/// The URL parameter that turns transaction pooling on (`pool_mode=transaction`, PgBouncer's
/// own words) or says the connection is direct (`pool_mode=session`); staffdb takes it out of
/// the URL before libpq, which refuses parameters it does not know, reads it.
#[cfg(feature = "postgres")]
pub(crate) const POOL_MODE_PARAMETER: &str = "pool_mode";

/// Whole seconds, rounded up, at least `min`: what libpq's `connect_timeout` and MySQL's
/// `innodb_lock_wait_timeout` take.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
fn whole_seconds(duration: Duration, min: u64) -> u64 {
    duration.as_millis().div_ceil(1_000).max(u128::from(min)) as u64
}

/// A new connection with its setup done.
pub(crate) struct Connected {
    /// The connection.
    pub(crate) conn: AnyConnection,
    /// Its server is a Galera node, set up for the open-transaction marker (see `galera`).
    pub(crate) galera: bool,
    /// It goes through a transaction pooler: no prepared statement is named, and the session
    /// setup is made again at the start of every transaction (see [`begin`](super::begin)).
    pub(crate) transaction_pooling: bool,
}

/// Opens a connection to `url` (already checked to name `backend`), with the backend's setup —
/// one lock timeout with the same meaning everywhere (SQLite's busy timeout, PostgreSQL's
/// `lock_timeout`, MySQL's `innodb_lock_wait_timeout`), libpq's `connect_timeout` unless the URL
/// sets one, on SQLite foreign keys, `synchronous = NORMAL` and Unicode `lower()`, and on a
/// Galera node the marker table and causal reads.
pub(crate) fn connect(
    backend: Backend,
    url: &str,
    options: ConnectOptions,
) -> Result<Connected, diesel::ConnectionError> {
    let unmarked = |conn| Connected {
        conn,
        galera: false,
        transaction_pooling: false,
    };
    match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(url)?;
            let pragmas = format!(
                "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                options.lock_timeout.as_millis()
            );
            conn.batch_execute(&pragmas)
                .and_then(|()| super::case::register_unicode_lower(&mut conn))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(unmarked(AnyConnection::Sqlite(conn)))
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let (conn, transaction_pooling) = connect_postgres(url, options)?;
            Ok(Connected {
                conn: AnyConnection::Postgres(conn),
                galera: false,
                transaction_pooling,
            })
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => connect_mysql(url, options),
        #[allow(unreachable_patterns)]
        other => Err(diesel::ConnectionError::BadConnection(format!(
            "this staffdb was built without {other} support; rebuild it with `--features {other}`"
        ))),
    }
}

/// libpq's URL for `url`: several hosts in the order to try them (libpq tries them itself); a
/// write URL that lists a primary and its standbys lands on the primary wherever it is in the
/// list, and a read URL on a standby while one answers; `connect_timeout` unless the URL has one;
/// staffdb's `pool_mode` taken out. Then, on a direct connection, UTC (the timestamps staffdb
/// binds carry no zone, and the columns are TIMESTAMPTZ) and the lock timeout for the session.
///
/// Through a transaction pooler (the option, `pool_mode=transaction`, or a server that says it
/// listens on a port the URL did not name — something stands between), nothing is set for the
/// session, which is shared with other clients: [`transaction_setup`] does it inside every
/// transaction, and Diesel's statement cache is off, so that no statement is prepared under a
/// name another server connection knows as another query. Returns the connection and whether
/// it is pooled so.
#[cfg(feature = "postgres")]
fn connect_postgres(
    url: &str,
    options: ConnectOptions,
) -> Result<(diesel::PgConnection, bool), diesel::ConnectionError> {
    use diesel::connection::CacheSize;
    let (url, pool_mode) = super::hosts::take_parameter(url, POOL_MODE_PARAMETER);
    let asked = match pool_mode.as_deref() {
        None => None,
        Some("transaction") => Some(true),
        Some("session") => Some(false),
        Some(other) => {
            return Err(diesel::ConnectionError::InvalidConnectionUrl(format!(
                "{POOL_MODE_PARAMETER}={other}: write {POOL_MODE_PARAMETER}=transaction (behind \
                 a transaction pooler such as PgBouncer) or {POOL_MODE_PARAMETER}=session"
            )));
        }
    };
    let mut url = super::hosts::hosts_in_order(&url);
    if super::hosts::has_several(&url) && !url.contains("target_session_attrs=") {
        let target = if options.for_reads {
            "prefer-standby"
        } else {
            "read-write"
        };
        url = with_parameter(url, &format!("target_session_attrs={target}"));
    }
    if !url.contains("connect_timeout=") {
        let seconds = whole_seconds(options.connect_timeout, 2);
        url = with_parameter(url, &format!("connect_timeout={seconds}"));
    }
    let mut conn = diesel::PgConnection::establish(&url)?;
    let pooled = match asked {
        Some(pooled) => options.transaction_pooling || pooled,
        None => options.transaction_pooling || !reaches_server_directly(&mut conn, &url),
    };
    if pooled {
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        return Ok((conn, true));
    }
    let setup = format!(
        "SET lock_timeout = {}; SET TIME ZONE 'UTC'",
        options.lock_timeout.as_millis()
    );
    conn.batch_execute(&setup)
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok((conn, false))
}

/// False when the server says it listens on a TCP port that none of `url`'s hosts names (or on
/// a Unix socket while the URL named TCP hosts): a pooler or a proxy stands between, and
/// transaction pooling is turned on by itself — it is correct directly too, only slower. A
/// pooler that listens on the server's own port number is not seen: name it in the URL.
#[cfg(feature = "postgres")]
fn reaches_server_directly(conn: &mut diesel::PgConnection, url: &str) -> bool {
    let Some(ports) = super::hosts::tcp_ports(url) else {
        return true; // a Unix socket, or a URL this cannot read: nothing to compare.
    };
    let port: QueryResult<Option<i32>> = diesel::select(diesel::dsl::sql::<
        diesel::sql_types::Nullable<diesel::sql_types::Integer>,
    >("inet_server_port()"))
    .get_result(conn);
    match port {
        Ok(Some(port)) => u16::try_from(port).is_ok_and(|port| ports.contains(&port)),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// The SQL that makes, inside a transaction just begun, the setup a direct connection makes for
/// its session: a connection through a transaction pooler has a session only for the length of
/// a transaction. `SET LOCAL` ends with the transaction, so nothing leaks to the next client.
#[cfg(feature = "postgres")]
pub(crate) fn transaction_setup(lock_timeout: Duration) -> String {
    format!(
        "SET LOCAL lock_timeout = {}; SET LOCAL TIME ZONE 'UTC'",
        lock_timeout.as_millis()
    )
}

/// `url` with `parameter` (`key=value`) added to its query.
#[cfg(feature = "postgres")]
fn with_parameter(url: String, parameter: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameter}")
}

/// Connects to the first host of `url` that answers and takes its setup, trying them in turn
/// (see [`per_host`](super::hosts::per_host)); when none does, the error names each host's
/// failure. A host that accepts the connection and then dies during the setup (a Galera node
/// killed a moment ago) counts as one that did not answer.
#[cfg(feature = "mysql")]
fn connect_mysql(url: &str, options: ConnectOptions) -> Result<Connected, diesel::ConnectionError> {
    let urls = super::hosts::per_host(url);
    let mut failures = Vec::new();
    for url in &urls {
        match connect_one_mysql(url, options) {
            Ok(connected) => return Ok(connected),
            Err(error) if urls.len() == 1 => return Err(error),
            Err(error) => failures.push(format!("{}: {error}", host_of(url))),
        }
    }
    Err(diesel::ConnectionError::BadConnection(format!(
        "no host answered ({})",
        failures.join("; ")
    )))
}

/// One MySQL host: the greeting in time, the connection, the lock timeouts, the Galera setup.
#[cfg(feature = "mysql")]
fn connect_one_mysql(
    url: &str,
    options: ConnectOptions,
) -> Result<Connected, diesel::ConnectionError> {
    mysql_greets_in_time(url, options.connect_timeout)?;
    let mut conn = diesel::MysqlConnection::establish(url)?;
    let seconds = whole_seconds(options.lock_timeout, 1);
    let lock = format!(
        "SET SESSION innodb_lock_wait_timeout = {seconds}, SESSION lock_wait_timeout = {seconds}"
    );
    let galera = conn
        .batch_execute(&lock)
        .and_then(|()| super::galera::prepare(&mut conn, options.lock_timeout))
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(Connected {
        conn: AnyConnection::Mysql(conn),
        galera,
        transaction_pooling: false,
    })
}

/// The `host:port` of a one-host server URL, for messages.
#[cfg(feature = "mysql")]
fn host_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "?".to_owned(),
        |u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port().unwrap_or(3306)
            )
        },
    )
}

/// Waits up to `timeout` for a MySQL server at `url` to send its greeting, which it does first on
/// every new connection.
///
/// The client library has a connect timeout, but Diesel sets no option on it and no URL parameter
/// reaches it, so a server that accepts and never answers would hold `establish` forever. This
/// probe bounds that wait; a server that greets and then hangs is not covered. A URL with a
/// `unix_socket`, or with the host `localhost` (which the client library reads as its socket),
/// is not probed: a local socket does not hang that way.
#[cfg(feature = "mysql")]
fn mysql_greets_in_time(url: &str, timeout: Duration) -> Result<(), diesel::ConnectionError> {
    use std::io::Read;
    use std::net::{TcpStream, ToSocketAddrs};
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(()); // Diesel reports the bad URL itself.
    };
    let host = match parsed.host_str() {
        Some(host) if host != "localhost" && !url.contains("unix_socket=") => host,
        _ => return Ok(()),
    };
    let port = parsed.port().unwrap_or(3306);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let failed = |why: String| {
        diesel::ConnectionError::BadConnection(format!(
            "{host}:{port}: {why} (timeout expired after {} s)",
            whole_seconds(timeout, 1)
        ))
    };
    let addresses = (host, port)
        .to_socket_addrs()
        .map_err(|e| diesel::ConnectionError::BadConnection(format!("{host}:{port}: {e}")))?;
    let mut last = None;
    for address in addresses {
        let greeted = TcpStream::connect_timeout(&address, timeout).and_then(|mut stream| {
            stream.set_read_timeout(Some(timeout))?;
            stream.read(&mut [0; 1])
        });
        match greeted {
            Ok(n) if n > 0 => return Ok(()),
            Ok(_) => last = Some("the server closed the connection without a greeting".into()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                last = Some("the server did not answer".into())
            }
            // Refused and the like: the client library says it in its own words.
            Err(_) => return Ok(()),
        }
    }
    last.map_or(Ok(()), |why| Err(failed(why)))
}

/// Checks that a pooled connection still answers.
pub(crate) fn ping(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Switches a SQLite file to write-ahead logging, so that readers never wait for the writer; a
/// no-op on the servers.
///
/// WAL is a property of the file, so this runs once per open, not per pooled connection. The
/// switch needs a moment of exclusive access and SQLite answers BUSY at once, without its busy
/// handler, when another process holds the file (as when several start together): `retry`
/// decides, from the error, whether to try again after a pause.
pub(crate) fn enable_wal(
    conn: &mut AnyConnection,
    mut retry: impl FnMut(&diesel::result::Error) -> bool,
) -> QueryResult<()> {
    #[allow(irrefutable_let_patterns)]
    let AnyConnection::Sqlite(sqlite) = conn else {
        return Ok(());
    };
    loop {
        match sqlite.batch_execute("PRAGMA journal_mode = WAL") {
            Err(error) if retry(&error) => continue,
            outcome => return outcome,
        }
    }
}
