//! Measures the `staffdb` command-line tool on SQLite with `/usr/bin/time -v`: `import` of an
//! N-row CSV into an empty file against the library's insert phase, `list --format csv` and
//! `export` of N rows against the load phase, and the startup time of `staffdb list` on an
//! empty, migrated database. It also times the library's two reads alone, in-process and with
//! no output, to show how much of `list --format csv` the reading of its fields takes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use staffdb::{Database, Employee, EmployeeFilter, ListOptions};
use staffdb_bench::impls::{self, Impl};
use staffdb_bench::report;
use staffdb_bench::workload::Workload;

use crate::{RunArgs, spawn, thousands};

const TIME: &str = "/usr/bin/time";

/// Wall-clock seconds and peak RSS (KiB) of one command, from `/usr/bin/time -v`.
struct Measured {
    seconds: f64,
    peak_rss_kib: u64,
}

/// Runs `staffdb --database-url URL ARGS…` under `/usr/bin/time -v`, stdout to /dev/null.
fn timed(bin: &Path, url: &str, args: &[&str]) -> Result<Measured> {
    let output = Command::new(TIME)
        .arg("-v")
        .arg(bin)
        .args(["--quiet", "--database-url", url])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {TIME} (apt-get install time)"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("staffdb {} failed:\n{stderr}", args.join(" "));
    }
    let field = |label: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .with_context(|| format!("no `{label}` in the output of {TIME} -v"))
    };
    // "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):")?;
    let seconds = wall
        .split(':')
        .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v))
        .with_context(|| format!("cannot read the time `{wall}`"))?;
    let peak_rss_kib = field("Maximum resident set size (kbytes):")?.parse()?;
    Ok(Measured {
        seconds,
        peak_rss_kib,
    })
}

