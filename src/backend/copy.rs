//! PostgreSQL's binary `COPY … FROM STDIN`, fed from an iterator as it yields.
//!
//! Diesel's `copy_from(…).from_insertable(rows)` takes a whole slice, so a long insert went to
//! the server in slices: the client built a slice while the server waited, then the server
//! wrote it while the client waited (measured at N = 100,000: `add_all` 1.16× the `postgres`
//! crate's single COPY, with only 10 ms more CPU). One COPY that encodes each row as it comes
//! keeps both sides busy at once, and holds no more than a buffer of rows in memory.
//!
//! A model lists its columns in order through [`CopyFields`]; the wire encodings of
//! PostgreSQL's binary format (<https://www.postgresql.org/docs/current/sql-copy.html>) are
//! here and nowhere else.

// Models encode their rows whatever the build; only a PostgreSQL build sends them.
#![cfg_attr(not(feature = "postgres"), allow(dead_code))]

use chrono::{NaiveDate, NaiveDateTime};

/// Bytes of encoded rows handed to libpq at once.
#[cfg(feature = "postgres")]
const FLUSH_AT: usize = 64 * 1024;

/// `PGCOPY\n\xff\r\n\0`, then no flags and no header extension.
#[cfg(feature = "postgres")]
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// `NaiveDate` 2000-01-01's `num_days_from_ce()`.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// A row that can be written to a binary `COPY`, one field per column of its target, in order.
pub trait CopyRow {
    /// How many fields [`CopyRow::write_fields`] writes.
    const COLUMNS: i16;

    /// Writes the row's fields.
    fn write_fields(&self, fields: &mut CopyFields<'_>);
}

/// The fields of one row being encoded.
pub struct CopyFields<'a> {
    out: &'a mut Vec<u8>,
}

impl CopyFields<'_> {
    #[inline]
    fn field(&mut self, bytes: &[u8]) {
        // Rows are far below 2 GiB; the server refuses a longer field anyway.
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(bytes);
    }

    /// NULL.
    #[inline]
    pub fn null(&mut self) {
        self.out.extend_from_slice(&(-1_i32).to_be_bytes());
    }

    /// A `TEXT` value.
    #[inline]
    pub fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    /// A `SMALLINT`.
    #[inline]
    pub fn int2(&mut self, value: i16) {
        self.field(&value.to_be_bytes());
    }

    /// A `BIGINT`.
    #[inline]
    pub fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    /// A `REAL`.
    #[inline]
    pub fn float4(&mut self, value: f32) {
        self.field(&value.to_be_bytes());
    }

    /// A `DOUBLE PRECISION`.
    #[inline]
    pub fn float8(&mut self, value: f64) {
        self.field(&value.to_be_bytes());
    }

    /// A `BOOLEAN`: one byte.
    #[inline]
    pub fn boolean(&mut self, value: bool) {
        self.field(&[u8::from(value)]);
    }

    /// A `DATE`: days since 2000-01-01.
    #[inline]
    pub fn date(&mut self, date: NaiveDate) {
        use chrono::Datelike;
        let days = date.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE;
        self.field(&days.to_be_bytes());
    }

    /// A nullable `TEXT` value.
    #[inline]
    pub fn text_or_null(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// An `INTEGER`.
    #[inline]
    pub fn int4(&mut self, value: i32) {
        self.field(&value.to_be_bytes());
    }

    /// A nullable `BIGINT`.
    #[inline]
    pub fn int8_or_null(&mut self, value: Option<i64>) {
        match value {
            Some(value) => self.field(&value.to_be_bytes()),
            None => self.null(),
        }
    }

    /// A nullable `DATE`: days since 2000-01-01.
    #[inline]
    pub fn date_or_null(&mut self, value: Option<NaiveDate>) {
        match value {
            Some(date) => {
                use chrono::Datelike;
                let days = date.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE;
                self.field(&days.to_be_bytes());
            }
            None => self.null(),
        }
    }

    /// A `TIMESTAMP` or `TIMESTAMPTZ` of a UTC wall-clock time: microseconds since 2000-01-01.
    #[inline]
    pub fn timestamp(&mut self, at: NaiveDateTime) {
        self.unix_micros(at.and_utc().timestamp_micros());
    }

    /// A [`Stamp`](super::stamp::Stamp)'s instant, converted once for a whole batch.
    #[inline]
    pub fn stamp(&mut self, stamp: &super::stamp::Stamp) {
        self.unix_micros(stamp.unix_micros());
    }

    #[inline]
    fn unix_micros(&mut self, micros: i64) {
        self.field(&(micros - PG_EPOCH_MICROS).to_be_bytes());
    }
}

