//! On the PostgreSQL primary with two hot standbys: several hosts in one URL find the primary, and
//! a standby refuses writes and migrations in words that say why.

use std::time::{Duration, Instant};

use staffdb::diesel::connection::SimpleConnection;
use staffdb::diesel::{Connection, PgConnection};

use crate::support::{pg_replicas, run, several_hosts, shared_rig, with_database};

/// A database of a test's own, created on the primary and seen on both standbys.
struct ReplicatedDb {
    name: String,
    primary: String,
    standbys: Vec<String>,
}

impl ReplicatedDb {
    fn create(urls: &[String], tag: &str) -> ReplicatedDb {
        let name = format!("staffdb_{tag}_{}_{}", std::process::id(), fastrand::u32(..));
        let mut admin = PgConnection::establish(&urls[0]).expect("connect to the primary");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the database");
        let standbys: Vec<String> = urls[1..].iter().map(|u| with_database(u, &name)).collect();
        // A standby shows the new database once it has replayed its creation (about 2 ms here).
        let deadline = Instant::now() + Duration::from_secs(10);
        for standby in &standbys {
            while PgConnection::establish(standby).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "{standby} never showed the database"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        ReplicatedDb {
            primary: with_database(&urls[0], &name),
            standbys,
            name,
        }
    }
}

impl Drop for ReplicatedDb {
    fn drop(&mut self) {
        let admin = with_database(&self.primary, "postgres");
        if let Ok(mut conn) = PgConnection::establish(&admin) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `postgres://u:p@standby,dead,primary/db` as libpq has it: staffdb lands its writes on the
/// primary whatever the order, skipping a host that is down.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn several_hosts_find_the_primary() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "hosts");
    assert!(run(&db.primary, &["migrate"]).succeeded());
    let dead = with_database("postgres://staffdb:staffdb@127.0.0.1:5499/x", &db.name);
    let url = several_hosts(&[&db.standbys[0], &dead, &db.primary]);
    let added = run(
        &url,
        &["add", "--name", "Pat", "--age", "40", "--position", "Clerk"],
    );
    assert!(added.succeeded(), "{added:?}");
    let listed = run(&db.primary, &["list"]);
    assert!(listed.stdout.contains("Name: Pat"), "{listed:?}");
    assert!(
        !added.stderr.contains("staffdb:staffdb@"),
        "a password shown: {added:?}"
    );
}

/// A write sent to a standby fails once, saying it is a read-only standby; nothing is changed.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_write_on_a_standby_says_read_only_standby() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "standby_write");
    assert!(run(&db.primary, &["migrate"]).succeeded());
    let refused = run(
        &db.standbys[0],
        &["add", "--name", "Sam", "--age", "40", "--position", "Clerk"],
    );
    assert_eq!(
        refused.status.and_then(|s| s.code()),
        Some(1),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("the server is a read-only standby"),
        "{refused:?}"
    );
    assert_eq!(refused.stderr.matches("error:").count(), 1, "{refused:?}");
    assert!(!run(&db.primary, &["list"]).stdout.contains("Sam"));
}

/// A standby of a primary that was never migrated says so, and tries no `CREATE TABLE`: a read
/// finds no staffdb schema (reads never migrate), a write finds a standby it cannot migrate.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_standby_of_an_unmigrated_primary_says_so() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "standby_unmigrated");
    let listed = run(&db.standbys[1], &["list"]);
    assert_eq!(listed.status.and_then(|s| s.code()), Some(1), "{listed:?}");
    assert!(listed.stderr.contains("no staffdb schema in"), "{listed:?}");
    let added = run(
        &db.standbys[1],
        &["add", "--name", "A", "--age", "30", "--position", "P"],
    );
    assert_eq!(added.status.and_then(|s| s.code()), Some(1), "{added:?}");
    assert!(
        added
            .stderr
            .contains("read-only standby and its primary has not applied every migration"),
        "{added:?}"
    );
}

