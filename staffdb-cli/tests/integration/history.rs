//! The history of every row (issue 26, items 3 and 4): kept by the database's triggers for every
//! writer, with who and when; read as a row's changes, as of an instant, as the deleted rows;
//! restored; pruned; and never rewritten.

use diesel::prelude::*;
use staffdb::{
    Backend, Database, Department, DepartmentId, EmployeeChanges, Error, NewDepartment, Operation,
};

use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(
    every_write_is_kept_with_who_did_it,
    a_row_reads_as_of_any_instant_and_a_deleted_one_comes_back_under_its_id,
    a_history_row_is_never_changed_by_any_client,
    pruning_keeps_the_last_change_of_every_row,
    a_model_without_history_says_so,
    another_clients_writes_are_in_the_history_with_its_database_user,
    the_history_commands_show_restore_list_as_of_and_prune,
    reverting_the_history_removes_it_and_migrating_again_starts_from_the_rows,
    a_bulk_insert_keeps_its_statements_and_every_row_has_its_history,
    an_applications_table_gains_its_history_with_its_rows_in_place,
);

/// The instant now, in UTC, as the history stores it.
fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// True when `seen` is the database user the test connects as, as each backend's trigger
/// records it: PostgreSQL's `current_user`, MySQL's `USER()` (the name, `@`, and the host the
/// server saw), none on SQLite.
fn is_the_database_user(t: &TestDb, seen: Option<&str>) -> bool {
    if t.backend == Backend::Sqlite {
        return seen.is_none();
    }
    let url = url::Url::parse(&t.single_host_url()).expect("a URL");
    match (t.backend, seen) {
        (Backend::Postgres, Some(seen)) => seen == url.username(),
        (Backend::Mysql, Some(seen)) => seen.starts_with(&format!("{}@", url.username())),
        _ => false,
    }
}

fn every_write_is_kept_with_who_did_it(t: &TestDb) {
    let db = t.open();
    let vera = db.acting_as("vera");
    let ann = vera
        .transaction(|s| s.add(&employee("Ann").age(30).build()))
        .expect("add");
    vera.transaction(|s| {
        s.update(
            ann.id,
            &EmployeeChanges {
                age: Some(31),
                ..Default::default()
            },
        )
    })
    .expect("update as vera");
    // Written without a staffdb user: only the database user is known.
    db.transaction(|s| {
        s.update(
            ann.id,
            &EmployeeChanges {
                position: Some("Lead".into()),
                ..Default::default()
            },
        )
        .map(drop)
    })
    .expect("update");
    // A session that acted for vera leaves nothing behind on its pooled connection.
    db.transaction(|s| {
        s.update(
            ann.id,
            &EmployeeChanges {
                age: Some(32),
                ..Default::default()
            },
        )
        .map(drop)?;
        s.update(
            ann.id,
            &EmployeeChanges {
                age: Some(33),
                ..Default::default()
            },
        )
        .map(drop)
    })
    .expect("two updates");
    vera.transaction(|s| s.delete(ann.id)).expect("delete");

    let changes = db
        .read_session()
        .expect("read")
        .history(ann.id)
        .expect("history");
    let seen: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                c.operation,
                c.user.as_deref(),
                c.row.version,
                c.row.age,
                c.row.position.as_str(),
            )
        })
        .collect();
    let p = ann.position.as_str();
    assert_eq!(
        seen,
        [
            (Operation::Insert, Some("vera"), 1, 30, p),
            (Operation::Update, Some("vera"), 2, 31, p),
            (Operation::Update, None, 3, 31, "Lead"),
            (Operation::Update, None, 4, 32, "Lead"),
            (Operation::Update, None, 5, 33, "Lead"),
            (Operation::Delete, Some("vera"), 5, 33, "Lead"),
        ]
    );
    assert!(
        changes
            .iter()
            .all(|c| is_the_database_user(t, c.database_user.as_deref())),
        "{changes:?}"
    );
    assert!(
        changes
            .windows(2)
            .all(|w| w[0].history_id < w[1].history_id)
    );
    assert!(changes.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(
        changes[2].actor(),
        match &changes[2].database_user {
            Some(user) => format!("{user} (database user)"),
            None => "unknown (SQLite keeps no user)".to_owned(),
        }
    );
    assert_eq!(changes[0].actor(), "vera");
    // Another row's history is its own; an id that never was has none.
    let other = db
        .transaction(|s| s.add(&employee("Bob").build()))
        .expect("bob");
    let mut s = db.read_session().expect("read");
    assert_eq!(s.history(other.id).expect("bob's").len(), 1);
    assert!(
        s.history(staffdb::EmployeeId(999_999))
            .expect("none")
            .is_empty()
    );
    drop(s);
    // A name longer than any user's is kept to its first 150 characters, not refused.
    let long = db
        .acting_as(&"é".repeat(200))
        .transaction(|s| s.add(&employee("Cy").build()))
        .expect("a write acting for a long name");
    let changes = db.read_session().expect("r").history(long.id).expect("h");
    assert_eq!(changes[0].user.as_deref(), Some("é".repeat(150).as_str()));
}

