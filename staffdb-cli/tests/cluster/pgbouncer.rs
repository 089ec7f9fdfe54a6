//! Through PgBouncer in transaction mode (`rigs/pgbouncer`: 4 server connections per database,
//! shared by every client): staffdb's transaction pooling makes concurrent commands correct.

use std::time::Duration;

use staffdb::diesel::connection::SimpleConnection;
use staffdb::diesel::{Connection, PgConnection};

use crate::support::{Ended, finish, pgbouncer, run, shared_rig, spawn, with_database};

/// A database of a test's own, created through PgBouncer (whose `* =` entry reaches it at once).
struct PooledDb {
    name: String,
    /// Its URL through PgBouncer, with the rig URL's query (`pool_mode=transaction`).
    url: String,
    /// Its URL through PgBouncer without staffdb's parameter: for Diesel alone, and for
    /// staffdb's own detection of a pooler.
    bare: String,
}

impl PooledDb {
    fn create(tag: &str) -> PooledDb {
        let rig = pgbouncer();
        let (base, query) = rig.split_once('?').unwrap_or((&rig, ""));
        let name = format!("staffdb_{tag}_{}_{}", std::process::id(), fastrand::u32(..));
        let mut admin = PgConnection::establish(base).expect("connect through PgBouncer");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the database");
        let bare = with_database(base, &name);
        PooledDb {
            url: format!("{bare}?{query}"),
            bare,
            name,
        }
    }

    /// Rows in `employees`, counted by Diesel alone (an unnamed statement: no cache is used
    /// for `batch_execute`'s simple query, nor kept).
    fn employees(&self) -> i64 {
        use staffdb::diesel::RunQueryDsl;
        #[derive(staffdb::diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = staffdb::diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = PgConnection::establish(&self.bare).expect("connect through PgBouncer");
        let count: Count = staffdb::diesel::sql_query("SELECT count(*) AS n FROM employees")
            .get_result(&mut conn)
            .expect("count");
        count.n
    }
}

impl Drop for PooledDb {
    fn drop(&mut self) {
        let rig = pgbouncer();
        let base = rig.split('?').next().unwrap_or(&rig);
        if let Ok(mut conn) = PgConnection::establish(base) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// 8 processes at once, each running 50 `staffdb add` one after the other, through PgBouncer
/// in transaction mode: every add exits 0 and all 400 rows are stored — with the URL parameter
/// `pool_mode=transaction`, and without it, where staffdb sees the pooler itself.
#[test]
#[ignore = "needs the pgbouncer rig (rigs/pgbouncer up; STAFFDB_TEST_PGBOUNCER_URL): run with --ignored"]
fn eight_by_fifty_concurrent_adds_through_pgbouncer_all_succeed_and_land() {
    let _rig = shared_rig();
    for detected in [false, true] {
        let db = PooledDb::create("pgb_adds");
        let url = if detected { &db.bare } else { &db.url };
        let migrated = run(url, &["migrate"]);
        assert!(migrated.succeeded(), "{migrated:?}");
        let failures: Vec<Ended> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..8)
                .map(|writer| {
                    scope.spawn(move || {
                        (0..50)
                            .map(|i| {
                                let name = format!("W{writer}-{i}");
                                let args = ["add", "--name", &name, "--age", "30"];
                                let child =
                                    spawn(url, &[&args[..], &["--position", "Dev"]].concat());
                                finish(child, Duration::from_secs(60))
                            })
                            .filter(|ended| !ended.succeeded())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            writers
                .into_iter()
                .flat_map(|w| w.join().expect("writer thread"))
                .collect()
        });
        assert!(
            failures.is_empty(),
            "{} of 400 adds failed (pooler detected: {detected}), first: {:?}",
            failures.len(),
            failures.first()
        );
        assert_eq!(db.employees(), 400, "pooler detected: {detected}");
    }
}
