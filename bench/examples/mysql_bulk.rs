//! How fast a client can bulk-load MariaDB's `employees` (issue 27, item 5): staffdb's
//! `add_all`, which `staffdb import` writes with (256-row multi-row INSERTs through Diesel's
//! prepared statements, as measured best in BENCHMARKS.md), beside the `mysql` crate's 5,000-row
//! prepared INSERTs (the harness's floor) and `LOAD DATA LOCAL INFILE` fed from memory by the
//! `mysql` crate — each in one transaction, on a fresh, migrated database (the table staffdb
//! writes, with its indexes and history triggers), interleaved over the rounds.
//!
//! `LOCAL INFILE` lets the server ask the client for a file by name. The `mysql` crate's default
//! handler would read any file it names, relative to the current directory; this one serves
//! only the buffer it was given, and only under the one name the statement gave, and refuses
//! anything else. With `LOCAL`, a duplicate key is a warning and its line skipped (the server
//! cannot stop the transfer), so the load counts its rows and warnings and rolls back on
//! either; after the rounds, the example checks that a load whose last row repeats an email
//! leaves nothing behind: all or nothing, as an import must be.
//!
//! ```text
//! cargo run --release -p staffdb-bench --features servers --example mysql_bulk -- 100000 5 \
//!     mysql://root@127.0.0.1/staffdb_bulk
//! ```

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use mysql::prelude::Queryable;
use mysql::{Conn, LocalInfileHandler, Opts, OptsBuilder, Params, TxOpts, Value};
use staffdb::{Database, NewEmployee};
use staffdb_bench::report::{Spread, median, secs};
use staffdb_bench::workload::{measure_server, server_cpu_seconds};
use staffdb_bench::{Workload, fresh_database};

/// The one name a `LOAD DATA LOCAL` of this example asks for.
const INFILE: &str = "staffdb-import";

/// Rows per prepared INSERT of the `mysql` crate, as the harness's floor sends them.
const CHUNK: usize = 5_000;

/// The ways of loading the rows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Staffdb,
    Inserts,
    LoadData,
}

impl Method {
    const ALL: [Method; 3] = [Method::Staffdb, Method::Inserts, Method::LoadData];

    fn describe(self) -> &'static str {
        match self {
            Method::Staffdb => "staffdb `add_all` (256-row prepared INSERTs through Diesel)",
            Method::Inserts => "`mysql` crate: 5,000-row prepared INSERTs (the floor)",
            Method::LoadData => "`mysql` crate: `LOAD DATA LOCAL INFILE` from memory",
        }
    }
}

/// One load: wall seconds, this thread's CPU seconds, the server's CPU seconds.
struct Load {
    wall: f64,
    client: f64,
    server: f64,
}

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let history = match args.iter().position(|a| a == "--without-history") {
        Some(at) => {
            args.remove(at);
            false
        }
        None => true,
    };
    let [rows, rounds, url] = args.as_slice() else {
        bail!("usage: mysql_bulk [--without-history] ROWS ROUNDS mysql://…/DATABASE");
    };
    let (rows, rounds): (usize, usize) = (rows.parse()?, rounds.parse()?);
    measure_server(staffdb::Backend::Mysql);
    let workload = Workload::generate(rows);
    let infile = tab_separated(&workload, false);
    let mut loads: Vec<Vec<Load>> = Method::ALL.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        let mut order = Method::ALL.to_vec();
        order.rotate_left(round % Method::ALL.len());
        for method in order {
            fresh_database(url, true)?;
            if !history {
                drop_history_triggers(url)?;
            }
            let load = measure(|| load_with(method, url, &workload, &infile))?;
            let count: Option<i64> =
                connect(url, None)?.query_first("SELECT COUNT(*) FROM employees")?;
            ensure!(
                count == Some(rows as i64),
                "{method:?} left {count:?} rows of {rows}"
            );
            eprintln!(
                "round {}/{rounds} {method:?}: {} s wall, {} s client CPU, {} s server CPU",
                round + 1,
                secs(load.wall),
                secs(load.client),
                secs(load.server)
            );
            loads[Method::ALL.iter().position(|m| *m == method).unwrap_or(0)].push(load);
        }
    }
    all_or_nothing(url, &workload)?;
    print_table(rows, rounds, history, &loads);
    Ok(())
}

/// Drops the triggers that keep the employees' history (`--without-history`): what the load
/// costs the server without them.
fn drop_history_triggers(url: &str) -> Result<()> {
    let mut conn = connect(url, None)?;
    for op in ["insert", "update", "delete"] {
        conn.query_drop(format!("DROP TRIGGER employees_history_on_{op}"))?;
    }
    Ok(())
}

/// Runs `work`, timing it and reading the client's and the server's CPU around it.
fn measure(work: impl FnOnce() -> Result<()>) -> Result<Load> {
    let server = server_cpu_seconds().unwrap_or(0.0);
    let client = thread_cpu();
    let start = Instant::now();
    work()?;
    Ok(Load {
        wall: start.elapsed().as_secs_f64(),
        client: thread_cpu() - client,
        server: server_cpu_seconds().unwrap_or(0.0) - server,
    })
}

/// This thread's CPU seconds so far.
fn thread_cpu() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given, which is plain data.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

fn load_with(method: Method, url: &str, workload: &Workload, infile: &[u8]) -> Result<()> {
    match method {
        Method::Staffdb => {
            let db = Database::open(url)?;
            let mut session = db.session()?;
            session.add_all(
                workload
                    .iter()
                    .map(|row| NewEmployee::new(row.name, row.age, row.position)),
            )?;
            session.commit()?;
            Ok(())
        }
        Method::Inserts => inserts(&mut connect(url, None)?, workload),
        Method::LoadData => load_data(url, infile.to_vec(), workload.len()),
    }
}

