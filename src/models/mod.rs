//! # The models layer: staffdb's tables
//!
//! One file per table — each read struct with its insert and update structs beside it — and the
//! employees' queries and multi-step writes (listing, statistics, upserts, imports). Models
//! implement the core's [`Model`](crate::Model) traits and take a `&mut Session`; they never
//! name a backend (the [`backend`](crate::backend) layer does that for them).

mod department;
mod employee;
mod export;
mod formats;
mod listing;
mod stats;
mod transfer;
mod upsert;
#[cfg(feature = "auth")]
mod users;
mod validate;

pub use self::department::{Department, DepartmentChanges, DepartmentId, NewDepartment};
pub use self::employee::{
    Employee, EmployeeChanges, EmployeeId, EmployeeSummary, EmployeeWithDepartment, NewEmployee,
};
pub use self::export::{EXPORT_COLUMNS, ExportRecord, RecordWriter, Rfc3339};
pub use self::formats::{
    CsvRecords, IGNORED_COLUMNS, IMPORT_COLUMNS, ImportRecord, JsonRecords, Place, RecordError,
    RecordFormat, csv_cell, csv_cell_read,
};
pub use self::listing::{EmployeeFilter, ListOptions, SortKey};
pub use self::stats::{GroupBy, GroupStats};
pub use self::transfer::{
    ExportError, ImportRowsError, RowWriter, export_rows, import_rows, upsert_rows,
};
#[cfg(feature = "cli")]
pub(crate) use self::transfer::{check_title, page_titles};
pub use self::upsert::Upserted;
#[cfg(feature = "auth")]
pub use self::users::{
    Action, ApiToken, BUILT_IN_ROLES, MAX_PASSWORD_BYTES, MAX_USER_NAME_CHARS, MIN_PASSWORD_CHARS,
    Password, Permissions, Role, SESSION_IDLE, SESSION_LIFETIME, TOKEN_PREFIX, USERS_MODEL, User,
};
pub use self::validate::{AGE_RANGE, MAX_EMAIL_CHARS, MAX_TEXT_CHARS, parse_date};

/// Serializes UTC timestamps as RFC 3339 with microseconds (`2026-11-24T11:20:25.123456Z`).
mod rfc3339 {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(timestamp: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = timestamp
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        s.serialize_str(&text)
    }
}
