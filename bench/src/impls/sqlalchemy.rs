//! The SQLAlchemy references (`shared/bench/sqlalchemy_workload.py`), run by python3 on a
//! database of their own: they drop and create their own `employees` table.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use staffdb::Backend;

use super::Impl;
use crate::workload::{Outcome, PHASES};

/// How to install what the references need.
pub const INSTALL_HINT: &str = "pip install 'sqlalchemy>=2,<3' psycopg2-binary pymysql \
     (psycopg2-binary for PostgreSQL, pymysql for MariaDB)";

/// True when `python3 -c 'import sqlalchemy'` works.
pub fn available() -> bool {
    Command::new("python3")
        .args(["-c", "import sqlalchemy"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The staffdb-style URL of the references' own database beside `url`'s: `x.db` → `x-sqla.db`,
/// database `staffdb_bench` → `staffdb_bench_sqla`.
pub fn own_database(url: &str) -> Result<String> {
    match super::backend_of(url)? {
        Backend::Sqlite => {
            let path = super::sqlite_path(url)?;
            let stem = path.strip_suffix(".db").unwrap_or(path);
            Ok(format!("sqlite://{stem}-sqla.db"))
        }
        _ => {
            let mut parsed = url::Url::parse(url)?;
            let name = format!("{}_sqla", parsed.path().trim_start_matches('/'));
            parsed.set_path(&format!("/{name}"));
            Ok(parsed.to_string())
        }
    }
}

/// The SQLAlchemy URL for a staffdb-style one.
fn sqlalchemy_url(url: &str) -> Result<String> {
    Ok(match super::backend_of(url)? {
        Backend::Sqlite => {
            let path = std::path::absolute(super::sqlite_path(url)?)?;
            format!("sqlite:///{}", path.display())
        }
        Backend::Postgres => {
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            format!("postgresql+psycopg2://{rest}")
        }
        Backend::Mysql => {
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            format!("mysql+pymysql://{rest}")
        }
    })
}

/// Runs one reference on `url` (its own database, already emptied) and reads its `RESULT` line.
/// Its peak memory is python's own `ru_maxrss`, printed after the script returns.
pub fn run(which: Impl, url: &str, rows: usize, script: &Path) -> Result<Outcome> {
    let variant = match which {
        Impl::SqlaOrm => "orm",
        Impl::SqlaCore => "core",
        other => bail!("{other} is not a SQLAlchemy reference"),
    };
    let wrapper = "import resource, runpy, sys\n\
                   sys.argv = sys.argv[1:]\n\
                   if sys.argv[3].startswith('mysql'):\n\
                   \x20   # MySQL refuses VARCHAR without a length: give the script's String\n\
                   \x20   # columns staffdb's 200, the only change to the reference.\n\
                   \x20   import sqlalchemy\n\
                   \x20   class String(sqlalchemy.String):\n\
                   \x20       def __init__(self, length=None, *a, **k):\n\
                   \x20           super().__init__(length or 200, *a, **k)\n\
                   \x20   sqlalchemy.String = String\n\
                   runpy.run_path(sys.argv[0], run_name='__main__')\n\
                   print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)";
    let mut command = Command::new("python3");
    if super::backend_of(url)? == Backend::Sqlite {
        // The same journal as staffdb's (WAL), so the journal is not what differs.
        command.env("JOURNAL", "wal");
    }
    let output = command
        .arg("-c")
        .arg(wrapper)
        .arg(script)
        .arg(variant)
        .arg(rows.to_string())
        .arg(sqlalchemy_url(url)?)
        .output()
        .context("cannot run python3")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The exception's own line, not SQLAlchemy's "background on this error" link.
        let last = stderr
            .lines()
            .rev()
            .find(|l| l.contains("Error:"))
            .or_else(|| stderr.lines().last())
            .unwrap_or("")
            .to_owned();
        bail!("{} failed ({}): {last}", script.display(), output.status);
    }
    parse(&stdout)
}

fn parse(stdout: &str) -> Result<Outcome> {
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .context("the reference printed no RESULT line")?;
    let field = |key: &str| -> Result<&str> {
        result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .with_context(|| format!("no `{key}=` in {result}"))
    };
    let mut seconds = Vec::new();
    for phase in PHASES {
        seconds.push(field(phase)?.parse()?);
    }
    let peak = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(Outcome {
        seconds,
        count: field("remaining")?.parse()?,
        hash: None,
        out_bytes: field("out_bytes")?.parse()?,
        peak_rss_kib: peak,
        load_rss_kib: None,
        cpu_seconds: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RESULT line of the reference script is read phase by phase.
    #[test]
    fn parses_result_line() -> Result<()> {
        let out = "RESULT impl=sqla-orm n=10 chunk=- journal=wal insert=1.0 load=2.0 upd_set=3.0 \
                   upd_row=4.0 delete=5.0 count=6.0 total=21.0 remaining=9 out_bytes=420\nMAXRSS 1234\n";
        let outcome = parse(out)?;
        assert_eq!(outcome.seconds, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!((outcome.count, outcome.out_bytes), (9, 420));
        assert_eq!(outcome.peak_rss_kib, 1234);
        Ok(())
    }

    /// Each backend's references get a database of their own.
    #[test]
    fn own_databases() -> Result<()> {
        assert_eq!(
            own_database("sqlite:///tmp/b.db")?,
            "sqlite:///tmp/b-sqla.db"
        );
        assert_eq!(
            own_database("postgres://postgres@127.0.0.1/staffdb_bench")?,
            "postgres://postgres@127.0.0.1/staffdb_bench_sqla"
        );
        Ok(())
    }
}
