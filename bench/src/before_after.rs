//! Before and after (issue 24): this build's staffdb beside the staffdb of another, older build
//! of the harness, run side by side in one harness run, interleaved round by round, and compared
//! phase by phase in wall-clock and client CPU seconds.
//!
//! ```text
//! bench/before-after 2dcf498            # builds both, runs every backend, prints the tables
//! target/release/staffdb-bench --baseline /tmp/staffdb-baseline/target-2dcf498/release/staffdb-bench \
//!     --baseline-rev 2dcf498 --rows 100000 --rounds 7 --url sqlite:///tmp/staffdb-bench/bench.db
//! ```
//!
//! The baseline runs as `PATH child --impl staffdb --rows N --url URL --script PATH
//! [--admin-url URL]`, the child protocol every build of the harness since the first speaks, and
//! its count and load-output hash are checked like everyone's.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use staffdb::Backend;
use staffdb_bench::impls::{self, Impl};
use staffdb_bench::report;
use staffdb_bench::workload::{Outcome, PHASES, Workload, expected};

use crate::pooler_bench::shown;
use crate::{RunArgs, default_url, mismatch, spawn, spawn_program, thousands};

/// How much slower "after" may be than "before", as a ratio of medians, and still pass.
pub(crate) const TOLERANCE: f64 = 1.10;

/// What the baseline's staffdb is called in the log and the tables.
const BEFORE: &str = "staffdb (before)";

/// The server URLs `bench/before-after` (like `bench/run-all`) uses unless told otherwise.
const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1/staffdb_bench";
const DEFAULT_MYSQL: &str = "mysql://root@127.0.0.1/staffdb_bench";

/// One implementation in the rounds: this build's, or the baseline's staffdb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    /// An implementation of this build.
    Own(Impl),
    /// The baseline binary's `staffdb`.
    Before,
}

impl Runner {
    fn label(self) -> &'static str {
        match self {
            Runner::Own(Impl::Staffdb) => "staffdb (after)",
            Runner::Own(which) => which.name(),
            Runner::Before => BEFORE,
        }
    }

    fn runs_on(self, backend: Backend) -> bool {
        match self {
            Runner::Own(which) => which.runs_on(backend),
            Runner::Before => true,
        }
    }
}

/// The runners, in the order the first round runs them: this build's implementations (staffdb
/// and the floor unless `--impls` names others; staffdb always), the baseline right after
/// this build's staffdb.
fn runners(impls: &[String]) -> Result<Vec<Runner>> {
    let mut own = vec![Impl::Floor, Impl::Staffdb];
    if !impls.is_empty() {
        own = impls
            .iter()
            .map(|name| Impl::parse(name))
            .collect::<Result<_>>()?;
        if let Some(other) = own.iter().find(|i| !Impl::RUST.contains(i)) {
            bail!(
                "--baseline runs the Rust implementations only (staffdb, diesel, floor, \
                 tutorial-table), not {other}"
            );
        }
        own.push(Impl::Staffdb);
    }
    let mut runners = Vec::new();
    for which in Impl::ALL.into_iter().filter(|i| own.contains(i)) {
        runners.push(Runner::Own(which));
        if which == Impl::Staffdb {
            runners.push(Runner::Before);
        }
    }
    Ok(runners)
}

/// The median of some values and their range over the rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    /// The median.
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// The median, min and max of `values` (NaN for none).
    pub fn of(values: &[f64]) -> Spread {
        let min = values.iter().copied().reduce(f64::min).unwrap_or(f64::NAN);
        let max = values.iter().copied().reduce(f64::max).unwrap_or(f64::NAN);
        Spread {
            median: report::median(values),
            min,
            max,
        }
    }

    /// `median (min–max)`.
    fn cell(self) -> String {
        if self.median.is_nan() {
            return "–".into();
        }
        format!(
            "{} ({}–{})",
            report::secs(self.median),
            report::secs(self.min),
            report::secs(self.max)
        )
    }
}

