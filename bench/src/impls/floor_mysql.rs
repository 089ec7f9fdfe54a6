//! The MySQL / MariaDB floor: the `mysql` crate, multi-row prepared INSERTs, prepared statements
//! for the rest (binary protocol), one transaction per phase, staffdb's table.

use anyhow::{Context, Result, bail, ensure};
use chrono::{Datelike, NaiveDateTime, Timelike};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, Params, TxOpts, Value};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

/// Rows per INSERT: 5 placeholders a row, far below the 65,535 limit and max_allowed_packet.
const CHUNK: usize = 5_000;

fn connect(url: &str) -> Result<Conn> {
    let opts = Opts::from_url(url).with_context(|| format!("bad MySQL URL {url}"))?;
    Conn::new(opts).with_context(|| format!("cannot connect to {url}"))
}

/// Drops and creates the database the URL names.
pub(super) fn recreate_database(url: &str) -> Result<()> {
    let mut admin_url = url::Url::parse(url)?;
    let name = super::database_name(&admin_url)?;
    admin_url.set_path("/");
    let mut admin = connect(admin_url.as_str())?;
    admin.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))?;
    admin.query_drop(format!("CREATE DATABASE `{name}`"))?;
    Ok(())
}

pub(super) fn server_version(url: &str) -> Result<String> {
    let mut admin_url = url::Url::parse(url)?;
    admin_url.set_path("/");
    let version: Option<String> = connect(admin_url.as_str())?.query_first("SELECT VERSION()")?;
    Ok(format!("MySQL/MariaDB {}", version.unwrap_or_default()))
}

fn timestamp(t: NaiveDateTime) -> Value {
    Value::Date(
        t.year() as u16,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        t.nanosecond() / 1_000,
    )
}

fn text(value: Option<&Value>) -> Result<&str> {
    match value {
        Some(Value::Bytes(bytes)) => Ok(std::str::from_utf8(bytes)?),
        other => bail!("expected text, got {other:?}"),
    }
}

fn int(value: Option<&Value>) -> Result<i64> {
    match value {
        Some(Value::Int(v)) => Ok(*v),
        Some(Value::UInt(v)) => Ok(i64::try_from(*v)?),
        other => bail!("expected an integer, got {other:?}"),
    }
}

fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO employees (name, age, position, version, created_at, updated_at) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?, ?, ?, 1, ?, ?)");
    }
    sql
}

pub(super) fn run(url: &str, workload: Workload) -> Result<Outcome> {
    let n = workload.len();
    let mut conn = connect(url)?;
    let mut phases = Phases::new();

    phases.time(|| {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        let now = timestamp(crate::workload::now());
        let full = tx.prep(insert_sql(CHUNK))?;
        let mut params: Vec<Value> = Vec::with_capacity(CHUNK * 5);
        let mut rows = workload.iter().peekable();
        while rows.peek().is_some() {
            params.clear();
            let mut in_chunk = 0;
            for row in rows.by_ref().take(CHUNK) {
                params.push(Value::from(row.name));
                params.push(Value::Int(row.age.into()));
                params.push(Value::from(row.position));
                params.push(now.clone());
                params.push(now.clone());
                in_chunk += 1;
            }
            let batch = std::mem::take(&mut params);
            if in_chunk == CHUNK {
                tx.exec_drop(&full, Params::Positional(batch))?;
            } else {
                tx.exec_drop(insert_sql(in_chunk), Params::Positional(batch))?;
            }
        }
        tx.commit()?;
        Ok(())
    })?;
    let insert_rss = peak_rss_kib();
    drop(workload);
    let reset = reset_peak_rss();

    let out = phases.time(|| {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        let mut out = OutputHash::new();
        {
            let select = tx.prep("SELECT id, name, age, position FROM employees ORDER BY id")?;
            for row in tx.exec_iter(&select, ())? {
                let row = row?;
                out.fields(
                    int(row.as_ref(0))?,
                    text(row.as_ref(1))?,
                    int(row.as_ref(2))?,
                    text(row.as_ref(3))?,
                );
            }
        }
        tx.commit()?;
        Ok(out)
    })?;

    phases.time(|| {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        tx.exec_drop(
            "UPDATE employees SET age = age + 1, version = version + 1, updated_at = ? \
             WHERE position = ?",
            (timestamp(crate::workload::now()), UPD_SET_POSITION),
        )?;
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        let select = tx.prep("SELECT id, name, age, position FROM employees WHERE id = ?")?;
        let update = tx.prep(
            "UPDATE employees SET age = ?, position = ?, version = version + 1, \
             updated_at = ? WHERE id = ?",
        )?;
        for id in upd_row_ids(n) {
            let row: Option<mysql::Row> = tx.exec_first(&select, (id,))?;
            let age = int(row.as_ref().and_then(|r| r.as_ref(2)))?;
            tx.exec_drop(
                &update,
                (
                    age + 1,
                    UPD_ROW_POSITION,
                    timestamp(crate::workload::now()),
                    id,
                ),
            )?;
        }
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        tx.exec_drop("DELETE FROM employees WHERE age > ?", (DELETE_ABOVE_AGE,))?;
        tx.commit()?;
        Ok(())
    })?;

    let count: i64 = phases.time(|| {
        let count: Option<i64> = conn.query_first("SELECT count(*) FROM employees")?;
        count.context("count(*) returned no row")
    })?;
    ensure!(count >= 0);

    Ok(phases.outcome(&out, count, insert_rss, reset))
}
