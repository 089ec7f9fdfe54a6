//! The library's error type: one enum whose variants say what went wrong in words a person can
//! act on, and keep the error that caused it as their `source`.

use diesel::result::Error as DieselError;

use crate::backend::{Classified, classify, is_unreachable_text};

/// A `Result` whose error is [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What Diesel's migration machinery and connection code fail with.
pub type BoxedError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in staffdb.
///
/// Database errors are classified the same way on every backend: a duplicate email is
/// [`Error::UniqueViolation`] with `field == "email"` on SQLite, PostgreSQL and MySQL alike. Each
/// variant's text is one clause; the database's own words are its [`source`](std::error::Error::source),
/// so `{:#}` with anyhow (or walking the chain) prints both, once. No message ever contains the
/// password of a database URL.
///
/// ```
/// use staffdb::{Database, Error, NewEmployee};
///
/// let db = Database::open(":memory:")?;
/// let mut s = db.session()?;
/// s.add(&NewEmployee::new("Ann", 30, "Clerk").email("ann@example.com"))?;
/// match s.savepoint(|s| s.add(&NewEmployee::new("Ann B", 31, "Clerk").email("ANN@example.com"))) {
///     Err(Error::UniqueViolation { field, .. }) => assert_eq!(field, "email"),
///     other => panic!("expected a duplicate email, got {other:?}"),
/// }
/// match s.add(&NewEmployee::new("Old", 151, "Clerk")) {
///     Err(Error::Validation { field, record, .. }) => assert_eq!((field, record), ("age", None)),
///     other => panic!("expected a refused age, got {other:?}"),
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value was refused before anything touched the database.
    #[error("invalid {field}: {reason}{}", at_record(*.record))]
    Validation {
        /// The field that was refused (`name`, `age`, `email`, …).
        field: &'static str,
        /// Why it was refused.
        reason: String,
        /// In a batch (`add_all`, an import), the 1-based record it is about.
        record: Option<usize>,
    },
    /// No row has the requested id.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for: `employee`, `department`, or another model's name.
        entity: &'static str,
        /// The id that was not found (every model's id converts to an `i64`).
        id: i64,
    },
    /// The model keeps no history: it is not declared with `#[staffdb(history = …)]`.
    #[error(
        "{entity}s keep no history: declare the model with #[staffdb(history = …)] and add its history table"
    )]
    NoHistory {
        /// The model's name.
        entity: &'static str,
    },
    /// No row has the requested name (a user, say, which commands name rather than number).
    #[error("no {entity} named `{name}`")]
    NoSuchName {
        /// What was looked for: `user`.
        entity: &'static str,
        /// The name that was not found.
        name: String,
    },
    /// A well-formed request that what is stored refuses: a role that users still have, or one
    /// that is built in, cannot be removed.
    #[error("{reason}")]
    Refused {
        /// Why, in words.
        reason: String,
    },
    /// Optimistic locking: the row changed since the caller read it.
    #[error(
        "{entity} {id} has version {actual}, not the expected {expected}: it was changed by someone else; read it again"
    )]
    Conflict {
        /// What kind of row: `employee`, or another versioned model's name.
        entity: &'static str,
        /// The row's id.
        id: i64,
        /// The version the caller expected.
        expected: i32,
        /// The version the row has now.
        actual: i32,
    },
    /// A unique constraint refused the write (a duplicate email or department name).
    #[error("{}", detail.clone().unwrap_or_else(|| format!("{field} already exists")))]
    UniqueViolation {
        /// The column that must be unique, as the database named it (`email`, `name`, …), or
        /// `value` when it did not say.
        field: String,
        /// What staffdb knows about the clash (`a department named `Sales` already exists`).
        detail: Option<String>,
        /// The database's own error.
        #[source]
        source: DieselError,
    },
    /// A foreign key refused the write (an employee's department does not exist).
    #[error("a referenced row does not exist")]
    ForeignKey(#[source] DieselError),
    /// A write was attempted in a read-only session.
    #[error("this session is read-only: writes go through `Database::session` or `transaction`")]
    ReadOnly(#[source] DieselError),
    /// A write session's server accepts no writes: a hot standby (PostgreSQL in recovery), or a
    /// MySQL server with `read_only` on. Nothing was changed.
    #[error("the server is a read-only standby: send writes to the primary")]
    ReadOnlyServer(#[source] DieselError),
    /// A write session's SQLite file cannot be written: the file (or the directory that holds
    /// its journal) is read-only to this process — made so after it was opened, say. Nothing was
    /// changed.
    #[error(
        "the database file cannot be written: it (or its directory) is read-only to this process; nothing was changed"
    )]
    ReadOnlyFile(#[source] DieselError),
    /// A lock held by another transaction was not released within the lock timeout
    /// ([`OpenOptions::lock_timeout`](crate::OpenOptions::lock_timeout)); nothing was changed.
    #[error("gave up waiting for a lock another transaction holds (the lock timeout)")]
    LockTimeout(#[source] DieselError),
    /// A stored value staffdb cannot read — another client wrote it (an epoch integer for a
    /// timestamp, a date that does not exist): the row is named, and nothing was changed.
    #[error("cannot read {entity}{}: its `{column}` holds a value staffdb cannot read", id.map(|id| format!(" {id}")).unwrap_or_default())]
    Unreadable {
        /// What kind of row: `employee`, `department`, or another model's name.
        entity: &'static str,
        /// The row's id, when staffdb could tell which row it is.
        id: Option<i64>,
        /// The column holding the value.
        column: String,
        /// Why the value was refused.
        #[source]
        source: BoxedError,
    },
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] DieselError),
    /// A concurrent transaction got in the way in a way this one can't see past; running the
    /// whole transaction again will ([`Database::transaction`](crate::Database::transaction) does).
    #[error("{0}; run the transaction again")]
    Contention(String),
    /// The connection to the database went away before the transaction committed (the server
    /// stopped, or ended a session that sat idle in a write transaction): the database rolled it
    /// back, so nothing of it was kept, and running it again on a new connection is safe
    /// ([`Database::transaction`](crate::Database::transaction) does).
    #[error(
        "the connection to the database was lost before the transaction committed; nothing of it was kept"
    )]
    ConnectionLost(#[source] DieselError),
    /// The connection went away while `COMMIT` was in flight: the transaction may or may not
    /// have been committed. It is never retried (that could apply it twice); check the data.
    #[error(
        "the connection to the database was lost during COMMIT: the transaction may or may not have been committed"
    )]
    OutcomeUnknown(#[source] DieselError),
    /// The application's own step inside a transaction failed (printing its result, say): the
    /// transaction was rolled back and is not retried.
    #[error("the transaction was rolled back")]
    Application(#[source] BoxedError),
    /// An earlier database error failed this session's transaction; it must be rolled back.
    #[error("the transaction was aborted by an earlier database error; roll it back and try again")]
    TransactionAborted,
    /// A migration could not be applied or reverted, or the database is newer than this binary.
    #[error("migration failed: {reason}")]
    Migration {
        /// What could not be done.
        reason: String,
        /// Diesel's error, when there is one.
        #[source]
        source: Option<BoxedError>,
    },
    /// A SQLite file that does not exist, opened with [`OpenOptions::create`](crate::OpenOptions::create)`(false)`.
    #[error("no database at {path}")]
    NoDatabase {
        /// The path that was looked for.
        path: String,
    },
    /// A database opened with [`OpenOptions::require_schema`](crate::OpenOptions::require_schema)
    /// holds none of staffdb's migrations (an empty database, or another application's): it was
    /// left as it was.
    #[error("no staffdb schema in {database}: run `staffdb migrate`")]
    NoSchema {
        /// The database: its URL with the password redacted, or a SQLite file's path.
        database: String,
    },
    /// A database opened with [`OpenOptions::require_schema`](crate::OpenOptions::require_schema)
    /// has migrations this binary knows but the database has not applied: its tables are older
    /// than the code that would read them. It was left as it was.
    #[error("{pending} {} pending in {database}: run `staffdb migrate`", if *.pending == 1 { "migration" } else { "migrations" })]
    SchemaBehind {
        /// The database: its URL with the password redacted, or a SQLite file's path.
        database: String,
        /// How many known migrations are not applied.
        pending: usize,
    },
    /// No writable primary took the work within the wait for one
    /// ([`OpenOptions::wait_for_primary`](crate::OpenOptions::wait_for_primary)): every attempt
    /// failed before anything was sent for commit — no host answered, or the one that did was a
    /// standby. Nothing was changed; the source is the last attempt's error.
    #[error("no writable primary within {} s", .waited.as_secs_f64())]
    NoPrimary {
        /// How long it waited.
        waited: std::time::Duration,
        /// The last attempt's error, as text (the password redacted).
        #[source]
        source: BoxedError,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}")]
    Connection {
        /// The URL with its password redacted.
        url: String,
        /// Why the connection failed, with the password redacted.
        #[source]
        source: BoxedError,
    },
}

fn at_record(record: Option<usize>) -> String {
    record.map(|r| format!(" (record {r})")).unwrap_or_default()
}

impl Error {
    /// A validation error for `field`.
    pub fn validation(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Validation {
            field,
            reason: reason.into(),
            record: None,
        }
    }

    /// Wraps the application's own failure inside a transaction, so that
    /// [`Database::transaction`](crate::Database::transaction) rolls back and reports it.
    ///
    /// ```
    /// use staffdb::{Database, Error, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let failed = db.transaction(|s| {
    ///     s.add(&NewEmployee::new("Ann", 30, "Clerk"))?;
    ///     std::fs::read("/no/such/file").map_err(Error::application)
    /// });
    /// assert!(matches!(failed, Err(Error::Application(_))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn application(error: impl Into<BoxedError>) -> Self {
        Error::Application(error.into())
    }

    /// Names the row and column of a value Diesel could not read (`Error::Unreadable`); any other
    /// error passes through.
    pub fn unreadable_at(self, entity: &'static str, id: Option<i64>) -> Self {
        let Error::Database(DieselError::DeserializationError(error)) = self else {
            return self;
        };
        match error.downcast::<diesel::result::DeserializeFieldError>() {
            Ok(field) => Error::Unreadable {
                entity,
                id,
                column: field.field_name.unwrap_or_else(|| "?".to_owned()),
                source: field.error,
            },
            Err(error) => Error::Database(DieselError::DeserializationError(error)),
        }
    }

    /// The same error, its refused `field` called by the caller's `words`: a department's `name`
    /// is "department name" where an employee's name could be meant. Any other error passes
    /// through.
    ///
    /// ```
    /// use staffdb::Error;
    ///
    /// let refused = Error::validation("name", "must not be empty or blank");
    /// let named = refused.field_named("name", "department name");
    /// assert_eq!(named.to_string(), "invalid department name: must not be empty or blank");
    /// ```
    pub fn field_named(self, field: &str, words: &'static str) -> Self {
        match self {
            Error::Validation {
                field: refused,
                reason,
                record,
            } if refused == field => Error::Validation {
                field: words,
                reason,
                record,
            },
            Error::UniqueViolation {
                field: refused,
                detail,
                source,
            } if refused == field => Error::UniqueViolation {
                field: words.to_owned(),
                detail,
                source,
            },
            other => other,
        }
    }

    /// True for a value Diesel could not read, before [`Error::unreadable_at`] names its row.
    pub(crate) fn is_unreadable(&self) -> bool {
        matches!(self, Error::Database(DieselError::DeserializationError(_)))
            || matches!(self, Error::Unreadable { .. })
    }

    /// A migration error with no underlying cause.
    pub fn migration(reason: impl Into<String>) -> Self {
        Error::Migration {
            reason: reason.into(),
            source: None,
        }
    }

    /// A unique violation told in the caller's words (`a user named `ann` already exists`);
    /// any other error passes through unchanged.
    pub fn with_unique_detail(self, detail: impl FnOnce() -> String) -> Self {
        match self {
            Error::UniqueViolation { field, source, .. } => Error::UniqueViolation {
                field,
                detail: Some(detail()),
                source,
            },
            other => other,
        }
    }

    /// Names the (1-based) record of a batch that a validation error is about; other errors
    /// pass through unchanged.
    pub fn at_record(self, record: usize) -> Self {
        match self {
            Error::Validation { field, reason, .. } => Error::Validation {
                field,
                reason,
                record: Some(record),
            },
            other => other,
        }
    }

    /// True when the failure is transient contention (a deadlock, a serialization failure, a busy
    /// SQLite file) or a connection lost before `COMMIT`, and running the whole transaction again
    /// may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Database(e) => classify(e) == Classified::Transient,
            Error::Contention(_) | Error::ConnectionLost(_) => true,
            _ => false,
        }
    }

    /// True when the failure means that no writable primary is reachable *now*, and it came
    /// before anything was sent for commit, so that the same work may be tried again once one
    /// is: a connection that failed (refused, reset, timed out, a server starting up or shutting
    /// down, a standby where `target_session_attrs` asked for a writer), a connection lost before
    /// `COMMIT`, a write refused by a standby. Never a failure during `COMMIT`
    /// ([`Error::OutcomeUnknown`]), nor a wrong password or a missing database.
    pub(crate) fn awaits_primary(&self) -> bool {
        match self {
            Error::Connection { source, .. } => is_unreachable_text(&source.to_string()),
            Error::ConnectionLost(_) | Error::ReadOnlyServer(_) => true,
            _ => false,
        }
    }

    /// `self`, after the wait for a primary ran out: [`Error::NoPrimary`] with `self` (and its
    /// causes) as its source.
    pub(crate) fn no_primary_within(&self, waited: std::time::Duration) -> Error {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            text.push_str(": ");
            text.push_str(&error.to_string());
            cause = error.source();
        }
        Error::NoPrimary {
            waited,
            source: text.into(),
        }
    }

    /// True for errors that leave the session's transaction failed: the database refused a
    /// statement or went away.
    pub(crate) fn fails_transaction(&self) -> bool {
        // A value the client could not read was sent in full: the server's transaction goes on.
        if self.is_unreadable() {
            return false;
        }
        matches!(
            self,
            Error::Database(_)
                | Error::UniqueViolation { .. }
                | Error::ForeignKey(_)
                | Error::ReadOnly(_)
                | Error::ReadOnlyServer(_)
                | Error::ReadOnlyFile(_)
                | Error::LockTimeout(_)
                | Error::Connection { .. }
                | Error::ConnectionLost(_)
        )
    }
}

