//! The workload written with sqlx 0.8 as its users write it at their best: one connection,
//! `QueryBuilder::push_values` in chunks as large as the backend's bind limit allows (one
//! builder reused), a streamed `fetch` for the load, and for the rest `sqlx::query`, which
//! sqlx prepares once per connection and caches. Each phase is a transaction of its own but the
//! count, and the rows written are staffdb's: the version and both timestamps, in the form
//! staffdb stores them (text `%F %T%.f` on SQLite, `TIMESTAMPTZ` on PostgreSQL).

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row};

use crate::workload::{
    self, DELETE_ABOVE_AGE, Outcome, OutputHash, Peer, UPD_ROW_POSITION, UPD_SET_POSITION,
    Workload, upd_row_ids,
};

/// The insert's head; `push_values` adds `VALUES (…), (…)`.
const INSERT: &str =
    "INSERT INTO employees (name, age, position, version, created_at, updated_at) ";
/// The load: the four columns the line prints, in id order.
const LOAD: &str = "SELECT id, name, age, position FROM employees ORDER BY id";
/// `upd_set` (`$N` placeholders: sqlx takes them on SQLite too, so one text serves both).
const UPD_SET: &str = "UPDATE employees SET age = age + 1, version = version + 1, \
                       updated_at = $1 WHERE position = $2";
/// The read of `upd_row`.
const SELECT_ROW: &str = "SELECT id, name, age, position FROM employees WHERE id = $1";
/// The update of `upd_row`.
const UPD_ROW: &str = "UPDATE employees SET age = $1, position = $2, version = version + 1, \
                       updated_at = $3 WHERE id = $4";
/// `delete`.
const DELETE: &str = "DELETE FROM employees WHERE age > $1";
/// `count`.
const COUNT: &str = "SELECT count(*) FROM employees";

/// Parameters a row of the insert binds.
const BINDS_PER_ROW: usize = 6;
/// Rows per INSERT on SQLite, whose limit is 32,766 bound parameters: 5,461.
pub const SQLITE_CHUNK: usize = 32_766 / BINDS_PER_ROW;
/// Rows per INSERT on PostgreSQL, whose limit is 65,535 bound parameters: 10,922.
pub const PG_CHUNK: usize = 65_535 / BINDS_PER_ROW;

/// Runs the workload on `url` (`sqlite://FILE` or `postgres://…`), which holds staffdb's
/// migrated, empty tables.
pub async fn run(url: &str, workload: Workload) -> Result<Outcome> {
    if url.starts_with("sqlite:") {
        // staffdb's pragmas, so that only the code differs.
        let options = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .disable_statement_logging();
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot open {url}"))?;
        workload::run(&mut conn, workload).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let mut conn = PgConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        workload::run(&mut conn, workload).await
    } else {
        bail!("the sqlx peer runs on sqlite:// and postgres:// URLs, not `{url}`")
    }
}

/// SQLite takes the timestamp as staffdb writes it: UTC wall-clock time, bound as `%F %T%.f`
/// text (sqlx's form of a `NaiveDateTime`).
fn sqlite_stamp(now: NaiveDateTime) -> NaiveDateTime {
    now
}

/// PostgreSQL's column is a `TIMESTAMPTZ`: the instant, bound as one.
fn pg_stamp(now: NaiveDateTime) -> DateTime<Utc> {
    now.and_utc()
}

/// The phases on one connection type: `$db` its database, `$chunk` the rows per INSERT and
/// `$stamp` the timestamp it binds. The same code for both backends.
macro_rules! peer_on {
    ($conn:ty, $db:ty, $chunk:expr, $stamp:path) => {
        impl Peer for $conn {
            async fn insert(&mut self, workload: &Workload) -> Result<()> {
                let now = $stamp(workload::now());
                let mut tx = self.begin().await?;
                let mut builder = QueryBuilder::<$db>::new(INSERT);
                let mut rows = workload.iter().peekable();
                let mut written = 0;
                while rows.peek().is_some() {
                    builder.reset();
                    builder.push_values(rows.by_ref().take($chunk), |mut values, row| {
                        values
                            .push_bind(row.name)
                            .push_bind(row.age)
                            .push_bind(row.position)
                            .push_bind(1_i32)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    written += builder.build().execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                let n = workload.len() as u64;
                ensure!(written == n, "inserted {written} rows of {n}");
                Ok(())
            }

            async fn load(&mut self) -> Result<OutputHash> {
                let mut out = OutputHash::new();
                let mut tx = self.begin().await?;
                {
                    let mut rows = sqlx::query(LOAD).fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await? {
                        out.fields(
                            row.try_get(0)?,
                            row.try_get(1)?,
                            row.try_get(2)?,
                            row.try_get(3)?,
                        );
                    }
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn upd_set(&mut self) -> Result<()> {
                let mut tx = self.begin().await?;
                sqlx::query(UPD_SET)
                    .bind($stamp(workload::now()))
                    .bind(UPD_SET_POSITION)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn upd_row(&mut self, n: usize) -> Result<()> {
                let mut tx = self.begin().await?;
                for id in upd_row_ids(n) {
                    let row = sqlx::query(SELECT_ROW).bind(id).fetch_one(&mut *tx).await?;
                    let age: i32 = row.try_get("age")?;
                    sqlx::query(UPD_ROW)
                        .bind(age + 1)
                        .bind(UPD_ROW_POSITION)
                        .bind($stamp(workload::now()))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn delete(&mut self) -> Result<()> {
                let mut tx = self.begin().await?;
                sqlx::query(DELETE)
                    .bind(DELETE_ABOVE_AGE)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn count(&mut self) -> Result<i64> {
                Ok(sqlx::query_scalar(COUNT).fetch_one(self).await?)
            }
        }
    };
}

peer_on!(SqliteConnection, Sqlite, SQLITE_CHUNK, sqlite_stamp);
peer_on!(PgConnection, Postgres, PG_CHUNK, pg_stamp);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::testing::{assert_stored, edge_instants, sqlite_migrations};

    /// Every instant the sqlx peer can bind on SQLite, the last half millisecond of a second
    /// among them, passes staffdb's checks under sqlx's own SQLite (3.46, which rounds such a
    /// fraction up to the next second in `datetime()`), on insert and on update, and is stored
    /// as staffdb's text. Before migration 2026-12-06-000001 the checks (then triggers) refused
    /// it there.
    #[test]
    fn sqlite_takes_every_stamp_the_peer_binds() -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let dir =
                std::env::temp_dir().join(format!("staffdb-peers-sqlx-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("stamps.db");
            let _ = std::fs::remove_file(&path);
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let mut conn = SqliteConnection::connect_with(&options).await?;
            for up in sqlite_migrations() {
                sqlx::raw_sql(&up).execute(&mut conn).await?;
            }
            let insert = format!("{INSERT}VALUES ('Alice Smith 1', 30, 'Developer', 1, $1, $1)");
            for at in edge_instants() {
                let id = sqlx::query(&insert)
                    .bind(sqlite_stamp(at))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("inserting {at}"))?
                    .last_insert_rowid();
                sqlx::query(UPD_ROW)
                    .bind(31)
                    .bind(UPD_ROW_POSITION)
                    .bind(sqlite_stamp(at))
                    .bind(id)
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("updating to {at}"))?;
                let (created, updated): (String, String) =
                    sqlx::query_as("SELECT created_at, updated_at FROM employees WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut conn)
                        .await?;
                assert_stored(&created, at);
                assert_stored(&updated, at);
            }
            drop(conn);
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        })
    }
}
