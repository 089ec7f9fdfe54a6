//! The SQLite floor: rusqlite, prepared statements, one transaction per phase, staffdb's table
//! and pragmas. Timestamps are formatted once, as Diesel would store them (`%F %T%.f`).

use anyhow::{Result, ensure};
use rusqlite::{Connection, TransactionBehavior, params};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

fn now_text() -> String {
    staffdb::models::now().format("%F %T%.f").to_string()
}

pub(super) fn run(path: &str, workload: Workload) -> Result<Outcome> {
    let n = workload.len();
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
    )?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    ensure!(mode.eq_ignore_ascii_case("wal"), "journal_mode is {mode}");
    let mut phases = Phases::new();

    phases.time(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let now = now_text();
            let mut insert = tx.prepare(
                "INSERT INTO employees (name, age, position, version, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, 1, ?4, ?4)",
            )?;
            for row in workload.iter() {
                insert.execute(params![row.name, row.age, row.position, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    })?;
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
        tx.execute(
            "UPDATE employees SET age = age + 1, version = version + 1, updated_at = ?1 \
             WHERE position = ?2",
            params![now_text(), UPD_SET_POSITION],
        )?;
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut select =
                tx.prepare("SELECT id, name, age, position FROM employees WHERE id = ?1")?;
            let mut update = tx.prepare(
                "UPDATE employees SET age = ?1, position = ?2, version = version + 1, \
                 updated_at = ?3 WHERE id = ?4",
            )?;
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
