//! Opening databases, migrations and concurrency, on every backend.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use staffdb::{
    Database, Employee, EmployeeChanges, EmployeeFilter, EmployeeId, Error, ListOptions,
    MigrationState, OpenOptions,
};

use crate::common::{TestDb, employee, on_every_backend, staffdb_migrations};

on_every_backend!(
    migrations_revert_and_reapply_cleanly,
    open_migrates_an_empty_database_once,
    a_database_newer_than_the_binary_is_refused,
    concurrent_openers_migrate_once_and_all_succeed,
    concurrent_writers_all_land,
    same_expected_version_exactly_one_update_wins,
    #[ignore = "needs diesel_cli on the PATH: run with --ignored"]
    diesel_cli_and_staffdb_share_migration_bookkeeping,
    #[ignore = "needs diesel_cli on the PATH: run with --ignored"]
    diesel_setup_and_an_app_migration_leave_a_database_staffdb_opens,
    the_invariants_migrations_upgrade_a_database_with_data,
    an_export_reads_one_snapshot_while_a_writer_runs,
    a_blocked_writer_waits_the_lock_timeout_once,
    two_processes_migrate_an_empty_database_at_once,
    demo_prints_the_same_bytes_on_every_backend,
    an_exhausted_pool_times_out_with_a_connection_error,
    require_schema_opens_only_a_current_schema_and_changes_nothing,
    ; servers: deadlocked_transactions_are_retried_and_both_land,
    a_connection_lost_while_opening_is_made_again,
    eight_concurrent_migrates_each_round_all_succeed_apply_once_and_leave_no_lock,
);

/// `OpenOptions::require_schema` (the read path) opens a database only when staffdb's schema is
/// there and current: an empty database is `Error::NoSchema` and is left with no table, one with
/// a migration pending is `Error::SchemaBehind` and is left behind.
fn require_schema_opens_only_a_current_schema_and_changes_nothing(t: &TestDb) {
    if t.backend == staffdb::Backend::Sqlite {
        std::fs::write(&t.url, b"").expect("an empty SQLite file");
    }
    let reader = OpenOptions::new().require_schema(true);
    match reader.open(&t.url) {
        Err(Error::NoSchema { database }) => assert!(!database.is_empty()),
        other => panic!("expected NoSchema, got {other:?}"),
    }
    let raw = t.open_unmigrated();
    assert!(!table_exists(&raw, "__diesel_schema_migrations"));
    assert!(!table_exists(&raw, "employees"));
    drop(raw);
    let db = t.open();
    db.revert_last_migration().expect("revert the newest");
    drop(db);
    match reader.open(&t.url) {
        Err(error @ Error::SchemaBehind { pending: 1, .. }) => {
            assert!(
                error.to_string().starts_with("1 migration pending in "),
                "{error}"
            );
        }
        other => panic!("expected SchemaBehind, got {other:?}"),
    }
    let pending = t.open_unmigrated().migration_status().expect("status");
    assert_eq!(
        pending
            .iter()
            .filter(|m| m.state == MigrationState::Pending)
            .count(),
        1
    );
    t.open();
    let db = reader.open(&t.url).expect("a current schema opens");
    db.read_session().expect("reads");
}

fn table_exists(db: &Database, table: &str) -> bool {
    let mut s = db.read_session().expect("session");
    s.run(|conn| diesel::sql_query(format!("SELECT 1 FROM {table} WHERE 1 = 0")).execute(conn))
        .is_ok()
}

/// Every migration reverts and re-applies cleanly, and the status follows.
fn migrations_revert_and_reapply_cleanly(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let status = db.migration_status().expect("status");
    assert_eq!(status.len(), staffdb_migrations());
    assert!(status.iter().all(|m| m.state == MigrationState::Applied));

    // The ones after staffdb_schema_versions, newest first, leave its table in place.
    for newest in status[3..].iter().rev() {
        let last = db.revert_last_migration().expect("revert last");
        assert_eq!(last, newest.version);
        assert!(table_exists(&db, "staffdb_schema_versions"));
    }
    let last = db.revert_last_migration().expect("revert last");
    assert_eq!(last, status[2].version);
    assert!(!table_exists(&db, "staffdb_schema_versions"));
    assert!(table_exists(&db, "employees"));
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
        Err(Error::Migration { .. })
    ));

    let applied = db.run_pending_migrations().expect("re-apply");
    assert_eq!(applied.len(), staffdb_migrations());
    assert!(
        db.run_pending_migrations()
            .expect("nothing pending")
            .is_empty()
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        0
    );
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
    // A write session: a new Database has no commit of its own for a standby to wait for.
    let mut s = again.session().expect("s");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
}