/// Read-your-writes through standbys: 200 times, a commit on the primary and then a read session,
/// which goes to a standby once it has replayed that commit (else to the primary). Every read
/// sees the write before it; most of them are served by a standby.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn reads_after_own_commit_see_it_and_go_to_standbys() {
    use staffdb::{EmployeeChanges, NewEmployee, OpenOptions};
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "read_your_writes");
    let standbys = several_hosts(&[&db.standbys[0], &db.standbys[1]]);
    let database = OpenOptions::new()
        .read_url(&standbys)
        .open(&db.primary)
        .expect("open with a read URL");
    let mut on_standby = 0;
    const ROUNDS: usize = 200;
    for round in 0..ROUNDS {
        let added = database
            .transaction(|s| s.add(&NewEmployee::new(format!("R{round}"), 30, "Clerk")))
            .expect("add");
        let changes = EmployeeChanges {
            age: Some(31),
            ..Default::default()
        };
        let updated = database
            .transaction(|s| s.update(added.id, &changes))
            .expect("update");
        let mut reader = database.read_session().expect("read session");
        let seen = reader
            .get(added.id)
            .expect("read")
            .expect("the row just added");
        assert_eq!(seen.version, updated.version, "round {round}: a stale read");
        on_standby += usize::from(on_a_standby(&mut reader));
    }
    eprintln!(
        "read-your-writes: {ROUNDS} reads after commits, all current; {on_standby} served by a standby"
    );
    assert!(
        on_standby > ROUNDS / 2,
        "only {on_standby} of {ROUNDS} reads went to a standby"
    );
}

/// A read URL whose standbys are all down: reads go to the primary, and nothing fails.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_dead_read_url_falls_back_to_the_primary() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "dead_standby");
    let dead = with_database("postgres://staffdb:staffdb@127.0.0.1:5499/x", &db.name);
    let added = run(
        &db.primary,
        &["add", "--name", "Kim", "--age", "40", "--position", "Clerk"],
    );
    assert!(added.succeeded(), "{added:?}");
    let listed = run(&db.primary, &["--read-url", &dead, "list"]);
    assert!(
        listed.succeeded() && listed.stdout.contains("Kim"),
        "{listed:?}"
    );
}

/// A COMMIT whose answer never comes is "outcome unknown" (exit 3), not a failure: the primary is
/// made to wait at COMMIT for a synchronous standby that does not exist, and the waiting backend
/// is then terminated. PostgreSQL had already committed locally, so the row is there — which is
/// why staffdb neither retries it nor reports it unchanged.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_commit_cut_off_is_reported_as_outcome_unknown() {
    commit_cut_off("outcome_unknown", &[]);
}

/// The same with the wait for a primary on (`--wait-for-primary 30`): the connection lost at
/// COMMIT is not a primary to wait for and retry on — the add exits 3 "outcome unknown" at once
/// (not after the wait), and the row, committed locally, is stored once, never twice.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_commit_cut_off_while_waiting_for_a_primary_is_outcome_unknown() {
    commit_cut_off("outcome_unknown_wait", &["--wait-for-primary", "30"]);
}

