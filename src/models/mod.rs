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

/// A UTC timestamp written as RFC 3339 with microseconds, `2026-11-24T11:20:25.123456Z`, the
/// way staffdb shows every timestamp. Formatted on the stack, without chrono's format strings:
/// exporting a million rows formats two million of them.
///
/// ```
/// use chrono::NaiveDate;
///
/// let at = NaiveDate::from_ymd_opt(2026, 11, 24).and_then(|d| d.and_hms_micro_opt(9, 5, 7, 42));
/// let at = at.expect("a real time");
/// assert_eq!(staffdb::Rfc3339::new(&at).as_str(), "2026-11-24T09:05:07.000042Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339 {
    text: [u8; Rfc3339::LEN],
}

impl Rfc3339 {
    const LEN: usize = "2026-11-24T11:20:25.123456Z".len();

    /// Formats `timestamp` (UTC); the sub-microsecond part is dropped, as every backend does.
    pub fn new(timestamp: &NaiveDateTime) -> Rfc3339 {
        use chrono::Datelike;
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, value: u32| {
            let mut value = value;
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        // Years outside 0..=9999 cannot occur here (timestamps come from the clock); they
        // would print modulo 10,000 rather than panic.
        put(0, 4, timestamp.year().rem_euclid(10_000) as u32);
        put(5, 2, timestamp.month());
        put(8, 2, timestamp.day());
        put(11, 2, timestamp.hour());
        put(14, 2, timestamp.minute());
        // A leap second arrives as nanosecond >= 1e9 on second 59.
        put(
            17,
            2,
            timestamp.second() + timestamp.nanosecond() / 1_000_000_000,
        );
        put(20, 6, timestamp.nanosecond() % 1_000_000_000 / 1_000);
        Rfc3339 { text }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Serializes UTC timestamps as RFC 3339 (`2026-11-24T11:20:25.123456Z`).
pub(crate) mod rfc3339 {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(timestamp: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::Rfc3339::new(timestamp).as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast formatter writes exactly what chrono's RFC 3339 formatting writes.
    #[test]
    fn rfc3339_matches_chrono() {
        let mut at = chrono::DateTime::from_timestamp(0, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        for step in 0..10_000i64 {
            at += chrono::Duration::microseconds(step * 987_654_321_987 % 9_999_999_999_999 + 7);
            let at = at
                .with_nanosecond(at.nanosecond() / 1_000 * 1_000)
                .unwrap_or(at);
            let expected = at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(Rfc3339::new(&at).as_str(), expected);
        }
    }
}
