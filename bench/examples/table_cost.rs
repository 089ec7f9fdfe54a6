//! What each part of staffdb's SQLite table costs the floor's insert and delete phases.
//!
//! The floor's own code (rusqlite, one prepared INSERT a row, one transaction) writes N rows
//! into variants of the `employees` table, edited from its SQLite migration down to the same
//! columns with no index and no constraint, and then runs the workload's delete. Medians of the
//! rounds.
//!
//! ```text
//! cargo run --release -p staffdb-bench --example table_cost -- 100000 5
//! ```

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use rusqlite::{Connection, params};
use staffdb_bench::Workload;
use staffdb_bench::report::median;

/// staffdb's `employees` migration, as `staffdb` and `diesel migration run` apply it.
const MIGRATION: &str =
    include_str!("../../migrations/sqlite/2026-11-24-000002_create_employees/up.sql");
const DEPARTMENTS: &str =
    include_str!("../../migrations/sqlite/2026-11-24-000001_create_departments/up.sql");

const EMAIL_UNIQUE: &str = "email TEXT UNIQUE,";
const POSITION_INDEX: &str = "CREATE INDEX employees_position_idx ON employees (position);";
const DEPARTMENT_INDEX: &str =
    "CREATE INDEX employees_department_id_idx ON employees (department_id);";

/// `text` with each `(from, to)` replaced; an error if the migration no longer holds `from`.
fn edit(text: &str, edits: &[(&str, &str)]) -> Result<String> {
    edits.iter().try_fold(text.to_owned(), |text, (from, to)| {
        ensure!(
            text.contains(from),
            "the migration no longer contains `{from}`"
        );
        Ok(text.replace(from, to))
    })
}

fn variants() -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        (
            "migrated table (email UNIQUE, position and department indexes)",
            MIGRATION.to_owned(),
        ),
        (
            "email and department indexes partial (WHERE … IS NOT NULL)",
            edit(
                MIGRATION,
                &[
                    (EMAIL_UNIQUE, "email TEXT,"),
                    (
                        DEPARTMENT_INDEX,
                        "CREATE INDEX employees_department_id_idx ON employees (department_id) \
                         WHERE department_id IS NOT NULL; \
                         CREATE UNIQUE INDEX employees_email_key ON employees (email) \
                         WHERE email IS NOT NULL;",
                    ),
                ],
            )?,
        ),
        (
            "email UNIQUE only",
            edit(MIGRATION, &[(POSITION_INDEX, ""), (DEPARTMENT_INDEX, "")])?,
        ),
        (
            "position index only",
            edit(
                MIGRATION,
                &[(EMAIL_UNIQUE, "email TEXT,"), (DEPARTMENT_INDEX, "")],
            )?,
        ),
        (
            "no index",
            edit(
                MIGRATION,
                &[
                    (EMAIL_UNIQUE, "email TEXT,"),
                    (POSITION_INDEX, ""),
                    (DEPARTMENT_INDEX, ""),
                ],
            )?,
        ),
        (
            "no index, no AUTOINCREMENT, CHECK or foreign key",
            "CREATE TABLE employees (id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, \
             age INTEGER NOT NULL, position TEXT NOT NULL, email TEXT, department_id INTEGER, \
             hired_on DATE, version INTEGER NOT NULL DEFAULT 1, created_at TIMESTAMP NOT NULL, \
             updated_at TIMESTAMP NOT NULL);"
                .into(),
        ),
    ])
}

/// Seconds of the insert and the delete phase on a fresh file.
fn run_once(path: &str, ddl: &str, workload: &Workload) -> Result<(f64, f64)> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA journal_mode = WAL;",
    )?;
    conn.execute_batch(DEPARTMENTS)?;
    conn.execute_batch(ddl)?;
    let now = staffdb_bench::workload::now()
        .format("%F %T%.f")
        .to_string();
    let start = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO employees (name, age, position, version, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 1, ?4, ?4)",
        )?;
        for row in workload.iter() {
            insert.execute(params![row.name, row.age, row.position, now])?;
        }
    }
    tx.commit()?;
    let insert = start.elapsed().as_secs_f64();
    let start = Instant::now();
    conn.execute("DELETE FROM employees WHERE age > 60", [])?;
    Ok((insert, start.elapsed().as_secs_f64()))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let workload = Workload::generate(rows);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("table_cost.db");
    let path = path.to_str().context("temp path is not UTF-8")?;
    let variants = variants()?;
    let mut seconds = vec![(Vec::new(), Vec::new()); variants.len()];
    for _ in 0..rounds {
        for ((_, ddl), (inserts, deletes)) in variants.iter().zip(&mut seconds) {
            let (insert, delete) = run_once(path, ddl, &workload)?;
            inserts.push(insert);
            deletes.push(delete);
        }
    }
    println!("| table ({rows} rows, median of {rounds}) | insert | delete |\n|---|---:|---:|");
    for ((name, _), (inserts, deletes)) in variants.iter().zip(&seconds) {
        println!(
            "| {name} | {:.3} | {:.3} |",
            median(inserts),
            median(deletes)
        );
    }
    Ok(())
}