impl From<DieselError> for Error {
    fn from(error: DieselError) -> Self {
        match classify(&error) {
            Classified::Unique { column } => Error::UniqueViolation {
                field: column.unwrap_or_else(|| "value".to_owned()),
                detail: None,
                source: error,
            },
            Classified::ForeignKey => Error::ForeignKey(error),
            Classified::ReadOnly => Error::ReadOnly(error),
            Classified::LockTimeout => Error::LockTimeout(error),
            Classified::ConnectionLost => Error::ConnectionLost(error),
            Classified::Transient | Classified::Check | Classified::Other => Error::Database(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database error's text appears once: in its source, not also in the variant's own.
    #[test]
    fn database_text_is_not_doubled() {
        let error = Error::Database(DieselError::NotFound);
        assert_eq!(error.to_string(), "database error");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("Record not found"));
    }

    /// What the wait for a primary tries again: failures before `COMMIT` that no writable host
    /// explains; never a `COMMIT` whose answer was lost, a wrong password, or contention.
    #[test]
    fn waits_for_a_primary_only_where_nothing_was_committed() {
        let connection = |reason: &str| Error::Connection {
            url: "postgres://u:***@h1,h2/db".into(),
            source: reason.to_owned().into(),
        };
        let lost = || {
            DieselError::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                Box::new("server closed the connection unexpectedly".to_owned()),
            )
        };
        let read_only = || {
            DieselError::DatabaseError(
                diesel::result::DatabaseErrorKind::ReadOnlyTransaction,
                Box::new("cannot execute INSERT in a read-only transaction".to_owned()),
            )
        };
        for error in [
            connection("connection to server at \"h1\", port 5442 failed: Connection refused"),
            connection(
                "connection to server at \"h2\", port 5443 failed: server is in hot standby mode",
            ),
            Error::ConnectionLost(lost()),
            Error::ReadOnlyServer(read_only()),
        ] {
            assert!(error.awaits_primary(), "{error:?}");
        }
        for error in [
            Error::OutcomeUnknown(lost()),
            connection("FATAL:  password authentication failed for user \"u\""),
            Error::Contention("deadlock".into()),
            Error::ReadOnly(read_only()),
        ] {
            assert!(!error.awaits_primary(), "{error:?}");
        }
        let waited =
            connection("connection to server at \"h1\", port 5442 failed: Connection refused")
                .no_primary_within(std::time::Duration::from_secs(3));
        assert_eq!(
            format!("{:#}", anyhow::Error::new(waited)),
            "no writable primary within 3 s: cannot connect to postgres://u:***@h1,h2/db: \
             connection to server at \"h1\", port 5442 failed: Connection refused"
        );
    }

    /// A record number is a field of the error, and shows in its text.
    #[test]
    fn record_numbers_are_fields() {
        let error = Error::validation("age", "must be between 0 and 150 (got 151)").at_record(2);
        assert!(matches!(
            error,
            Error::Validation {
                record: Some(2),
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "invalid age: must be between 0 and 150 (got 151) (record 2)"
        );
    }
}