/// A database whose staffdb schema is newer than the binary is refused with a clear message;
/// a migration another tool applied is not.
fn a_database_newer_than_the_binary_is_refused(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| {
        s.run(|conn| {
            diesel::sql_query(
                "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')",
            )
            .execute(conn)
        })
    })
    .expect("fake another tool's migration");
    drop(db);
    let db = OpenOptions::new()
        .open(&t.url)
        .expect("another tool's migration is no refusal");
    let foreign: Vec<_> = db
        .migration_status()
        .expect("status")
        .into_iter()
        .filter(|m| m.state == MigrationState::Foreign)
        .map(|m| m.version)
        .collect();
    assert_eq!(foreign, ["29991231000000"]);
    db.transaction(|s| {
        s.run(|conn| {
            diesel::sql_query(
                "INSERT INTO staffdb_schema_versions (version) VALUES ('29991231000001')",
            )
            .execute(conn)
        })
    })
    .expect("fake a newer staffdb");
    drop(db);
    let error = OpenOptions::new().open(&t.url).expect_err("newer database");
    assert!(
        matches!(&error, Error::Migration { reason, .. } if reason.contains("29991231000001") && reason.contains("newer staffdb")),
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
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        2_000
    );
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
    let stored = s.get_one(alice.id).expect("get");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.age, winners[0].age, "no lost update");
}

