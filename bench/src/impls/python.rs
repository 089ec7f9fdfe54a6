//! The Python references, each run by python3 from a script of its own, on a database of its own
//! (they drop and create their own tables): SQLAlchemy's Core and ORM
//! (`shared/bench/sqlalchemy_workload.py`) and Django's ORM (`bench/django_workload.py`).
//!
//! One runner for all of them: a [`Reference`] says which script, which modules it imports,
//! its own database's suffix and how to install it; [`run`] starts python3 on it under a small
//! wrapper that reports the peak memory, and reads the `RESULT` line every script prints.
//! (The Rust peers of `bench/peers`, sqlx and SeaORM, run as a child binary instead:
//! [`super::peers`].)

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use staffdb::Backend;

use super::Impl;
use crate::workload::{Outcome, PHASES};

/// A Python reference implementation: its script and what running it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// What messages call it.
    pub label: &'static str,
    /// The script's default path.
    pub script: &'static str,
    /// The modules python3 must import for it to run.
    pub modules: &'static [&'static str],
    /// How to install them.
    pub install_hint: &'static str,
    /// Its own database beside the harness's: `x.db` → `x-{suffix}.db`, `db` → `db_{suffix}`.
    pub suffix: &'static str,
    /// Python run before the script, with `sys.argv` already the script's; it may set
    /// `init_globals`, the script's starting globals.
    prelude: &'static str,
}

/// `shared/bench/sqlalchemy_workload.py`, both variants. The script reports the load output's
/// length only: the prelude hands it a `len` that also hashes the string it measures (after the
/// load's clock has stopped), so the harness checks its bytes as it checks everyone's. Its load
/// has no ORDER BY, so its lines are put in id order first: the same lines, in any order, pass.
pub const SQLALCHEMY: Reference = Reference {
    label: "SQLAlchemy",
    script: concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/bench/sqlalchemy_workload.py"
    ),
    modules: &["sqlalchemy", "xxhash"],
    install_hint: "pip install 'sqlalchemy>=2,<3' xxhash psycopg2-binary pymysql \
                   (psycopg2-binary for PostgreSQL, pymysql for MariaDB)",
    suffix: "sqla",
    prelude: "if sys.argv[3].startswith('mysql'):\n\
              \x20   # MySQL refuses VARCHAR without a length: give the script's String\n\
              \x20   # columns staffdb's 200, the only change to the reference.\n\
              \x20   import sqlalchemy\n\
              \x20   class String(sqlalchemy.String):\n\
              \x20       def __init__(self, length=None, *a, **k):\n\
              \x20           super().__init__(length or 200, *a, **k)\n\
              \x20   sqlalchemy.String = String\n\
              import xxhash\n\
              def hashing_len(value, len=len):\n\
              \x20   if type(value) is str and value.startswith('ID: '):\n\
              \x20       # Its select() has no ORDER BY (PostgreSQL's parallel scan returns\n\
              \x20       # another order at 100,000 rows): hash its lines in id order.\n\
              \x20       lines = value[:-1].split('\\n')\n\
              \x20       lines.sort(key=lambda line: int(line[4:line.index(',')]))\n\
              \x20       ordered = '\\n'.join(lines) + '\\n'\n\
              \x20       h = xxhash.xxh3_64()\n\
              \x20       for i in range(0, len(ordered), 1 << 20):\n\
              \x20           h.update(ordered[i:i + (1 << 20)].encode())\n\
              \x20       print(f'HASH {h.intdigest():016x}')\n\
              \x20   return len(value)\n\
              init_globals['len'] = hashing_len\n",
};

/// `bench/django_workload.py`: Django's ORM on staffdb's columns; it hashes its own output.
pub const DJANGO: Reference = Reference {
    label: "Django",
    script: concat!(env!("CARGO_MANIFEST_DIR"), "/django_workload.py"),
    modules: &["django", "xxhash"],
    install_hint: "pip install 'django>=5.2,<5.3' xxhash psycopg2-binary mysqlclient \
                   (psycopg2-binary for PostgreSQL; mysqlclient, a C build, for MariaDB)",
    suffix: "django",
    prelude: "",
};

