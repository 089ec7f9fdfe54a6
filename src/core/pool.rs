//! The connection pool's side of opening a database: connections made by URL scheme, checked
//! before use, with every driver message's password taken out.

use super::error::{BoxedError, Error, Result};
use super::url::DatabaseUrl;
use crate::backend::{self, AnyConnection};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A connection checked out of the pool; returned to it on drop.
pub(crate) type PooledConnection = r2d2::PooledConnection<Connector>;

/// A pooled connection, with the schema generation its prepared statements were made for.
///
/// Diesel keeps each connection's prepared statements for its life; once a migration changes a
/// column's type, PostgreSQL refuses the old ones ("cached plan must not change result type").
/// A connection checked out after a migration forgets them first (see [`Pooled::refresh`]).
pub(crate) struct Pooled {
    conn: AnyConnection,
    generation: u64,
    /// The server is a Galera node: write sessions carry the open-transaction marker.
    pub(crate) galera: bool,
    /// Reached through a transaction pooler: no named statements, setup in every transaction.
    pub(crate) transaction_pooling: bool,
}

impl Pooled {
    /// Forgets the connection's prepared statements if the schema changed since they were made.
    /// A connection through a transaction pooler keeps its cache off: it has none to forget,
    /// and a cache turned back on would name statements again.
    pub(crate) fn refresh(&mut self, schema: &SchemaGeneration) {
        use diesel::connection::{CacheSize, Connection};
        let current = schema.current();
        if self.generation != current {
            // A new cache replaces the old one, whose statements are deallocated as it drops.
            self.conn
                .set_prepared_statement_cache_size(CacheSize::Disabled);
            if !self.transaction_pooling {
                self.conn
                    .set_prepared_statement_cache_size(CacheSize::Unbounded);
            }
            self.generation = current;
        }
    }
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// A count of the migrations a [`Database`](crate::Database) has applied or reverted, shared by
/// its clones and its connector.
#[derive(Debug, Clone, Default)]
pub(crate) struct SchemaGeneration(Arc<AtomicU64>);

impl SchemaGeneration {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Records that the schema changed: every pooled connection refreshes on its next checkout.
    pub(crate) fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// A driver's message with the URL's password taken out, kept as an error's source.
#[derive(Debug)]
pub(crate) struct Redacted(String);

impl Redacted {
    pub(crate) fn boxed(message: String) -> BoxedError {
        // libpq's messages end in a newline and indent their hint with a tab; one line reads
        // better in a chain.
        Box::new(Redacted(
            message.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    }
}

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Redacted {}

/// Opens pooled connections by URL scheme, with the per-connection setup each backend needs.
#[derive(Debug)]
pub(crate) struct Connector {
    pub(crate) url: DatabaseUrl,
    pub(crate) options: backend::ConnectOptions,
    pub(crate) schema: SchemaGeneration,
    /// Why the pool's newest attempt to connect failed (password redacted), until one succeeds:
    /// r2d2's own timeout error keeps only the top line of it, "cannot connect to URL".
    pub(crate) last_failure: LastFailure,
}

/// The cause of a connector's latest failed connection, shared with the [`Database`](crate::Database)
/// that reports its pool's timeouts.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastFailure(Arc<Mutex<Option<String>>>);

impl LastFailure {
    fn set(&self, failure: Option<String>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = failure;
    }

    fn get(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The error for a pool that lent no connection within `waited`: with the reason of the
    /// latest failed attempt, when there is one since the last success (a pool that is merely
    /// busy, every connection lent, has none).
    pub(crate) fn timeout(&self, url: &super::url::DatabaseUrl, waited: Duration) -> Error {
        let waited = waited.as_secs_f64();
        let message = match self.get() {
            Some(cause) => {
                format!(
                    "timed out after {waited} s waiting for a connection; the latest attempt failed: {cause}"
                )
            }
            None => format!(
                "timed out after {waited} s waiting for a connection: every connection is in \
                 use, or the server has not answered yet"
            ),
        };
        Error::Connection {
            url: url.to_string(),
            source: Box::new(Redacted(url.redact(&message))),
        }
    }
}

impl Connector {
    /// A new connection, set up as every connection of the pool is.
    pub(crate) fn connect(&self) -> Result<Pooled> {
        let url = self.url.sqlite_path().unwrap_or(self.url.expose());
        let backend::Connected {
            conn,
            galera,
            transaction_pooling,
        } = backend::connect(self.url.backend(), url, self.options).map_err(|e| self.failure(e))?;
        Ok(Pooled {
            conn,
            generation: self.schema.current(),
            galera,
            transaction_pooling,
        })
    }

    pub(crate) fn failure(&self, error: impl std::fmt::Display) -> Error {
        Error::Connection {
            url: self.url.to_string(),
            source: Redacted::boxed(self.url.redact(&error.to_string())),
        }
    }
}

impl r2d2::ManageConnection for Connector {
    type Connection = Pooled;
    type Error = Error;

    fn connect(&self) -> Result<Pooled> {
        let connected = Connector::connect(self);
        self.last_failure.set(match &connected {
            Ok(_) => None,
            Err(Error::Connection { source, .. }) => Some(source.to_string()),
            Err(other) => Some(self.url.redact(&other.to_string())),
        });
        connected
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<()> {
        backend::ping(conn).map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        use diesel::connection::{Connection, TransactionManager};
        std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut conn.conn,
            )
    }
}
