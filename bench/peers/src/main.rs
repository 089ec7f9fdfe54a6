//! `staffdb-peers`: the employees workload (`shared/bench/README.md`) written with sqlx and with
//! SeaORM, the async Rust libraries staffdb is compared with. The harness (`bench/`) builds this
//! binary and runs it as a child process, on a database that holds staffdb's migrated, empty
//! tables, as it runs the Python references:
//!
//! ```text
//! staffdb-peers sqlx N URL
//! staffdb-peers sea-orm N URL
//! ```
//!
//! URL is `sqlite://FILE` or `postgres://…/DB`. It prints the references' protocol: one line
//! `RESULT impl=… n=… insert=S load=S upd_set=S upd_row=S delete=S count=S total=S remaining=C
//! out_bytes=B hash=H load_rss_kib=K cpu_insert=S …` (seconds, the count left, the load output's
//! bytes and xxh3-64 in hex, the peak memory from the load on, the CPU seconds of every thread
//! per phase), then `MAXRSS K`, its peak memory in KiB.

mod sea_orm_peer;
mod sqlx_peer;
mod workload;

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::workload::{Outcome, PHASES, Workload};

const USAGE: &str =
    "usage: staffdb-peers <sqlx|sea-orm> N URL (URL: sqlite://FILE or postgres://…)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Generates the rows, runs the chosen peer on a current-thread runtime and prints its result.
fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [which, rows, url] = args.as_slice() else {
        bail!("{USAGE}");
    };
    let rows: usize = rows
        .parse()
        .with_context(|| format!("N must be a number, not `{rows}`"))?;
    // Before any clock starts, as the harness does.
    let workload = Workload::generate(rows);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let outcome = match which.as_str() {
        "sqlx" => runtime.block_on(sqlx_peer::run(url, workload))?,
        "sea-orm" => runtime.block_on(sea_orm_peer::run(url, workload))?,
        other => bail!("unknown peer `{other}`; {USAGE}"),
    };
    println!("{}", result_line(which, rows, &outcome));
    println!("MAXRSS {}", outcome.peak_rss_kib);
    Ok(())
}

/// The `RESULT` line the harness reads.
fn result_line(which: &str, rows: usize, outcome: &Outcome) -> String {
    let mut line = format!("RESULT impl={which} n={rows}");
    for (phase, seconds) in PHASES.iter().zip(&outcome.seconds) {
        let _ = write!(line, " {phase}={seconds:.6}");
    }
    let _ = write!(
        line,
        " total={:.6} remaining={} out_bytes={} hash={:016x}",
        outcome.seconds.iter().sum::<f64>(),
        outcome.count,
        outcome.out_bytes,
        outcome.hash
    );
    if let Some(kib) = outcome.load_rss_kib {
        let _ = write!(line, " load_rss_kib={kib}");
    }
    for (phase, seconds) in PHASES.iter().zip(&outcome.cpu_seconds) {
        let _ = write!(line, " cpu_{phase}={seconds:.6}");
    }
    line
}
