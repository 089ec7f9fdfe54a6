//! The PostgreSQL floor: the `postgres` crate, binary `COPY` for the insert, prepared statements
//! for the rest, one transaction per phase, staffdb's table.

use anyhow::{Context, Result, ensure};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, NoTls};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

fn connect(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).with_context(|| format!("cannot connect to {url}"))
}

/// Drops and creates the database the URL names, through the `postgres` maintenance database of
/// `admin`'s server (a direct URL of the server behind a pooler), or else of `url`'s.
pub(super) fn recreate_database(url: &str, admin: Option<&str>) -> Result<()> {
    let name = super::database_name(&url::Url::parse(url)?)?;
    let mut admin_url = url::Url::parse(&super::driver_url(admin.unwrap_or(url)))?;
    admin_url.set_path("/postgres");
    let mut admin = connect(admin_url.as_str())?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
    Ok(())
}

pub(super) fn server_version(url: &str) -> Result<String> {
    let mut admin_url = url::Url::parse(url)?;
    admin_url.set_path("/postgres");
    // A simple query, not a prepared one: behind a transaction pooler the statement's name
    // would outlive this connection on a server connection that the next client gets.
    let version = connect(admin_url.as_str())?
        .simple_query("SHOW server_version")?
        .into_iter()
        .find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .context("SHOW server_version gave no row")?;
    Ok(format!("PostgreSQL {version}"))
}

/// The version a PgBouncer in front of the server says it is (`SHOW VERSION` on its admin
/// console, the database `pgbouncer` of `url`'s host), or `None` when nothing answers so.
pub(super) fn pooler_version(url: &str) -> Option<String> {
    let mut console = url::Url::parse(url).ok()?;
    console.set_path("/pgbouncer");
    console.set_query(None);
    let mut client = connect(console.as_str()).ok()?;
    // The console speaks the simple query protocol only.
    client
        .simple_query("SHOW VERSION")
        .ok()?
        .into_iter()
        .find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
}

pub(super) fn run(url: &str, workload: Workload) -> Result<Outcome> {
    // The `postgres` crate prepares every statement under a name (`s0`, `s1`, …) in one round
    // trip and closes it later in another; behind a transaction pooler those land on whichever
    // server connection is free, where the name is unknown or already another statement's.
    ensure!(
        !super::transaction_pooled(url),
        "the floor (the `postgres` crate's named prepared statements) cannot run through a \
         transaction pooler"
    );
    let n = workload.len();
    let mut client = connect(url)?;
    let mut phases = Phases::new();

    phases.time(|| {
        let mut tx = client.transaction()?;
        let now = crate::workload::now().and_utc();
        let sink = tx.copy_in(
            "COPY employees (name, age, position, version, created_at, updated_at) \
             FROM STDIN (FORMAT binary)",
        )?;
        let types = [
            Type::TEXT,
            Type::INT4,
            Type::TEXT,
            Type::INT4,
            Type::TIMESTAMPTZ,
            Type::TIMESTAMPTZ,
        ];
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in workload.iter() {
            writer.write(&[&row.name, &row.age, &row.position, &1i32, &now, &now])?;
        }
        let written = writer.finish()?;
        tx.commit()?;
        ensure!(written == n as u64, "COPY wrote {written} rows of {n}");
        Ok(())
    })?;
    let insert_rss = peak_rss_kib();
    drop(workload);
    let reset = reset_peak_rss();

    let out = phases.time(|| {
        let mut tx = client.transaction()?;
        let mut out = OutputHash::new();
        {
            let mut rows = tx.query_raw(
                "SELECT id, name, age, position FROM employees ORDER BY id",
                std::iter::empty::<i32>(),
            )?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.try_get(0)?;
                let name: &str = row.try_get(1)?;
                let age: i32 = row.try_get(2)?;
                let position: &str = row.try_get(3)?;
                out.fields(id, name, age.into(), position);
            }
        }
        tx.commit()?;
        Ok(out)
    })?;

    phases.time(|| {
        let mut tx = client.transaction()?;
        tx.execute(
            "UPDATE employees SET age = age + 1, version = version + 1, updated_at = $1 \
             WHERE position = $2",
            &[&crate::workload::now().and_utc(), &UPD_SET_POSITION],
        )?;
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut tx = client.transaction()?;
        let select = tx.prepare("SELECT id, name, age, position FROM employees WHERE id = $1")?;
        let update = tx.prepare(
            "UPDATE employees SET age = $1, position = $2, version = version + 1, \
             updated_at = $3 WHERE id = $4",
        )?;
        for id in upd_row_ids(n) {
            let age: i32 = tx.query_one(&select, &[&id])?.try_get(2)?;
            tx.execute(
                &update,
                &[
                    &(age + 1),
                    &UPD_ROW_POSITION,
                    &crate::workload::now().and_utc(),
                    &id,
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut tx = client.transaction()?;
        tx.execute("DELETE FROM employees WHERE age > $1", &[&DELETE_ABOVE_AGE])?;
        tx.commit()?;
        Ok(())
    })?;

    let count: i64 = phases.time(|| {
        Ok(client
            .query_one("SELECT count(*) FROM employees", &[])?
            .try_get(0)?)
    })?;

    Ok(phases.outcome(&out, count, insert_rss, reset))
}
