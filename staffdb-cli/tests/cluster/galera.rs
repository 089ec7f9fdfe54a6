//! On the 3-node Galera cluster: no update lost with writers on every node, and migrations that
//! race from two nodes both succeed.

use std::time::Duration;

use staffdb::diesel::sql_types::{BigInt, Integer};
use staffdb::diesel::{QueryableByName, RunQueryDsl, sql_query};

use crate::support::{
    ClusterDb, Ended, causal_connection, exclusive_rig, finish, galera_nodes, kill_galera_node,
    repair_galera, rounds, run, several_hosts, shared_rig, spawn,
};

/// How many migrations staffdb has, as `__diesel_schema_migrations` records them: counted from
/// `migrations/mysql`, so that a new migration changes no test.
fn staffdb_migrations() -> i64 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/mysql");
    let entries = std::fs::read_dir(dir).expect("staffdb's MySQL migrations");
    entries
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count() as i64
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Integer)]
    version: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(url: &str, sql: &str) -> i64 {
    let found: Count = sql_query(sql)
        .get_result(&mut causal_connection(url))
        .expect(sql);
    found.n
}

/// What MariaDB 10.11 answered, once in CI, to the first INSERT after a migrate through a node
/// that was applying other tests' trigger and database DDL at the same time: it read the
/// table's trigger back as an empty statement. Not reproduced in 4 reruns of the suite.
const EMPTY_TRIGGER_BODY: &str = "has an error in its body: 'Query was empty'";

/// `staffdb add` of the row the writers update, through the first node. The server's transient
/// failure to read the trigger back ([`EMPTY_TRIGGER_BODY`]) is reported with each node's
/// triggers and tried again, at most twice: it is the setup of the test, not what it proves.
fn add_row(db: &ClusterDb) -> Ended {
    let args = ["add", "--name", "Row", "--age", "30", "--position", "Clerk"];
    let mut added = run(&db.urls[0], &args);
    for _ in 0..2 {
        if added.succeeded() || !added.stderr.contains(EMPTY_TRIGGER_BODY) {
            break;
        }
        for url in &db.urls {
            let triggers = count(
                url,
                "SELECT COUNT(*) AS n FROM information_schema.TRIGGERS \
                 WHERE TRIGGER_SCHEMA = DATABASE() AND ACTION_STATEMENT <> ''",
            );
            eprintln!("{EMPTY_TRIGGER_BODY}: {url} has {triggers} trigger(s) with a body");
        }
        std::thread::sleep(Duration::from_secs(1));
        added = run(&db.urls[0], &args);
    }
    assert!(added.succeeded(), "{added:?}");
    added
}

/// The proof: 8 `staffdb update` processes of one row, round-robin over the 3 nodes, 100
/// rounds. Every round, the row's final version is 1 + the number of updates that exited 0: a
/// writer whose transaction the cluster aborted either retried or failed, never "succeeded"
/// without its change.
#[test]
#[ignore = "needs the Galera rig (rigs/galera up; STAFFDB_TEST_GALERA_URLS): run with --ignored"]
fn no_update_is_lost_with_writers_on_three_nodes() {
    let nodes = galera_nodes();
    let _rig = shared_rig();
    let db = ClusterDb::create(&nodes, "lost");
    assert!(run(&db.urls[0], &["migrate"]).succeeded());
    const WRITERS: usize = 8;
    let rounds = rounds(100);
    let (mut failed, mut hung) = (0, 0);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for round in 1..=rounds {
        let added = add_row(&db);
        let id = added
            .stdout
            .split(',')
            .next()
            .and_then(|f| f.strip_prefix("ID: "));
        let id = id.expect("the added row's id").to_owned();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let age = (31 + w).to_string();
                spawn(&db.urls[w % nodes.len()], &["update", &id, "--age", &age])
            })
            .collect();
        let ended: Vec<Ended> = writers
            .into_iter()
            .map(|w| finish(w, Duration::from_secs(90)))
            .collect();
        let succeeded = ended.iter().filter(|e| e.succeeded()).count();
        failed += WRITERS - succeeded;
        hung += ended.iter().filter(|e| e.status.is_none()).count();
        let mut conn = causal_connection(&db.urls[round % nodes.len()]);
        let row: Version = sql_query(format!("SELECT version FROM employees WHERE id = {id}"))
            .get_result(&mut conn)
            .expect("the row");
        let failures: Vec<&str> = ended
            .iter()
            .filter(|e| !e.succeeded())
            .map(|e| e.stderr.trim())
            .collect();
        for reason in &failures {
            *reasons.entry((*reason).to_owned()).or_default() += 1;
        }
        assert_eq!(
            row.version as usize,
            1 + succeeded,
            "round {round}: {succeeded} of {WRITERS} updates exited 0; the others said {failures:?}"
        );
    }
    eprintln!(
        "lost updates: {rounds} rounds of {WRITERS} writers over {} nodes, none lost; \
         {failed} writers exited non-zero ({hung} killed after 90 s): {reasons:?}",
        nodes.len()
    );
    assert_eq!(hung, 0, "a writer hung");
}