/// Copies every row `rows` yields into `columns` of `table` in one binary `COPY`, encoding each
/// as it comes; returns how many the server wrote.
///
/// The first `Err` the iterator yields ends the `COPY` (the server discards it, so the caller's
/// savepoint or transaction is left to roll back) and is returned as it was, not as the server's
/// "COPY from stdin failed" that it causes.
#[cfg(feature = "postgres")]
pub fn copy_in<T, C, R, E>(
    conn: &mut diesel::PgConnection,
    table: T,
    columns: C,
    rows: &mut dyn Iterator<Item = Result<R, E>>,
) -> Result<usize, E>
where
    T: diesel::Table,
    C: diesel::pg::CopyTarget<Table = T>,
    R: CopyRow,
    E: From<diesel::result::Error> + std::error::Error,
{
    use diesel::ExecuteCopyFromDsl;
    use std::cell::RefCell;
    use std::io::Write;

    let rows = RefCell::new(rows);
    let refused: RefCell<Option<E>> = RefCell::new(None);
    let write = |sink: &mut dyn Write| -> Result<(), E> {
        let io = |e: std::io::Error| E::from(diesel::result::Error::SerializationError(e.into()));
        let mut buffer = Vec::with_capacity(FLUSH_AT + 1024);
        buffer.extend_from_slice(HEADER);
        for row in &mut **rows.borrow_mut() {
            let row = match row {
                Ok(row) => row,
                Err(error) => {
                    *refused.borrow_mut() = Some(error);
                    // Any error ends the COPY; ours is the one returned.
                    return Err(E::from(diesel::result::Error::RollbackTransaction));
                }
            };
            buffer.extend_from_slice(&R::COLUMNS.to_be_bytes());
            row.write_fields(&mut CopyFields { out: &mut buffer });
            if buffer.len() >= FLUSH_AT {
                sink.write_all(&buffer).map_err(io)?;
                buffer.clear();
            }
        }
        buffer.extend_from_slice(&(-1_i16).to_be_bytes());
        sink.write_all(&buffer).map_err(io)
    };
    let copied = diesel::copy_from(table)
        .from_raw_data(columns, write)
        .with_format(diesel::pg::CopyFormat::Binary)
        .execute(conn);
    match (copied, refused.into_inner()) {
        (_, Some(error)) => Err(error),
        (copied, None) => copied,
    }
}

/// True where [`copy_in`] can run: PostgreSQL (a derived model then streams its bulk inserts).
pub fn streams(backend: super::Backend) -> bool {
    cfg!(feature = "postgres") && backend == super::Backend::Postgres
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The epochs are PostgreSQL's: 2000-01-01 is day 0 and microsecond 0.
    #[test]
    fn dates_and_timestamps_count_from_2000() {
        let y2k = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
        let mut out = Vec::new();
        let mut fields = CopyFields { out: &mut out };
        fields.date_or_null(Some(y2k));
        fields.timestamp(y2k.and_hms_opt(0, 0, 1).expect("a time"));
        fields.date_or_null(None);
        assert_eq!(
            out,
            [
                &4_i32.to_be_bytes()[..],
                &0_i32.to_be_bytes(),
                &8_i32.to_be_bytes(),
                &1_000_000_i64.to_be_bytes(),
                &(-1_i32).to_be_bytes()
            ]
            .concat()
        );
    }
}
