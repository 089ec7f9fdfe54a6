//! `staffdb import` and `staffdb export` against each database's own tools, on the same file and
//! the same table: `sqlite3 .import` (into a temporary table, then `INSERT … SELECT` into
//! staffdb's), `psql \copy … FROM`, `LOAD DATA LOCAL INFILE`; and `sqlite3 -csv`,
//! `psql \copy (SELECT …) TO STDOUT CSV`, `mariadb --batch` of the join that `export` writes.
//! Whole processes, wall clock, medians over the rounds; every import must leave N rows.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use staffdb::Backend;
use staffdb_bench::impls;
use staffdb_bench::report;

use crate::cli_bench::{staffdb_bin, write_csv};
use crate::{RunArgs, thousands};

/// The join `staffdb export` writes, as each tool is asked for it.
const EXPORT_SELECT: &str = "SELECT e.id, e.name, e.age, e.position, e.email, d.name AS department, \
     e.hired_on, e.version, e.created_at, e.updated_at FROM employees e \
     LEFT JOIN departments d ON d.id = e.department_id ORDER BY e.id";

/// Seconds that `command` took, its stdout thrown away; a failure is an error with its stderr.
fn seconds(command: &mut Command) -> Result<f64> {
    let start = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    let elapsed = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

/// The database's own client, connected to `url`, with `args` after the connection's.
fn tool(url: &str, args: &[&str]) -> Result<Command> {
    let mut command;
    match impls::backend_of(url)? {
        Backend::Sqlite => {
            command = Command::new("sqlite3");
            command.arg(impls::sqlite_path(url)?);
        }
        Backend::Postgres => {
            command = Command::new("psql");
            command.args([url, "-v", "ON_ERROR_STOP=1", "-q"]);
        }
        Backend::Mysql => {
            let parsed = url::Url::parse(url)?;
            command = Command::new("mariadb");
            command
                .args(["--protocol=tcp", "--local-infile=1", "-h"])
                .arg(parsed.host_str().unwrap_or("127.0.0.1"))
                .arg(format!("-P{}", parsed.port().unwrap_or(3306)))
                .arg(format!("-u{}", parsed.username()))
                .env("MYSQL_PWD", parsed.password().unwrap_or_default())
                .arg(parsed.path().trim_start_matches('/'));
        }
    }
    command.args(args);
    impls::plain_transport(&mut command);
    Ok(command)
}

/// The tool's import of `csv` (header `name,age,position`) into staffdb's `employees`.
fn tool_import(url: &str, csv: &str) -> Result<Command> {
    Ok(match impls::backend_of(url)? {
        Backend::Sqlite => {
            // Dot commands stand on lines of their own: the script goes in a file.
            let script = format!("{csv}.sqlite3-import");
            std::fs::write(
                &script,
                format!(
                    "CREATE TEMP TABLE staging (name TEXT, age INTEGER, position TEXT);\n\
                     .import --csv --skip 1 --schema temp {csv} staging\n\
                     INSERT INTO employees (name, age, position) \
                     SELECT name, age, position FROM temp.staging;\n"
                ),
            )?;
            tool(url, &["-bail", &format!(".read {script}")])?
        }
        Backend::Postgres => tool(
            url,
            &[
                "-c",
                &format!(
                    "\\copy employees (name, age, position) FROM '{csv}' WITH (FORMAT csv, HEADER true)"
                ),
            ],
        )?,
        Backend::Mysql => tool(
            url,
            &[
                "-e",
                &format!(
                    "LOAD DATA LOCAL INFILE '{csv}' INTO TABLE employees FIELDS TERMINATED BY ',' \
                     OPTIONALLY ENCLOSED BY '\"' IGNORE 1 LINES (name, age, position)"
                ),
            ],
        )?,
    })
}

/// The tool's export of the join `staffdb export` writes, to stdout.
fn tool_export(url: &str) -> Result<Command> {
    Ok(match impls::backend_of(url)? {
        Backend::Sqlite => tool(url, &["-csv", "-header", EXPORT_SELECT])?,
        Backend::Postgres => tool(
            url,
            &[
                "-c",
                &format!("\\copy ({EXPORT_SELECT}) TO STDOUT WITH (FORMAT csv, HEADER true)"),
            ],
        )?,
        Backend::Mysql => tool(url, &["--batch", "-e", EXPORT_SELECT])?,
    })
}

/// The first line of `tool --version`, for the table's heading.
fn tool_version(backend: Backend) -> String {
    let program = match backend {
        Backend::Sqlite => "sqlite3",
        Backend::Postgres => "psql",
        Backend::Mysql => "mariadb",
    };
    let output = Command::new(program).arg("--version").output();
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let first = text
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    format!("{program} {}", first.trim_start_matches(program).trim())
}

/// What one backend's rounds measured: staffdb's and the tool's import and export seconds.
#[derive(Default)]
struct Rounds {
    staffdb_import: Vec<f64>,
    tool_import: Vec<f64>,
    staffdb_export: Vec<f64>,
    tool_export: Vec<f64>,
}

fn measure(bin: &Path, url: &str, csv: &str, n: usize, rounds: usize) -> Result<Rounds> {
    let mut measured = Rounds::default();
    let staffdb = |args: &[&str]| {
        let mut command = Command::new(bin);
        impls::plain_transport(&mut command)
            .args(["--quiet", "--database-url", url])
            .args(args);
        command
    };
    for round in 1..=rounds {
        impls::fresh_database(url, true)?;
        measured
            .staffdb_import
            .push(seconds(&mut staffdb(&["import", csv]))?);
        ensure!(
            impls::run_count(url)? == n as i64,
            "staffdb import: not {n} rows"
        );
        measured
            .staffdb_export
            .push(seconds(&mut staffdb(&["export", "--format", "csv"]))?);
        impls::fresh_database(url, true)?;
        measured
            .tool_import
            .push(seconds(&mut tool_import(url, csv)?)?);
        ensure!(
            impls::run_count(url)? == n as i64,
            "the tool's import: not {n} rows"
        );
        measured.tool_export.push(seconds(&mut tool_export(url)?)?);
        eprintln!(
            "{url} round {round}/{rounds}: import {:.3} s vs {:.3} s, export {:.3} s vs {:.3} s",
            measured.staffdb_import[round - 1],
            measured.tool_import[round - 1],
            measured.staffdb_export[round - 1],
            measured.tool_export[round - 1]
        );
    }
    Ok(measured)
}

/// The tools' names and commands, as the table shows them.
fn tool_names(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => (
            "`sqlite3 .import` into a temp table, then `INSERT … SELECT`",
            "`sqlite3 -csv` of the join",
        ),
        Backend::Postgres => (
            "`psql \\copy employees … FROM … CSV`",
            "`psql \\copy (SELECT …) TO STDOUT CSV`",
        ),
        Backend::Mysql => ("`LOAD DATA LOCAL INFILE`", "`mariadb --batch` of the join"),
    }
}

