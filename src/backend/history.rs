//! The statements behind history's maintenance that Diesel's DSL cannot write for a table known
//! only by name at run time.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::AnyConnection;

/// One history id, as `SELECT history_id` returns it.
#[derive(QueryableByName)]
struct HistoryId {
    #[diesel(sql_type = BigInt)]
    history_id: i64,
}

/// Deletes up to `batch` of the oldest changes in the history table `table` made before
/// `before` that are not the last change of their row (by its key column `key`); returns how
/// many. Two statements, the second by the ids the first found: MySQL refuses a `LIMIT` in an
/// `IN` subquery, and a subquery on the table a `DELETE` deletes from.
pub(crate) fn prune_history(
    conn: &mut AnyConnection,
    table: &str,
    key: &str,
    before: chrono::NaiveDateTime,
    batch: usize,
) -> QueryResult<usize> {
    let select = format!(
        "SELECT history_id FROM {table} h WHERE history_at < {at} AND EXISTS \
         (SELECT 1 FROM {table} newer WHERE newer.{key} = h.{key} \
          AND newer.history_id > h.history_id) ORDER BY history_id LIMIT {batch}",
        at = placeholder(conn),
    );
    let ids: Vec<HistoryId> = super::with_conn!(conn, |c| diesel::sql_query(&select)
        .bind::<Timestamp, _>(before)
        .load(c))?;
    if ids.is_empty() {
        return Ok(0);
    }
    let list = ids
        .iter()
        .map(|id| id.history_id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let delete = format!("DELETE FROM {table} WHERE history_id IN ({list})");
    super::with_conn!(conn, |c| diesel::sql_query(&delete).execute(c))
}

/// The backend's first bind placeholder.
fn placeholder(conn: &AnyConnection) -> &'static str {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(_) => "$1",
        _ => "?",
    }
}