/// Two `migrate` of one empty database through two nodes at once both succeed, 50 races of 50,
/// and leave every migration recorded.
#[test]
#[ignore = "needs the Galera rig (rigs/galera up; STAFFDB_TEST_GALERA_URLS): run with --ignored"]
fn migrations_racing_on_two_nodes_both_succeed() {
    let nodes = galera_nodes();
    let _rig = shared_rig();
    let races = rounds(50);
    for race in 1..=races {
        let db = ClusterDb::create(&nodes, "race");
        let both = [
            spawn(&db.urls[0], &["migrate"]),
            spawn(&db.urls[1], &["migrate"]),
        ];
        for (node, ended) in both
            .map(|m| finish(m, Duration::from_secs(150)))
            .iter()
            .enumerate()
        {
            assert!(
                ended.succeeded(),
                "race {race}: the migrate on node {} failed: {ended:?}",
                node + 1
            );
        }
        assert_recorded(&db, race);
    }
    eprintln!("migration races: {races} of {races} with both sides succeeding");
}

/// A `migrate` killed at a random moment leaves a database that the next `migrate` finishes:
/// at once on the same node, whose process list shows the lock's holder gone.
#[test]
#[ignore = "needs the Galera rig (rigs/galera up; STAFFDB_TEST_GALERA_URLS): run with --ignored"]
fn a_killed_migrate_is_finished_by_the_next() {
    let nodes = galera_nodes();
    let _rig = shared_rig();
    let runs = rounds(20);
    for attempt in 1..=runs {
        let db = ClusterDb::create(&nodes, "killed");
        let mut migrate = spawn(&db.urls[0], &["migrate"]);
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..400)));
        let _ = migrate.kill();
        let _ = migrate.wait();
        let next = finish(spawn(&db.urls[0], &["migrate"]), Duration::from_secs(150));
        assert!(next.succeeded(), "run {attempt}: {next:?}");
        assert_recorded(&db, attempt);
    }
}

fn assert_recorded(db: &ClusterDb, round: usize) {
    let recorded = count(
        &db.urls[2],
        "SELECT COUNT(*) AS n FROM __diesel_schema_migrations",
    );
    assert_eq!(
        recorded,
        staffdb_migrations(),
        "round {round}: migrations recorded"
    );
    let tables = count(
        &db.urls[2],
        &format!(
            "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' \
             AND TABLE_NAME IN ('employees', 'departments')",
            db.name
        ),
    );
    assert_eq!(tables, 2, "round {round}: tables");
    assert!(
        run(&db.urls[2], &["list"]).succeeded(),
        "round {round}: a command works after"
    );
}

/// A URL of all three nodes, with the first one killed mid-stream: every `add` through it lands
/// on a live node. One whose COMMIT was cut off says "outcome unknown" (exit 3); none exits 1,
/// and every add that exited 0 is stored.
#[test]
#[ignore = "needs the Galera rig (rigs/galera up; STAFFDB_TEST_GALERA_URLS): run with --ignored"]
fn writes_fail_over_when_a_node_dies() {
    let nodes = galera_nodes();
    let _rig = exclusive_rig();
    let db = ClusterDb::create(&nodes, "failover");
    let url = several_hosts(&[&db.urls[2], &db.urls[0], &db.urls[1]]);
    assert!(run(&url, &["migrate"]).succeeded());
    // Two writers, so that the kill lands inside some add's transaction or COMMIT.
    const ADDS: usize = 150;
    let started = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: Vec<(String, Ended)> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (url, started) = (&url, &started);
                scope.spawn(move || {
                    (0..ADDS / 2)
                        .map(|i| {
                            started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let name = format!("Failover {w}-{i}");
                            let args =
                                ["add", "--name", &name, "--age", "30", "--position", "Clerk"];
                            let added = run(url, &args);
                            (name, added)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        while started.load(std::sync::atomic::Ordering::Relaxed) < 30 {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..40)));
        kill_galera_node(3);
        writers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer"))
            .collect()
    });
    let code = |e: &Ended| e.status.and_then(|s| s.code());
    let unknown = outcomes.iter().filter(|(_, e)| code(e) == Some(3)).count();
    for (name, added) in &outcomes {
        assert!(matches!(code(added), Some(0 | 3)), "{name}: {added:?}");
        if added.succeeded() {
            let stored = count(
                &db.urls[0],
                &format!("SELECT COUNT(*) AS n FROM employees WHERE name = '{name}'"),
            );
            assert_eq!(stored, 1, "{name} exited 0 but is not stored once");
        }
    }
    eprintln!(
        "failover: {ADDS} adds with node 3 killed after 30: {unknown} outcome unknown, the rest stored"
    );
    drop(db);
    repair_galera();
}

/// Reads through another node see a commit made a moment before through the first (staffdb
/// reads causally on Galera: `wsrep_sync_wait`): 50 rounds of 500 rows written through node 1
/// and counted at once through node 2, which is still applying them when the count starts.
#[test]
#[ignore = "needs the Galera rig (rigs/galera up; STAFFDB_TEST_GALERA_URLS): run with --ignored"]
fn a_commit_through_one_node_is_read_through_another() {
    use staffdb::{Database, Employee, EmployeeFilter, NewEmployee};
    let nodes = galera_nodes();
    let _rig = shared_rig();
    let db = ClusterDb::create(&nodes, "causal");
    let writer = Database::open(&db.urls[0]).expect("node 1");
    let reader = Database::open(&db.urls[1]).expect("node 2");
    const ROWS: i64 = 500;
    for round in 1..=50 {
        writer
            .transaction(|s| {
                s.add_all((0..ROWS).map(|i| NewEmployee::new(format!("C{round}-{i}"), 30, "Clerk")))
            })
            .expect("add");
        let counted = reader
            .read_session()
            .and_then(|mut s| Employee::count(&mut s, &EmployeeFilter::new()))
            .expect("count");
        assert_eq!(
            counted,
            round * ROWS,
            "round {round}: node 2 did not see node 1's commit"
        );
    }
}
