//! The library's error type: one enum whose variants say what went wrong in words a person can act on.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A `Result` whose error is [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in staffdb.
///
/// Database errors are classified the same way on every backend: a duplicate email is
/// [`Error::UniqueViolation`] on SQLite, PostgreSQL and MySQL alike. No message ever contains the
/// password of a database URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value was refused before anything touched the database.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field that was refused (`name`, `age`, `email`, …).
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// No row has the requested id.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for: `employee` or `department`.
        entity: &'static str,
        /// The id that was not found.
        id: i64,
    },
    /// Optimistic locking: the row changed since the caller read it.
    #[error(
        "employee {id} has version {actual}, not the expected {expected}: it was changed by someone else; read it again"
    )]
    Conflict {
        /// The employee's id.
        id: i32,
        /// The version the caller expected.
        expected: i32,
        /// The version the row has now.
        actual: i32,
    },
    /// A unique constraint refused the write (a duplicate email or department name).
    #[error("{field} already exists: {detail}")]
    UniqueViolation {
        /// The column that must be unique, as far as it can be told.
        field: &'static str,
        /// The database's own words.
        detail: String,
    },
    /// A foreign key refused the write (an employee's department does not exist).
    #[error("referenced row does not exist: {detail}")]
    ForeignKey {
        /// The database's own words.
        detail: String,
    },
    /// Any other database failure.
    #[error("database error: {}", describe(.0))]
    Database(#[source] DieselError),
    /// An earlier database error failed this session's transaction; it must be rolled back.
    #[error("the transaction was aborted by an earlier database error; roll it back and try again")]
    TransactionAborted,
    /// A migration could not be applied or reverted, or the database is newer than this binary.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {reason}")]
    Connection {
        /// The URL with its password redacted.
        url: String,
        /// Why the connection failed.
        reason: String,
    },
}

impl Error {
    /// A validation error for `field`.
    pub fn validation(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Validation {
            field,
            reason: reason.into(),
        }
    }

    /// Names the (1-based) record of a batch that a validation error is about; other errors
    /// pass through unchanged.
    pub fn at_record(self, record: usize) -> Self {
        match self {
            Error::Validation { field, reason } => Error::Validation {
                field,
                reason: format!("{reason} (record {record})"),
            },
            other => other,
        }
    }

    /// True when the failure is transient contention (a deadlock, a serialization failure, a busy
    /// SQLite file) and running the whole transaction again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Database(e) if is_transient(e))
    }
}

fn describe(error: &DieselError) -> String {
    match error {
        DieselError::DatabaseError(_, info) => info.message().to_owned(),
        other => other.to_string(),
    }
}

/// Classifies a Diesel error as transient contention, on every backend.
///
/// Diesel maps PostgreSQL's 40001 and MySQL's 1213 to `SerializationFailure`, but a PostgreSQL
/// deadlock (40P01) and SQLite's BUSY/LOCKED arrive as `Unknown`, recognisable only by message.
pub fn is_transient(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("deadlock")
                || message.contains("database is locked")
                || message.contains("database table is locked")
                || message.contains("could not serialize access")
                || message.contains("lock wait timeout exceeded")
        }
        _ => false,
    }
}

impl From<DieselError> for Error {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let detail = info.message().to_owned();
                let text = format!("{} {}", detail, info.constraint_name().unwrap_or_default());
                let field = if text.contains("email") {
                    "email"
                } else if text.contains("name") {
                    "name"
                } else {
                    "value"
                };
                Error::UniqueViolation { field, detail }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                Error::ForeignKey {
                    detail: info.message().to_owned(),
                }
            }
            _ => Error::Database(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Info(&'static str);

    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn db_error(kind: DatabaseErrorKind, message: &'static str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(Info(message)))
    }

    /// Contention on each backend is retryable; ordinary failures are not.
    #[test]
    fn classifies_transient_errors_on_every_backend() {
        let transient = [
            db_error(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access due to concurrent update",
            ),
            db_error(DatabaseErrorKind::Unknown, "deadlock detected"),
            db_error(
                DatabaseErrorKind::SerializationFailure,
                "Deadlock found when trying to get lock; try restarting transaction",
            ),
            db_error(DatabaseErrorKind::Unknown, "database is locked"),
        ];
        for error in &transient {
            assert!(is_transient(error), "{error:?} should be transient");
        }
        let permanent = [
            db_error(
                DatabaseErrorKind::UniqueViolation,
                "UNIQUE constraint failed",
            ),
            db_error(DatabaseErrorKind::Unknown, "no such table: employees"),
            DieselError::NotFound,
        ];
        for error in &permanent {
            assert!(!is_transient(error), "{error:?} should not be transient");
        }
    }

    /// Unique and foreign-key violations become their own variants, naming the field.
    #[test]
    fn maps_constraint_violations() {
        let unique = Error::from(db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: employees.email",
        ));
        assert!(matches!(
            unique,
            Error::UniqueViolation { field: "email", .. }
        ));
        let fk = Error::from(db_error(
            DatabaseErrorKind::ForeignKeyViolation,
            "FOREIGN KEY constraint failed",
        ));
        assert!(matches!(fk, Error::ForeignKey { .. }));
    }
}