/// Two transactions locking two rows in opposite order deadlock; the loser is retried by
/// `db.transaction` and both updates land. (SQLite's write sessions take the write lock up
/// front, so they cannot deadlock: this runs on the servers only.)
fn deadlocked_transactions_are_retried_and_both_land(t: &TestDb) {
    let db = t.open();
    let [a, b] = ["A", "B"].map(|name| {
        db.transaction(|s| s.add(&employee(name).age(10).build()))
            .expect("seed")
            .id
    });
    let barrier = Arc::new(Barrier::new(2));
    let attempts = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = [(a, b), (b, a)]
        .into_iter()
        .map(|(first, second)| {
            let (db, barrier, attempts) = (db.clone(), barrier.clone(), attempts.clone());
            std::thread::spawn(move || {
                let mut attempt = 0;
                db.transaction(|s| {
                    attempt += 1;
                    attempts.fetch_add(1, Ordering::SeqCst);
                    // The increment is computed by the database: a read-then-write would lose the
                    // other's update under READ COMMITTED once the retry reads before it commits.
                    let bump = |s: &mut staffdb::Session, id: EmployeeId| {
                        s.run(|c| {
                            use staffdb::schema::employees::dsl as e;
                            diesel::update(e::employees.find(id.0))
                                .set(e::age.eq(e::age + 1))
                                .execute(c)
                        })
                    };
                    bump(s, first)?;
                    if attempt == 1 {
                        // Both hold their first row before either asks for the second.
                        barrier.wait();
                    }
                    bump(s, second)
                })
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("thread")
            .expect("retried until it succeeded");
    }
    assert!(
        attempts.load(Ordering::SeqCst) >= 3,
        "one transaction had to be retried"
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(s.get_one(a).expect("A").age, 12);
    assert_eq!(s.get_one(b).expect("B").age, 12);
}

/// Fails the test when `diesel` is not on the PATH: the tests that use it are ignored unless
/// asked for, and one asked for never passes without running.
fn need_diesel_cli() {
    if let Err(error) = Command::new("diesel").arg("--version").output() {
        panic!(
            "this test needs diesel_cli on the PATH ({error}): cargo install diesel_cli \
             --no-default-features --features \"sqlite-bundled postgres mysql\""
        );
    }
}

/// A database migrated by `diesel migration run` opens in staffdb with nothing pending, and one
/// migrated by staffdb has nothing pending for Diesel's CLI. (Needs `diesel` on PATH: ignored
/// unless run with `--ignored`, as CI does.)
fn diesel_cli_and_staffdb_share_migration_bookkeeping(t: &TestDb) {
    need_diesel_cli();
    let dir = format!("{}/../migrations/{}", env!("CARGO_MANIFEST_DIR"), t.backend);
    let diesel = |args: &[&str]| {
        let output = Command::new("diesel")
            .args(args)
            .args([
                "--database-url",
                &t.single_host_url(),
                "--migration-dir",
                &dir,
                "--config-file",
                "/dev/null",
            ])
            .output()
            .expect("run diesel");
        assert!(output.status.success(), "diesel {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    diesel(&["migration", "run"]);
    let db = t.open_unmigrated();
    let status = db.migration_status().expect("status");
    assert!(
        status.iter().all(|m| m.state == MigrationState::Applied),
        "{status:?}"
    );
    db.revert_all_migrations()
        .expect("staffdb reverts what diesel applied");
    assert_eq!(diesel(&["migration", "pending"]), "true");
    db.run_pending_migrations().expect("staffdb migrates");
    assert_eq!(diesel(&["migration", "pending"]), "false");
}

/// A writer blocked by another transaction's lock gives up after the one lock timeout, with the
/// same meaning on every backend — not the timeout times the retries (SQLite, MySQL), nor forever
/// (PostgreSQL) — and says so with `Error::LockTimeout`.
fn a_blocked_writer_waits_the_lock_timeout_once(t: &TestDb) {
    // Locks are a node's own: on a cluster both writers go through one node.
    let url = t.single_host_url();
    let db = OpenOptions::new().open(&url).expect("open");
    let alice = db
        .transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let older = EmployeeChanges {
        age: Some(40),
        ..Default::default()
    };
    let mut holder = db.session().expect("session");
    holder.update(alice.id, &older).expect("take the lock");
    let limit = Duration::from_secs(1);
    let blocked = OpenOptions::new()
        .lock_timeout(limit)
        .open(&url)
        .expect("open");
    let started = Instant::now();
    let outcome = blocked.transaction(|s| s.update(alice.id, &older));
    let waited = started.elapsed();
    assert!(matches!(outcome, Err(Error::LockTimeout(_))), "{outcome:?}");
    // One limit, plus slack for a loaded machine; before, SQLite waited 6 limits, PostgreSQL
    // for ever.
    assert!(
        waited >= limit * 9 / 10 && waited < limit * 3,
        "waited {waited:?}"
    );
    holder.rollback().expect("rollback");
    blocked
        .transaction(|s| s.update(alice.id, &older))
        .expect("free again");
}

/// A read session streams one snapshot: with a writer that deletes one row and adds one per
/// transaction (the count never changes), an export over several keyset pages sees exactly the
/// rows of the moment it began, every time.
fn an_export_reads_one_snapshot_while_a_writer_runs(t: &TestDb) {
    const ROWS: i64 = 12_000; // more than two keyset pages
    let db = t.open();
    db.transaction(|s| s.add_all((0..ROWS).map(|i| employee(&format!("E{i}")).build())))
        .expect("seed");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut swaps = 0;
            while !stop.load(Ordering::SeqCst) && swaps < 2_000 {
                db.transaction(|s| {
                    let oldest = s.stream_all::<Employee>()?.next().transpose()?;
                    if let Some(oldest) = oldest {
                        s.delete(oldest.id)?;
                    }
                    s.add(&employee("New").build())
                })
                .expect("swap a row");
                swaps += 1;
            }
            swaps
        })
    };
    for _ in 0..3 {
        let mut s = db.read_session().expect("read session");
        let all = ListOptions::new();
        let exported = Employee::stream_with_department(&mut s, &EmployeeFilter::new(), &all)
            .expect("stream")
            .try_fold(0i64, |n, row| row.map(|_| n + 1))
            .expect("every row reads");
        assert_eq!(
            exported, ROWS,
            "one snapshot, whatever the writer did meanwhile"
        );
    }
    stop.store(true, Ordering::SeqCst);
    let swaps = writer.join().expect("writer");
    assert!(swaps > 0, "the writer ran");
    let mut s = db.read_session().expect("read session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        ROWS
    );
}

/// A database at the schema before the invariants migrations, with rows in it (one with an email
/// in mixed case, as another client may have stored it), upgrades in place: the rows are kept
/// with their ids and timestamps (the same instants, now as 64-bit ids and UTC instants), and
/// from then on the invariants hold.
fn the_invariants_migrations_upgrade_a_database_with_data(t: &TestDb) {
    let db = t.open();
    let reverted = [(); 8].map(|()| db.revert_last_migration().expect("revert"));
    assert_eq!(
        reverted,
        [
            "20261207170000",
            "20261207160000",
            "20261207130000",
            "20261207110000",
            "20261207090000",
            "20261206000001",
            "20261204000001",
            "20261202090000"
        ]
    );
    db.transaction(|s| {
        s.add_all((0..50).map(|i| employee(&format!("E{i}")).build()))?;
        s.run(|conn| {
            diesel::sql_query(
                "INSERT INTO employees (name, age, position, email) VALUES ('Sam', 40, 'Chef', 'Sam@Example.COM')",
            )
            .execute(conn)
        })
    })
    .expect("rows before the upgrade");
    let before = stamps(&db);
    assert_eq!(
        db.run_pending_migrations().expect("upgrade"),
        [
            "20261202090000",
            "20261204000001",
            "20261206000001",
            "20261207090000",
            "20261207110000",
            "20261207130000",
            "20261207160000",
            "20261207170000"
        ]
    );
    assert_eq!(stamps(&db), before, "rows and timestamps are kept");
    let ids = all_ids(&db);
    if t.is_cluster() {
        // Its ids step by the node count; they cannot be read before the upgrade (32-bit).
        assert!(
            ids.len() == 51 && ids.windows(2).all(|w| w[0] < w[1]),
            "{ids:?}"
        );
    } else {
        assert_eq!(ids, (1..=51).collect::<Vec<i64>>(), "ids are kept");
    }
    let mut s = db.session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        51
    );
    let sam = Employee::ids_by_email(&mut s, ["sam@example.com"]).expect("lookup");
    assert_eq!(sam.len(), 1);
    let kept = s.get_one(sam["sam@example.com"]).expect("sam");
    assert_eq!(
        kept.email.as_deref(),
        Some("Sam@Example.COM"),
        "rows are not rewritten"
    );
    // The history begins with every row as the upgrade found it.
    let history = s.history(kept.id).expect("sam's history");
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(
        (history[0].operation, &history[0].row),
        (staffdb::Operation::Baseline, &kept)
    );
    let duplicate = s.add(&employee("Sam Two").email("sam@EXAMPLE.com").build());
    assert!(
        matches!(duplicate, Err(Error::UniqueViolation { .. })),
        "{duplicate:?}"
    );
}

/// Every employee's name and timestamps, in id order. (Read column by column: before the
/// upgrade the ids are 32-bit, which PostgreSQL will not hand over as the schema's BigInt.)
fn stamps(db: &Database) -> Vec<(String, chrono::NaiveDateTime, chrono::NaiveDateTime)> {
    use staffdb::schema::employees::dsl as e;
    let mut s = db.read_session().expect("session");
    s.run(|c| {
        e::employees
            .select((e::name, e::created_at, e::updated_at))
            .order(e::id)
            .load(c)
    })
    .expect("stamps")
}

/// `diesel setup` (the first step of Diesel's guide) and an application's own migration run by
/// `diesel migration run` leave a database that staffdb opens, migrates and lists; with
/// `--migrations-dir` the application's migration is listed by name.
fn diesel_setup_and_an_app_migration_leave_a_database_staffdb_opens(t: &TestDb) {
    need_diesel_cli();
    let project = tempfile::tempdir().expect("project dir");
    let migrations = project.path().join("migrations");
    let diesel = |args: &[&str]| {
        let output = Command::new("diesel")
            .current_dir(project.path())
            .args(args)
            .arg("--database-url")
            .arg(t.single_host_url())
            .arg("--migration-dir")
            .arg(&migrations)
            .args(["--config-file", "/dev/null"])
            .output()
            .expect("run diesel");
        assert!(output.status.success(), "diesel {args:?}: {output:?}");
    };
    diesel(&["setup"]);
    let notes = migrations.join("2026-12-03-000001_create_notes");
    std::fs::create_dir_all(&notes).expect("migration dir");
    std::fs::write(
        notes.join("up.sql"),
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )
    .expect("up.sql");
    std::fs::write(notes.join("down.sql"), "DROP TABLE notes;").expect("down.sql");
    diesel(&["migration", "run"]);

    let staffdb = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--database-url", &t.url])
            .args(args)
            .output()
            .expect("run staffdb");
        assert!(output.status.success(), "staffdb {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // A read changes nothing: the database is staffdb's once a write (or `migrate`) migrates it.
    staffdb(&[
        "add",
        "--name",
        "Alice",
        "--age",
        "25",
        "--position",
        "Manager",
    ]);
    assert_eq!(staffdb(&["list"]).lines().count(), 1, "opened and migrated");
    let status = staffdb(&["migrate", "--status"]);
    assert!(
        status.contains("applied  20261203000001 (applied by another tool"),
        "{status}"
    );
    assert_eq!(
        status.matches("applied  2026-1").count(),
        staffdb_migrations(),
        "{status}"
    );
    let dir = migrations.display().to_string();
    let named = staffdb(&["--migrations-dir", &dir, "migrate", "--status"]);
    assert!(
        named.contains("applied  2026-12-03-000001_create_notes (application)"),
        "{named}"
    );
    assert!(!named.contains("pending"), "{named}");
}

/// Two `staffdb` processes started at once on an empty database both succeed, and the schema is
/// applied once.
fn two_processes_migrate_an_empty_database_at_once(t: &TestDb) {
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_staffdb"))
                // `add` creates a missing SQLite file; every command but `migrate --status`
                // migrates on open.
                .args([
                    "--database-url",
                    &t.url,
                    "add",
                    "--name",
                    "A",
                    "--age",
                    "30",
                ])
                .args(["--position", "P"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn staffdb")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "{output:?}");
    }
    let status = t.open_unmigrated().migration_status().expect("status");
    assert_eq!(status.len(), staffdb_migrations());
    assert!(
        status.iter().all(|m| m.state == MigrationState::Applied),
        "{status:?}"
    );
}

/// Every employee's id, in id order (through a write session: current wherever reads go).
fn all_ids(db: &staffdb::Database) -> Vec<i64> {
    let mut s = db.session().expect("session");
    Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("list")
        .iter()
        .map(|e| e.id.get())
        .collect()
}

/// `staffdb demo` prints the tutorial's exact bytes on every backend (on a cluster, whose ids
/// step by the node count, with its ids as ordinals).
fn demo_prints_the_same_bytes_on_every_backend(t: &TestDb) {
    let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--database-url", &t.url, "demo"])
        .output()
        .expect("run staffdb demo");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stdout = if t.is_cluster() {
        crate::common::ids_as_ordinals(&stdout)
    } else {
        stdout.into_owned()
    };
    assert_eq!(
        stdout,
        "ID: 1, Name: Alice, Age: 25, Position: Manager\n\
         ID: 2, Name: Bob, Age: 22, Position: Developer\n\
         ID: 1, Name: Alice, Age: 26, Position: Senior Developer\n"
    );
}

/// An unknown URL scheme is refused by name, never tried against each backend.
/// With every pooled connection taken, one more waits out the connect timeout and fails with a
/// typed `Connection` error; the session holding the connection is unharmed, and the connection
/// serves again once it is returned.
fn an_exhausted_pool_times_out_with_a_connection_error(t: &TestDb) {
    let timeout = Duration::from_millis(300);
    let db = OpenOptions::new()
        .max_connections(1)
        .connect_timeout(timeout)
        .open(&t.url)
        .expect("open");
    let mut held = db.session().expect("session");
    held.add(&employee("Alice").build()).expect("add");
    let started = Instant::now();
    let error = db.read_session().expect_err("the only connection is taken");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(cause.is_some_and(|c| c.contains("timed out")), "{error:?}");
    assert!(started.elapsed() >= timeout / 2, "{:?}", started.elapsed());
    held.commit().expect("commit");
    let mut s = db
        .read_session()
        .expect("session once the connection is back");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
}

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
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
}

/// `Database` can be shared between threads.
#[test]
fn database_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone>() {}
    assert_traits::<Database>();
}

/// The bundled SQLite is built in multi-thread mode (`.cargo/config.toml`): no mutex around each
/// call on a connection, which Diesel's `Send + !Sync` connections never share.
#[test]
fn bundled_sqlite_is_built_without_connection_mutexes() {
    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }
    let db = Database::open(":memory:").expect("open");
    let mut s = db.read_session().expect("session");
    let options: Vec<String> = s
        .run(|conn| diesel::sql_query("PRAGMA compile_options").load::<CompileOption>(conn))
        .expect("compile_options")
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    assert!(options.iter().any(|o| o == "THREADSAFE=2"), "{options:?}");
}

/// A SQLite writer that finds the file locked for longer than its lock timeout fails with
/// `LockTimeout` (not retried: it has waited all it may); one whose lock is freed within the
/// timeout waits for it and lands.
#[test]
fn sqlite_writer_waits_for_the_lock_within_the_lock_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = dir.path().join("staff.db").display().to_string();
    let holder = Database::open(&url).expect("open");
    let db = OpenOptions::new()
        .lock_timeout(Duration::from_millis(600))
        .max_retries(20)
        .open(&url)
        .expect("open");
    let mut held = holder.session().expect("session");
    held.add(&employee("Alice").build()).expect("add");

    let busy = db.session().expect_err("the write lock is taken");
    assert!(matches!(busy, Error::LockTimeout(_)), "{busy:?}");
    assert!(!busy.is_retryable(), "{busy:?}");

    let hold_for = Duration::from_millis(150);
    let started = Instant::now();
    let release = std::thread::spawn(move || {
        std::thread::sleep(hold_for);
        held.commit().expect("commit");
    });
    db.transaction(|s| s.add(&employee("Bob").build()))
        .expect("retried until the lock was free");
    assert!(started.elapsed() >= hold_for, "{:?}", started.elapsed());
    release.join().expect("holder thread");
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        2
    );
}