/// An `add` (with `options` before it) whose COMMIT waits for a synchronous standby that does
/// not exist, its backend then terminated: exit 3, and the row stored exactly once.
fn commit_cut_off(name: &str, options: &[&str]) {
    use staffdb::diesel::sql_types::BigInt;
    use staffdb::diesel::{QueryableByName, RunQueryDsl, sql_query};
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = BigInt)]
        pid: i64,
    }
    let urls = pg_replicas();
    let _rig = crate::support::exclusive_rig();
    let db = ReplicatedDb::create(&urls, name);
    assert!(run(&db.primary, &["migrate"]).succeeded());
    let admin_url = with_database(&db.primary, "postgres");
    let mut admin = PgConnection::establish(&admin_url).expect("admin");
    let _waiting_commits = SyncStandby::require(&admin_url, "staffdb_no_such_standby");
    let mut args = options.to_vec();
    args.extend([
        "add",
        "--name",
        "Maybe",
        "--age",
        "40",
        "--position",
        "Clerk",
    ]);
    let adding = crate::support::spawn(&db.primary, &args);
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        let waiting: Vec<Pid> = sql_query(format!(
            "SELECT pid::bigint AS pid FROM pg_stat_activity \
             WHERE datname = '{}' AND wait_event = 'SyncRep'",
            db.name
        ))
        .load(&mut admin)
        .expect("pg_stat_activity");
        if let Some(waiting) = waiting.first() {
            break waiting.pid;
        }
        assert!(Instant::now() < deadline, "the COMMIT never waited");
        std::thread::sleep(Duration::from_millis(10));
    };
    admin
        .batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
        .expect("terminate");
    let terminated = Instant::now();
    let ended = crate::support::finish(adding, Duration::from_secs(60));
    assert_eq!(ended.status.and_then(|s| s.code()), Some(3), "{ended:?}");
    assert!(
        ended.stderr.contains("may or may not have been committed"),
        "{ended:?}"
    );
    assert!(
        terminated.elapsed() < Duration::from_secs(10),
        "it waited after the COMMIT was cut off: {:?}",
        terminated.elapsed()
    );
    let listed = run(&db.primary, &["list"]);
    assert_eq!(
        listed.stdout.matches("Name: Maybe,").count(),
        1,
        "committed locally, once: {listed:?}"
    );
}

/// The primary waits at every COMMIT for a synchronous standby of this name, until dropped.
struct SyncStandby(String);

impl SyncStandby {
    fn require(admin_url: &str, name: &str) -> SyncStandby {
        set_sync_standby(admin_url, name);
        // A reload is asynchronous: give the server a moment to read it.
        std::thread::sleep(Duration::from_millis(300));
        SyncStandby(admin_url.to_owned())
    }
}

impl Drop for SyncStandby {
    fn drop(&mut self) {
        set_sync_standby(&self.0, "");
    }
}

fn set_sync_standby(admin_url: &str, name: &str) {
    let mut admin = PgConnection::establish(admin_url).expect("admin");
    // Two statements: ALTER SYSTEM refuses to run in the implicit transaction of a batch.
    admin
        .batch_execute(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{name}'"
        ))
        .expect("synchronous_standby_names");
    admin
        .batch_execute("SELECT pg_reload_conf()")
        .expect("reload");
}

/// A standby too far behind is skipped: with its replay paused, a read after a commit waits the
/// read wait for it, then reads the commit from the primary.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn a_standby_too_far_behind_is_skipped() {
    use staffdb::{NewEmployee, OpenOptions};
    let urls = pg_replicas();
    let _rig = crate::support::exclusive_rig();
    let db = ReplicatedDb::create(&urls, "lagging");
    let database = OpenOptions::new()
        .read_url(&db.standbys[0])
        .read_wait(Duration::from_millis(200))
        .open(&db.primary)
        .expect("open");
    let _paused = ReplayPaused::on(&db.standbys[0]);
    let added = database
        .transaction(|s| s.add(&NewEmployee::new("Late", 30, "Clerk")))
        .expect("add");
    let started = Instant::now();
    let mut reader = database.read_session().expect("read session");
    let waited = started.elapsed();
    assert!(
        reader.get(added.id).expect("read").is_some(),
        "the commit is read"
    );
    assert!(
        !on_a_standby(&mut reader),
        "the paused standby served the read"
    );
    assert!(
        waited >= Duration::from_millis(200),
        "it waited the read wait first: {waited:?}"
    );
}

/// A standby's replay paused until this is dropped.
struct ReplayPaused(String);

impl ReplayPaused {
    fn on(standby: &str) -> ReplayPaused {
        let mut conn = PgConnection::establish(standby).expect("standby");
        conn.batch_execute("SELECT pg_wal_replay_pause()")
            .expect("pause");
        ReplayPaused(standby.to_owned())
    }
}

impl Drop for ReplayPaused {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.0) {
            let _ = conn.batch_execute("SELECT pg_wal_replay_resume()");
        }
    }
}

