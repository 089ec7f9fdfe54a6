//! What a driver's error means, the same way on every backend.
//!
//! Diesel maps some SQLSTATEs and error numbers to a `DatabaseErrorKind`, but a PostgreSQL
//! deadlock (40P01), SQLite's BUSY and every backend's "read-only transaction" arrive as
//! `Unknown`, recognisable only by their message; and which column a unique violation is about
//! is written differently by each backend. This is the one place that reads those messages.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

/// What a database error means to the layers above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classified {
    /// Contention (deadlock, serialization failure, a busy SQLite file): running the
    /// whole transaction again may succeed.
    Transient,
    /// A unique constraint refused the write; the column, when the backend names it.
    Unique { column: Option<String> },
    /// A foreign key refused the write.
    ForeignKey,
    /// A write inside a read-only transaction.
    ReadOnly,
    /// A statement gave up waiting for a lock after the lock timeout (PostgreSQL's 55P03,
    /// MySQL's 1205): it has waited all it may, so running it again would only wait again.
    LockTimeout,
    /// A CHECK constraint or a NOT NULL refused the value.
    Check,
    /// The connection went away (the server was stopped, crashed, or ended the session): the
    /// transaction on it is gone, and whether a `COMMIT` in flight took effect is unknown.
    ConnectionLost,
    /// Anything else.
    Other,
}

/// Classifies a Diesel error.
pub(crate) fn classify(error: &DieselError) -> Classified {
    let DieselError::DatabaseError(kind, info) = error else {
        return Classified::Other;
    };
    let message = info.message().to_ascii_lowercase();
    if *kind == DatabaseErrorKind::ClosedConnection || is_lost_connection_message(&message) {
        return Classified::ConnectionLost;
    }
    // Before the kinds: Diesel may file MySQL's 1205 with the serialization failures.
    if message.contains("lock timeout") || message.contains("lock wait timeout") {
        return Classified::LockTimeout;
    }
    match kind {
        DatabaseErrorKind::SerializationFailure => Classified::Transient,
        DatabaseErrorKind::UniqueViolation => Classified::Unique {
            column: unique_column(info.as_ref()),
        },
        DatabaseErrorKind::ForeignKeyViolation => Classified::ForeignKey,
        DatabaseErrorKind::ReadOnlyTransaction => Classified::ReadOnly,
        DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
            Classified::Check
        }
        _ if is_transient_message(&message) => Classified::Transient,
        _ if is_read_only_message(&message) => Classified::ReadOnly,
        // SQLite's refusal of a DELETE that an `ON DELETE RESTRICT` holds can reach Diesel
        // without its extended code (as `Unknown`); its words are the same as for an insert's.
        _ if message == "foreign key constraint failed" => Classified::ForeignKey,
        _ => Classified::Other,
    }
}

/// True for a deadlock (which the database breaks at once, whatever the lock timeout).
pub(crate) fn is_deadlock(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info) if info.message().to_ascii_lowercase().contains("deadlock"))
}

/// True when an error's text (any case) says contention: for errors that reach staffdb only as
/// text.
pub(crate) fn is_transient_text(text: &str) -> bool {
    is_transient_message(&text.to_ascii_lowercase())
}

