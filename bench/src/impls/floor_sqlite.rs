//! The SQLite floor: rusqlite, prepared statements (the insert 256 rows a statement), one
//! transaction per phase, staffdb's table and pragmas. Timestamps are formatted once, as Diesel would store them (`%F %T%.f`).
//!
//! The same code also runs on the tutorial's own table ([`Table::Tutorial`]: id, name, age,
//! position; no index, no bookkeeping), the table the SQLAlchemy references write. That run is a
//! yardstick, not a floor: it shows what staffdb's real table costs before any library runs.

use anyhow::{Result, ensure};
use rusqlite::{Connection, TransactionBehavior, params};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

fn now_text() -> String {
    crate::workload::now().format("%F %T%.f").to_string()
}

/// Rows a prepared INSERT carries: one statement per row would pay a statement's set-up per
/// row, which no fast client does.
const ROWS_PER_INSERT: usize = 256;

/// `INSERT … VALUES (…), (…)` of `rows` rows into `table`.
fn insert_sql(table: Table, rows: usize) -> String {
    let (head, values) = match table {
        Table::Staffdb => (
            "INSERT INTO employees (name, age, position, version, created_at, updated_at) VALUES ",
            "(?, ?, ?, 1, ?, ?)",
        ),
        Table::Tutorial => (
            "INSERT INTO employees (name, age, position) VALUES ",
            "(?, ?, ?)",
        ),
    };
    format!("{head}{}", vec![values; rows].join(", "))
}

/// The insert phase: every row in one transaction, [`ROWS_PER_INSERT`] rows a statement.
fn insert_all(conn: &mut Connection, workload: &Workload, table: Table) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let now = now_text();
        let mut full = tx.prepare(&insert_sql(table, ROWS_PER_INSERT))?;
        let rows: Vec<_> = workload.iter().collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 5);
            for row in chunk {
                values.extend([&row.name as &dyn rusqlite::ToSql, &row.age, &row.position]);
                if table == Table::Staffdb {
                    values.extend([&now as &dyn rusqlite::ToSql, &now]);
                }
            }
            let params = rusqlite::params_from_iter(values);
            if chunk.len() == ROWS_PER_INSERT {
                full.execute(params)?;
            } else {
                tx.prepare(&insert_sql(table, chunk.len()))?
                    .execute(params)?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Which table the floor writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    /// staffdb's migrated `employees` table, with its version and timestamps.
    Staffdb,
    /// The tutorial's four columns, created here as SQLAlchemy's script creates its table.
    Tutorial,
}

/// The statements of each phase that differ between the two tables. The updates take the same
/// numbered parameters on both (SQLite allows an unused `?3`), so one call binds either.
struct Statements {
    upd_set: &'static str,
    upd_row: &'static str,
}

impl Table {
    fn statements(self) -> Statements {
        match self {
            Table::Staffdb => Statements {
                upd_set: "UPDATE employees SET age = age + 1, version = version + 1, updated_at = ?1 \
                          WHERE position = ?2",
                upd_row: "UPDATE employees SET age = ?1, position = ?2, version = version + 1, \
                          updated_at = ?3 WHERE id = ?4",
            },
            Table::Tutorial => Statements {
                upd_set: "UPDATE employees SET age = age + 1 WHERE position = ?2",
                upd_row: "UPDATE employees SET age = ?1, position = ?2 WHERE id = ?4",
            },
        }
    }
}

pub(super) fn run(path: &str, workload: Workload, table: Table) -> Result<Outcome> {
    let n = workload.len();
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
    )?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    ensure!(mode.eq_ignore_ascii_case("wal"), "journal_mode is {mode}");
    if table == Table::Tutorial {
        conn.execute_batch(
            "CREATE TABLE employees (id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, \
             age INTEGER NOT NULL, position TEXT NOT NULL)",
        )?;
    }
    let sql = table.statements();
    let mut phases = Phases::new();

    phases.time(|| insert_all(&mut conn, &workload, table))?;
    let insert_rss = peak_rss_kib();
    drop(workload);
    let reset = reset_peak_rss();

    let out = phases.time(|| {
        let tx = conn.transaction()?;
        let mut out = OutputHash::new();
        {
            let mut select =
                tx.prepare("SELECT id, name, age, position FROM employees ORDER BY id")?;
            let mut rows = select.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let name = row.get_ref(1)?.as_str()?;
                let age: i64 = row.get(2)?;
                let position = row.get_ref(3)?.as_str()?;
                out.fields(id, name, age, position);
            }
        }
        tx.commit()?;
        Ok(out)
    })?;

    phases.time(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(sql.upd_set, params![now_text(), UPD_SET_POSITION])?;
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut select =
                tx.prepare("SELECT id, name, age, position FROM employees WHERE id = ?1")?;
            let mut update = tx.prepare(sql.upd_row)?;
            for id in upd_row_ids(n) {
                let age: i64 = select.query_row([id], |r| r.get(2))?;
                update.execute(params![age + 1, UPD_ROW_POSITION, now_text(), id])?;
            }
        }
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM employees WHERE age > ?1", [DELETE_ABOVE_AGE])?;
        tx.commit()?;
        Ok(())
    })?;

    let count: i64 =
        phases.time(|| Ok(conn.query_row("SELECT count(*) FROM employees", [], |r| r.get(0))?))?;

    Ok(phases.outcome(&out, count, insert_rss, reset))
}
