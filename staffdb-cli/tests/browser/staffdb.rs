//! The real binary: a SQLite file of its own per test, seeded and read back through the CLI,
//! and `staffdb serve` on it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A SQLite database in a temp dir of its own, removed when dropped.
pub struct Db {
    dir: tempfile::TempDir,
    pub url: String,
}

impl Db {
    /// A fresh database (created by the first command that uses it).
    pub fn new() -> Db {
        let dir = tempfile::tempdir().expect("a temp dir for the database");
        let url = dir.path().join("staffdb.db").display().to_string();
        Db { dir, url }
    }

    /// The temp dir, for files the test writes (imports, password files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `staffdb --quiet --database-url URL ARGS…`, which must succeed: its stdout.
    pub fn staffdb(&self, args: &[&str]) -> Vec<u8> {
        let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--quiet", "--database-url", &self.url])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run staffdb");
        assert!(
            output.status.success(),
            "staffdb {args:?} exited {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// `staffdb … ARGS --format json`, parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let stdout = self.staffdb(&args);
        serde_json::from_slice(&stdout).unwrap_or_else(|e| {
            panic!(
                "staffdb {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&stdout)
            )
        })
    }

    /// Adds an employee (`extra`: `--email`, `--department`, `--hired-on` …); its id.
    pub fn add(&self, name: &str, age: i32, position: &str, extra: &[&str]) -> i64 {
        let age = age.to_string();
        let mut args = vec!["add", "--name", name, "--age", &age, "--position", position];
        args.extend_from_slice(extra);
        let added = self.json(&args);
        added["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {added}"))
    }

    /// Every employee, by id, as `staffdb list --format json` prints them.
    pub fn employees(&self) -> Vec<Value> {
        match self.json(&["list"]) {
            Value::Array(rows) => rows,
            other => panic!("list printed {other}"),
        }
    }

    /// One employee, as `staffdb show ID --format json` prints it.
    pub fn employee(&self, id: i64) -> Value {
        self.json(&["show", &id.to_string()])
    }

    /// Writes `contents` to `name` in the temp dir; its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, contents).expect("write a test file");
        path
    }
}

/// `staffdb serve` on a free port of 127.0.0.1, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Serves `db` with no login.
    pub fn start(db: &Db) -> Server {
        Server::spawn(db, &[])
    }

    /// Serves `db` behind a login with `password` (written to a file for `--password-file`).
    pub fn start_with_password(db: &Db, password: &str) -> Server {
        let file = db.write_file("password", &format!("{password}\n"));
        let file = file.display().to_string();
        Server::spawn(db, &["--password-file", &file])
    }

    /// Serves `db`, which has users (`staffdb users add`): their login.
    pub fn start_with_users(db: &Db) -> Server {
        Server::spawn(db, &[])
    }

    fn spawn(db: &Db, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start staffdb serve");
        let stderr = child.stderr.take().expect("serve's stderr");
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let Some(base) = first
            .strip_prefix("serving ")
            .and_then(|rest| rest.split(' ').next())
        else {
            let rest: Vec<String> = lines.map_while(Result::ok).collect();
            let _ = child.wait();
            panic!(
                "staffdb serve {extra:?} did not start; it said: {first}\n{}",
                rest.join("\n")
            );
        };
        let base = base.trim_end_matches('/').to_owned();
        // The request log goes on; read it so that the pipe never fills.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let stopped = self.child.wait().expect("wait for serve");
        if !std::thread::panicking() {
            assert!(stopped.success(), "serve exited {stopped:?} on SIGTERM");
        }
    }
}
