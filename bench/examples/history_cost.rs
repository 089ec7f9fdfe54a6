//! What the history of every row costs staffdb's writes (issue 26, item 5).
//!
//! The workload's staffdb implementation (insert with `add_all`, load, update of a set, 1,000
//! updates by row, a filtered delete, a count) runs on each `--url` on a fresh, migrated
//! database twice per round: with the history triggers of `employees` as migrated, and with
//! them dropped (history off). The two alternate within each round, so that the machine's
//! drift hits both. Reported per phase: the median wall time of each, the ratio on/off, the
//! range of the per-round ratios, and the client's CPU; on a server, also the server's CPU for
//! the whole run (its processes' user and system time from /proc, which the triggers' work is
//! part of).
//!
//! ```text
//! cargo run --release -p staffdb-bench --features servers --example history_cost -- 100000 5 \
//!     sqlite:///tmp/staffdb-bench/history.db \
//!     postgres://postgres@127.0.0.1/staffdb_history mysql://root@127.0.0.1/staffdb_history
//! ```

use anyhow::{Context, Result, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use staffdb_bench::report::median;
use staffdb_bench::workload::{PHASES, measure_server, server_cpu_seconds};
use staffdb_bench::{Impl, Workload, fresh_database, run};

/// The statements that turn the employees' history off on a freshly migrated database.
fn drop_triggers(url: &str) -> Result<()> {
    let triggers = ["insert", "update", "delete"].map(|op| format!("employees_history_on_{op}"));
    if url.starts_with("postgres") {
        let mut conn = PgConnection::establish(url)?;
        for trigger in &triggers {
            conn.batch_execute(&format!("DROP TRIGGER {trigger} ON employees"))?;
        }
    } else if url.starts_with("mysql") {
        let mut conn = MysqlConnection::establish(url)?;
        for trigger in &triggers {
            conn.batch_execute(&format!("DROP TRIGGER {trigger}"))?;
        }
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path)?;
        for trigger in &triggers {
            conn.batch_execute(&format!("DROP TRIGGER {trigger}"))?;
        }
    }
    Ok(())
}

/// User + system CPU seconds of the database server's processes so far
/// ([`server_cpu_seconds`]); 0 when there is none (SQLite).
fn server_cpu(url: &str) -> f64 {
    if let Ok(backend) = staffdb_bench::impls::backend_of(url) {
        measure_server(backend);
    }
    server_cpu_seconds().unwrap_or(0.0)
}

/// One run: wall seconds and client CPU seconds per phase, and the server's CPU seconds.
struct Run {
    seconds: Vec<f64>,
    cpu: Vec<f64>,
    server_cpu: f64,
}

fn one_run(url: &str, rows: usize, history: bool) -> Result<Run> {
    fresh_database(url, true)?;
    if !history {
        drop_triggers(url).context("dropping the history triggers")?;
    }
    let workload = Workload::generate(rows);
    let before = server_cpu(url);
    let outcome = run(Impl::Staffdb, url, workload)?;
    Ok(Run {
        seconds: outcome.seconds,
        cpu: outcome.cpu_seconds,
        server_cpu: server_cpu(url) - before,
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rows), Some(rounds)) = (args.first(), args.get(1)) else {
        bail!("usage: history_cost ROWS ROUNDS URL…");
    };
    let rows: usize = rows.parse().context("ROWS")?;
    let rounds: usize = rounds.parse().context("ROUNDS")?;
    for url in &args[2..] {
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first.
            for history in [round % 2 == 0, round % 2 == 1] {
                let result = one_run(url, rows, history)?;
                if history {
                    on.push(result)
                } else {
                    off.push(result)
                }
            }
        }
        report(url, rows, &on, &off);
    }
    Ok(())
}

fn report(url: &str, rows: usize, on: &[Run], off: &[Run]) {
    let backend = url.split(':').next().unwrap_or(url);
    println!(
        "\n{backend}, N = {rows}, {} rounds: history on / off",
        on.len()
    );
    println!("| phase | off (s) | on (s) | on/off | per-round on/off | client CPU off → on (s) |");
    println!("|---|---:|---:|---:|---|---|");
    for (i, phase) in PHASES.iter().enumerate() {
        let of = |runs: &[Run], cpu: bool| -> Vec<f64> {
            runs.iter()
                .map(|r| if cpu { r.cpu[i] } else { r.seconds[i] })
                .collect()
        };
        let (wall_off, wall_on) = (median(&of(off, false)), median(&of(on, false)));
        let mut ratios: Vec<f64> = on
            .iter()
            .zip(off)
            .map(|(a, b)| a.seconds[i] / b.seconds[i])
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "| {phase} | {wall_off:.3} | {wall_on:.3} | {:.2}× | {:.2}–{:.2}× | {:.3} → {:.3} |",
            wall_on / wall_off,
            ratios.first().copied().unwrap_or(f64::NAN),
            ratios.last().copied().unwrap_or(f64::NAN),
            median(&of(off, true)),
            median(&of(on, true)),
        );
    }
    let server = |runs: &[Run]| median(&runs.iter().map(|r| r.server_cpu).collect::<Vec<_>>());
    if server(on) > 0.0 {
        println!(
            "server CPU for the whole run (median): off {:.2} s, on {:.2} s",
            server(off),
            server(on)
        );
    }
}