/// Eight `staffdb migrate` processes at once on an empty database, three rounds: every process
/// exits 0 each round, every migration is applied once, and no migration lock is left held
/// afterwards — directly, and through a transaction pooler when the run's URL names one.
fn eight_concurrent_migrates_each_round_all_succeed_apply_once_and_leave_no_lock(t: &TestDb) {
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_staffdb"))
                    .args(["--database-url", &t.url, "migrate"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn staffdb")
            })
            .collect();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|child| child.wait_with_output().expect("wait"))
            .collect();
        for output in &outputs {
            assert!(output.status.success(), "round {round}: {output:?}");
        }
        // Exactly one process reported applying each migration; the others found none pending.
        let applied: usize = outputs
            .iter()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .matches("applied ")
                    .count()
            })
            .sum();
        assert_eq!(applied, staffdb_migrations(), "round {round}: {outputs:?}");
        let db = t.open_unmigrated();
        let status = db.migration_status().expect("status");
        assert_eq!(status.len(), staffdb_migrations());
        assert!(status.iter().all(|m| m.state == MigrationState::Applied));
        assert_eq!(migration_locks_held(&db, t), 0, "round {round}");
        let reverted = db.revert_all_migrations().expect("revert all");
        assert_eq!(reverted.len(), staffdb_migrations());
        assert_eq!(
            migration_locks_held(&db, t),
            0,
            "round {round}, after revert"
        );
    }
}

