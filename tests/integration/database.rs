//! Opening databases, migrations and concurrency, on every backend.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use staffdb::{Database, EmployeeChanges, EmployeeFilter, Error, MigrationState, OpenOptions};

use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(
    migrations_revert_and_reapply_cleanly,
    open_migrates_an_empty_database_once,
    a_database_newer_than_the_binary_is_refused,
    concurrent_openers_migrate_once_and_all_succeed,
    concurrent_writers_all_land,
    same_expected_version_exactly_one_update_wins,
);

fn table_exists(db: &Database, table: &str) -> bool {
    let mut s = db.read_session().expect("session");
    diesel::sql_query(format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .execute(s.conn())
        .is_ok()
}

/// Every migration reverts and re-applies cleanly, and the status follows.
fn migrations_revert_and_reapply_cleanly(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let status = db.migration_status().expect("status");
    assert_eq!(status.len(), 2);
    assert!(status.iter().all(|m| m.state == MigrationState::Applied));

    let last = db.revert_last_migration().expect("revert last");
    assert_eq!(last, status[1].version);
    assert!(!table_exists(&db, "employees"));
    assert!(table_exists(&db, "departments"));
    let reverted = db.revert_all_migrations().expect("revert all");
    assert_eq!(reverted.len(), 1);
    assert!(!table_exists(&db, "departments"));
    assert!(
        db.migration_status()
            .expect("status")
            .iter()
            .all(|m| m.state == MigrationState::Pending)
    );
    assert!(matches!(
        db.revert_last_migration(),
        Err(Error::Migration(_))
    ));

    let applied = db.run_pending_migrations().expect("re-apply");
    assert_eq!(applied.len(), 2);
    assert!(
        db.run_pending_migrations()
            .expect("nothing pending")
            .is_empty()
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&EmployeeFilter::new()).expect("count"), 0);
}

/// Opening without migrating shows both migrations pending; opening normally applies them.
fn open_migrates_an_empty_database_once(t: &TestDb) {
    let raw = t.open_unmigrated();
    let status = raw.migration_status().expect("status");
    assert!(
        status.iter().all(|m| m.state == MigrationState::Pending),
        "{status:?}"
    );
    drop(raw);
    let db = t.open();
    assert!(
        db.migration_status()
            .expect("status")
            .iter()
            .all(|m| m.state == MigrationState::Applied)
    );
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("usable");
    drop(db);
    let again = t.open();
    assert_eq!(
        again
            .read_session()
            .expect("s")
            .count(&EmployeeFilter::new())
            .expect("count"),
        1
    );
}

/// A database with a migration this binary does not know is refused with a clear message.
fn a_database_newer_than_the_binary_is_refused(t: &TestDb) {
    let db = t.open();
    {
        let mut conn = db.connection().expect("connection");
        diesel::sql_query(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')",
        )
        .execute(&mut *conn)
        .expect("fake a newer migration");
    }
    drop(db);
    let error = OpenOptions::new().open(&t.url).expect_err("newer database");
    assert!(
        matches!(&error, Error::Migration(m) if m.contains("29991231000000") && m.contains("newer")),
        "{error}"
    );
}

/// Four openers at once on an empty database: all succeed and the schema is applied once.
fn concurrent_openers_migrate_once_and_all_succeed(t: &TestDb) {
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = t.url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                Database::open(&url).map(|db| db.migration_status())
            })
        })
        .collect();
    for handle in handles {
        let status = handle
            .join()
            .expect("thread")
            .expect("open")
            .expect("status");
        assert!(status.iter().all(|m| m.state == MigrationState::Applied));
    }
}

/// Many threads adding through the pool at once all land, with no "database is locked".
fn concurrent_writers_all_land(t: &TestDb) {
    let db = t.open();
    let (threads, per_thread) = match t.backend {
        staffdb::Backend::Sqlite => (4, 500),
        _ => (8, 250),
    };
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    db.transaction(|s| s.add(&employee(&format!("T{thread}-{i}")).build()))?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread").expect("every add succeeds");
    }
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&EmployeeFilter::new()).expect("count"), 2_000);
}

/// Two sessions update the same row with the same expected version: exactly one wins.
fn same_expected_version_exactly_one_update_wins(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| s.add(&employee("Alice").age(30).build()))
        .expect("add");
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [31, 32]
        .into_iter()
        .map(|age| {
            let db = db.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let changes = EmployeeChanges {
                    age: Some(age),
                    ..Default::default()
                };
                db.transaction(|s| s.update_if_version(alice.id, alice.version, &changes))
            })
        })
        .collect();
    let outcomes: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(Error::Conflict { .. }))),
        "{outcomes:?}"
    );
    let mut s = db.read_session().expect("session");
    let stored = s.get(alice.id).expect("get");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.age, winners[0].age, "no lost update");
}

/// An unknown URL scheme is refused by name, never tried against each backend.
#[test]
fn unknown_scheme_is_refused() {
    let error = Database::open("oracle://scott:tiger@db/x").expect_err("unknown scheme");
    assert!(error.to_string().contains("oracle://"), "{error}");
    assert!(!error.to_string().contains("tiger"), "{error}");
}

/// A password in a URL never appears in a connection error.
#[test]
fn connection_errors_redact_the_password() {
    for url in [
        "postgres://staff:hunter2secret@127.0.0.1:1/staff",
        "mysql://staff:hunter2secret@127.0.0.1:1/staff",
    ] {
        let error = OpenOptions::new()
            .connect_timeout(std::time::Duration::from_secs(1))
            .open(url)
            .expect_err("nothing listens on port 1");
        let message = format!("{error} {error:?}");
        assert!(matches!(error, Error::Connection { .. }), "{message}");
        assert!(!message.contains("hunter2secret"), "{message}");
    }
}

/// A SQLite file in a directory that does not exist is a connection error naming it.
#[test]
fn missing_sqlite_directory_is_a_connection_error() {
    let error = Database::open("/nonexistent-dir/x/staff.db").expect_err("no such directory");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
}

/// `:memory:` shares one connection, so what one session commits the next one sees.
#[test]
fn memory_database_keeps_its_data_across_sessions() {
    let db = Database::open(":memory:").expect("open");
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&EmployeeFilter::new()).expect("count"), 1);
}

/// `Database` can be shared between threads.
#[test]
fn database_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone>() {}
    assert_traits::<Database>();
}
