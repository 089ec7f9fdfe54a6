//! The rows staffdb stores, one file per table: each read struct with its insert and update
//! structs beside it.

mod department;
pub(crate) mod employee;
pub(crate) mod stamp;
pub(crate) mod validate;

pub use self::department::{Department, NewDepartment};
pub use self::employee::{
    Employee, EmployeeChanges, EmployeeSummary, EmployeeWithDepartment, NewEmployee,
};

use chrono::{NaiveDateTime, Timelike, Utc};

/// The current UTC time, to the microsecond: what every backend stores.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    let micros = now.nanosecond() / 1_000 * 1_000;
    now.with_nanosecond(micros).unwrap_or(now)
}

/// The id MySQL assigned to this connection's last insert: MySQL has no `RETURNING`, and
/// `LAST_INSERT_ID()` is per connection, so no other writer can race it (unlike "newest id").
#[cfg(feature = "mysql")]
pub(crate) fn last_insert_id(conn: &mut diesel::MysqlConnection) -> diesel::QueryResult<i32> {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "LAST_INSERT_ID()",
    ))
    .get_result(conn)
}

/// Serializes UTC timestamps as RFC 3339 (`2026-11-24T11:20:25.123456Z`).
pub(crate) mod rfc3339 {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    /// Formats a UTC timestamp as RFC 3339 with microseconds.
    pub fn format(timestamp: &NaiveDateTime) -> String {
        timestamp
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    pub fn serialize<S: Serializer>(timestamp: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(timestamp))
    }
}