/// How many migration locks some session holds on `t`'s server: PostgreSQL advisory locks in
/// its database (of every session, whichever server connection a pooler made), MySQL's named
/// lock held by a connection to this database (a Galera cluster's lock row is not counted).
fn migration_locks_held(db: &Database, t: &TestDb) -> i64 {
    let sql = match t.backend {
        staffdb::Backend::Postgres => {
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        }
        // The named lock is the server's, and other tests' databases migrate beside this one:
        // only a holder connected to this database counts.
        _ => {
            "SELECT CAST(count(*) AS SIGNED) AS n FROM information_schema.processlist \
             WHERE id = IS_USED_LOCK('staffdb_migrations') AND db = DATABASE()"
        }
    };
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut s = db.session().expect("session");
    let count: Count = s
        .run(|conn| diesel::sql_query(sql).get_result(conn))
        .expect("count the locks");
    count.n
}

/// A PostgreSQL pool that lends no connection names libpq's reason (a refused port), not only
/// that it timed out, and never the URL's password.
#[cfg(feature = "postgres")]
#[test]
fn a_pool_timeout_names_libpqs_reason_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port(); // closed again when the listener drops: refused from now on
    let url = format!("postgres://staffdb:s3cret-pw@127.0.0.1:{port}/staffdb");
    let options = OpenOptions::new()
        .migrate(false)
        .connect_timeout(std::time::Duration::from_millis(800));
    let error = options
        .open(&url)
        .and_then(|db| db.session().map(drop))
        .expect_err("no connection to a closed port");
    let chain = format!("{:#}", anyhow::Error::new(error));
    assert!(chain.contains("Connection refused"), "{chain}");
    assert!(chain.contains(&format!("port {port}")), "{chain}");
    assert!(!chain.contains("s3cret-pw"), "{chain}");
}

