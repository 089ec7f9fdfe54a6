//! The connection pool's side of opening a database: connections made by URL scheme, checked
//! before use, with every driver message's password taken out.

use super::error::{BoxedError, Error, Result};
use super::url::DatabaseUrl;
use crate::backend::{self, AnyConnection};

/// A connection checked out of the pool; returned to it on drop.
pub(crate) type PooledConnection = r2d2::PooledConnection<Connector>;

/// A driver's message with the URL's password taken out, kept as an error's source.
#[derive(Debug)]
pub(crate) struct Redacted(String);

impl Redacted {
    pub(crate) fn boxed(message: String) -> BoxedError {
        // libpq's messages end in a newline; one line reads better in a chain.
        Box::new(Redacted(message.trim().replace('\n', " ")))
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
}

impl Connector {
    pub(crate) fn connect(&self) -> Result<AnyConnection> {
        let url = self.url.sqlite_path().unwrap_or(self.url.expose());
        backend::connect(self.url.backend(), url, self.options).map_err(|e| self.failure(e))
    }

    pub(crate) fn failure(&self, error: impl std::fmt::Display) -> Error {
        Error::Connection {
            url: self.url.to_string(),
            source: Redacted::boxed(self.url.redact(&error.to_string())),
        }
    }
}

impl r2d2::ManageConnection for Connector {
    type Connection = AnyConnection;
    type Error = Error;

    fn connect(&self) -> Result<AnyConnection> {
        Connector::connect(self)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<()> {
        backend::ping(conn).map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::connection::{Connection, TransactionManager};
        std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                conn,
            )
    }
}
