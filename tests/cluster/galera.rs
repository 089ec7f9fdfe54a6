//! On the 3-node Galera cluster: no update lost with writers on every node, and migrations that
//! race from two nodes both succeed.

use std::time::Duration;

use staffdb::diesel::sql_types::{BigInt, Integer};
use staffdb::diesel::{QueryableByName, RunQueryDsl, sql_query};

use crate::support::{
    ClusterDb, Ended, causal_connection, finish, galera_nodes, rounds, run, spawn,
};

/// staffdb's migrations, as `__diesel_schema_migrations` records them.
const STAFFDB_MIGRATIONS: i64 = 5;

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

/// The proof: 8 `staffdb update` processes of one row, round-robin over the 3 nodes, 100
/// rounds. Every round, the row's final version is 1 + the number of updates that exited 0: a
/// writer whose transaction the cluster aborted either retried or failed, never "succeeded"
/// without its change.
#[test]
fn no_update_is_lost_with_writers_on_three_nodes() {
    let Some(nodes) = galera_nodes() else { return };
    let db = ClusterDb::create(&nodes, "lost");
    assert!(run(&db.urls[0], &["migrate"]).succeeded());
    const WRITERS: usize = 8;
    let rounds = rounds(100);
    let (mut failed, mut hung) = (0, 0);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for round in 1..=rounds {
        let added = run(
            &db.urls[0],
            &["add", "--name", "Row", "--age", "30", "--position", "Clerk"],
        );
        assert!(added.succeeded(), "{added:?}");
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
fn migrations_racing_on_two_nodes_both_succeed() {
    let Some(nodes) = galera_nodes() else { return };
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
fn a_killed_migrate_is_finished_by_the_next() {
    let Some(nodes) = galera_nodes() else { return };
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
        recorded, STAFFDB_MIGRATIONS,
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