fn section(url: &str, n: usize, rounds: usize, measured: &Rounds) -> Result<String> {
    let backend = impls::backend_of(url)?;
    let (import_tool, export_tool) = tool_names(backend);
    let row = |what: &str, ours: &[f64], theirs: &[f64], target: f64, tool: &str| {
        let (ours, theirs) = (report::median(ours), report::median(theirs));
        let ratio = ours / theirs;
        let verdict = if ratio <= target { "✅" } else { "❌" };
        format!(
            "| `staffdb {what}` | {} | {tool} | {} | {ratio:.2}× | {verdict} ≤ {target}× |\n",
            report::secs(ours),
            report::secs(theirs)
        )
    };
    let mut body = format!(
        "## staffdb import/export vs {}'s own tools, N = {} ({rounds} rounds, {})\n\n\
         The tool: {}.\n\n\
         | command | seconds | the database's tool | seconds | ratio | target |\n\
         |---|---:|---|---:|---:|---|\n",
        impls::server_version(url)?,
        thousands(n),
        chrono::Utc::now().format("%Y-%m-%d"),
        tool_version(backend)
    );
    body.push_str(&row(
        "import",
        &measured.staffdb_import,
        &measured.tool_import,
        1.15,
        import_tool,
    ));
    body.push_str(&row(
        "export --format csv",
        &measured.staffdb_export,
        &measured.tool_export,
        1.0,
        export_tool,
    ));
    body.push_str(
        "\nWhole processes, wall clock, medians; each import goes into staffdb's migrated, empty \
         table, so the database does the same work (indexes, constraints, defaults). `staffdb \
         import` also validates every record before it writes; the tools check nothing beyond \
         the table's constraints.\n\n",
    );
    Ok(body)
}

/// `staffdb-bench --tools`: every `--url` (default: a temporary SQLite file).
pub(crate) fn run(args: &RunArgs) -> Result<ExitCode> {
    let bin = staffdb_bin(args)?;
    let n = args.cli_rows;
    let dir = std::env::temp_dir().join("staffdb-bench-tools");
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("employees.csv");
    eprintln!("writing {} rows to {}…", thousands(n), csv.display());
    write_csv(&csv, n)?;
    let csv = csv.to_string_lossy().into_owned();
    let urls = if args.urls.is_empty() {
        vec![format!("sqlite://{}", dir.join("tools.db").display())]
    } else {
        args.urls.clone()
    };
    for url in &urls {
        let measured = measure(&bin, url, &csv, n, args.rounds)?;
        let body = section(url, n, args.rounds, &measured)?;
        println!("\n{body}");
        if !args.no_write {
            let backend = impls::backend_of(url)?;
            report::write_section(&args.out, &format!("tools-{backend}-{n}"), &body)?;
            eprintln!("updated {}", args.out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