/// The `staffdb` binary to measure: `--staffdb-bin`, or the one beside this binary.
pub(crate) fn staffdb_bin(args: &RunArgs) -> Result<PathBuf> {
    let bin = match &args.staffdb_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("this binary has no directory")?
            .join("staffdb"),
    };
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release` (same target directory), \
             or pass --staffdb-bin",
            bin.display()
        );
    }
    Ok(bin)
}

/// Writes the workload's first `rows` rows as a CSV file that `staffdb import` reads.
pub(crate) fn write_csv(path: &Path, rows: usize) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "name,age,position")?;
    for row in Workload::generate(rows).iter() {
        writeln!(out, "{},{},{}", row.name, row.age, row.position)?;
    }
    out.flush()?;
    Ok(())
}

/// Seconds to stream every row with no output: the five columns of the load phase
/// (`stream_summaries`), then the CSV's fields (`stream_with_department`).
fn library_reads(url: &str, rows: usize) -> Result<(f64, f64)> {
    let db = Database::open(url)?;
    let mut session = db.read_session()?;
    let (filter, options) = (EmployeeFilter::new(), ListOptions::new());
    let (summaries_s, summaries) =
        time_read(|| Employee::stream_summaries(&mut session, &filter, &options))?;
    let (full_s, full) =
        time_read(|| Employee::stream_with_department(&mut session, &filter, &options))?;
    ensure!(
        summaries == rows && full == rows,
        "read {summaries} and {full} rows of {rows}"
    );
    Ok((summaries_s, full_s))
}

/// Seconds to open the stream and drain it, and how many rows it gave.
fn time_read<T, I>(open: impl FnOnce() -> staffdb::Result<I>) -> Result<(f64, usize)>
where
    I: Iterator<Item = staffdb::Result<T>>,
{
    let start = Instant::now();
    let mut rows = 0;
    for row in open()? {
        row?;
        rows += 1;
    }
    Ok((start.elapsed().as_secs_f64(), rows))
}

/// What a command's row of the CLI table is checked against.
struct Targets {
    /// At most this many times the library phase.
    ratio: Option<f64>,
    /// Peak RSS under 64 MB.
    memory: bool,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

/// One row of the CLI table: a command's median seconds and peak RSS against a library phase
/// (`(name, seconds)`), with its targets checked.
fn command_row(
    command: &str,
    (seconds, rss): (f64, u64),
    phase: (&str, f64),
    targets: Targets,
) -> String {
    let (phase_name, phase_s) = phase;
    let ratio = seconds / phase_s;
    let mut checks = Vec::new();
    if let Some(limit) = targets.ratio {
        checks.push(format!("{} ≤ {limit}×", verdict(ratio <= limit)));
    }
    if targets.memory {
        checks.push(format!("{} < 64 MB", verdict(rss < 64 * 1024)));
    }
    format!(
        "| {command} | {} | {phase_name} {} | {ratio:.2}× | {} | {} |\n",
        report::secs(seconds),
        report::secs(phase_s),
        checks.join(", "),
        report::mb(rss)
    )
}

fn median_of(measured: &[Measured]) -> (f64, u64) {
    let seconds: Vec<f64> = measured.iter().map(|m| m.seconds).collect();
    let rss: Vec<f64> = measured.iter().map(|m| m.peak_rss_kib as f64).collect();
    (report::median(&seconds), report::median(&rss) as u64)
}

pub(crate) fn run(args: &RunArgs) -> Result<ExitCode> {
    let bin = staffdb_bin(args)?;
    if !Path::new(TIME).exists() {
        bail!("{TIME} is missing: apt-get install time");
    }
    let n = args.cli_rows;
    let dir = std::env::temp_dir().join("staffdb-bench-cli");
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("employees.csv");
    eprintln!("writing {} rows to {}…", thousands(n), csv.display());
    write_csv(&csv, n)?;
    let csv_arg = csv.to_string_lossy().into_owned();
    let db_url = format!("sqlite://{}", dir.join("cli.db").display());
    let lib_url = format!("sqlite://{}", dir.join("lib.db").display());

    let (mut inserts, mut loads) = (Vec::new(), Vec::new());
    let (mut imports, mut lists, mut exports) = (Vec::new(), Vec::new(), Vec::new());
    let mut lines = Vec::new();
    let (mut summary_reads, mut full_reads) = (Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        // The library's own insert and load phases at the same N, in a child of their own.
        let outcome = spawn(Impl::Staffdb, &lib_url, None, n, &args.script)?;
        inserts.push(outcome.seconds[0]);
        loads.push(outcome.seconds[1]);
        // Import into an empty file: staffdb creates and migrates it.
        impls::fresh_database(&db_url, false)?;
        let import = timed(&bin, &db_url, &["import", &csv_arg])?;
        let list = timed(&bin, &db_url, &["list", "--format", "csv"])?;
        // The load phase's own output (the tutorial lines), through the CLI.
        let lines_run = timed(&bin, &db_url, &["list"])?;
        let export = timed(&bin, &db_url, &["export", "--format", "csv"])?;
        let (summary_read, full_read) = library_reads(&db_url, n)?;
        summary_reads.push(summary_read);
        full_reads.push(full_read);
        eprintln!(
            "round {round}/{}: library insert {} s, load {} s; import {} s, list {} s, export {} s",
            args.rounds,
            report::secs(outcome.seconds[0]),
            report::secs(outcome.seconds[1]),
            report::secs(import.seconds),
            report::secs(list.seconds),
            report::secs(export.seconds)
        );
        imports.push(import);
        lists.push(list);
        lines.push(lines_run);
        exports.push(export);
    }
    let expected_rows = impls::run_count(&db_url)?;
    if expected_rows != n as i64 {
        bail!("staffdb import left {expected_rows} rows, not {n}");
    }

    // Startup: `staffdb list` on an empty, migrated database, 50 runs after 5 warm-ups.
    let empty_url = format!("sqlite://{}", dir.join("empty.db").display());
    impls::fresh_database(&empty_url, true)?;
    let mut startup = Vec::new();
    for i in 0..55 {
        let start = Instant::now();
        let status = Command::new(&bin)
            .args(["--quiet", "--database-url", &empty_url, "list"])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("staffdb list on an empty database failed ({status})");
        }
        if i >= 5 {
            startup.push(start.elapsed().as_secs_f64());
        }
    }
    let startup_ms = report::median(&startup) * 1000.0;

    let insert = report::median(&inserts);
    let load = report::median(&loads);
    let mut body = format!(
        "## staffdb CLI on SQLite, N = {} ({} rounds, {}; `/usr/bin/time -v`, release build)\n\n\
         | command | seconds | library phase | ratio | target | peak RSS |\n\
         |---|---:|---:|---:|---|---:|\n",
        thousands(n),
        args.rounds,
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let import_row = format!(
        "`staffdb import` of a {}-row CSV into an empty file",
        thousands(n)
    );
    let rows = [
        (
            import_row.as_str(),
            &imports,
            ("insert", insert),
            Targets {
                ratio: Some(1.5),
                memory: false,
            },
        ),
        (
            "`staffdb list --format csv`",
            &lists,
            ("load", load),
            Targets {
                ratio: Some(1.5),
                memory: true,
            },
        ),
        (
            "`staffdb list` (the load phase's tutorial lines)",
            &lines,
            ("load", load),
            Targets {
                ratio: Some(1.5),
                memory: true,
            },
        ),
        (
            "`staffdb export --format csv`",
            &exports,
            ("load", load),
            Targets {
                ratio: None,
                memory: true,
            },
        ),
    ];
    for (command, measured, phase, targets) in rows {
        body.push_str(&command_row(command, median_of(measured), phase, targets));
    }
    let (summary_read, full_read) = (report::median(&summary_reads), report::median(&full_reads));
    body.push_str(&format!(
        "| library read alone, no output: `stream_with_department` (the CSV's fields) | {} | \
         `stream_summaries` {} | {:.2}× | – | – |\n",
        report::secs(full_read),
        report::secs(summary_read),
        full_read / summary_read
    ));
    body.push_str(&format!(
        "| `staffdb list` on an empty, migrated database (median of 50) | {:.1} ms | – | – | {} < 20 ms | – |\n\n",
        startup_ms,
        verdict(startup_ms < 20.0)
    ));
    body.push_str(
        "Whole processes, wall clock: the CLI figures include process start, opening the \
         database and (for import) creating and migrating the file and parsing the CSV; the \
         library phases are the timed phases of the staffdb implementation above at the same N. \
         The load phase reads the five columns of the tutorial line (`stream_summaries`); CSV \
         carries all ten fields and the department's name, so `list --format csv` and `export` \
         do about twice the reading and the CSV encoding on top. The library-read row times both \
         reads in one process with no output: reading the CSV's fields alone takes that ratio of \
         the load phase's read, before any CSV is written.\n\n",
    );
    println!("\n{body}");
    if !args.no_write {
        report::write_section(&args.out, &format!("cli-sqlite-{n}"), &body)?;
        eprintln!("updated {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}