fn a_row_reads_as_of_any_instant_and_a_deleted_one_comes_back_under_its_id(t: &TestDb) {
    let db = t.open();
    let before = now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let ann = db
        .transaction(|s| s.add(&employee("Ann").age(30).email("ann@example.com").build()))
        .expect("add");
    let bob = db
        .transaction(|s| s.add(&employee("Bob").age(40).build()))
        .expect("add");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let middle = now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let older = db
        .transaction(|s| {
            s.update(
                ann.id,
                &EmployeeChanges {
                    age: Some(35),
                    ..Default::default()
                },
            )
        })
        .expect("update");
    db.transaction(|s| s.delete(bob.id)).expect("delete bob");

    let mut s = db.read_session().expect("read");
    assert!(
        s.as_of::<staffdb::Employee>(before)
            .expect("before")
            .is_empty()
    );
    let then = s.as_of::<staffdb::Employee>(middle).expect("middle");
    assert_eq!(then, [ann.clone(), bob.clone()]);
    assert_eq!(s.as_of::<staffdb::Employee>(now()).expect("now"), [older]);
    assert_eq!(
        s.get_as_of(ann.id, middle).expect("ann then"),
        Some(ann.clone())
    );
    assert_eq!(s.get_as_of(bob.id, now()).expect("bob now"), None);
    let deleted = s.deleted::<staffdb::Employee>().expect("deleted");
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        (deleted[0].operation, &deleted[0].row),
        (Operation::Delete, &bob)
    );
    drop(s);

    // Ann back to her first version: a new version, her history kept.
    let first = db.read_session().expect("r").history(ann.id).expect("h")[0].history_id;
    let restored = db
        .transaction(|s| s.restore(ann.id, first))
        .expect("restore ann");
    assert_eq!((restored.age, restored.version), (30, 3));
    // Bob back under his own id, at the version after his last.
    let back = db
        .transaction(|s| s.restore(bob.id, deleted[0].history_id))
        .expect("restore bob");
    assert_eq!((back.id, back.name.as_str(), back.age), (bob.id, "Bob", 40));
    assert_eq!(back.version, bob.version + 1);
    let mut s = db.read_session().expect("read");
    assert!(s.deleted::<staffdb::Employee>().expect("none").is_empty());
    let ops: Vec<_> = s
        .history(ann.id)
        .expect("ann")
        .iter()
        .map(|c| c.operation)
        .collect();
    assert_eq!(
        ops,
        [Operation::Insert, Operation::Update, Operation::Update]
    );
    drop(s);

    // A change of another row, or none at all, restores nothing.
    for entry in [first, 999_999] {
        let wrong = db.transaction(|s| s.restore(bob.id, entry));
        assert!(matches!(wrong, Err(Error::NotFound { .. })), "{wrong:?}");
    }
    // A unique value taken since: refused, nothing changed.
    let gone = db
        .transaction(|s| {
            s.delete(ann.id)?;
            s.add(&employee("Ann Two").email("ann@example.com").build())
        })
        .expect("email reused");
    let last = db
        .read_session()
        .expect("r")
        .deleted::<staffdb::Employee>()
        .expect("d")[0]
        .history_id;
    let taken = db.transaction(|s| s.restore(ann.id, last));
    assert!(
        matches!(taken, Err(Error::UniqueViolation { .. })),
        "{taken:?}"
    );
    let mut s = db.read_session().expect("read");
    assert!(s.get(ann.id).expect("ann").is_none());
    assert!(s.get(gone.id).expect("ann two").is_some());
}