/// One row of a backend's table: a phase (or the total) before and after.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// The phase, or "total".
    pub phase: &'static str,
    /// Wall-clock seconds before.
    pub before_wall: Spread,
    /// Wall-clock seconds after.
    pub after_wall: Spread,
    /// Client CPU seconds before: the workload thread's in a phase, the whole child's in total.
    pub before_cpu: Spread,
    /// Client CPU seconds after.
    pub after_cpu: Spread,
}

/// `after / before`, NaN when either is missing or `before` is not positive.
fn ratio(after: f64, before: f64) -> f64 {
    if before > 0.0 && after.is_finite() {
        after / before
    } else {
        f64::NAN
    }
}

fn shown_ratio(r: f64) -> String {
    if r.is_nan() {
        "–".into()
    } else {
        format!("{r:.2}×")
    }
}

impl Comparison {
    /// After / before, medians of wall-clock seconds.
    pub fn wall_ratio(&self) -> f64 {
        ratio(self.after_wall.median, self.before_wall.median)
    }

    /// After / before, medians of client CPU seconds.
    pub fn cpu_ratio(&self) -> f64 {
        ratio(self.after_cpu.median, self.before_cpu.median)
    }

    /// True when neither build's CPU median registered at all (a harness whose phase clock
    /// reads 0, as `/proc/thread-self/schedstat` did for a phase shorter than a scheduler tick):
    /// such a phase is judged by its wall-clock time.
    pub fn cpu_unresolved(&self) -> bool {
        self.before_cpu.median == 0.0 && self.after_cpu.median == 0.0
    }

    /// Within [`TOLERANCE`] (or faster) in wall-clock and in CPU seconds (by wall alone where
    /// the CPU is [unresolved](Self::cpu_unresolved)); a missing figure fails.
    pub fn within(&self) -> bool {
        self.wall_ratio() <= TOLERANCE && (self.cpu_unresolved() || self.cpu_ratio() <= TOLERANCE)
    }

    /// The verdict cell.
    fn verdict(&self) -> String {
        let percent = (TOLERANCE - 1.0) * 100.0;
        if self.within() && self.cpu_unresolved() {
            return format!("✅ within {percent:.0}% (wall; CPU 0 in both, under a tick)");
        }
        if self.within() {
            return format!("✅ within {percent:.0}%");
        }
        let mut over = Vec::new();
        let cpu = if self.cpu_unresolved() {
            1.0
        } else {
            self.cpu_ratio()
        };
        for (what, r) in [("wall", self.wall_ratio()), ("CPU", cpu)] {
            if r.is_nan() || r > TOLERANCE {
                over.push(format!("{what} {}", shown_ratio(r)));
            }
        }
        format!("❌ not within {percent:.0}% ({})", over.join(", "))
    }
}

/// The rows of one backend's table: each phase (thread CPU), then the total (the phases' wall
/// seconds, the whole child's CPU).
pub(crate) fn compare(before: &[Outcome], after: &[Outcome]) -> Vec<Comparison> {
    let phase = |runs: &[Outcome], p: usize, cpu: bool| {
        let values: Vec<f64> = runs
            .iter()
            .map(|r| {
                let v = if cpu { &r.cpu_seconds } else { &r.seconds };
                v.get(p).copied().unwrap_or(f64::NAN)
            })
            .collect();
        Spread::of(&values)
    };
    let mut rows: Vec<Comparison> = PHASES
        .iter()
        .enumerate()
        .map(|(p, name)| Comparison {
            phase: name,
            before_wall: phase(before, p, false),
            after_wall: phase(after, p, false),
            before_cpu: phase(before, p, true),
            after_cpu: phase(after, p, true),
        })
        .collect();
    let totals =
        |runs: &[Outcome]| Spread::of(&runs.iter().map(Outcome::total).collect::<Vec<_>>());
    let process = |runs: &[Outcome]| {
        let values: Vec<f64> = runs
            .iter()
            .map(|r| r.process_cpu_seconds.unwrap_or(f64::NAN))
            .collect();
        Spread::of(&values)
    };
    rows.push(Comparison {
        phase: "total",
        before_wall: totals(before),
        after_wall: totals(after),
        before_cpu: process(before),
        after_cpu: process(after),
    });
    rows
}