/// A TCP proxy to `t`'s server that cuts the first `cut` connections that name the migrations
/// table, at that moment: the server died between the connection
/// and the opener's checks, as a Galera node killed a moment ago does. Returns the URL through
/// it, and the number of connections it cut.
fn proxy_cutting_at_the_migrations(t: &TestDb, cut: usize) -> (String, Arc<AtomicUsize>) {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let direct = url::Url::parse(&t.single_host_url()).expect("a server URL");
    let server = format!(
        "{}:{}",
        direct.host_str().expect("a host"),
        direct.port_or_known_default().expect("a port")
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut proxied = direct.clone();
    proxied
        .set_port(Some(listener.local_addr().expect("address").port()))
        .expect("a port");
    proxied.set_host(Some("127.0.0.1")).expect("a host");
    // The test's own query (PgBouncer's pool_mode), and no TLS, whose bytes the proxy could
    // not read.
    let mut query: Vec<String> = t
        .url
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|p| !p.starts_with("load_balance_hosts"))
        })
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    query.push(match t.backend {
        staffdb::Backend::Postgres => "sslmode=disable".into(),
        _ => "ssl_mode=disabled".into(),
    });
    proxied.set_query(Some(&query.join("&")));
    let cuts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&cuts);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(client), Ok(upstream)) = (client, TcpStream::connect(&server)) else {
                continue;
            };
            let (mut from_client, mut to_server) = (
                client.try_clone().expect("clone"),
                upstream.try_clone().expect("clone"),
            );
            let (mut from_server, mut to_client) = (upstream, client);
            std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 16 * 1024];
                // A connection let through once is let through for good.
                let mut spared = false;
                while let Ok(read @ 1..) = from_client.read(&mut buffer) {
                    let chunk = &buffer[..read];
                    let names_it = chunk
                        .windows(b"__diesel_schema_migrations".len())
                        .any(|w| w == b"__diesel_schema_migrations");
                    if names_it && !spared && counted.load(Ordering::SeqCst) < cut {
                        counted.fetch_add(1, Ordering::SeqCst);
                        let _ = from_client.shutdown(Shutdown::Both);
                        let _ = to_server.shutdown(Shutdown::Both);
                        return;
                    }
                    spared |= names_it;
                    if to_server.write_all(chunk).is_err() {
                        return;
                    }
                }
                let _ = to_server.shutdown(Shutdown::Write);
            });
        }
    });
    (proxied.to_string(), cuts)
}

/// A server that goes away between the first connection and the opener's checks of the schema
/// (a Galera node killed a moment ago, as a CI run saw) does not fail the open: it connects
/// again and migrates. A server that keeps going away fails it with `ConnectionLost`, after
/// the bounded number of tries.
fn a_connection_lost_while_opening_is_made_again(t: &TestDb) {
    let (once, cuts) = proxy_cutting_at_the_migrations(t, 1);
    let db = OpenOptions::new()
        .open(&once)
        .unwrap_or_else(|e| panic!("open after one lost connection: {e:?}"));
    assert_eq!(
        cuts.load(Ordering::SeqCst),
        1,
        "the first connection was cut"
    );
    let status = db.migration_status().expect("status");
    assert!(status.iter().all(|m| m.state == MigrationState::Applied));
    drop(db);

    let (always, cuts) = proxy_cutting_at_the_migrations(t, usize::MAX);
    let started = Instant::now();
    match OpenOptions::new().max_retries(2).open(&always) {
        Err(Error::ConnectionLost(_)) => {}
        other => panic!("expected ConnectionLost, got {other:?}"),
    }
    assert_eq!(cuts.load(Ordering::SeqCst), 3, "one try and two more");
    assert!(started.elapsed() < Duration::from_secs(30));
}
