//! SQL that each backend writes its own way: the upsert clause, the id of the last insert,
//! bind-parameter limits and bulk inserts (`COPY` on PostgreSQL).

use diesel::backend::Backend as DieselBackend;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;

use super::{AnyConnection, Backend};

// ---- upsert ---------------------------------------------------------------------------------

/// The value a row tried to insert into column `C`, inside an upsert's update clause:
/// `excluded.c` on SQLite and PostgreSQL, `VALUES(c)` on MySQL.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub(crate) struct Excluded<C>(C);

/// [`Excluded`] of `column`.
pub(crate) fn excluded<C: Column>(column: C) -> Excluded<C> {
    Excluded(column)
}

impl<C: Expression> Expression for Excluded<C> {
    type SqlType = C::SqlType;
}

impl<C: Column, QS> AppearsOnTable<QS> for Excluded<C> where Self: Expression {}

/// How a backend writes an upsert: the ANSI-like `ON CONFLICT` with `excluded`, or MySQL's
/// `ON DUPLICATE KEY UPDATE` with `VALUES(column)`.
pub(crate) trait UpsertDialect: DieselBackend {
    /// True for MySQL's form.
    const ON_DUPLICATE_KEY: bool;
}

impl UpsertDialect for Sqlite {
    const ON_DUPLICATE_KEY: bool = false;
}

#[cfg(feature = "postgres")]
impl UpsertDialect for diesel::pg::Pg {
    const ON_DUPLICATE_KEY: bool = false;
}

#[cfg(feature = "mysql")]
impl UpsertDialect for diesel::mysql::Mysql {
    const ON_DUPLICATE_KEY: bool = true;
}

impl<C: Column, DB: UpsertDialect> QueryFragment<DB> for Excluded<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if DB::ON_DUPLICATE_KEY {
            out.push_sql("VALUES(");
            out.push_identifier(C::NAME)?;
            out.push_sql(")");
        } else {
            out.push_sql("excluded.");
            out.push_identifier(C::NAME)?;
        }
        Ok(())
    }
}

/// Inserts `$rows` into `$table`, updating `$set` (a changeset that may use [`excluded`]) where a
/// row collides with an existing one on the case-insensitive unique key of the text column
/// named `$column` (see [`CaseFolded`]), as `QueryResult<usize>`:
/// `ON CONFLICT ("col" COLLATE NOCASE)` on SQLite, `ON CONFLICT ((lower("col")))` on
/// PostgreSQL, `ON DUPLICATE KEY UPDATE` on MySQL — where the collision is with whichever unique
/// key the row meets, so the caller makes sure only that one can collide.
macro_rules! upsert {
    ($conn:expr, $table:expr, $rows:expr, on_folded: $column:literal, set: $set:expr) => {{
        use diesel::RunQueryDsl as _;
        use diesel::sql_types::Text;
        match $conn {
            $crate::backend::AnyConnection::Sqlite(c) => diesel::insert_into($table)
                .values($rows)
                .on_conflict(diesel::dsl::sql::<Text>(concat!(
                    "(\"",
                    $column,
                    "\" COLLATE NOCASE)"
                )))
                .do_update()
                .set($set)
                .execute(c),
            #[cfg(feature = "postgres")]
            $crate::backend::AnyConnection::Postgres(c) => diesel::insert_into($table)
                .values($rows)
                .on_conflict(diesel::dsl::sql::<Text>(concat!(
                    "((lower(\"",
                    $column,
                    "\")))"
                )))
                .do_update()
                .set($set)
                .execute(c),
            #[cfg(feature = "mysql")]
            $crate::backend::AnyConnection::Mysql(c) => diesel::insert_into($table)
                .values($rows)
                .on_conflict(diesel::dsl::DuplicatedKeys)
                .do_update()
                .set($set)
                .execute(c),
        }
    }};
}
pub(crate) use upsert;

// ---- ids and bulk inserts -------------------------------------------------------------------

/// The id the database assigned to this connection's last insert: `last_insert_rowid()`,
/// `lastval()` or `LAST_INSERT_ID()`. Per connection, so no other writer can race it.
pub(crate) trait LastInsertId {
    /// Reads it.
    fn last_insert_id(&mut self) -> QueryResult<i64>;
}

fn select_id<C>(conn: &mut C, sql: &str) -> QueryResult<i64>
where
    C: Connection,
    diesel::dsl::select<diesel::expression::SqlLiteral<diesel::sql_types::BigInt>>:
        diesel::query_dsl::LoadQuery<'static, C, i64>,
{
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(sql)).get_result(conn)
}

impl LastInsertId for diesel::SqliteConnection {
    fn last_insert_id(&mut self) -> QueryResult<i64> {
        select_id(self, "last_insert_rowid()")
    }
}

#[cfg(feature = "postgres")]
impl LastInsertId for diesel::PgConnection {
    fn last_insert_id(&mut self) -> QueryResult<i64> {
        select_id(self, "lastval()")
    }
}

