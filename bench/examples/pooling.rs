//! What transaction pooling costs (issue 23): the same small transactions on rigs/replicas'
//! primary directly with Diesel's statement cache (`pool_mode=session`), directly with
//! transaction pooling on (`pool_mode=transaction`), and through rigs/pgbouncer (transaction
//! mode, 4 server connections) with it on.
//!
//! 8 threads share one `Database` (8 connections) for the given seconds: a write is
//! `db.transaction(|s| { add; get_one })`, a read is a `read_session` and a `get_one` of a random
//! row. Every round starts from a fresh database; medians of the rounds.
//!
//! ```text
//! rigs/pgbouncer up
//! cargo run --release -p staffdb-bench --features servers --example pooling -- 10 3
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use staffdb::{Database, EmployeeId, NewEmployee, OpenOptions};
use staffdb_bench::report::median;

const THREADS: usize = 8;
const SERVER: &str = "postgres://staffdb:staffdb@127.0.0.1:5442";
const CONFIGS: [(&str, &str, &str); 3] = [
    (
        "direct, statement cache on",
        "127.0.0.1:5442",
        "pool_mode=session",
    ),
    (
        "direct, transaction pooling",
        "127.0.0.1:5442",
        "pool_mode=transaction",
    ),
    (
        "PgBouncer (transaction mode, 4 server connections), transaction pooling",
        "127.0.0.1:6432",
        "pool_mode=transaction",
    ),
];

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(Ok(10), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    println!("| path | write transactions/s | reads/s | failed |");
    println!("|---|---:|---:|---:|");
    for (label, host, parameter) in CONFIGS {
        let (mut writes, mut reads, mut failed) = (Vec::new(), Vec::new(), 0);
        for round in 0..rounds {
            let name = format!("staffdb_pooling_{round}");
            psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
            psql(&format!("CREATE DATABASE {name}"))?;
            let url = format!("postgres://staffdb:staffdb@{host}/{name}?{parameter}");
            let db = OpenOptions::new()
                .max_connections(THREADS as u32)
                .open(&url)?;
            let (w, f1) = run(&db, Duration::from_secs(seconds), None)?;
            let rows = (w * seconds as f64) as i64;
            let (r, f2) = run(&db, Duration::from_secs(seconds), Some(rows.max(1)))?;
            writes.push(w);
            reads.push(r);
            failed += f1 + f2;
            drop(db);
            psql(&format!("DROP DATABASE {name} WITH (FORCE)"))?;
        }
        println!(
            "| {label} | {:.0} | {:.0} | {failed} |",
            median(&writes),
            median(&reads)
        );
    }
    Ok(())
}

fn psql(sql: &str) -> Result<()> {
    let status = std::process::Command::new("psql")
        .args([&format!("{SERVER}/postgres"), "-qXc", sql])
        .status()
        .context("psql")?;
    ensure!(status.success(), "psql -c {sql:?} failed");
    Ok(())
}

/// Operations per second over `THREADS` threads for `run_for`, and how many failed: writes, or
/// with `Some(rows)` reads of ids up to `rows`.
fn run(db: &Database, run_for: Duration, read_rows: Option<i64>) -> Result<(f64, u64)> {
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (db, done, failed) = (db.clone(), &done, &failed);
            scope.spawn(move || {
                let mut i = 0u64;
                while started.elapsed() < run_for {
                    i += 1;
                    let outcome = if let Some(top) = read_rows {
                        db.read_session().and_then(|mut s| {
                            match s.get_one(EmployeeId(fastrand::i64(1..=top))) {
                                Err(staffdb::Error::NotFound { .. }) => Ok(()),
                                other => other.map(drop),
                            }
                        })
                    } else {
                        db.transaction(|s| {
                            let added =
                                s.add(&NewEmployee::new(format!("T{thread}-{i}"), 30, "Dev"))?;
                            s.get_one(added.id).map(drop)
                        })
                    };
                    match outcome {
                        Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        done.load(Ordering::Relaxed) as f64 / seconds,
        failed.load(Ordering::Relaxed),
    ))
}