impl Reference {
    /// Why python3 cannot run it here (python3 missing, or a module it imports), if it cannot.
    pub fn missing(&self) -> Option<String> {
        let imports = format!("import {}", self.modules.join(", "));
        match Command::new("python3").args(["-c", &imports]).output() {
            Err(error) => Some(format!("cannot run python3: {error}")),
            Ok(out) if !out.status.success() => Some(format!(
                "python3 cannot `{imports}`: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
            Ok(_) => None,
        }
    }

    /// The staffdb-style URL of its own database beside `url`'s: `x.db` → `x-sqla.db`, database
    /// `staffdb_bench` → `staffdb_bench_sqla` (with this reference's suffix).
    pub fn own_database(&self, url: &str) -> Result<String> {
        match super::backend_of(url)? {
            Backend::Sqlite => {
                let path = super::sqlite_path(url)?;
                let stem = path.strip_suffix(".db").unwrap_or(path);
                Ok(format!("sqlite://{stem}-{}.db", self.suffix))
            }
            _ => {
                let mut parsed = url::Url::parse(url)?;
                let name = format!("{}_{}", parsed.path().trim_start_matches('/'), self.suffix);
                parsed.set_path(&format!("/{name}"));
                Ok(parsed.to_string())
            }
        }
    }
}

impl Impl {
    /// The Python reference it is, if it is one.
    pub fn python(self) -> Option<Reference> {
        match self {
            Impl::SqlaCore | Impl::SqlaOrm => Some(SQLALCHEMY),
            Impl::Django => Some(DJANGO),
            _ => None,
        }
    }

    /// The script's first arguments, before N and the URL.
    fn python_args(self) -> &'static [&'static str] {
        match self {
            Impl::SqlaCore => &["core"],
            Impl::SqlaOrm => &["orm"],
            _ => &[],
        }
    }
}

/// The URL a script takes for a staffdb-style one (SQLAlchemy's form; Django's script reads it).
fn script_url(url: &str) -> Result<String> {
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

/// The wrapper python3 runs: the reference's prelude, then the script as `__main__`, then its
/// peak memory (python's own `ru_maxrss`, KiB on Linux).
fn wrapper(reference: &Reference) -> String {
    wrapper_with(reference, "", "")
}

/// [`wrapper`] with `before` run after the prelude and `after` once the script has returned.
fn wrapper_with(reference: &Reference, before: &str, after: &str) -> String {
    format!(
        "import resource, runpy, sys\n\
         sys.argv = sys.argv[1:]\n\
         init_globals = {{}}\n\
         {}{before}\
         runpy.run_path(sys.argv[0], init_globals=init_globals, run_name='__main__')\n\
         print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n{after}",
        reference.prelude
    )
}

/// Python run before the SQLAlchemy script: each time the script itself (not SQLAlchemy) reads
/// `time.perf_counter()` — at the start and the end of each phase — the process's CPU time is
/// noted too, and `CPU` prints each phase's CPU seconds once the script is done.
const PHASE_CPU_BEFORE: &str = "import time\n\
    _clock, _cpu, _script = time.perf_counter, [], sys.argv[0]\n\
    def _perf_counter():\n\
    \x20   if sys._getframe(1).f_code.co_filename == _script:\n\
    \x20       _cpu.append(time.process_time())\n\
    \x20   return _clock()\n\
    time.perf_counter = _perf_counter\n";
const PHASE_CPU_AFTER: &str =
    "print('CPU', ' '.join(f'{b - a:.4f}' for a, b in zip(_cpu[0::2], _cpu[1::2])))\n";

/// The SQLAlchemy ORM's insert phase alone, its `full` model (`Session.add_all` of N `Employee`s
/// with departments, email, version and timestamps, then `commit`), on the SQLite database `url`
/// (the file deleted first) in WAL mode: the wall-clock seconds the script measures and the CPU
/// seconds (user + system) of the same span.
pub fn sqlalchemy_orm_insert(url: &str, rows: usize, script: &Path) -> Result<(f64, f64)> {
    let output = Command::new("python3")
        .env("JOURNAL", "wal")
        .arg("-c")
        .arg(wrapper_with(&SQLALCHEMY, PHASE_CPU_BEFORE, PHASE_CPU_AFTER))
        .arg(script)
        .args(["orm", &rows.to_string(), &script_url(url)?, "full"])
        .output()
        .context("cannot run python3")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    let outcome = parse(&stdout)?;
    let cpu = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CPU "))
        .and_then(|phases| phases.split_whitespace().next())
        .context("the wrapper printed no CPU line")?
        .parse()?;
    Ok((outcome.seconds[0], cpu))
}

/// The version of SQLAlchemy that python3 imports, and of the SQLite its `sqlite3` module links.
pub fn sqlalchemy_version() -> String {
    Command::new("python3")
        .args([
            "-c",
            "import sqlalchemy, sqlite3; \
             print(f'{sqlalchemy.__version__} (on SQLite {sqlite3.sqlite_version})')",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".to_owned())
}

/// Runs the Python reference `which` on `url` (its own database, already emptied) with
/// `script`, and reads its `RESULT` line.
pub fn run(which: Impl, url: &str, rows: usize, script: &Path) -> Result<Outcome> {
    let Some(reference) = which.python() else {
        bail!("{which} is not a Python reference");
    };
    let mut command = Command::new("python3");
    if super::backend_of(url)? == Backend::Sqlite {
        // The same journal as staffdb's (WAL), so the journal is not what differs.
        command.env("JOURNAL", "wal");
    }
    let output = command
        .arg("-c")
        .arg(wrapper(&reference))
        .arg(script)
        .args(which.python_args())
        .arg(rows.to_string())
        .arg(script_url(url)?)
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

/// Reads the `RESULT` line (and the wrapper's `MAXRSS` and `HASH` lines) of a script's output,
/// or of the Rust peers' (`super::peers`), which also print `load_rss_kib=` and a `cpu_{phase}=`
/// for every phase; a line without them reads as before.
pub(super) fn parse(stdout: &str) -> Result<Outcome> {
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .context("the reference printed no RESULT line")?;
    let field = |key: &str| -> Option<&str> {
        result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    };
    let required = |key: &str| field(key).with_context(|| format!("no `{key}=` in {result}"));
    let mut seconds = Vec::new();
    for phase in PHASES {
        seconds.push(required(phase)?.parse()?);
    }
    let line = |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix));
    let peak = line("MAXRSS ")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let hash = match field("hash").or_else(|| line("HASH ")) {
        Some(hex) => Some(
            u64::from_str_radix(hex.trim(), 16)
                .with_context(|| format!("the load output hash `{hex}` is not hexadecimal"))?,
        ),
        None => None,
    };
    Ok(Outcome {
        seconds,
        count: required("remaining")?.parse()?,
        hash,
        out_bytes: required("out_bytes")?.parse()?,
        peak_rss_kib: peak,
        load_rss_kib: field("load_rss_kib").map(str::parse).transpose()?,
        cpu_seconds: PHASES
            .iter()
            .map(|phase| field(&format!("cpu_{phase}")).map(str::parse).transpose())
            .collect::<Result<Option<Vec<f64>>, _>>()?
            .unwrap_or_default(),
        process_cpu_seconds: None,
        server_cpu_seconds: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RESULT line of the SQLAlchemy script is read phase by phase, with the wrapper's lines.
    #[test]
    fn parses_result_line() -> Result<()> {
        let out = "HASH 00000000000000ff\n\
                   RESULT impl=sqla-orm n=10 chunk=- journal=wal insert=1.0 load=2.0 upd_set=3.0 \
                   upd_row=4.0 delete=5.0 count=6.0 total=21.0 remaining=9 out_bytes=420\nMAXRSS 1234\n";
        let outcome = parse(out)?;
        assert_eq!(outcome.seconds, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!((outcome.count, outcome.out_bytes), (9, 420));
        assert_eq!(outcome.peak_rss_kib, 1234);
        assert_eq!(outcome.hash, Some(255));
        Ok(())
    }

    /// Django's script prints its own hash on the RESULT line.
    #[test]
    fn parses_hash_field() -> Result<()> {
        let out = "RESULT impl=django-full n=10 chunk=111 journal=wal insert=1.0 load=2.0 \
                   upd_set=3.0 upd_row=4.0 delete=5.0 count=6.0 total=21.0 remaining=9 \
                   out_bytes=420 hash=22769e01b312c114\n";
        assert_eq!(parse(out)?.hash, Some(0x2276_9e01_b312_c114));
        Ok(())
    }

    /// Each backend's references get a database of their own, one per reference.
    #[test]
    fn own_databases() -> Result<()> {
        assert_eq!(
            SQLALCHEMY.own_database("sqlite:///tmp/b.db")?,
            "sqlite:///tmp/b-sqla.db"
        );
        assert_eq!(
            DJANGO.own_database("sqlite:///tmp/b.db")?,
            "sqlite:///tmp/b-django.db"
        );
        assert_eq!(
            SQLALCHEMY.own_database("postgres://postgres@127.0.0.1/staffdb_bench")?,
            "postgres://postgres@127.0.0.1/staffdb_bench_sqla"
        );
        assert_eq!(
            DJANGO.own_database("postgres://postgres@127.0.0.1/staffdb_bench")?,
            "postgres://postgres@127.0.0.1/staffdb_bench_django"
        );
        Ok(())
    }
}
