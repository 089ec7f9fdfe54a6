//! Timestamps written and read in bulk without chrono's format strings.
//!
//! On SQLite a timestamp is text, and Diesel formats a `NaiveDateTime` with `%F %T%.f` for every
//! bind and parses it back by trying format strings one after another for every row read. For
//! `add_all` and streaming that is most of the CPU time outside SQLite itself (profiled with
//! `perf` on the employees workload: ~20% of the insert phase, ~45% of the load phase). These two
//! types keep the exact same stored text and values, and do the work once per batch (writing)
//! or with a direct parser (reading); other backends use Diesel's own code unchanged.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::FromSqlRow;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

/// The current UTC time, to the microsecond: what every backend stores.
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    let micros = now.nanosecond() / 1_000 * 1_000;
    now.with_nanosecond(micros).unwrap_or(now)
}

/// `%F %T%.f` at most: `2026-11-24 11:20:25.123456789`.
const MAX_TEXT: usize = 29;

/// A timestamp to bind many times, with its SQLite text formatted once (`Copy`, no heap).
#[derive(Debug, Clone, Copy, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct Stamp {
    at: NaiveDateTime,
    /// Microseconds since the Unix epoch, for PostgreSQL's binary `COPY`.
    micros: i64,
    text: [u8; MAX_TEXT],
    /// 0 when the text did not fit (never for years 0..=9999): Diesel then formats it.
    len: u8,
}

impl Stamp {
    /// `at`, with its SQLite text formatted exactly as Diesel would.
    pub fn new(at: NaiveDateTime) -> Stamp {
        let formatted = at.format("%F %T%.f").to_string();
        let mut text = [0; MAX_TEXT];
        let len = if formatted.len() <= MAX_TEXT {
            text[..formatted.len()].copy_from_slice(formatted.as_bytes());
            formatted.len() as u8
        } else {
            0
        };
        let micros = at.and_utc().timestamp_micros();
        Stamp {
            at,
            micros,
            text,
            len,
        }
    }

    /// The instant.
    pub fn at(&self) -> NaiveDateTime {
        self.at
    }

    /// Microseconds since the Unix epoch (computed once, not per row written).
    pub fn unix_micros(&self) -> i64 {
        self.micros
    }

    fn sqlite_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.text[..usize::from(self.len)])
            .ok()
            .filter(|t| !t.is_empty())
    }
}

impl ToSql<Timestamp, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        match self.sqlite_text() {
            Some(text) => {
                out.set_value(text);
                Ok(serialize::IsNull::No)
            }
            None => <NaiveDateTime as ToSql<Timestamp, Sqlite>>::to_sql(&self.at, out),
        }
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Timestamp, diesel::pg::Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, diesel::pg::Pg>>::to_sql(&self.at, out)
    }
}

#[cfg(feature = "mysql")]
impl ToSql<Timestamp, diesel::mysql::Mysql> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::mysql::Mysql>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, diesel::mysql::Mysql>>::to_sql(&self.at, out)
    }
}

impl From<NaiveDateTime> for Stamp {
    fn from(at: NaiveDateTime) -> Stamp {
        Stamp::new(at)
    }
}

/// A timestamp read with a direct parser for the text staffdb writes to SQLite
/// (`YYYY-MM-DD HH:MM:SS[.fraction]`); any other form goes to Diesel's own parser.
/// Used as `#[diesel(deserialize_as = ReadStamp)]` on `NaiveDateTime` fields.
#[derive(Debug, FromSqlRow)]
pub struct ReadStamp(NaiveDateTime);

impl From<ReadStamp> for NaiveDateTime {
    fn from(stamp: ReadStamp) -> NaiveDateTime {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for ReadStamp {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text)
            && let Some(at) = parse(value.read_text().as_bytes())
        {
            return Ok(ReadStamp(at));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(ReadStamp)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Timestamp, diesel::pg::Pg> for ReadStamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, diesel::pg::Pg>>::from_sql(value).map(ReadStamp)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Timestamp, diesel::mysql::Mysql> for ReadStamp {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, diesel::mysql::Mysql>>::from_sql(value).map(ReadStamp)
    }
}

/// Through [`AnyConnection`](super::AnyConnection) itself (a query run on it without
/// `with_connection!`), each backend's own reading.
impl FromSql<Timestamp, super::MultiBackend> for ReadStamp {
    fn from_sql(value: super::MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1..=9 fraction digits; None for anything else.
fn parse(text: &[u8]) -> Option<NaiveDateTime> {
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    }
    if text.len() < 19
        || text[4] != b'-'
        || text[7] != b'-'
        || text[10] != b' '
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let nanos = match &text[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            number(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(
        number(&text[0..4])? as i32,
        number(&text[5..7])?,
        number(&text[8..10])?,
    )?
    .and_hms_nano_opt(
        number(&text[11..13])?,
        number(&text[14..16])?,
        number(&text[17..19])?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct parser reads what `Stamp` writes, to the microsecond, and refuses the rest.
    #[test]
    fn parses_what_it_writes() {
        let at = NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_micro_opt(11, 20, 25, 123_456))
            .expect("valid");
        let stamp = Stamp::new(at);
        assert_eq!(stamp.sqlite_text(), Some("2026-11-24 11:20:25.123456"));
        assert_eq!(parse(b"2026-11-24 11:20:25.123456"), Some(at));
        let whole = at.with_nanosecond_zero();
        assert_eq!(parse(b"2026-11-24 11:20:25"), Some(whole));
        assert_eq!(
            parse(b"2026-11-24 11:20:25.1").map(|t| t.and_utc().timestamp_subsec_millis()),
            Some(100)
        );
        for bad in [
            "2026-11-24T11:20:25",
            "2026-13-24 11:20:25",
            "2026-11-24 11:20:25.",
            "2459000.5",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad}");
        }
    }

    trait ZeroNanos {
        fn with_nanosecond_zero(self) -> Self;
    }
    impl ZeroNanos for NaiveDateTime {
        fn with_nanosecond_zero(self) -> Self {
            use chrono::Timelike;
            self.with_nanosecond(0).unwrap_or(self)
        }
    }
}
