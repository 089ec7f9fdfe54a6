//! Diesel as a user would write it without staffdb: the concrete connection, an `Insertable`
//! with `treat_none_as_default_value = false` sent in multi-row chunks, `load_iter`, one
//! statement per operation. It writes staffdb's real table, with the same columns staffdb
//! writes (version and both timestamps), so the ratio measures staffdb's own overhead.

use anyhow::{Result, ensure};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use staffdb::Backend;
use staffdb::schema::employees::{self as employees_table};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

/// Rows per INSERT statement (6 binds a row: well under every backend's limit).
const CHUNK: usize = 5_000;

#[derive(Insertable)]
#[diesel(table_name = employees_table, treat_none_as_default_value = false)]
struct NewRow<'a> {
    name: &'a str,
    age: i32,
    position: &'a str,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable)]
#[allow(dead_code)] // read as a user's model would be; only `age` is used
struct EmployeeRow {
    id: i64,
    name: String,
    age: i32,
    position: String,
    email: Option<String>,
    department_id: Option<i64>,
    hired_on: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// UTC now, to the microsecond, as staffdb stores it.
fn now() -> NaiveDateTime {
    crate::workload::now()
}

/// The workload on one concrete connection type: the same code for every backend.
macro_rules! workload_on {
    ($conn:ident, $workload:ident) => {{
        let conn = &mut $conn;
        let workload = $workload;
        let n = workload.len();
        let mut phases = Phases::new();
        use staffdb::schema::employees::dsl::*;

        phases.time(|| {
            let written = conn.transaction::<_, diesel::result::Error, _>(|c| {
                let now = now();
                let mut written = 0;
                let mut chunk: Vec<NewRow<'_>> = Vec::with_capacity(CHUNK);
                let mut rows = workload.iter().peekable();
                while rows.peek().is_some() {
                    chunk.clear();
                    chunk.extend(rows.by_ref().take(CHUNK).map(|row| NewRow {
                        name: row.name,
                        age: row.age,
                        position: row.position,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    }));
                    written += diesel::insert_into(employees).values(&chunk).execute(c)?;
                }
                Ok(written)
            })?;
            ensure!(written == n, "inserted {written} rows of {n}");
            Ok(())
        })?;
        let insert_rss = peak_rss_kib();
        drop(workload);
        let reset = reset_peak_rss();

        let out = phases.time(|| {
            let mut out = OutputHash::new();
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                let rows = employees
                    .select((id, name, age, position))
                    .order(id.asc())
                    .load_iter::<(i64, String, i32, String), DefaultLoadingMode>(c)?;
                for row in rows {
                    let (i, nm, a, p) = row?;
                    out.fields(i, &nm, a.into(), &p);
                }
                Ok(())
            })?;
            Ok(out)
        })?;

        phases.time(|| {
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                diesel::update(employees.filter(position.eq(UPD_SET_POSITION)))
                    .set((
                        age.eq(age + 1),
                        version.eq(version + 1),
                        updated_at.eq(now()),
                    ))
                    .execute(c)
            })?;
            Ok(())
        })?;

        phases.time(|| {
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                for key in upd_row_ids(n) {
                    let row: EmployeeRow = employees.find(key).first(c)?;
                    diesel::update(employees.find(key))
                        .set((
                            age.eq(row.age + 1),
                            position.eq(UPD_ROW_POSITION),
                            version.eq(version + 1),
                            updated_at.eq(now()),
                        ))
                        .execute(c)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;

        phases.time(|| {
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                diesel::delete(employees.filter(age.gt(DELETE_ABOVE_AGE))).execute(c)
            })?;
            Ok(())
        })?;

        let count: i64 = phases.time(|| Ok(employees.count().get_result(conn)?))?;

        Ok(phases.outcome(&out, count, insert_rss, reset))
    }};
}

pub(super) fn run(url: &str, workload: Workload) -> Result<Outcome> {
    match super::backend_of(url)? {
        Backend::Sqlite => {
            use diesel::connection::SimpleConnection;
            let mut conn = SqliteConnection::establish(super::sqlite_path(url)?)?;
            // staffdb's pragmas, so that only the code differs.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA synchronous = NORMAL; PRAGMA journal_mode = WAL;",
            )?;
            workload_on!(conn, workload)
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&super::driver_url(url))?;
            if super::transaction_pooled(url) {
                // What a Diesel user behind PgBouncer in transaction mode must do: no statement
                // prepared under a name (`__diesel_stmt_N`) that another server connection may
                // not know or know as another query.
                conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
            }
            workload_on!(conn, workload)
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let mut conn = MysqlConnection::establish(url)?;
            workload_on!(conn, workload)
        }
        #[allow(unreachable_patterns)]
        backend => anyhow::bail!("built without {backend} support"),
    }
}
