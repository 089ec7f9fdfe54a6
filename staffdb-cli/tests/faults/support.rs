//! What every scenario needs: a database to attack, the binary started on it, a fault at a
//! random moment, and the checks that follow.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use staffdb::{Backend, Employee, EmployeeFilter};

use crate::common::TestDb;

/// How long any one run of the binary may take before the scenario calls it hung.
pub const HUNG: Duration = Duration::from_secs(60);

/// A database under attack, with a working directory for files.
pub struct Target {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

impl Target {
    /// A fresh database on `backend` (on the shared servers for PostgreSQL and MySQL; one that
    /// cannot be reached fails the test, see `common`).
    pub fn fresh(backend: Backend) -> Target {
        let dir = tempfile::tempdir().expect("temp dir");
        if backend == Backend::Sqlite {
            // Beside the files, so that one temp dir holds everything the scenario made.
            let url = dir.path().join("staff.db").display().to_string();
            return Target::at_in(backend, url, dir, None);
        }
        let db = TestDb::create(backend);
        Target::at_in(backend, db.url.clone(), dir, Some(db))
    }

    /// A database at `url` (a private server's), with a temp dir.
    pub fn at(backend: Backend, url: String) -> Target {
        Target::at_in(backend, url, tempfile::tempdir().expect("temp dir"), None)
    }

    fn at_in(backend: Backend, url: String, dir: tempfile::TempDir, db: Option<TestDb>) -> Target {
        Target {
            backend,
            url,
            dir,
            _db: db,
        }
    }

    /// The binary on this database, in the temp dir.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_staffdb"));
        command
            .current_dir(self.dir.path())
            .env_remove("DATABASE_URL")
            .args(["--database-url", &self.url])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `args` to the end; fails the scenario unless it exits 0.
    pub fn ok(&self, args: &[&str]) {
        self.stdout(args);
    }

    /// Runs `args` to the end and returns stdout; fails unless it exits 0.
    pub fn stdout(&self, args: &[&str]) -> Vec<u8> {
        let output = self
            .command(args)
            .stdout(Stdio::piped())
            .output()
            .expect("run staffdb");
        assert!(
            output.status.success(),
            "staffdb {args:?} on {}: {}",
            self.backend,
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// How many employees are stored, read by the library.
    pub fn count(&self) -> i64 {
        let db = staffdb::OpenOptions::new()
            .migrate(false)
            .open(&self.url)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.backend));
        let mut session = db.read_session().expect("read session");
        Employee::count(&mut session, &EmployeeFilter::default()).expect("count")
    }

    /// On SQLite, `PRAGMA integrity_check` says `ok`; the servers check their own pages.
    pub fn assert_intact(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn = SqliteConnection::establish(&self.url).expect("open the file");
        // A writer that failed may still be rolling its journal back as this opens (seen under
        // CI's load as "database is locked"): wait for it, as any client would.
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "PRAGMA busy_timeout = 10000",
        )
        .expect("busy timeout");
        let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut conn)
            .expect("integrity_check");
        let verdict: Vec<_> = checks.into_iter().map(|c| c.integrity_check).collect();
        assert_eq!(verdict, ["ok"], "integrity_check of {}", self.url);
    }

    /// Writes a CSV of `rows` employees (distinct names, no emails, so that it can be imported
    /// again and again) and returns its path.
    pub fn csv(&self, name: &str, rows: usize) -> PathBuf {
        use std::fmt::Write as _;
        let mut text = String::from("name,age,position,department\n");
        for i in 0..rows {
            let _ = writeln!(text, "Person {i},{},Developer,Dept {}", 20 + i % 40, i % 7);
        }
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the CSV");
        path
    }

    /// The `.staffdb-export-*` temporary files in `dir`.
    pub fn export_temp_files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .expect("read dir")
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".staffdb-export-"))
            })
            .collect()
    }
}

/// Waits for `child` up to [`HUNG`]; fails the scenario (after killing it) if it hangs.
pub fn wait(mut child: Child, what: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for staffdb") {
            return status;
        }
        if started.elapsed() > HUNG {
            let _ = child.kill();
            panic!("{what} hung for {HUNG:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How long `args` takes to run to the end on `target` (a calibration run: it must succeed).
pub fn time_of(target: &Target, args: &[&str]) -> Duration {
    let started = Instant::now();
    target.ok(args);
    started.elapsed()
}

/// A random moment in `[0, 1.3 × span)`: most faults land while the work runs, some after it.
pub fn random_moment(rng: &mut fastrand::Rng, span: Duration) -> Duration {
    span.mul_f64(1.3 * rng.f64())
}

/// A random generator whose seed is printed, so that a failing run can be replayed with
/// `STAFFDB_FAULT_SEED`.
pub fn rng(scenario: &str) -> fastrand::Rng {
    let seed = std::env::var("STAFFDB_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("{scenario}: seed {seed}");
    fastrand::Rng::with_seed(seed)
}

/// Sends `signal` (`KILL`, `INT`, `TERM`) to the process `pid`; false if it has already gone.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Starts `command`, waits `after`, sends `sig`, and returns how the process ended.
pub fn interrupt(mut command: Command, after: Duration, sig: &str, what: &str) -> ExitStatus {
    let child = command.spawn().expect("spawn staffdb");
    std::thread::sleep(after);
    signal(child.id(), sig);
    wait(child, what)
}

/// What a scenario saw over its runs, printed for the record: how many runs ended before the
/// work took effect, and how many after.
#[derive(Default)]
pub struct Tally {
    pub nothing: usize,
    pub everything: usize,
}

impl Tally {
    /// Counts one run: `done` when the work took effect.
    pub fn record(&mut self, done: bool) {
        if done {
            self.everything += 1;
        } else {
            self.nothing += 1;
        }
    }

    /// Prints the tally to stderr.
    pub fn report(&self, scenario: &str, backend: Backend) {
        eprintln!(
            "{scenario} on {backend}: {} runs held: {} stopped before the work took effect, {} after",
            self.nothing + self.everything,
            self.nothing,
            self.everything
        );
    }
}

/// For each listed scenario `fn name(backend: Backend)`, one `#[test]` per backend:
/// `…::sqlite::name`, `…::postgres::name`, `…::mysql::name`.
macro_rules! each_backend {
    ($($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        mod sqlite {
            $($(#[$attr])* #[test] fn $name() { super::$name(staffdb::Backend::Sqlite) })+
        }
        mod postgres {
            $($(#[$attr])* #[test] fn $name() { super::$name(staffdb::Backend::Postgres) })+
        }
        mod mysql {
            $($(#[$attr])* #[test] fn $name() { super::$name(staffdb::Backend::Mysql) })+
        }
    };
}
pub(crate) use each_backend;