/// True when `session` runs on a standby (a server in recovery).
fn on_a_standby(session: &mut staffdb::Session) -> bool {
    use staffdb::diesel::RunQueryDsl;
    use staffdb::diesel::dsl::sql;
    use staffdb::diesel::sql_types::Bool;
    session
        .run(|c| staffdb::diesel::select(sql::<Bool>("pg_is_in_recovery()")).get_result(c))
        .expect("where the session runs")
}

/// With `--wait-for-primary`, an `add` started while no host takes connections succeeds once one
/// does, and is stored once; without the wait the same `add` fails at once, storing nothing.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn an_add_waits_for_a_primary_that_comes_up_and_is_stored_once() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "wait_primary");
    assert!(run(&db.primary, &["migrate"]).succeeded());
    // A port nobody listens on yet; later a proxy to the primary opens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let late = with_database(
        &format!("postgres://staffdb:staffdb@127.0.0.1:{port}/x"),
        &db.name,
    );
    let add = |name: &'static str| ["add", "--name", name, "--age", "40", "--position", "Clerk"];

    let unwaited = run(&late, &add("Early"));
    assert_eq!(
        unwaited.status.and_then(|s| s.code()),
        Some(1),
        "{unwaited:?}"
    );
    assert!(
        unwaited.stderr.contains("Connection refused"),
        "{unwaited:?}"
    );

    let started = Instant::now();
    let mut args = vec!["--wait-for-primary", "30"];
    args.extend(add("Late"));
    let waiting = crate::support::spawn(&late, &args);
    std::thread::sleep(Duration::from_millis(1500));
    let primary_port = db
        .primary
        .rsplit_once(':')
        .and_then(|(_, p)| p.split_once('/'))
        .expect("a port")
        .0;
    proxy(port, primary_port.parse().expect("a port number"));
    let ended = crate::support::finish(waiting, Duration::from_secs(40));
    assert!(ended.succeeded(), "{ended:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "it did not wait"
    );

    let listed = run(&db.primary, &["list"]);
    assert_eq!(
        listed.stdout.matches("Name: Late,").count(),
        1,
        "{listed:?}"
    );
    assert_eq!(
        listed.stdout.matches("Name: Early,").count(),
        0,
        "{listed:?}"
    );
}

/// A wait for a primary that never comes (a URL naming a standby only) ends at its deadline
/// with an error that says so and why, exit 1, nothing stored.
#[test]
#[ignore = "needs the replicas rig (rigs/replicas up; STAFFDB_TEST_PG_REPLICA_URLS): run with --ignored"]
fn the_wait_for_a_primary_ends_at_its_deadline_with_the_reason() {
    let urls = pg_replicas();
    let _rig = shared_rig();
    let db = ReplicatedDb::create(&urls, "wait_standby");
    assert!(run(&db.primary, &["migrate"]).succeeded());
    std::thread::sleep(Duration::from_millis(200)); // the standby replays the migrations
    let started = Instant::now();
    let waited = run(
        &db.standbys[0],
        &[
            "--wait-for-primary",
            "1.5",
            "add",
            "--name",
            "Never",
            "--age",
            "40",
            "--position",
            "Clerk",
        ],
    );
    let took = started.elapsed();
    assert_eq!(waited.status.and_then(|s| s.code()), Some(1), "{waited:?}");
    assert!(
        waited.stderr.contains("no writable primary within 1.5 s")
            && waited.stderr.contains("read-only standby"),
        "{waited:?}"
    );
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let listed = run(&db.primary, &["list"]);
    assert!(!listed.stdout.contains("Never"), "{listed:?}");
}

/// A TCP proxy from `127.0.0.1:from` to `127.0.0.1:to`, for the rest of the test process.
fn proxy(from: u16, to: u16) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", from)).expect("the proxy's port");
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", to)) else {
                continue;
            };
            let pipe = |mut a: std::net::TcpStream, mut b: std::net::TcpStream| {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                    let _ = b.shutdown(std::net::Shutdown::Both);
                });
            };
            pipe(
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            pipe(server, client);
        }
    });
}