/// A connection; with `infile`, one whose `LOAD DATA LOCAL` is served that buffer, under
/// [`INFILE`] only.
fn connect(url: &str, infile: Option<Vec<u8>>) -> Result<Conn> {
    let opts = Opts::from_url(url).with_context(|| format!("bad MySQL URL {url}"))?;
    let mut builder = OptsBuilder::from_opts(opts);
    if let Some(buffer) = infile {
        let mut buffer = Some(buffer);
        builder = builder.local_infile_handler(Some(LocalInfileHandler::new(move |name, out| {
            // A server may ask for any name: only the statement's own is served, once.
            let served = (name == INFILE.as_bytes()).then(|| buffer.take()).flatten();
            match served {
                Some(bytes) => out.write_all(&bytes),
                None => Err(std::io::Error::other("no such file for the server")),
            }
        })));
    }
    Conn::new(builder).with_context(|| format!("cannot connect to {url}"))
}

fn inserts(conn: &mut Conn, workload: &Workload) -> Result<()> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let now = Value::from(now_text());
    let rows: Vec<_> = workload.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO employees (name, age, position, version, created_at, updated_at) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 5);
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 {
                "(?, ?, ?, 1, ?, ?)"
            } else {
                ",(?, ?, ?, 1, ?, ?)"
            });
            params.extend([
                Value::from(row.name),
                Value::from(row.age),
                Value::from(row.position),
                now.clone(),
                now.clone(),
            ]);
        }
        tx.exec_drop(sql, Params::Positional(params))?;
    }
    tx.commit()?;
    Ok(())
}

/// `LOAD DATA LOCAL` of `infile` (`rows` lines) in one transaction, committed only if every
/// line became a row without a warning. With `LOCAL` the server cannot stop the client's
/// transfer midway, so MariaDB and MySQL take `IGNORE` as implied: a duplicate key or an
/// unreadable value is a warning and the line is skipped, not an error. Counting the rows and
/// the warnings, and rolling back on either, is what keeps the load all or nothing.
fn load_data(url: &str, infile: Vec<u8>, rows: usize) -> Result<()> {
    let mut conn = connect(url, Some(infile))?;
    let mut tx = conn.start_transaction(TxOpts::default())?;
    tx.query_drop(format!(
        "LOAD DATA LOCAL INFILE '{INFILE}' INTO TABLE employees CHARACTER SET utf8mb4 \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' \
         (name, age, position, email, version, created_at, updated_at)"
    ))?;
    let (loaded, warnings) = (tx.affected_rows(), tx.warnings());
    if loaded != rows as u64 || warnings > 0 {
        tx.rollback()?;
        bail!("LOAD DATA took {loaded} of {rows} lines with {warnings} warnings: rolled back");
    }
    tx.commit()?;
    Ok(())
}

/// The rows as `LOAD DATA`'s default text format: tab-separated, `\`-escaped, `\N` for NULL;
/// with `twice`, the last row's email repeats the first's.
fn tab_separated(workload: &Workload, twice: bool) -> Vec<u8> {
    let now = now_text();
    let rows: Vec<_> = workload.iter().collect();
    let mut out = Vec::with_capacity(rows.len() * 64);
    for (i, row) in rows.iter().enumerate() {
        let email = match (twice, i) {
            (true, 0) => "twice@example.com".to_owned(),
            (true, i) if i + 1 == rows.len() => "twice@example.com".to_owned(),
            _ => "\\N".to_owned(),
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{email}\t1\t{now}\t{now}",
            escaped(row.name),
            row.age,
            escaped(row.position)
        );
    }
    out
}

/// `text` with `\`, tab and newline escaped as `LOAD DATA` reads them.
fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn now_text() -> String {
    staffdb_bench::workload::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// A `LOAD DATA` whose last row repeats an email fails, and its transaction leaves no row.
fn all_or_nothing(url: &str, workload: &Workload) -> Result<()> {
    fresh_database(url, true)?;
    let failed = load_data(url, tab_separated(workload, true), workload.len());
    ensure!(
        failed.is_err(),
        "a LOAD DATA with an email given twice succeeded"
    );
    let count: Option<i64> = connect(url, None)?.query_first("SELECT COUNT(*) FROM employees")?;
    ensure!(count == Some(0), "a failed LOAD DATA left {count:?} rows");
    eprintln!(
        "all or nothing: the LOAD DATA with an email given twice failed ({}) and left 0 rows",
        failed.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}

fn print_table(rows: usize, rounds: usize, history: bool, loads: &[Vec<Load>]) {
    let triggers = if history {
        "with its history triggers"
    } else {
        "without its history triggers"
    };
    println!(
        "Bulk load of {rows} rows into MariaDB's `employees` {triggers}, {rounds} rounds (median [middle half]):\n"
    );
    println!("| method | wall s | × LOAD DATA | client CPU s | server CPU s |");
    println!("|---|---:|---:|---:|---:|");
    let wall = |l: &[Load]| l.iter().map(|l| l.wall).collect::<Vec<_>>();
    let base = loads.get(2).map(|l| wall(l)).unwrap_or_default();
    for (method, loads) in Method::ALL.iter().zip(loads) {
        let walls = wall(loads);
        let ratios: Vec<f64> = walls.iter().zip(&base).map(|(a, b)| a / b).collect();
        let spread = Spread::of(&walls);
        println!(
            "| {} | {} [{}–{}] | {} | {} | {} |",
            method.describe(),
            secs(spread.median),
            secs(spread.low),
            secs(spread.high),
            Spread::of(&ratios).times(),
            secs(median(&loads.iter().map(|l| l.client).collect::<Vec<_>>())),
            secs(median(&loads.iter().map(|l| l.server).collect::<Vec<_>>())),
        );
    }
}
