//! The employees workload through a transaction pooler (issue 23): staffdb through PgBouncer in
//! transaction mode beside staffdb and the floor on direct connections to the same server, each
//! path × round in a child process of its own, interleaved; wall-clock and client CPU seconds.
//!
//! ```text
//! rigs/pgbouncer up
//! cargo run --release -p staffdb-bench --features servers -- --rows 100000 --rounds 5 \
//!     --url postgres://staffdb@127.0.0.1:5442/staffdb_bench \
//!     --pooler 'postgres://staffdb@127.0.0.1:6432/staffdb_bench?pool_mode=transaction'
//! ```

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use staffdb::Backend;
use staffdb_bench::impls::{self, Impl};
use staffdb_bench::report;
use staffdb_bench::workload::{Outcome, PHASES, Workload, expected};

use crate::{RunArgs, mismatch, spawn, thousands};

/// One way of running the workload: an implementation on a URL.
struct Path {
    label: &'static str,
    which: Impl,
    url: String,
}

/// `url` with `parameter` (`key=value`) added to its query.
fn with_parameter(url: &str, parameter: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameter}")
}

/// A URL as the report shows it: as given unless it holds a password (then staffdb's redacted
/// form), quoted for a shell when it holds `?` or `&`.
pub(crate) fn shown(url: &str) -> String {
    let has_password = url::Url::parse(url).is_ok_and(|u| u.password().is_some());
    let text = if has_password {
        staffdb::DatabaseUrl::parse(url).map_or_else(|_| "…".to_owned(), |u| u.to_string())
    } else {
        url.to_owned()
    };
    if text.contains(['?', '&']) {
        format!("'{text}'")
    } else {
        text
    }
}

/// The paths compared: the server directly (the floor, staffdb without and with the setting, raw
/// Diesel) and through the pooler (staffdb, raw Diesel with its statement cache off).
fn paths(direct: &str, pooler: &str) -> Vec<Path> {
    let direct_pooled = with_parameter(direct, "pool_mode=transaction");
    vec![
        Path {
            label: "floor (`postgres` crate, binary COPY + prepared statements), direct",
            which: Impl::Floor,
            url: direct.to_owned(),
        },
        Path {
            label: "staffdb, direct, no setting (Diesel's statement cache on)",
            which: Impl::Staffdb,
            url: direct.to_owned(),
        },
        Path {
            label: "staffdb, direct, `pool_mode=transaction`",
            which: Impl::Staffdb,
            url: direct_pooled,
        },
        Path {
            label: "staffdb through PgBouncer, `pool_mode=transaction`",
            which: Impl::Staffdb,
            url: pooler.to_owned(),
        },
        Path {
            label: "raw Diesel (chunked multi-row INSERT), direct, statement cache on",
            which: Impl::Diesel,
            url: direct.to_owned(),
        },
        Path {
            label: "raw Diesel through PgBouncer, statement cache off",
            which: Impl::Diesel,
            url: pooler.to_owned(),
        },
    ]
}

/// Medians of one path's runs: seconds and main-thread CPU per phase, totals, process CPU.
struct Medians {
    seconds: Vec<f64>,
    total: f64,
    cpu: Vec<f64>,
    cpu_total: f64,
    process_cpu: f64,
}