/// One backend's table.
pub(crate) fn table(rows: &[Comparison]) -> String {
    let mut out = String::from(
        "| phase | wall before | wall after | wall after/before | CPU before | CPU after | \
         CPU after/before | |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let phase = if row.phase == "total" {
            "**total** (CPU: whole child)".to_owned()
        } else {
            row.phase.to_owned()
        };
        let _ = writeln!(
            out,
            "| {phase} | {} | {} | {} | {} | {} | {} | {} |",
            row.before_wall.cell(),
            row.after_wall.cell(),
            shown_ratio(row.wall_ratio()),
            row.before_cpu.cell(),
            row.after_cpu.cell(),
            shown_ratio(row.cpu_ratio()),
            row.verdict()
        );
    }
    out
}

/// The sentence under a table: whether every row is within the tolerance, and which are not.
fn verdict(rows: &[Comparison]) -> String {
    let missed: Vec<String> = rows
        .iter()
        .filter(|r| !r.within())
        .map(|r| {
            format!(
                "{} (wall {}, CPU {})",
                r.phase,
                shown_ratio(r.wall_ratio()),
                shown_ratio(r.cpu_ratio())
            )
        })
        .collect();
    let percent = (TOLERANCE - 1.0) * 100.0;
    if missed.is_empty() {
        format!(
            "✅ Every phase and the total within {percent:.0}% of before, or faster, in wall-clock \
             and client CPU seconds."
        )
    } else {
        format!(
            "❌ Not within {percent:.0}% of before: {}.",
            missed.join("; ")
        )
    }
}

/// The one command that reproduces the section: `bench/before-after` when the baseline's commit
/// is known and the run is the script's (one URL of each backend), else this harness's own
/// command line (with the baseline binary, to be built first).
fn reproduce(args: &RunArgs, baseline: &Path, urls: &[(String, Backend)]) -> String {
    let impls = if args.impls.is_empty() {
        String::new()
    } else {
        format!(" --impls {}", args.impls.join(","))
    };
    let of = |backend| {
        let mut found = urls.iter().filter(|(_, b)| *b == backend);
        match (found.next(), found.next()) {
            (Some((url, _)), None) => Some(url.as_str()),
            _ => None,
        }
    };
    if let (Some(rev), Some(sqlite), Some(pg), Some(mysql), 3) = (
        &args.baseline_rev,
        of(Backend::Sqlite),
        of(Backend::Postgres),
        of(Backend::Mysql),
        urls.len(),
    ) {
        let mut env = String::new();
        for (name, url, default) in [
            ("STAFFDB_BENCH_SQLITE", sqlite, default_url()),
            ("STAFFDB_BENCH_PG", pg, DEFAULT_PG.to_owned()),
            ("STAFFDB_BENCH_MYSQL", mysql, DEFAULT_MYSQL.to_owned()),
        ] {
            if url != default {
                let _ = write!(env, "{name}={} ", shown(url));
            }
        }
        return format!(
            "{env}ROWS={} ROUNDS={} bench/before-after {rev} --write{impls}",
            args.rows, args.rounds
        );
    }
    let mut command = format!(
        "cargo run --release -p staffdb-bench --features servers -- --baseline {}",
        baseline.display()
    );
    if let Some(rev) = &args.baseline_rev {
        let _ = write!(command, " --baseline-rev {rev}");
    }
    let _ = write!(command, " --rows {} --rounds {}", args.rows, args.rounds);
    for (url, _) in urls {
        let _ = write!(command, " --url {}", shown(url));
    }
    command + &impls
}

/// Fails early, and says why, when `baseline` is not a harness that speaks the child protocol.
fn check_baseline(baseline: &Path) -> Result<()> {
    let output = Command::new(baseline)
        .args(["child", "--help"])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run the baseline {}", baseline.display()))?;
    let help = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !help.contains("--impl") || !help.contains("--script") {
        bail!(
            "{} is not a staffdb-bench that takes `child --impl NAME --rows N --url URL --script \
             PATH` ({})",
            baseline.display(),
            output.status
        );
    }
    Ok(())
}

