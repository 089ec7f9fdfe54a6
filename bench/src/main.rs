//! `staffdb-bench`: runs the employees workload with every implementation, each round and each
//! implementation in a child process of its own, and prints (and records in BENCHMARKS.md) a
//! table per backend.
//!
//! ```text
//! cargo run --release -p staffdb-bench -- --rows 100000 --rounds 3 \
//!     --url sqlite:///tmp/staffdb-bench/bench.db
//! cargo run --release -p staffdb-bench --features servers -- --rows 100000 \
//!     --url postgres://postgres@127.0.0.1/staffdb_bench --url mysql://root@127.0.0.1/staffdb_bench
//! cargo build --release --bin staffdb && cargo run --release -p staffdb-bench -- --orm-insert \
//!     --rows 100000 --rounds 5
//! cargo run --release -p staffdb-bench --features servers -- --rows 100000 --rounds 5 \
//!     --url postgres://staffdb@127.0.0.1:5442/staffdb_bench \
//!     --pooler 'postgres://staffdb@127.0.0.1:6432/staffdb_bench?pool_mode=transaction'
//! ```

mod before_after;
mod cli_bench;
mod orm_bench;
mod pooler_bench;
mod tools_bench;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use staffdb_bench::impls::{self, Impl, peers, python};
use staffdb_bench::report::{self, Summary};
use staffdb_bench::workload::{Expected, Outcome, PHASES, Workload, expected};

/// The employees workload: staffdb vs raw Diesel vs the database's floor vs SQLAlchemy and Django.
#[derive(Parser)]
#[command(name = "staffdb-bench", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    child: Option<Child>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// Rows (N).
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Rounds; medians are taken over them (3 or more).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A database to run on, one per backend: sqlite://FILE, postgres://…/DB, mysql://…/DB. The
    /// file is deleted and the server database dropped and created for every run. Default: a
    /// SQLite file in the temp directory.
    #[arg(long = "url")]
    urls: Vec<String>,
    /// PostgreSQL: drop and create the databases through this URL's server instead of through
    /// each --url's (its database name is ignored): a direct URL of the server when a --url
    /// reaches it through a pooler such as PgBouncer, which can neither drop nor create one.
    #[arg(long)]
    admin_url: Option<String>,
    /// Only these implementations (staffdb, diesel, floor, tutorial-table, sqla-core, sqla-orm,
    /// django, sqlx, sea-orm).
    #[arg(long, value_delimiter = ',')]
    impls: Vec<String>,
    /// Skip the SQLAlchemy references.
    #[arg(long)]
    no_sqlalchemy: bool,
    /// Skip the Django reference.
    #[arg(long)]
    no_django: bool,
    /// Run the Python references (SQLAlchemy, Django) only up to this N (the SQLAlchemy ORM
    /// holds ~3 KB a row).
    #[arg(long, alias = "python-max-rows", default_value_t = 200_000)]
    sqlalchemy_max_rows: usize,
    /// The SQLAlchemy reference script.
    #[arg(long, default_value = python::SQLALCHEMY.script)]
    script: PathBuf,
    /// The Django reference script.
    #[arg(long, default_value = python::DJANGO.script)]
    django_script: PathBuf,
    /// Skip the Rust peers (sqlx, SeaORM), which are otherwise built first (bench/peers).
    #[arg(long)]
    no_peers: bool,
    /// The staffdb-peers binary that runs sqlx and SeaORM (default: built from bench/peers with
    /// cargo, once per run).
    #[arg(long)]
    peers_bin: Option<PathBuf>,
    /// The report to update.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))]
    out: PathBuf,
    /// Print the tables only; leave BENCHMARKS.md alone.
    #[arg(long)]
    no_write: bool,
    /// Measure the `staffdb` command-line tool instead (SQLite): import and list of --cli-rows
    /// rows, and the startup time of `staffdb list`.
    #[arg(long)]
    cli: bool,
    /// Measure `staffdb import` and `export` against the database's own tools instead
    /// (`sqlite3 .import`, `psql \copy`, `LOAD DATA LOCAL INFILE`), on each --url.
    #[arg(long)]
    tools: bool,
    /// Compare paths through this transaction pooler (PgBouncer in transaction mode,
    /// `postgres://…:6432/DB?pool_mode=transaction`) with direct connections to the server of the
    /// one --url: staffdb and raw Diesel through it, and the floor, staffdb (without and with
    /// `pool_mode=transaction`) and raw Diesel directly. Databases are dropped and created
    /// through --url.
    #[arg(long)]
    pooler: Option<String>,
    /// Measure `staffdb import` of --rows rows against the SQLAlchemy ORM's insert of the same
    /// rows (its `full` model) instead, on SQLite; fails below 20×.
    #[arg(long)]
    orm_insert: bool,
    /// With --orm-insert: another staffdb binary to measure in the same rounds, as
    /// `LABEL=PATH` (an earlier commit's build, say); may be given more than once.
    #[arg(
        long = "import-baseline",
        value_name = "LABEL=PATH",
        requires = "orm_insert"
    )]
    import_baselines: Vec<String>,
    /// Rows for the CLI measurements (and --tools).
    #[arg(long, default_value_t = 1_000_000)]
    cli_rows: usize,
    /// The staffdb binary to measure (default: `staffdb` beside this binary; build it with
    /// `cargo build --release`).
    #[arg(long)]
    staffdb_bin: Option<PathBuf>,
    /// Before and after (issue 24): another, older build of this harness, whose `staffdb` runs
    /// as the implementation "staffdb (before)" beside this build's, interleaved in every round
    /// and checked alike; the report compares the two phase by phase, in wall-clock and client
    /// CPU seconds. Runs staffdb and the floor (as an anchor) unless --impls says otherwise.
    /// `bench/before-after COMMIT` builds one and runs this.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["cli", "tools", "pooler"])]
    baseline: Option<PathBuf>,
    /// With --baseline: the commit the baseline was built from, shown in the report and in the
    /// command that reproduces it.
    #[arg(long, value_name = "COMMIT", requires = "baseline")]
    baseline_rev: Option<String>,
    /// With --baseline: the commit this build was built from, shown in the report.
    #[arg(long, value_name = "COMMIT", requires = "baseline")]
    rev: Option<String>,
}

