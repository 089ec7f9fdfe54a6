//! Private database servers that a test may crash: a PostgreSQL 15 cluster and a MariaDB server,
//! each in a temp dir of its own, on a free loopback port, stopped and removed when dropped.
//!
//! The shared servers on 3306 and 5432 are never stopped; these are. They need root (the servers
//! run as the `postgres` and `mysql` users) and the Debian binaries, so the tests that use them
//! are `#[ignore]`d unless asked for (`--ignored`, as CI does); asked for without them, they fail
//! saying why.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const MARIADBD: &str = "/usr/sbin/mariadbd";
/// How long a server may take to come up (or to recover after a crash).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A PostgreSQL cluster of the test's own.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

/// A MariaDB server of the test's own.
pub struct PrivateMariadb {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<Child>,
}

/// Whether this machine can run private servers; the reason when it cannot.
fn unavailable(binary: &str) -> Option<String> {
    if !is_root() {
        return Some("private servers need root (they run as postgres and mysql)".into());
    }
    (!Path::new(binary).exists()).then(|| format!("{binary} is not installed"))
}

/// Fails the test, saying why a private server cannot run here.
fn cannot_run(what: &str, why: &str) -> ! {
    panic!("the {what} fault test cannot run here: {why}")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A temp dir that `user` owns (the server refuses a data directory it cannot write).
fn dir_owned_by(user: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("staffdb-faults-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    run_ok(Command::new("chown").args([user, &dir.path().display().to_string()]));
    dir
}

fn run_ok(command: &mut Command) {
    let output = command.output().expect("run a server tool");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits until `ready` holds, up to [`START_TIMEOUT`].
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < START_TIMEOUT,
            "{what} did not come up in {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl PrivatePostgres {
    /// Initialises and starts a cluster; fails the test, saying why, when it cannot.
    pub fn start() -> PrivatePostgres {
        if let Some(why) = unavailable(&format!("{PG_BIN}/initdb")) {
            cannot_run("private PostgreSQL", &why);
        }
        let dir = dir_owned_by("postgres");
        let server = PrivatePostgres {
            port: free_port(),
            dir,
        };
        server.as_postgres(
            &format!("{PG_BIN}/initdb"),
            &[
                "--auth=trust",
                "--locale=C.UTF-8",
                "--username=postgres",
                "-D",
                &server.data_dir(),
            ],
        );
        server.resume();
        server
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server the way a crash would (`pg_ctl stop -m immediate`: no checkpoint, every
    /// connection cut).
    pub fn crash(&self) {
        self.as_postgres(
            &format!("{PG_BIN}/pg_ctl"),
            &["stop", "-m", "immediate", "-D", &self.data_dir()],
        );
    }

    /// Starts the server again (after [`crash`](Self::crash), with crash recovery) and waits
    /// until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        self.as_postgres(
            &format!("{PG_BIN}/pg_ctl"),
            &[
                "start",
                "-w",
                "-t",
                "90",
                "-D",
                &self.data_dir(),
                "-l",
                &self.dir.path().join("server.log").display().to_string(),
                "-o",
                &options,
            ],
        );
        let url = self.url();
        wait_until("private PostgreSQL", || connects_pg(&url));
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn as_postgres(&self, program: &str, args: &[&str]) {
        // From `/`: the test's working directory may not be readable by postgres.
        run_ok(
            Command::new("runuser")
                .current_dir("/")
                .args(["-u", "postgres", "--", program])
                .args(args),
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .current_dir("/")
            .args(["-u", "postgres", "--", &format!("{PG_BIN}/pg_ctl")])
            .args(["stop", "-m", "immediate", "-D", &self.data_dir()])
            .output();
    }
}

fn connects_pg(url: &str) -> bool {
    use diesel::Connection as _;
    diesel::PgConnection::establish(url).is_ok()
}

impl PrivateMariadb {
    /// Installs and starts a server; fails the test, saying why, when it cannot.
    pub fn start() -> PrivateMariadb {
        if let Some(why) = unavailable(MARIADBD) {
            cannot_run("private MariaDB", &why);
        }
        let dir = dir_owned_by("mysql");
        let data = dir.path().join("data");
        run_ok(Command::new("mariadb-install-db").args([
            "--no-defaults",
            "--user=mysql",
            "--skip-test-db",
            &format!("--datadir={}", data.display()),
        ]));
        let mut server = PrivateMariadb {
            port: free_port(),
            dir,
            server: None,
        };
        server.resume();
        server
    }

    /// The URL of the server's `staffdb` database (created on first start).
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/staffdb", self.port)
    }

    /// Kills the server (SIGKILL: no shutdown, every connection cut).
    pub fn crash(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts the server (again, with InnoDB's crash recovery) and waits until it serves.
    pub fn resume(&mut self) {
        let dir = self.dir.path();
        let log = std::fs::File::create(dir.join("server.log")).expect("server log");
        // --skip-grant-tables: root logs in over TCP with no password, as on the shared server.
        let server = Command::new(MARIADBD)
            .args(["--no-defaults", "--user=mysql", "--bind-address=127.0.0.1"])
            .arg(format!("--port={}", self.port))
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .args([
                "--skip-grant-tables",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mariadbd");
        self.server = Some(server);
        let admin = format!("mysql://root@127.0.0.1:{}/mysql", self.port);
        wait_until("private MariaDB", || {
            mysql_execute(&admin, "CREATE DATABASE IF NOT EXISTS staffdb")
        });
    }
}

impl Drop for PrivateMariadb {
    fn drop(&mut self) {
        self.crash();
    }
}

fn mysql_execute(url: &str, sql: &str) -> bool {
    use diesel::{Connection as _, RunQueryDsl as _};
    diesel::MysqlConnection::establish(url)
        .is_ok_and(|mut conn| diesel::sql_query(sql).execute(&mut conn).is_ok())
}
