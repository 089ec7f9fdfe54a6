//! Throughput on the rigs (`rigs/galera`, `rigs/replicas`): writes with writers on 1, 2 and 3
//! Galera nodes and the conflict-retry rate, and reads with 0, 1 and 2 PostgreSQL standbys.
//!
//! Writes: 8 threads, each with a `Database` of its own on node `thread % nodes`, run
//! `db.transaction(|s| s.update(id, …))` on rows picked at random, for the given seconds; once over
//! 10,000 rows (few conflicts) and once over 10 hot rows (many). Reads: 8 threads, each a
//! `read_session` and a `get` of a random row, on a `Database` whose read URL names 0, 1 or 2
//! standbys. Every round starts from a fresh database; medians of the rounds.
//!
//! ```text
//! rigs/galera up && rigs/replicas up
//! cargo run --release -p staffdb-bench --features servers --example cluster -- 10 3
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use staffdb::{Database, EmployeeChanges, EmployeeId, NewEmployee, OpenOptions};
use staffdb_bench::report::median;

const THREADS: usize = 8;
const GALERA: [&str; 3] = ["127.0.0.1:3311", "127.0.0.1:3312", "127.0.0.1:3313"];
const PRIMARY: &str = "127.0.0.1:5442";
const STANDBYS: [&str; 2] = ["127.0.0.1:5443", "127.0.0.1:5444"];

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(Ok(10), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let run_for = Duration::from_secs(seconds);
    println!("| workload | servers | commits or reads /s | retries per 100 commits |");
    println!("|---|---|---:|---:|");
    for rows in [10_000, 10] {
        for nodes in 1..=3 {
            let mut rates = Vec::new();
            let mut retries = Vec::new();
            for round in 0..rounds {
                let (rate, retry) = writes(nodes, rows, run_for, round)?;
                rates.push(rate);
                retries.push(retry);
            }
            println!(
                "| update, {rows} rows | writers on {nodes} Galera node{} | {:.0} | {:.1} |",
                if nodes == 1 { "" } else { "s" },
                median(&rates),
                median(&retries)
            );
        }
    }
    for standbys in 0..=2 {
        let mut rates = Vec::new();
        for round in 0..rounds {
            rates.push(reads(standbys, run_for, round)?);
        }
        let servers = match standbys {
            0 => "the primary".to_owned(),
            n => format!("{n} standby{}", if n == 1 { "" } else { "s" }),
        };
        println!(
            "| read session + get | reads on {servers} | {:.0} | |",
            median(&rates)
        );
    }
    Ok(())
}

/// Commits per second and retries per 100 commits, with writers spread over `nodes` nodes.
fn writes(nodes: usize, rows: i64, run_for: Duration, round: usize) -> Result<(f64, f64)> {
    let name = format!(
        "bench_cluster_w{nodes}_{rows}_{round}_{}",
        std::process::id()
    );
    let url = |host: &str| format!("mysql://staffdb:staffdb@{host}/{name}");
    admin_mysql(&format!(
        "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"
    ))?;
    std::thread::sleep(Duration::from_millis(200)); // the CREATE reaches the other nodes
    let seed = Database::open(&url(GALERA[0])).context("open node 1")?;
    let ids: Vec<EmployeeId> = seed
        .transaction(|s| {
            s.add_all((0..rows).map(|i| NewEmployee::new(format!("E{i}"), 30, "Clerk")))?;
            Ok(())
        })
        .and_then(|()| {
            let mut s = seed.session()?;
            s.run(|c| {
                use staffdb::diesel::prelude::*;
                use staffdb::schema::employees::dsl as e;
                e::employees.select(e::id).load::<i64>(c)
            })
        })?
        .into_iter()
        .map(EmployeeId)
        .collect();
    let commits = AtomicU64::new(0);
    let attempts = AtomicU64::new(0);
    let deadline = Instant::now() + run_for;
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (ids, commits, attempts, url) = (&ids, &commits, &attempts, &url);
                scope.spawn(move || -> Result<()> {
                    let db = OpenOptions::new()
                        .max_connections(1)
                        .open(&url(GALERA[t % nodes]))?;
                    while Instant::now() < deadline {
                        let id = ids[fastrand::usize(..ids.len())];
                        let changes = EmployeeChanges {
                            age: Some(fastrand::i32(18..=65)),
                            ..Default::default()
                        };
                        let updated = db.transaction(|s| {
                            attempts.fetch_add(1, Ordering::Relaxed);
                            s.update(id, &changes)
                        });
                        if updated.is_ok() {
                            commits.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
        }
        Ok(())
    })?;
    drop(seed);
    admin_mysql(&format!("DROP DATABASE {name}"))?;
    let commits = commits.into_inner() as f64;
    let retries = attempts.into_inner() as f64 - commits;
    Ok((
        commits / run_for.as_secs_f64(),
        100.0 * retries / commits.max(1.0),
    ))
}

/// Read sessions (each a `get`) per second, with reads on `standbys` standbys.
fn reads(standbys: usize, run_for: Duration, round: usize) -> Result<f64> {
    let name = format!("bench_cluster_r{standbys}_{round}_{}", std::process::id());
    let url = |hosts: &str| format!("postgres://staffdb:staffdb@{hosts}/{name}");
    admin_postgres(&format!("CREATE DATABASE {name}"))?;
    const ROWS: i64 = 10_000;
    {
        let db = Database::open(&url(PRIMARY))?;
        db.transaction(|s| {
            s.add_all((0..ROWS).map(|i| NewEmployee::new(format!("E{i}"), 30, "Clerk")))
        })?;
    }
    std::thread::sleep(Duration::from_millis(500)); // the standbys replay the rows
    let reads = AtomicU64::new(0);
    let deadline = Instant::now() + run_for;
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (reads, url) = (&reads, &url);
                scope.spawn(move || -> Result<()> {
                    let mut options = OpenOptions::new().max_connections(1);
                    if standbys > 0 {
                        let hosts = STANDBYS[..standbys].join(",");
                        let read_url = format!("{}?load_balance_hosts=random", url(&hosts));
                        options = options.read_url(read_url);
                    }
                    let db = options.open(&url(PRIMARY))?;
                    while Instant::now() < deadline {
                        let mut s = db.read_session()?;
                        let found = s.get(EmployeeId(fastrand::i64(1..=ROWS)))?;
                        anyhow::ensure!(found.is_some(), "a seeded row is missing");
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a reader panicked"))??;
        }
        Ok(())
    })?;
    admin_postgres(&format!("DROP DATABASE {name} WITH (FORCE)"))?;
    Ok(reads.into_inner() as f64 / run_for.as_secs_f64())
}

fn admin_mysql(sql: &str) -> Result<()> {
    use staffdb::diesel::connection::SimpleConnection;
    use staffdb::diesel::{Connection, MysqlConnection};
    let mut conn =
        MysqlConnection::establish(&format!("mysql://staffdb:staffdb@{}/staffdb", GALERA[0]))?;
    Ok(conn.batch_execute(sql)?)
}

fn admin_postgres(sql: &str) -> Result<()> {
    use staffdb::diesel::connection::SimpleConnection;
    use staffdb::diesel::{Connection, PgConnection};
    let mut conn =
        PgConnection::establish(&format!("postgres://staffdb:staffdb@{PRIMARY}/postgres"))?;
    Ok(conn.batch_execute(sql)?)
}