#[derive(Subcommand)]
enum Child {
    /// Runs one implementation once and prints `RESULT {json}` (used by the parent).
    #[command(hide = true)]
    Child {
        #[arg(long = "impl")]
        which: String,
        #[arg(long)]
        rows: usize,
        #[arg(long)]
        url: String,
        /// Drop and create the server database through this URL's server (not through `url`,
        /// which may reach a pooler).
        #[arg(long)]
        admin_url: Option<String>,
        /// A Python reference's script, or for sqlx and SeaORM the staffdb-peers binary.
        #[arg(long)]
        script: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.child {
        Some(Child::Child {
            which,
            rows,
            url,
            admin_url,
            script,
        }) => child(&which, rows, &url, admin_url.as_deref(), &script),
        None if cli.run.cli => cli_bench::run(&cli.run),
        None if cli.run.tools => tools_bench::run(&cli.run),
        None if cli.run.orm_insert => orm_bench::run(&cli.run),
        None if cli.run.pooler.is_some() => {
            let pooler = cli.run.pooler.clone().unwrap_or_default();
            pooler_bench::run(&cli.run, &pooler)
        }
        None if cli.run.baseline.is_some() => {
            let baseline = cli.run.baseline.clone().unwrap_or_default();
            before_after::run(&cli.run, &baseline)
        }
        None => parent(&cli.run),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// In the child: a fresh database, then one run.
fn child(
    which: &str,
    rows: usize,
    url: &str,
    admin: Option<&str>,
    script: &Path,
) -> Result<ExitCode> {
    let which = Impl::parse(which)?;
    staffdb_bench::workload::measure_server(impls::backend_of(url)?);
    let outcome = if which.is_python() {
        impls::fresh_database_via(url, admin, false)?;
        python::run(which, url, rows, script)?
    } else if which.is_peer() {
        impls::fresh_database_via(url, admin, true)?;
        peers::run(which, url, rows, script)?
    } else {
        impls::fresh_database_via(url, admin, which.uses_staffdb_schema())?;
        let workload = Workload::generate(rows);
        impls::run(which, url, workload)?
    };
    println!("RESULT {}", serde_json::to_string(&outcome)?);
    Ok(ExitCode::SUCCESS)
}

fn default_url() -> String {
    let path = std::env::temp_dir().join("staffdb-bench").join("bench.db");
    format!("sqlite://{}", path.display())
}

/// User + system CPU seconds of the children this process has waited for.
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, which is plain data.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Runs `which` once on `url` in a child process (the server database dropped and created
/// through `admin` when given), and records the child's CPU.
fn spawn(
    which: Impl,
    url: &str,
    admin: Option<&str>,
    rows: usize,
    script: &Path,
) -> Result<Outcome> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    spawn_program(&exe, which, url, admin, rows, script)
}

/// [`spawn`], with `program` as the child: this binary, or another build of the harness that
/// speaks the same child protocol (`child --impl NAME --rows N --url URL --script PATH
/// [--admin-url URL]`, then a `RESULT {json}` line), such as `--baseline`'s.
fn spawn_program(
    program: &Path,
    which: Impl,
    url: &str,
    admin: Option<&str>,
    rows: usize,
    script: &Path,
) -> Result<Outcome> {
    let mut command = Command::new(program);
    impls::plain_transport(&mut command)
        .args(["child", "--impl", which.name(), "--rows"])
        .arg(rows.to_string())
        .args(["--url", url, "--script"])
        .arg(script)
        .stdin(Stdio::null());
    if let Some(admin) = admin {
        command.args(["--admin-url", admin]);
    }
    // Children run one at a time, so the growth of RUSAGE_CHILDREN is this child's.
    let cpu_before = children_cpu_seconds();
    let output = command
        .output()
        .with_context(|| format!("cannot start a child process ({})", program.display()))?;
    let process_cpu = children_cpu_seconds() - cpu_before;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let reason = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or("no message");
        bail!("{reason} ({})", output.status);
    }
    eprint!("{stderr}");
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .with_context(|| format!("{which} printed no RESULT line"))?;
    let mut outcome: Outcome = serde_json::from_str(json)?;
    outcome.process_cpu_seconds = Some(process_cpu);
    Ok(outcome)
}

/// What is wrong with `outcome`, if anything.
fn mismatch(outcome: &Outcome, expected: &Expected) -> Option<String> {
    let mut wrong = Vec::new();
    if outcome.count != expected.count {
        wrong.push(format!("count {} ≠ {}", outcome.count, expected.count));
    }
    if outcome.out_bytes != expected.out_bytes {
        wrong.push(format!(
            "load output {} bytes ≠ {}",
            outcome.out_bytes, expected.out_bytes
        ));
    }
    match outcome.hash {
        Some(hash) if hash != expected.hash => wrong.push(format!(
            "load output hash {hash:016x} ≠ {:016x}",
            expected.hash
        )),
        Some(_) => {}
        None => wrong.push("no hash of the load output".to_owned()),
    }
    (!wrong.is_empty()).then(|| wrong.join(", "))
}

impl RunArgs {
    /// The script `which` runs (ignored by the Rust implementations).
    fn script_of(&self, which: Impl) -> &Path {
        match which {
            Impl::Django => &self.django_script,
            _ => &self.script,
        }
    }
}

/// The chosen Python references that will not run, and why: skipped by a flag, N too large,
/// python3 or a module missing (said once per reference, with how to install it), no script.
fn python_skips(args: &RunArgs, chosen: &[Impl]) -> Vec<(Impl, String)> {
    let mut missing: BTreeMap<&str, Option<String>> = BTreeMap::new();
    let mut skips = Vec::new();
    for &which in chosen {
        let Some(reference) = which.python() else {
            continue;
        };
        let script = args.script_of(which);
        let reason = if args.no_sqlalchemy && reference == python::SQLALCHEMY {
            "not run (--no-sqlalchemy)".to_owned()
        } else if args.no_django && reference == python::DJANGO {
            "not run (--no-django)".to_owned()
        } else if args.rows > args.sqlalchemy_max_rows {
            format!(
                "not run at N > {} (--python-max-rows)",
                args.sqlalchemy_max_rows
            )
        } else if let Some(why) = missing.entry(reference.label).or_insert_with(|| {
            let why = reference.missing();
            if let Some(why) = &why {
                eprintln!(
                    "note: {why}, so the {} reference is skipped; to include it: {}",
                    reference.label, reference.install_hint
                );
            }
            why
        }) {
            format!("not run: {why}; {}", reference.install_hint)
        } else if !script.exists() {
            format!("not run: {} is missing", script.display())
        } else {
            continue;
        };
        skips.push((which, reason));
    }
    skips
}

/// The staffdb-peers binary when sqlx or SeaORM is to run on one of `backends`: --peers-bin, or
/// bench/peers built now, once, before anything is measured. A failed build stops the run.
fn peers_binary(
    args: &RunArgs,
    chosen: &[Impl],
    backends: &[staffdb::Backend],
) -> Result<Option<PathBuf>> {
    let needed = chosen
        .iter()
        .any(|i| i.is_peer() && backends.iter().any(|b| i.runs_on(*b)));
    if !needed {
        return Ok(None);
    }
    if let Some(binary) = &args.peers_bin {
        return Ok(Some(binary.clone()));
    }
    eprintln!("building the sqlx and SeaORM peers ({})…", peers::MANIFEST);
    let binary = peers::build(true).with_context(|| {
        format!(
            "cannot build the sqlx and SeaORM peers; {}",
            peers::BUILD_HINT
        )
    })?;
    Ok(Some(binary))
}

fn parent(args: &RunArgs) -> Result<ExitCode> {
    if args.rounds == 0 || args.rows == 0 {
        bail!("--rows and --rounds must be at least 1");
    }
    let urls = if args.urls.is_empty() {
        vec![default_url()]
    } else {
        args.urls.clone()
    };
    let mut chosen: Vec<Impl> = if args.impls.is_empty() {
        Impl::ALL.to_vec()
    } else {
        args.impls
            .iter()
            .map(|name| Impl::parse(name))
            .collect::<Result<_>>()?
    };
    let mut skipped = python_skips(args, &chosen);
    if args.no_peers {
        let peers = chosen.iter().filter(|i| i.is_peer());
        skipped.extend(peers.map(|&i| (i, "not run (--no-peers)".to_owned())));
    }
    chosen.retain(|i| !skipped.iter().any(|(s, _)| s == i));

    eprintln!("generating the expected result for N = {}…", args.rows);
    let expected = expected(&Workload::generate(args.rows));
    eprintln!(
        "expected: count {}, load output {} bytes, xxh3 {:016x}",
        expected.count, expected.out_bytes, expected.hash
    );

    let mut backends = Vec::new();
    for url in &urls {
        let backend = impls::backend_of(url)?;
        if backend == staffdb::Backend::Sqlite {
            impls::sqlite_path(url)?;
        }
        let shown = staffdb::DatabaseUrl::parse(url)?.to_string();
        let version = impls::server_version(args.admin_url.as_deref().unwrap_or(url))
            .with_context(|| format!("cannot reach {shown}"))?;
        backends.push((url.clone(), backend, version));
    }
    let present: Vec<staffdb::Backend> = backends.iter().map(|(_, b, _)| *b).collect();
    let peers_bin = peers_binary(args, &chosen, &present)?;

    // runs[url][impl] = outcomes; notes for references that failed.
    let mut runs: Vec<BTreeMap<Impl, Vec<Outcome>>> = vec![BTreeMap::new(); urls.len()];
    let mut notes: Vec<BTreeMap<Impl, String>> = vec![BTreeMap::new(); urls.len()];
    let mut failures = Vec::new();
    for round in 0..args.rounds {
        for (u, (url, backend, _)) in backends.iter().enumerate() {
            // Interleaved: each round starts with a different implementation.
            let mut order = chosen.clone();
            let shift = round % order.len().max(1);
            order.rotate_left(shift);
            for which in order {
                if notes[u].contains_key(&which) || !which.runs_on(*backend) {
                    continue;
                }
                if let Some(refusal) = which.pooler_refusal(url) {
                    notes[u].insert(which, refusal.to_owned());
                    continue;
                }
                let target = match which.python() {
                    Some(reference) => reference.own_database(url)?,
                    None => url.clone(),
                };
                let program = match &peers_bin {
                    Some(binary) if which.is_peer() => binary.as_path(),
                    _ => args.script_of(which),
                };
                match spawn(
                    which,
                    &target,
                    args.admin_url.as_deref(),
                    args.rows,
                    program,
                ) {
                    Ok(outcome) => {
                        eprintln!(
                            "round {}/{} {backend:<8} {:<9} total {:>7} s  [{}]  peak {}",
                            round + 1,
                            args.rounds,
                            which.name(),
                            report::secs(outcome.total()),
                            per_phase(&outcome.seconds),
                            report::mb(outcome.peak_rss_kib)
                        );
                        if !outcome.cpu_seconds.is_empty() {
                            eprintln!(
                                "{:>29} cpu {:>7} s  [{}]  process {} s",
                                "",
                                report::secs(outcome.cpu_seconds.iter().sum()),
                                per_phase(&outcome.cpu_seconds),
                                report::secs(outcome.process_cpu_seconds.unwrap_or(f64::NAN))
                            );
                        }
                        if !outcome.server_cpu_seconds.is_empty() {
                            eprintln!(
                                "{:>29} server {:>4} s  [{}]",
                                "",
                                report::secs(outcome.server_cpu_seconds.iter().sum()),
                                per_phase(&outcome.server_cpu_seconds),
                            );
                        }
                        if let Some(wrong) = mismatch(&outcome, &expected) {
                            let message = format!("{backend} {which}: {wrong}");
                            eprintln!("MISMATCH: {message}");
                            failures.push(message);
                        }
                        runs[u].entry(which).or_default().push(outcome);
                    }
                    Err(error) if which.is_python() => {
                        eprintln!("{backend} {which}: {error:#}");
                        notes[u].insert(which, format!("failed: {error:#}"));
                    }
                    Err(error) => {
                        let message = format!("{backend} {which}: {error:#}");
                        eprintln!("FAILED: {message}");
                        failures.push(message);
                        notes[u].insert(which, format!("failed: {error:#}"));
                    }
                }
            }
        }
    }

    for (u, (url, backend, version)) in backends.iter().enumerate() {
        let summaries: Vec<Summary> = Impl::ALL
            .iter()
            .filter_map(|which| runs[u].get(which).map(|r| report::summarize(*which, r)))
            .collect();
        let mut table_notes: Vec<(Impl, String)> = notes[u].clone().into_iter().collect();
        table_notes.extend(skipped.iter().cloned());
        let table = report::table(*backend, &summaries, &table_notes);
        let checks = report::targets(*backend, &summaries);
        // Through a transaction pooler: a section of its own, not the direct figures'.
        let pooled = impls::transaction_pooled(url);
        let through = if pooled {
            " through a transaction pooler (`pool_mode=transaction`)"
        } else {
            ""
        };
        let mut body = format!(
            "## {version}{through}, N = {} ({} rounds, {})\n\n{table}\n",
            thousands(args.rows),
            args.rounds,
            chrono::Utc::now().format("%Y-%m-%d")
        );
        if let Some(floor_table) = report::floor_table(&summaries) {
            body.push_str("staffdb ÷ the floor, per round (median [middle half]):\n\n");
            body.push_str(&floor_table);
            body.push('\n');
        }
        if !checks.is_empty() {
            body.push_str("Targets (issues 5 and 27), each met only when the middle half of its per-round ratios is inside it:\n");
            for (label, ok) in &checks {
                body.push_str(&format!(
                    "- {} {label}\n",
                    if *ok { "✅ met:" } else { "❌ missed:" }
                ));
            }
            body.push('\n');
        }
        if let Some(context) = report::orm_target_context(*backend, &summaries) {
            body.push_str(&format!("{context}\n\n"));
        }
        println!("\n{body}");
        if failures.is_empty() && !args.no_write {
            let pooled = if pooled { "-pooled" } else { "" };
            let key = format!("{}{pooled}-{}", backend.name(), args.rows);
            report::write_section(&args.out, &key, &body)?;
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
    if !args.no_write {
        eprintln!("updated {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `insert 0.597, load 0.037, …`: seconds by phase, for a progress line.
fn per_phase(seconds: &[f64]) -> String {
    PHASES
        .iter()
        .zip(seconds)
        .map(|(phase, s)| format!("{phase} {}", report::secs(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// 1000000 → "1,000,000".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    /// The command line holds together: clap's own checks of every option, conflict and
    /// requirement.
    #[test]
    fn verify_cli() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