fn a_history_row_is_never_changed_by_any_client(t: &TestDb) {
    let db = t.open();
    let d = db
        .transaction(|s| s.add(&NewDepartment::new("Ops")))
        .expect("add");
    // MySQL's and SQLite's triggers are per row: there must be rows to refuse.
    db.transaction(|s| s.add(&employee("Ann").build()))
        .expect("add");
    for sql in [
        "UPDATE departments_history SET name = 'Forged'",
        "UPDATE employees_history SET age = 1",
    ] {
        let refused = db.transaction(|s| s.run(|c| diesel::sql_query(sql).execute(c)));
        let message = format!("{:#}", anyhow::Error::new(refused.expect_err(sql)));
        assert!(
            message.contains("a history row is never changed"),
            "{message}"
        );
    }
    let changes = db
        .read_session()
        .expect("r")
        .history(d.id)
        .expect("history");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].row.name, "Ops");
}

fn pruning_keeps_the_last_change_of_every_row(t: &TestDb) {
    let db = t.open();
    let ids: Vec<DepartmentId> = (0..3)
        .map(|i| {
            db.transaction(|s| s.add(&NewDepartment::new(format!("D{i}"))))
                .expect("add")
                .id
        })
        .collect();
    for round in 0..4 {
        db.transaction(|s| {
            for id in &ids {
                let name = format!("D{id}-{round}");
                s.update(*id, &staffdb::DepartmentChanges { name: Some(name) })?;
            }
            Ok(())
        })
        .expect("renames");
    }
    db.transaction(|s| s.delete(ids[2])).expect("delete");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let cutoff = now();
    db.transaction(|s| {
        s.update(
            ids[0],
            &staffdb::DepartmentChanges {
                name: Some("Latest".into()),
            },
        )
        .map(drop)
    })
    .expect("one more");
    let mut batches = Vec::new();
    let pruned = db
        .prune_history::<Department>(cutoff, |total| batches.push(total))
        .expect("prune");
    // D0: 5 old, 1 new (kept); D1: 5 old, its last kept; D2: 6 old, its delete kept.
    assert_eq!(pruned, 5 + 4 + 5);
    assert_eq!(batches, [pruned]);
    let mut s = db.read_session().expect("r");
    let kept: Vec<Vec<Operation>> = ids
        .iter()
        .map(|id| {
            s.history(*id)
                .expect("h")
                .iter()
                .map(|c| c.operation)
                .collect()
        })
        .collect();
    assert_eq!(
        kept,
        [
            vec![Operation::Update],
            vec![Operation::Update],
            vec![Operation::Delete]
        ]
    );
    assert_eq!(s.deleted::<Department>().expect("deleted").len(), 1);
    drop(s);
    assert_eq!(
        db.prune_history::<Department>(now(), |_| ())
            .expect("again"),
        0
    );
}

staffdb::id! {
    /// A role's id, for a model declared without history.
    pub RoleId => Role
}

/// staffdb's roles table as a model of its own, declared without history.
#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = staffdb::schema::staffdb_roles)]
pub struct Role {
    pub id: RoleId,
    #[staffdb(unique)]
    pub name: String,
}