fn is_transient_message(message: &str) -> bool {
    [
        "deadlock",
        "database is locked",
        "database table is locked",
        "could not serialize access",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

fn is_lost_connection_message(message: &str) -> bool {
    // MySQL's client errors 2013 and 2006; libpq's words when the server ends the connection.
    [
        "lost connection to",
        "server has gone away",
        "server closed the connection unexpectedly",
        "terminating connection",
        "no connection to the server",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// True when a failed connection's text (any case) says that no server took it as a writer
/// *now* — the host refused or reset it, timed out, was starting up, shutting down or in
/// recovery, or was a standby where a writer was asked for (libpq's `target_session_attrs`) — so
/// that trying again once a primary is up may succeed. A wrong password, an unknown database or
/// a malformed URL is not: waiting would not change it.
pub(crate) fn is_unreachable_text(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        // The network and the host.
        "connection refused",
        "connection reset",
        "no route to host",
        "network is unreachable",
        "timeout expired",
        // A PostgreSQL server that is not (yet, or any more) taking connections.
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "the database system is not accepting connections",
        // libpq's target_session_attrs=read-write, met by a standby only.
        "server is in hot standby mode",
        "session is read-only",
        // MySQL's client: 2002/2003 (cannot connect), 2013/2006 (lost).
        "can't connect to",
    ]
    .iter()
    .any(|needle| text.contains(needle))
        || is_lost_connection_message(&text)
}

/// True for SQLite's refusal of a write (SQLITE_READONLY): in a write session, where
/// `query_only` is off, it means the file or its directory cannot be written — the servers word
/// their read-only refusals otherwise.
pub(crate) fn is_read_only_file(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info)
        if info.message().to_ascii_lowercase().contains("attempt to write a readonly database"))
}

fn is_read_only_message(message: &str) -> bool {
    // SQLite (query_only), PostgreSQL (25006), MySQL (1792), a MySQL server started read-only (1290).
    message.contains("attempt to write a readonly database")
        || message.contains("read-only transaction")
        || message.contains("read only transaction")
        || message.contains("--read-only option")
}

/// The column a unique violation names, as each backend words it:
/// - SQLite: `UNIQUE constraint failed: employees.email`, or for an index on an expression or
///   a collation `UNIQUE constraint failed: index 'employees_email_nocase_idx'`, which names the
///   column by staffdb's convention `<table>_<column>_nocase_idx`;
/// - PostgreSQL: the detail `Key (email)=(a@b.c) already exists.`, or
///   `Key (lower(email::text))=(a@b.c) already exists.` for an expression index;
/// - MySQL / MariaDB: `Duplicate entry 'a@b.c' for key 'email'` (or `'employees.email'`).
fn unique_column(info: &dyn DatabaseErrorInformation) -> Option<String> {
    let message = info.message();
    let last_segment = |name: &str| name.rsplit('.').next().unwrap_or(name).to_owned();
    if let Some(columns) = message.strip_prefix("UNIQUE constraint failed: ") {
        if let Some(index) = columns.strip_prefix("index '") {
            let index = index.trim_end_matches('\'');
            let (_, rest) = index.split_once('_')?;
            return Some(rest.trim_end_matches("_nocase_idx").to_owned());
        }
        let first = columns.split(',').next().unwrap_or(columns).trim();
        return Some(last_segment(first));
    }
    if let Some(rest) = info.details().and_then(|d| d.strip_prefix("Key (")) {
        // The innermost name: `email` of `lower(email::text)`.
        let key = rest.split(")=").next().unwrap_or(rest);
        let inner = key.rsplit('(').next().unwrap_or(key);
        return inner.split([':', ')']).next().map(str::to_owned);
    }
    if let Some((_, key)) = message.rsplit_once(" for key '") {
        return Some(last_segment(key.trim_end_matches('\'')));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Info(&'static str, Option<&'static str>);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            self.1
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
        DieselError::DatabaseError(kind, Box::new(Info(message, None)))
    }

    /// Contention on each backend is transient; ordinary failures are not.
    #[test]
    fn classifies_transient_errors_on_every_backend() {
        for error in [
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
        ] {
            assert_eq!(classify(&error), Classified::Transient, "{error:?}");
        }
        for error in [
            db_error(DatabaseErrorKind::Unknown, "no such table: employees"),
            DieselError::NotFound,
        ] {
            assert_eq!(classify(&error), Classified::Other, "{error:?}");
        }
    }

    /// Each backend's wording of a unique violation yields the column.
    #[test]
    fn names_the_column_of_a_unique_violation() {
        let cases = [
            (
                Info("UNIQUE constraint failed: employees.email", None),
                "email",
            ),
            (
                Info(
                    "duplicate key value violates unique constraint \"employees_email_key\"",
                    Some("Key (email)=(a@b.io) already exists."),
                ),
                "email",
            ),
            (
                Info("Duplicate entry 'a@b.io' for key 'email'", None),
                "email",
            ),
            (
                Info("Duplicate entry 'Sales' for key 'departments.name'", None),
                "name",
            ),
        ];
        for (info, column) in cases {
            let error =
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(info));
            assert_eq!(
                classify(&error),
                Classified::Unique {
                    column: Some(column.to_owned())
                }
            );
        }
    }

    /// A connection refused, reset or timed out, a server starting up or shutting down, and a
    /// standby where a writer was asked for are worth waiting out; a wrong password, a missing
    /// database and a bad URL are not.
    #[test]
    fn tells_no_primary_yet_from_failures_that_waiting_cannot_mend() {
        for text in [
            "connection to server at \"127.0.0.1\", port 5442 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?",
            "connection to server at \"127.0.0.1\", port 5443 failed: server is in hot standby mode",
            "connection to server at \"127.0.0.1\", port 5443 failed: session is read-only",
            "connection to server at \"127.0.0.1\", port 5442 failed: FATAL:  the database system is starting up",
            "connection to server at \"127.0.0.1\", port 5442 failed: FATAL:  the database system is shutting down",
            "connection to server at \"10.0.0.9\", port 5432 failed: timeout expired",
            "server closed the connection unexpectedly",
            "Can't connect to server on '127.0.0.1' (111)",
            "Lost connection to server at 'handshake: reading initial communication packet'",
        ] {
            assert!(is_unreachable_text(text), "{text}");
        }
        for text in [
            "connection to server at \"127.0.0.1\", port 5442 failed: FATAL:  password authentication failed for user \"staffdb\"",
            "connection to server at \"127.0.0.1\", port 5442 failed: FATAL:  database \"nope\" does not exist",
            "invalid connection option \"wait_for_primary\"",
            "Access denied for user 'staffdb'@'localhost' (using password: YES)",
        ] {
            assert!(!is_unreachable_text(text), "{text}");
        }
    }

    /// SQLite's refusal to write (a read-only file, in a write session) is told apart from the
    /// servers' read-only refusals (a standby), so that it is not called a standby.
    #[test]
    fn tells_a_read_only_sqlite_file_from_a_standby() {
        assert!(is_read_only_file(&db_error(
            DatabaseErrorKind::Unknown,
            "attempt to write a readonly database"
        )));
        for message in [
            "cannot execute INSERT in a read-only transaction",
            "The MariaDB server is running with the --read-only option so it cannot execute this statement",
        ] {
            assert!(!is_read_only_file(&db_error(
                DatabaseErrorKind::Unknown,
                message
            )));
        }
    }

    /// Writes refused by a read-only transaction are told apart on every backend.
    #[test]
    fn recognises_read_only_refusals() {
        for message in [
            "attempt to write a readonly database",
            "cannot execute INSERT in a read-only transaction",
            "Cannot execute statement in a READ ONLY transaction.",
        ] {
            assert_eq!(
                classify(&db_error(DatabaseErrorKind::Unknown, message)),
                Classified::ReadOnly
            );
        }
    }
}