#[cfg(feature = "mysql")]
impl LastInsertId for diesel::MysqlConnection {
    fn last_insert_id(&mut self) -> QueryResult<i64> {
        select_id(self, "LAST_INSERT_ID()")
    }
}

impl LastInsertId for AnyConnection {
    fn last_insert_id(&mut self) -> QueryResult<i64> {
        super::with_conn!(self, |c| c.last_insert_id())
    }
}

/// Rows written in one import past which it refreshes the table's planner statistics
/// ([`refresh_statistics`]): what a bulk load is, as `pg_restore` analyzes after one.
pub(crate) const BULK_ROWS: usize = 10_000;

/// Refreshes the planner's statistics of `table` after a bulk write, where the database would
/// otherwise plan on none for a while: PostgreSQL's `ANALYZE` (in the writer's transaction,
/// whose own rows it counts; rolled back with it), which autovacuum runs only a minute or so
/// later — until then a fresh table's estimates (a few hundred rows) made a filtered page of
/// 100,000 employees AND two bitmap index scans and sort 4,444 rows (8.6 ms) where, analyzed,
/// it walks the key and stops at the page's end (0.19 ms). MariaDB's InnoDB recounts by itself
/// after a tenth of a table changes (and its `ANALYZE TABLE` would commit the transaction);
/// SQLite plans without statistics unless a user runs `ANALYZE`, and none is asked for.
/// `table` is a model's table name, an identifier staffdb declared, never a user's text.
pub(crate) fn refresh_statistics(conn: &mut AnyConnection, table: &str) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            diesel::sql_query(format!("ANALYZE \"{}\"", table.replace('"', "\"\""))).execute(c)?;
            Ok(())
        }
        #[allow(unreachable_patterns)]
        _ => {
            // Read only in the PostgreSQL arm (absent from a build without it).
            let _ = table;
            Ok(())
        }
    }
}

/// [`LastInsertId::last_insert_id`] of `conn`.
pub(crate) fn last_insert_id(conn: &mut impl LastInsertId) -> QueryResult<i64> {
    conn.last_insert_id()
}

/// The most rows of `columns` columns one multi-row statement may carry on `backend`.
pub fn rows_per_statement(backend: Backend, columns: usize) -> usize {
    let bind_limit = match backend {
        Backend::Sqlite => 32_766,
        // Both count placeholders in a u16; MySQL's packet size (16 MiB by default) is far
        // from reached by rows of at most ~1.5 KB.
        Backend::Postgres | Backend::Mysql => 65_535,
    };
    // Stay well under MySQL's max_allowed_packet with 1.5 KB rows; SQLite and PostgreSQL gain
    // nothing measurable from bigger statements.
    (bind_limit / columns.max(1)).min(5_000)
}

/// Batches at least this large go to PostgreSQL through `COPY` (see [`insert_rows!`], and the
/// derive's `insert_batch`).
pub(crate) const COPY_THRESHOLD: usize = 500;

/// Rows per cached multi-row INSERT on SQLite and MySQL.
///
/// Measured on the employees workload (N = 100,000): on SQLite, re-preparing each chunk's
/// multi-row INSERT, and Diesel walking every row to learn that it cannot cache it, cost about
/// a quarter of `add_all`'s CPU time; on MariaDB the server-side prepare of a 5,000-row,
/// 45,000-placeholder statement per chunk made `add_all` slower than raw Diesel.
pub(crate) const ROWS_PER_CACHED_INSERT: usize = 256;

// ---- streaming reads ------------------------------------------------------------------------

/// True where [`stream_rows!`] streams: PostgreSQL, whose rows come as the server sends them
/// (libpq's single-row mode) while the server goes on producing the rest. A query read in
/// pages made the server wait while the client read a page and the client wait while the server
/// produced the next (N = 100,000: 1.24× the `postgres` crate's one streamed query). SQLite
/// steps its statements in this process and is paged at no cost; Diesel's MySQL driver stores a
/// whole result before its first row, so MySQL is paged to hold one page at a time.
pub(crate) fn streams_rows(backend: Backend) -> bool {
    cfg!(feature = "postgres") && backend == Backend::Postgres
}

/// Starts `$query` (built in `|$c| …`, as in `with_conn!`) on a backend that
/// [`streams_rows`], as a `QueryResult` of a boxed iterator of `Result<row, E>` for any `E` a
/// Diesel error converts into; on any other backend, a `QueryBuilderError` (a caller's mistake).
macro_rules! stream_rows {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::backend::AnyConnection::Postgres($c) => {
                use diesel::RunQueryDsl as _;
                $query
                    .load_iter::<_, diesel::pg::PgRowByRowLoadingMode>($c)
                    .map(|rows| Box::new(rows.map(|row| row.map_err(Into::into))) as _)
            }
            #[allow(unreachable_patterns)]
            _ => Err(diesel::result::Error::QueryBuilderError(
                "this backend's rows are read in pages".into(),
            )),
        }
    };
}
pub(crate) use stream_rows;