fn a_model_without_history_says_so(t: &TestDb) {
    let db: Database = t.open();
    let mut s = db.read_session().expect("r");
    let error = s.history(RoleId(1)).expect_err("no history");
    assert!(matches!(error, Error::NoHistory { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "roles keep no history: declare the model with #[staffdb(history = …)] and add its history table"
    );
    assert!(matches!(s.deleted::<Role>(), Err(Error::NoHistory { .. })));
}

/// `staffdb` with `args` on the test's database: its exit code, stdout and stderr.
fn staffdb(t: &TestDb, args: &[&str]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
        .env_remove("DATABASE_URL")
        .args(["--database-url", &t.url])
        .args(args)
        .output()
        .expect("run staffdb");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Runs `sql` with the backend's own command-line client — the sqlite3 shell, psql, the
/// mariadb client — as a person at a terminal would, outside staffdb.
fn with_the_databases_own_client(t: &TestDb, sql: &str) {
    let url = t.single_host_url();
    let mut command = match t.backend {
        Backend::Sqlite => {
            let mut c = std::process::Command::new("sqlite3");
            c.args(["-bail", &t.url, sql]);
            c
        }
        Backend::Postgres => {
            let mut c = std::process::Command::new("psql");
            c.args(["-v", "ON_ERROR_STOP=1", &url, "-c", sql]);
            c
        }
        Backend::Mysql => {
            let parsed = url::Url::parse(&url).expect("a MySQL URL");
            let mut c = std::process::Command::new("mariadb");
            c.args(["--protocol=tcp", "-h"])
                .arg(parsed.host_str().unwrap_or("127.0.0.1"))
                .arg(format!("-P{}", parsed.port().unwrap_or(3306)))
                .arg(format!("-u{}", parsed.username()))
                .arg(parsed.path().trim_start_matches('/'))
                .args(["-e", sql])
                .env("MYSQL_PWD", parsed.password().unwrap_or(""));
            c
        }
    };
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("the {} client: {e}", t.backend));
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The issue's "must show": psql, the sqlite3 shell or the mariadb client updates and deletes
/// a row, and `staffdb history` shows those changes, with the database user as who made them.
fn another_clients_writes_are_in_the_history_with_its_database_user(t: &TestDb) {
    let (code, added, err) = staffdb(
        t,
        &["add", "--name", "Ann", "--age", "30", "--position", "Clerk"],
    );
    assert_eq!(code, Some(0), "{err}");
    let id = added
        .split(',')
        .next()
        .and_then(|f| f.strip_prefix("ID: "))
        .expect("the new row's line")
        .to_owned();
    with_the_databases_own_client(
        t,
        &format!("UPDATE employees SET age = 31, position = 'Lead' WHERE id = {id}"),
    );
    with_the_databases_own_client(t, &format!("DELETE FROM employees WHERE id = {id}"));
    let (code, history, err) = staffdb(t, &["history", &id]);
    assert_eq!(code, Some(0), "{err}");
    // `#N  INSTANT  OPERATION  by WHO`
    let headers: Vec<(String, String)> = history
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split("  ").collect();
            (fields[2].to_owned(), fields[3..].join("  "))
        })
        .collect();
    let operations: Vec<&str> = headers.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(operations, ["insert", "update", "delete"], "{history}");
    for (_, who) in &headers[1..] {
        let user = who
            .strip_prefix("by ")
            .and_then(|w| w.strip_suffix(" (database user)"));
        match t.backend {
            Backend::Sqlite => assert_eq!(who, "by unknown (SQLite keeps no user)"),
            _ => assert!(is_the_database_user(t, user), "{history}"),
        }
    }
    assert!(
        history.contains("  Age: 30 → 31\n  Position: Clerk → Lead\n"),
        "{history}"
    );
}

/// The history's commands: `history` (text and JSON), `deleted`, `restore`, `list --as-of`,
/// `history prune`, and their refusals — for employees at the top and for departments.
fn the_history_commands_show_restore_list_as_of_and_prune(t: &TestDb) {
    let ok = |args: &[&str]| {
        let (code, out, err) = staffdb(t, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    let first = ok(&["add", "--name", "Ann", "--age", "30", "--position", "Clerk"]);
    let id = first[4..first.find(',').expect("a line")].to_owned();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(30));
    ok(&["update", &id, "--age", "31"]);
    ok(&["delete", &id]);
    let deleted = ok(&["deleted"]);
    assert!(
        deleted.starts_with(&format!("ID: {id}, Name: Ann, Age: 31")),
        "{deleted}"
    );
    let change = deleted
        .trim_end()
        .rsplit("change ")
        .next()
        .and_then(|n| n.strip_suffix(')'))
        .expect("the change's number")
        .to_owned();
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["history", &id, "--format", "json"])).expect("JSON");
    let operations: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["operation"].as_str().expect("operation"))
        .collect();
    assert_eq!(operations, ["insert", "update", "delete"]);
    assert_eq!(
        json[1]["changed"],
        serde_json::json!({"age": {"from": 30, "to": 31}})
    );

    // As of before the update: Ann at 30; as of before her insert: nobody.
    assert_eq!(
        ok(&["list", "--as-of", &between]),
        format!("ID: {id}, Name: Ann, Age: 30, Position: Clerk\n")
    );
    assert_eq!(ok(&["list", "--as-of", "2000-01-01"]), "");
    let restored = ok(&["restore", &id, "--to", &change]);
    assert_eq!(
        restored,
        format!("ID: {id}, Name: Ann, Age: 31, Position: Clerk\n")
    );
    assert_eq!(ok(&["deleted"]), "");
    for (args, code, says) in [
        (vec!["history", "999"], 1, "employee 999 not found"),
        (
            vec!["restore", &id, "--to", "999999"],
            1,
            "change 999999 not found",
        ),
        (vec!["list", "--as-of", "soon"], 2, "`soon` is no instant"),
        (
            vec!["list", "--as-of", "2026-01-01", "--sort", "age"],
            2,
            "cannot be used with",
        ),
        (vec!["history", "prune"], 2, "--before"),
    ] {
        let (got, _, err) = staffdb(t, &args);
        assert_eq!(got, Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }

    // A deleted value a spreadsheet would run is written inert in CSV, as `export` writes it.
    let eve = ok(&[
        "add",
        "--name",
        "=HYPERLINK(\"http://evil.example/\")",
        "--age",
        "30",
        "--position",
        "Spy",
    ]);
    let eve = eve[4..eve.find(',').expect("a line")].to_owned();
    ok(&["delete", &eve]);
    let csv = ok(&["deleted", "--format", "csv"]);
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");

    // Departments have the same commands; pruning keeps each row's last change.
    let ops = ok(&["departments", "add", "Ops"]);
    let ops = ops
        .split_whitespace()
        .find_map(|word| {
            word.trim_matches(|c: char| !c.is_ascii_digit())
                .parse::<i64>()
                .ok()
        })
        .expect("the department's id")
        .to_string();
    ok(&["departments", "rename", &ops, "Operations"]);
    let history = ok(&["departments", "history", &ops]);
    assert!(history.contains("  Name: Ops → Operations\n"), "{history}");
    let (code, _, err) = staffdb(
        t,
        &["departments", "history", "prune", "--before", "2999-01-01"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "deleted 1 change of departments made before 2999-01-01T00:00:00Z\n"
    );
    let left = ok(&["departments", "history", &ops]);
    assert_eq!(
        left.lines().filter(|l| l.starts_with('#')).count(),
        1,
        "{left}"
    );
}

/// `migrate --revert` of the history removes its tables and triggers cleanly (writes go on
/// without them), and migrating again upgrades the database with its data in place: every row
/// begins its history with a baseline.
fn reverting_the_history_removes_it_and_migrating_again_starts_from_the_rows(t: &TestDb) {
    let db = t.open();
    let ann = db
        .transaction(|s| s.add(&employee("Ann").age(30).build()))
        .expect("add");
    assert_eq!(
        db.revert_last_migration().expect("revert"),
        "20261207170000"
    );
    let gone = db.transaction(|s| {
        s.run(|c| diesel::sql_query("SELECT history_id FROM employees_history").execute(c))
    });
    assert!(gone.is_err(), "the history table is still there");
    let older = db
        .transaction(|s| {
            let changes = EmployeeChanges {
                age: Some(31),
                ..Default::default()
            };
            s.update(ann.id, &changes)?;
            s.delete(ann.id)?;
            s.add(&employee("Bob").age(40).build())
        })
        .expect("writes without the history");
    assert_eq!(
        db.run_pending_migrations().expect("migrate again"),
        ["20261207170000"]
    );
    let mut s = db.read_session().expect("read");
    assert!(s.history(ann.id).expect("ann").is_empty());
    let bob = s.history(older.id).expect("bob");
    assert_eq!(bob.len(), 1);
    assert_eq!(
        (bob[0].operation, &bob[0].row),
        (Operation::Baseline, &older)
    );
}

/// A bulk insert keeps its statements — on PostgreSQL one binary `COPY`, elsewhere the same
/// multi-row inserts — and every row it writes has its history: the database's triggers write
/// it, not statements of staffdb's.
fn a_bulk_insert_keeps_its_statements_and_every_row_has_its_history(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let sent = crate::derived::record(&mut s);
    let rows = (0..2_000).map(|i| employee(&format!("E{i}")).age(i % 100).build());
    assert_eq!(s.add_all(rows).expect("add_all"), 2_000);
    let (statements, _) = crate::derived::take(&sent);
    s.commit().expect("commit");
    assert!(
        statements.iter().all(|sql| !sql.contains("history")),
        "{statements:?}"
    );
    if t.backend == Backend::Postgres {
        // In the savepoint that makes `add_all` all or nothing within its session.
        let writes: Vec<&String> = statements
            .iter()
            .filter(|sql| !sql.contains("SAVEPOINT"))
            .collect();
        assert_eq!(writes.len(), 1, "{statements:?}");
        assert!(
            writes[0].starts_with("COPY \"employees\""),
            "{statements:?}"
        );
    }
    let kept: i64 = db
        .read_session()
        .expect("read")
        .run(|c| {
            staffdb::with_connection!(c, |c| staffdb::schema::employees_history::table
                .filter(staffdb::schema::employees_history::history_operation.eq("insert"))
                .count()
                .get_result(c))
        })
        .expect("count");
    assert_eq!(kept, 2_000);
}

/// An application's table gets its history the same way: the example's migration
/// (2026-12-07-180000) upgrades a database whose projects are there already, each beginning its
/// history with a baseline, and from then on the derive reads what the triggers keep.
fn an_applications_table_gains_its_history_with_its_rows_in_place(t: &TestDb) {
    use crate::derived::project::{NewProject, Project, ProjectChanges};
    let db = crate::derived::open(t);
    assert_eq!(
        db.revert_last_migration().expect("revert"),
        "20261207180000"
    );
    let apollo = db
        .transaction(|s| s.add(&NewProject::new("Apollo").budget(10)))
        .expect("a project before its history");
    assert_eq!(
        db.run_pending_migrations().expect("migrate"),
        ["20261207180000"]
    );
    let raise = ProjectChanges {
        budget: Some(20),
        ..Default::default()
    };
    let raised = db
        .acting_as("vera")
        .transaction(|s| s.update(apollo.id, &raise))
        .expect("raise");
    let mut s = db.read_session().expect("read");
    let changes = s.history(apollo.id).expect("history");
    let seen: Vec<_> = changes
        .iter()
        .map(|c| (c.operation, c.user.as_deref(), c.row.budget))
        .collect();
    assert_eq!(
        seen,
        [
            (Operation::Baseline, None, 10),
            (Operation::Update, Some("vera"), 20)
        ]
    );
    assert_eq!(changes[1].row, raised);
    assert!(s.deleted::<Project>().expect("none").is_empty());
}
