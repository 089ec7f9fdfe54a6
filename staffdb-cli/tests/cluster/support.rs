//! What the cluster tests share: the rigs' URLs, a database of a test's own on the cluster, and
//! the staffdb binary run with a bound on its time.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use staffdb::diesel::connection::SimpleConnection;
use staffdb::diesel::{Connection, MysqlConnection};

/// The Galera nodes' URLs; fails the test when no rig is named here.
pub fn galera_nodes() -> Vec<String> {
    rig_urls("STAFFDB_TEST_GALERA_URLS", "rigs/galera up")
}

/// The PostgreSQL primary's URL, then its standbys'; fails the test when no rig is named here.
pub fn pg_replicas() -> Vec<String> {
    rig_urls("STAFFDB_TEST_PG_REPLICA_URLS", "rigs/replicas up")
}

/// PgBouncer in transaction mode (`rigs/pgbouncer`), with staffdb's `pool_mode=transaction`;
/// fails the test when no rig is named here.
pub fn pgbouncer() -> String {
    rig_urls("STAFFDB_TEST_PGBOUNCER_URL", "rigs/pgbouncer up").remove(0)
}

/// The Patroni cluster's URL, every member listed (`rigs/patroni`); fails the test when no rig
/// is named here.
pub fn patroni() -> String {
    // One URL whose host list holds commas: not split as the other rigs' lists are.
    let url = std::env::var("STAFFDB_TEST_PATRONI_URL").unwrap_or_default();
    assert!(
        !url.trim().is_empty(),
        "this cluster test needs its rig: start it (`rigs/patroni up`) and set STAFFDB_TEST_PATRONI_URL"
    );
    url.trim().to_owned()
}

fn rig_urls(variable: &str, start: &str) -> Vec<String> {
    let urls: Vec<String> = std::env::var(variable)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(
        !urls.is_empty(),
        "this cluster test needs its rig: start it (`{start}`) and set {variable}"
    );
    urls
}

/// How many rounds a test runs: its own count, scaled by `STAFFDB_CLUSTER_ROUNDS` (a cap).
pub fn rounds(default: usize) -> usize {
    std::env::var("STAFFDB_CLUSTER_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(default, |cap| cap.min(default))
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{name}")
}

/// A database of a test's own on the cluster, dropped when this is.
pub struct ClusterDb {
    pub name: String,
    /// The database's URL through each node.
    pub urls: Vec<String>,
    admin: String,
}

impl ClusterDb {
    pub fn create(nodes: &[String], tag: &str) -> ClusterDb {
        // A name never used before: a database dropped and created again under the same name
        // while other clients still held its tables has left a node with a broken trigger cache.
        let name = format!("staffdb_{tag}_{}_{}", std::process::id(), fastrand::u32(..));
        let admin = nodes[0].clone();
        execute(&admin, &format!("CREATE DATABASE {name}"));
        // The other nodes apply the CREATE a moment later, and a connection that names the
        // database is refused until they have.
        let deadline = Instant::now() + Duration::from_secs(10);
        for node in &nodes[1..] {
            while MysqlConnection::establish(&with_database(node, &name)).is_err() {
                assert!(Instant::now() < deadline, "{name} never reached {node}");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let urls = nodes.iter().map(|n| with_database(n, &name)).collect();
        ClusterDb { name, urls, admin }
    }
}

impl Drop for ClusterDb {
    fn drop(&mut self) {
        let mut conn = match MysqlConnection::establish(&self.admin) {
            Ok(conn) => conn,
            Err(error) => return eprintln!("cannot drop {}: {error}", self.name),
        };
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

/// Runs `sql` on a fresh connection to `url`.
pub fn execute(url: &str, sql: &str) {
    let mut conn = MysqlConnection::establish(url).expect("connect to the cluster");
    conn.batch_execute(sql).expect(sql);
}

/// A connection that reads what the whole cluster has committed (`wsrep_sync_wait`).
pub fn causal_connection(url: &str) -> MysqlConnection {
    let mut conn = MysqlConnection::establish(url).expect("connect to the cluster");
    conn.batch_execute("SET SESSION wsrep_sync_wait = 1")
        .expect("causal reads");
    conn
}

/// `staffdb ARGS` against `url`, started and left running.
pub fn spawn(url: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .arg("--database-url")
        .arg(url)
        .arg("--quiet")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start staffdb")
}

/// How a bounded run of staffdb ended.
#[derive(Debug)]
pub struct Ended {
    /// `None` when it was still running at the bound and was killed.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Waits for `child` up to `bound`, then kills it.
pub fn finish(mut child: Child, bound: Duration) -> Ended {
    let deadline = Instant::now() + bound;
    let status = loop {
        match child.try_wait().expect("wait for staffdb") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let output = child.wait_with_output().expect("read staffdb's output");
    Ended {
        status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `staffdb ARGS` against `url` to the end (bounded), and returns what it printed.
pub fn run(url: &str, args: &[&str]) -> Ended {
    finish(spawn(url, args), Duration::from_secs(120))
}

/// Tests that stop a node take the rig for themselves; the others share it.
static RIG: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// A share of the rigs, for a test that leaves every node running.
pub fn shared_rig() -> std::sync::RwLockReadGuard<'static, ()> {
    RIG.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The rigs to oneself, for a test that stops a node (and starts it again).
pub fn exclusive_rig() -> std::sync::RwLockWriteGuard<'static, ()> {
    RIG.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One URL naming every node, tried in this order: `mysql://u:p@h:3313,h:3311,h:3312/db`.
pub fn several_hosts(urls: &[&str]) -> String {
    let (first, rest) = urls.split_first().expect("a URL");
    let (head, tail) = first.rsplit_once('@').expect("user@host");
    let (_, path) = tail.split_once('/').expect("a database");
    let hosts: Vec<&str> = std::iter::once(first)
        .chain(rest)
        .map(|u| u.rsplit_once('@').expect("user@host").1)
        .map(|t| t.split_once('/').expect("a database").0)
        .collect();
    format!("{head}@{}/{path}", hosts.join(","))
}

/// Kills a Galera node of the rig with SIGKILL (`n` is 1-based).
pub fn kill_galera_node(n: usize) {
    let dir = std::env::var("STAFFDB_RIG_DIR").unwrap_or_else(|_| "/tmp/staffdb-rigs".into());
    let pid_file = format!("{dir}/galera/n{n}/mysqld.pid");
    let pid = std::fs::read_to_string(&pid_file).expect(&pid_file);
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .expect("kill");
    assert!(killed.success(), "kill -9 node {n}");
}

/// `rigs/galera up`: brings a stopped node back and waits until the cluster is whole.
pub fn repair_galera() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../rigs/galera");
    let up = Command::new(script)
        .arg("up")
        .stdout(Stdio::null())
        .status()
        .expect("rigs/galera up");
    assert!(up.success(), "rigs/galera up failed");
}