pub(crate) fn run(args: &RunArgs, baseline: &Path) -> Result<ExitCode> {
    if args.rounds == 0 || args.rows == 0 {
        bail!("--rows and --rounds must be at least 1");
    }
    check_baseline(baseline)?;
    let baseline: PathBuf = baseline
        .canonicalize()
        .with_context(|| format!("cannot find the baseline {}", baseline.display()))?;
    let chosen = runners(&args.impls)?;
    let urls = if args.urls.is_empty() {
        vec![default_url()]
    } else {
        args.urls.clone()
    };

    eprintln!("generating the expected result for N = {}…", args.rows);
    let expected = expected(&Workload::generate(args.rows));
    let mut backends = Vec::new();
    for url in &urls {
        let backend = impls::backend_of(url)?;
        if backend == Backend::Sqlite {
            impls::sqlite_path(url)?;
        }
        let shown_url = staffdb::DatabaseUrl::parse(url)?.to_string();
        let version = impls::server_version(args.admin_url.as_deref().unwrap_or(url))
            .with_context(|| format!("cannot reach {shown_url}"))?;
        backends.push((url.clone(), backend, version));
    }
    let before_rev = args.baseline_rev.as_deref().unwrap_or("an unnamed commit");
    let after_rev = args.rev.as_deref().unwrap_or("an unnamed commit");
    eprintln!(
        "before: {} ({before_rev}); after: this build ({after_rev}); N = {}, {} rounds",
        baseline.display(),
        thousands(args.rows),
        args.rounds
    );

    // runs[backend][runner] = outcomes.
    let mut runs: Vec<Vec<Vec<Outcome>>> = vec![vec![Vec::new(); chosen.len()]; backends.len()];
    let mut failures = Vec::new();
    for round in 0..args.rounds {
        for (u, (url, backend, _)) in backends.iter().enumerate() {
            // Interleaved: each round starts with another runner.
            let mut order: Vec<usize> = (0..chosen.len()).collect();
            order.rotate_left(round % chosen.len());
            for i in order {
                let runner = chosen[i];
                if !runner.runs_on(*backend) {
                    continue;
                }
                let admin = args.admin_url.as_deref();
                let outcome = match runner {
                    Runner::Own(which) => spawn(which, url, admin, args.rows, &args.script),
                    Runner::Before => spawn_program(
                        &baseline,
                        Impl::Staffdb,
                        url,
                        admin,
                        args.rows,
                        &args.script,
                    ),
                };
                match outcome {
                    Ok(outcome) => {
                        eprintln!(
                            "round {}/{} {backend:<8} {:<16} total {:>7} s  cpu {:>7} s  \
                             process {:>7} s  [{}]",
                            round + 1,
                            args.rounds,
                            runner.label(),
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
                            let message = format!("{backend} {}: {wrong}", runner.label());
                            eprintln!("MISMATCH: {message}");
                            failures.push(message);
                        }
                        runs[u][i].push(outcome);
                    }
                    Err(error) => {
                        let message = format!("{backend} {}: {error:#}", runner.label());
                        eprintln!("FAILED: {message}");
                        failures.push(message);
                    }
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

    let position = |runner| chosen.iter().position(|r| *r == runner);
    let (Some(after_i), Some(before_i)) = (
        position(Runner::Own(Impl::Staffdb)),
        position(Runner::Before),
    ) else {
        bail!("staffdb and its baseline are always run");
    };
    let urls_and_backends: Vec<(String, Backend)> =
        backends.iter().map(|(u, b, _)| (u.clone(), *b)).collect();
    let command = reproduce(args, &baseline, &urls_and_backends);
    let percent = (TOLERANCE - 1.0) * 100.0;
    let mut body = format!(
        "## Before and after: Employee on the derive (issue 24), N = {} ({} rounds, {})\n\n\
         `{command}` (release builds; the script builds the baseline in a git worktree of its \
         own and runs the harness's `--baseline` mode). Before: staffdb as built from \
         {before_rev}; after: staffdb as built from {after_rev}. The machine: {}. Each build's \
         staffdb × backend × round is a child process of its own on a database dropped and \
         created for it, interleaved with the other's in every round (each round starts with \
         another implementation); every run ended with the same count and the same hash of its \
         load output. Medians over the rounds, min–max in parentheses. Wall: wall-clock \
         seconds. CPU: client CPU seconds, per phase those of the thread that runs the workload \
         (`CLOCK_THREAD_CPUTIME_ID`, to the microsecond: both builds' harnesses read it, \
         `bench/before-after` giving an older baseline's harness the same clock), in the total \
         the whole child's user + system time, every thread, start to exit \
         (`getrusage(RUSAGE_CHILDREN)` in the parent; it also holds the input's generation and \
         the fresh database's migration). \"within {percent:.0}%\": \
         the ratio of the medians, after / before, is at most {TOLERANCE:.2} in wall-clock and \
         in CPU seconds (faster passes).\n\n",
        thousands(args.rows),
        args.rounds,
        chrono::Utc::now().format("%Y-%m-%d"),
        report::machine()
    );
    for (u, (_, backend, version)) in backends.iter().enumerate() {
        let rows = compare(&runs[u][before_i], &runs[u][after_i]);
        let _ = write!(
            body,
            "### {version}\n\n{}\n{}\n",
            table(&rows),
            verdict(&rows)
        );
        let anchors: Vec<String> = chosen
            .iter()
            .enumerate()
            .filter(|(i, r)| *i != after_i && *i != before_i && r.runs_on(*backend))
            .map(|(i, r)| {
                let runs = &runs[u][i];
                let totals: Vec<f64> = runs.iter().map(Outcome::total).collect();
                let process: Vec<f64> = runs
                    .iter()
                    .map(|o| o.process_cpu_seconds.unwrap_or(f64::NAN))
                    .collect();
                let name = match r {
                    Runner::Own(which) => which.describe(*backend),
                    Runner::Before => BEFORE,
                };
                format!(
                    "{name}: total {} s, CPU (whole child) {} s",
                    Spread::of(&totals).cell(),
                    Spread::of(&process).cell()
                )
            })
            .collect();
        if !anchors.is_empty() {
            let _ = write!(
                body,
                "\nIn the same rounds, as an anchor for the machine's drift: {}.\n",
                anchors.join("; ")
            );
        }
        body.push('\n');
    }
    println!("\n{body}");
    if !args.no_write {
        let key = format!("before-after-{}", args.rows);
        report::write_section(&args.out, &key, &body)?;
        eprintln!("updated {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(seconds: [f64; 6], cpu: [f64; 6], process: f64) -> Outcome {
        Outcome {
            seconds: seconds.to_vec(),
            cpu_seconds: cpu.to_vec(),
            process_cpu_seconds: Some(process),
            ..Outcome::default()
        }
    }

    /// The baseline runs right after this build's staffdb, which is always run; by default
    /// with the floor; only Rust implementations are taken.
    #[test]
    fn runners_default_and_chosen() -> Result<()> {
        use Runner::*;
        assert_eq!(
            runners(&[])?,
            [Own(Impl::Floor), Own(Impl::Staffdb), Before]
        );
        assert_eq!(runners(&["staffdb".into()])?, [Own(Impl::Staffdb), Before]);
        assert_eq!(
            runners(&["diesel".into()])?,
            [Own(Impl::Staffdb), Before, Own(Impl::Diesel)]
        );
        assert!(runners(&["django".into()]).is_err());
        Ok(())
    }

    /// Medians and ranges per phase; the total's CPU is the whole child's; 10% slower passes,
    /// more fails, in either measure.
    #[test]
    fn comparisons_and_verdicts() {
        let before = [
            outcome([1.0; 6], [1.0; 6], 10.0),
            outcome([3.0; 6], [1.0; 6], 12.0),
            outcome([2.0; 6], [1.0; 6], 11.0),
        ];
        let mut cpu = [1.0; 6];
        cpu[3] = 1.2;
        let after = [
            outcome([2.2; 6], cpu, 11.0),
            outcome([2.0; 6], cpu, 11.0),
            outcome([2.1; 6], cpu, 11.0),
        ];
        let rows = compare(&before, &after);
        assert_eq!(rows.len(), PHASES.len() + 1);
        assert_eq!(
            rows[0].before_wall,
            Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            }
        );
        assert!((rows[0].wall_ratio() - 1.05).abs() < 1e-9);
        assert!(rows[0].within());
        assert!(!rows[3].within(), "upd_row's CPU is 1.2×");
        let total = &rows[6];
        assert_eq!(total.phase, "total");
        assert_eq!(total.before_cpu.median, 11.0);
        assert!((total.cpu_ratio() - 1.0).abs() < 1e-9);
        let text = table(&rows);
        assert!(text.contains("| insert | 2.000 (1.000–3.000) | 2.100 (2.000–2.200) | 1.05× |"));
        assert!(text.contains("❌ not within 10% (CPU 1.20×)"));
        assert!(verdict(&rows).contains("upd_row (wall 1.05×, CPU 1.20×)"));
        assert!(verdict(&rows[..1]).starts_with("✅"));
    }

    fn parse(line: &str) -> RunArgs {
        use clap::Parser as _;
        let args = std::iter::once("staffdb-bench").chain(line.split_whitespace());
        crate::Cli::try_parse_from(args)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .run
    }

    /// With the baseline's commit and one URL of each backend, the script reproduces the run
    /// (server URLs other than its defaults passed in its environment); otherwise the harness's
    /// own command line does.
    #[test]
    fn reproducing_commands() {
        let three = |pg: &str| {
            vec![
                (default_url(), Backend::Sqlite),
                (pg.to_owned(), Backend::Postgres),
                (DEFAULT_MYSQL.to_owned(), Backend::Mysql),
            ]
        };
        let args = parse("--baseline /b --baseline-rev 2dcf498 --rows 5000 --rounds 2");
        let binary = Path::new("/b");
        assert_eq!(
            reproduce(&args, binary, &three(DEFAULT_PG)),
            "ROWS=5000 ROUNDS=2 bench/before-after 2dcf498 --write"
        );
        let custom = reproduce(
            &args,
            binary,
            &three("postgres://u:secret@h/db?sslmode=disable"),
        );
        assert!(
            custom.starts_with("STAFFDB_BENCH_PG='postgres://"),
            "{custom}"
        );
        assert!(custom.ends_with("' ROWS=5000 ROUNDS=2 bench/before-after 2dcf498 --write"));
        assert!(!custom.contains("secret"));
        let one = [(default_url(), Backend::Sqlite)];
        assert_eq!(
            reproduce(&args, binary, &one),
            format!(
                "cargo run --release -p staffdb-bench --features servers -- --baseline /b \
                 --baseline-rev 2dcf498 --rows 5000 --rounds 2 --url {}",
                default_url()
            )
        );
    }

    /// The baseline's options need --baseline, which excludes the other modes.
    #[test]
    fn baseline_options() {
        use clap::Parser as _;
        let parse = |line: &str| {
            crate::Cli::try_parse_from(std::iter::once("staffdb-bench").chain(line.split(' ')))
        };
        assert!(parse("--baseline /b --rev abc --baseline-rev def").is_ok());
        assert!(parse("--baseline-rev def").is_err());
        assert!(parse("--baseline /b --cli").is_err());
        assert!(parse("--baseline /b --pooler postgres://h/db").is_err());
    }

    /// A phase whose CPU reads 0 in both builds is judged by its wall-clock time; 0 before and
    /// more after fails.
    #[test]
    fn cpu_under_a_tick() {
        let mut cpu = [0.01; 6];
        cpu[5] = 0.0;
        let before = [outcome([1.0; 6], cpu, 1.0)];
        let rows = compare(&before, &before);
        assert!(rows[5].cpu_unresolved() && rows[5].within());
        assert!(table(&rows).contains("| – | ✅ within 10% (wall; CPU 0 in both, under a tick) |"));
        cpu[5] = 0.004;
        let rows = compare(&before, &[outcome([1.0; 6], cpu, 1.0)]);
        assert!(!rows[5].cpu_unresolved() && !rows[5].within());
    }

    /// A missing figure fails the check rather than passing it.
    #[test]
    fn missing_figures_fail() {
        let rows = compare(&[outcome([1.0; 6], [0.0; 6], 1.0)], &[]);
        assert!(rows.iter().all(|r| !r.within()));
    }
}
