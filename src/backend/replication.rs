//! Where a commit is in the primary's log, and how far a standby has replayed it: what
//! read-your-writes waits on when reads go to standbys.
//!
//! PostgreSQL only: a position is a WAL LSN (`X/Y`, read as one `u64`). A Galera node needs no
//! waiting: every staffdb connection to one reads causally (`wsrep_sync_wait`, set when it
//! connects). Other servers have no position here, and their reads are not waited for.

use diesel::prelude::*;

use super::AnyConnection;

/// The position of the newest commit on `conn`'s server, read right after a commit; `None`
/// where positions are not tracked.
pub(crate) fn commit_position(conn: &mut AnyConnection) -> QueryResult<Option<u64>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => lsn(c, "pg_current_wal_lsn()::text"),
        _ => Ok(None),
    }
}

/// How far `conn`'s server has replayed the primary's log. `None` when it is not a standby
/// (a primary has everything) or positions are not tracked.
pub(crate) fn replayed_position(conn: &mut AnyConnection) -> QueryResult<Option<u64>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => lsn(c, "pg_last_wal_replay_lsn()::text"),
        _ => Ok(None),
    }
}

#[cfg(feature = "postgres")]
fn lsn(conn: &mut diesel::PgConnection, expression: &str) -> QueryResult<Option<u64>> {
    use diesel::sql_types::{Nullable, Text};
    let text: Option<String> =
        diesel::select(diesel::dsl::sql::<Nullable<Text>>(expression)).get_result(conn)?;
    Ok(text.as_deref().and_then(parse_lsn))
}

/// `16/B374D848` as one number: the high and low 32 bits, in hex.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    Some(high << 32 | low)
}

#[cfg(test)]
mod tests {
    use super::parse_lsn;

    #[test]
    fn reads_lsns() {
        assert_eq!(parse_lsn("0/3000060"), Some(0x3000060));
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(parse_lsn("nonsense"), None);
    }
}