fn medians(runs: &[Outcome]) -> Medians {
    let per_phase = |get: &dyn Fn(&Outcome) -> &Vec<f64>| -> Vec<f64> {
        (0..PHASES.len())
            .map(|p| {
                let values: Vec<f64> = runs
                    .iter()
                    .map(|r| get(r).get(p).copied().unwrap_or(f64::NAN))
                    .collect();
                report::median(&values)
            })
            .collect()
    };
    let totals: Vec<f64> = runs.iter().map(Outcome::total).collect();
    let cpu_totals: Vec<f64> = runs.iter().map(|r| r.cpu_seconds.iter().sum()).collect();
    let process: Vec<f64> = runs
        .iter()
        .map(|r| r.process_cpu_seconds.unwrap_or(f64::NAN))
        .collect();
    Medians {
        seconds: per_phase(&|r| &r.seconds),
        total: report::median(&totals),
        cpu: per_phase(&|r| &r.cpu_seconds),
        cpu_total: report::median(&cpu_totals),
        process_cpu: report::median(&process),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

pub(crate) fn run(args: &RunArgs, pooler: &str) -> Result<ExitCode> {
    let [url] = args.urls.as_slice() else {
        bail!("--pooler needs exactly one --url: the server the pooler stands in front of");
    };
    if args.rounds == 0 || args.rows == 0 {
        bail!("--rows and --rounds must be at least 1");
    }
    for u in [url.as_str(), pooler] {
        if impls::backend_of(u)? != Backend::Postgres {
            bail!(
                "--pooler compares PostgreSQL paths: {} is not one",
                shown(u)
            );
        }
    }
    // The server directly, without staffdb's setting; it also drops and creates every database.
    let direct = impls::driver_url(url);
    let pooler = if impls::transaction_pooled(pooler) {
        pooler.to_owned()
    } else {
        with_parameter(pooler, "pool_mode=transaction")
    };
    let mut chosen = paths(&direct, &pooler);
    if !args.impls.is_empty() {
        chosen.retain(|p| args.impls.iter().any(|name| name == p.which.name()));
    }
    if chosen.is_empty() {
        bail!("--impls leaves no path to run (staffdb, diesel, floor)");
    }

    let expected = expected(&Workload::generate(args.rows));
    let version = impls::server_version(&direct)?;
    let pooler_version = impls::pooler_version(&pooler).unwrap_or_else(|| "the pooler".into());
    eprintln!("{version}; {pooler_version}; N = {}", thousands(args.rows));

    let mut runs: Vec<Vec<Outcome>> = chosen.iter().map(|_| Vec::new()).collect();
    let mut failures = Vec::new();
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..chosen.len()).collect();
        order.rotate_left(round % chosen.len());
        for i in order {
            let path = &chosen[i];
            match spawn(
                path.which,
                &path.url,
                Some(&direct),
                args.rows,
                &args.script,
            ) {
                Ok(outcome) => {
                    eprintln!(
                        "round {}/{} {:<62} total {:>6} s  cpu {:>6} s  process {:>6} s  [{}]",
                        round + 1,
                        args.rounds,
                        path.label,
                        report::secs(outcome.total()),
                        report::secs(outcome.cpu_seconds.iter().sum()),
                        report::secs(outcome.process_cpu_seconds.unwrap_or(f64::NAN)),
                        PHASES
                            .iter()
                            .zip(&outcome.seconds)
                            .map(|(p, s)| format!("{p} {}", report::secs(*s)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    if let Some(wrong) = mismatch(&outcome, &expected) {
                        let message = format!("{}: {wrong}", path.label);
                        eprintln!("MISMATCH: {message}");
                        failures.push(message);
                    }
                    runs[i].push(outcome);
                }
                Err(error) => {
                    let message = format!("{}: {error:#}", path.label);
                    eprintln!("FAILED: {message}");
                    failures.push(message);
                }
            }
        }
    }
    if !failures.is_empty() {
        eprintln!("\n======== {} FAILURE(S) ========", failures.len());
        for failure in &failures {
            eprintln!("  {failure}");
        }
        eprintln!("BENCHMARKS.md was not updated.");
        return Ok(ExitCode::from(2));
    }

    let summaries: Vec<(&Path, Medians)> = chosen
        .iter()
        .zip(&runs)
        .map(|(path, runs)| (path, medians(runs)))
        .collect();
    let base = summaries
        .iter()
        .find(|(p, _)| p.which == Impl::Staffdb && p.url == direct)
        .map(|(_, m)| m);
    let mut impls_arg = String::new();
    if !args.impls.is_empty() {
        impls_arg = format!(" --impls {}", args.impls.join(","));
    }
    let command = format!(
        "cargo run --release -p staffdb-bench --features servers -- --rows {} --rounds {} \
         --url {} --pooler {}{impls_arg}",
        args.rows,
        args.rounds,
        shown(url),
        shown(&pooler)
    );
    let via = if pooler_version.starts_with("PgBouncer") {
        "PgBouncer"
    } else {
        "a transaction pooler"
    };
    let mut body = format!(
        "## The employees harness through {via} (issue 23), N = {} ({} rounds, {})\n\n\
         `{command}` (release build; generated by the harness's `--pooler` mode). {version} \
         reached directly and through {pooler_version}; the machine: {}, a shared VM, the \
         server, the pooler and the client on it together. Each path × round is a child \
         process of its own, interleaved (each round starts with another path), on a database \
         dropped and created for it through the direct URL; medians over the rounds. Every run \
         ended with the same count and the same hash of its load output.\n\n",
        thousands(args.rows),
        args.rounds,
        chrono::Utc::now().format("%Y-%m-%d"),
        report::machine()
    );
    let header = |out: &mut String, last: &str| {
        out.push_str("| path | ");
        for phase in PHASES {
            let _ = write!(out, "{phase} | ");
        }
        let _ = writeln!(out, "{last}");
        out.push_str("|---|");
        out.push_str(&"---:|".repeat(PHASES.len() + last.matches('|').count()));
        out.push('\n');
    };
    body.push_str("Wall-clock seconds:\n\n");
    header(&mut body, "total | × staffdb direct |");
    for (path, m) in &summaries {
        let _ = write!(body, "| {} | ", path.label);
        for v in &m.seconds {
            let _ = write!(body, "{} | ", report::secs(*v));
        }
        let _ = writeln!(
            body,
            "**{}** | {} |",
            report::secs(m.total),
            base.map_or("–".into(), |b| ratio(m.total, b.total))
        );
    }
    body.push_str(
        "\nClient CPU seconds: per phase the CPU of the thread that runs the workload \
         (`CLOCK_THREAD_CPUTIME_ID`); \"process\" is the whole child's user + system time, \
         every thread, start to exit (`getrusage(RUSAGE_CHILDREN)` in the parent), so it also \
         holds the input's generation and the fresh database's migration:\n\n",
    );
    header(
        &mut body,
        "phases | × staffdb direct | process | × staffdb direct |",
    );
    for (path, m) in &summaries {
        let _ = write!(body, "| {} | ", path.label);
        for v in &m.cpu {
            let _ = write!(body, "{} | ", report::secs(*v));
        }
        let _ = writeln!(
            body,
            "**{}** | {} | {} | {} |",
            report::secs(m.cpu_total),
            base.map_or("–".into(), |b| ratio(m.cpu_total, b.cpu_total)),
            report::secs(m.process_cpu),
            base.map_or("–".into(), |b| ratio(m.process_cpu, b.process_cpu)),
        );
    }
    if chosen.iter().any(|p| p.which == Impl::Floor) {
        body.push_str(
            "\nNot run through the pooler: the floor. The `postgres` crate prepares every \
             statement under a name (`s0`, `s1`, …) and closes it later in a request of its own; \
             behind a pooler in transaction mode those requests reach whichever server \
             connection is free, where the name is unknown or another statement's (PgBouncer \
             1.18 has no protocol-level prepared statements), so the harness refuses it on a \
             `pool_mode=transaction` URL.\n",
        );
    }
    body.push('\n');
    println!("\n{body}");
    if !args.no_write {
        let key = format!("pooler-postgres-{}", args.rows);
        report::write_section(&args.out, &key, &body)?;
        eprintln!("updated {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parameter is added to a URL with or without a query; URLs with `?` are quoted.
    #[test]
    fn parameters_and_shown_urls() {
        assert_eq!(
            with_parameter("postgres://h/db", "pool_mode=transaction"),
            "postgres://h/db?pool_mode=transaction"
        );
        assert_eq!(
            with_parameter("postgres://h/db?sslmode=disable", "pool_mode=transaction"),
            "postgres://h/db?sslmode=disable&pool_mode=transaction"
        );
        assert_eq!(
            shown("postgres://u@h:6432/db?pool_mode=transaction"),
            "'postgres://u@h:6432/db?pool_mode=transaction'"
        );
        assert!(!shown("postgres://u:secret@h/db").contains("secret"));
    }
}
