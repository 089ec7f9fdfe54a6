//! Migrations that run outside a transaction (`run_in_transaction = false`): SQLite's rebuild of
//! employees and departments that turns the readability triggers into CHECK constraints
//! (2026-12-07-090000), on databases with data and with an application's tables beside
//! staffdb's, and an application's own such migration on every backend.

use std::path::Path;
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use staffdb::diesel_migrations::{FileBasedMigrations, MigrationHarness};
use staffdb::{AppMigrations, Database, MigrationState, OpenOptions};

use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(an_application_migration_outside_a_transaction_runs_as_diesel_runs_it);

/// The migration that moves the checks from triggers to CHECK constraints.
const CHECKS: &str = "20261207090000";
/// The one before it, whose triggers it replaces.
const TRIGGERS: &str = "20261206000001";
/// The one after it: the indexes of the columns lists sort and filter by.
const LISTS: &str = "20261207110000";
/// The index of position, sortable too.
const POSITION: &str = "20261207130000";
/// The users of `serve` and their roles.
const USERS: &str = "20261207160000";
/// The last: the history of every row.
const HISTORY: &str = "20261207170000";
/// staffdb's SQLite migrations, as `diesel migration run` reads them.
const SQLITE_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite");

/// A SQLite database that is neither empty nor staffdb's alone: applies staffdb's SQLite
/// migrations after `from` up to `to` with Diesel's own harness, as `diesel migration run` does.
fn diesel_migrate(conn: &mut SqliteConnection, from: &str, to: &str) {
    let source = FileBasedMigrations::from_path(SQLITE_MIGRATIONS).expect("the migrations");
    let mut migrations = MigrationSource::<Sqlite>::migrations(&source).expect("read them");
    migrations.sort_by_key(|m| m.name().version().to_string());
    // Creates Diesel's bookkeeping table, as its CLI does first.
    conn.applied_migrations().expect("diesel's bookkeeping");
    for migration in migrations {
        let version = migration.name().version().to_string();
        if version.as_str() > from && version.as_str() <= to {
            conn.run_migration(migration.as_ref())
                .unwrap_or_else(|e| panic!("diesel's harness on {version}: {e}"));
        }
    }
}

/// A client of the database's own, the sqlite3 shell's way: plain SQL, foreign keys on.
fn client(url: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(url).expect("connect");
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
        .expect("set up");
    conn
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// The one text column, `line`, of each row `sql` selects.
fn lines(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Line>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Every row of every table and view the rebuild must keep, each value with its type
/// (`quote()`), and AUTOINCREMENT's high-water marks.
fn contents(conn: &mut SqliteConnection) -> Vec<String> {
    let tables = [
        ("departments", "id, name, created_at"),
        (
            "employees",
            "id, name, age, position, email, department_id, hired_on, version, created_at, updated_at",
        ),
        ("projects", "id, name, lead_id"),
        ("notes", "id, body, author_id"),
        ("budgets", "department_id, amount"),
        ("audit", "what"),
        ("project_leads", "project, lead"),
        ("sqlite_sequence", "name, seq"),
    ];
    tables
        .iter()
        .flat_map(|(table, columns)| {
            let row = columns
                .split(", ")
                .map(|c| format!("quote({c})"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            // The high-water marks of the rebuilt tables (later migrations add others').
            let only = match *table {
                "sqlite_sequence" => " WHERE name IN ('departments', 'employees')",
                _ => "",
            };
            lines(
                conn,
                &format!("SELECT '{table}: ' || {row} AS line FROM {table}{only} ORDER BY 1"),
            )
        })
        .collect()
}

/// What describes employees and departments: columns (name, type, NOT NULL, default, key),
/// indexes with their columns and collations, foreign keys, and the triggers; and, when `sql`,
/// the tables' own CREATE TABLE (as written, up to the quotes a RENAME puts round the name).
fn shape(conn: &mut SqliteConnection, sql: bool) -> Vec<String> {
    let mut shape = lines(
        conn,
        "WITH t(name) AS (VALUES ('employees'), ('departments'))
         SELECT 'column ' || t.name || ' ' || c.cid || ' ' || c.name || ' ' || c.type || ' '
                || c.\"notnull\" || ' ' || ifnull(c.dflt_value, '-') || ' ' || c.pk AS line
         FROM t, pragma_table_info(t.name) c
         UNION ALL
         SELECT 'index ' || t.name || ' ' || i.name || ' ' || i.\"unique\" || ' ' || i.origin
                || ' ' || i.partial || ' ' || (SELECT group_concat(ifnull(x.name, '<expr>')
                || ' ' || x.coll, ', ') FROM pragma_index_xinfo(i.name) x WHERE x.key)
         FROM t, pragma_index_list(t.name) i
         UNION ALL
         SELECT 'foreign key ' || t.name || ' ' || f.\"from\" || ' ' || f.\"table\" || ' '
                || f.\"to\" || ' ' || f.on_update || ' ' || f.on_delete
         FROM t, pragma_foreign_key_list(t.name) f
         UNION ALL
         SELECT 'trigger ' || name || ': ' || sql FROM sqlite_master
         WHERE type = 'trigger' AND tbl_name IN (SELECT name FROM t)
         ORDER BY 1",
    );
    if sql {
        shape.extend(lines(
            conn,
            "SELECT replace(sql, 'CREATE TABLE \"' || name || '\"', 'CREATE TABLE ' || name)
             AS line FROM sqlite_master WHERE name IN ('employees', 'departments') ORDER BY name",
        ));
    }
    shape
}

fn foreign_key_violations(conn: &mut SqliteConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT \"table\" || ' ' || rowid || ' ' || parent AS line FROM pragma_foreign_key_check",
    )
}

fn execute(conn: &mut SqliteConnection, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database at the migration before the checks, migrated by Diesel's harness, holding what an
/// application's database may hold: two departments, 400 employees (one stored, before the
/// readability triggers existed, with a timestamp staffdb cannot read), the newest id deleted
/// (AUTOINCREMENT's high-water mark is above every id), and the application's own tables that
/// refer to employees and departments with ON DELETE CASCADE and SET NULL, a view and a trigger
/// that name employees, all with rows.
fn database_before_the_checks(url: &str) -> SqliteConnection {
    let mut conn = client(url);
    diesel_migrate(&mut conn, "", "20261202090000");
    execute(
        &mut conn,
        "INSERT INTO departments (name) VALUES ('Ops'), ('Lab');
         INSERT INTO employees (name, age, position, created_at)
         VALUES ('Legacy', 50, 'Clerk', 1764615600);",
    );
    diesel_migrate(&mut conn, "20261202090000", TRIGGERS);
    execute(
        &mut conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
         INSERT INTO employees (name, age, position, email, department_id, hired_on)
         SELECT 'E' || i, 20 + i % 40, 'Developer', 'e' || i || '@Example.com',
                1 + i % 2, '2020-01-' || printf('%02d', 1 + i % 28)
         FROM n;
         DELETE FROM employees WHERE id = (SELECT max(id) FROM employees);
         CREATE TABLE projects (
             id INTEGER PRIMARY KEY, name TEXT NOT NULL,
             lead_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE);
         CREATE TABLE notes (
             id INTEGER PRIMARY KEY, body TEXT NOT NULL,
             author_id BIGINT REFERENCES employees (id) ON DELETE SET NULL);
         CREATE TABLE budgets (
             department_id BIGINT PRIMARY KEY REFERENCES departments (id) ON DELETE CASCADE,
             amount INTEGER NOT NULL);
         CREATE TABLE audit (what TEXT NOT NULL);
         CREATE VIEW project_leads AS
             SELECT p.name AS project, e.name AS lead FROM projects p JOIN employees e ON e.id = p.lead_id;
         CREATE TRIGGER projects_audit AFTER INSERT ON projects BEGIN
             INSERT INTO audit (what) SELECT 'led by ' || name FROM employees WHERE id = NEW.lead_id;
         END;
         INSERT INTO projects (name, lead_id) SELECT 'P' || id, id FROM employees WHERE id % 10 = 0;
         INSERT INTO notes (body, author_id) SELECT 'N' || id, id FROM employees WHERE id % 7 = 0;
         INSERT INTO budgets VALUES (1, 1000), (2, 2000);",
    );
    conn
}

/// A staffdb database that never migrates by itself, on one pooled connection: what the
/// migrations leave on the connection is what the next session gets.
fn staffdb_on_one_connection(url: &str) -> Database {
    OpenOptions::new()
        .migrate(false)
        .max_connections(1)
        .open(url)
        .expect("open")
}

/// Migrates a database from before the checks as staffdb does (the rebuild, then the list
/// indexes, the users and the history after it), then reverts those: the database is as the rebuild left it, which is
/// what these tests look at.
fn migrate_through_the_checks(db: &Database) {
    assert_eq!(
        db.run_pending_migrations().expect("migrate"),
        [CHECKS, LISTS, POSITION, USERS, HISTORY]
    );
    for index in [HISTORY, USERS, POSITION, LISTS] {
        assert_eq!(
            db.revert_last_migration().expect("revert the indexes"),
            index
        );
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Settings {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    foreign_keys: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    legacy_alter_table: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ignore_check_constraints: bool,
}

/// The pooled connection's settings that a rebuild changes, read in a write session (so also
/// proving that no transaction was left open on it).
fn settings(db: &Database) -> Settings {
    let mut s = db.session().expect("a write session");
    let settings = s
        .run(|c| {
            diesel::sql_query(
                "SELECT foreign_keys, legacy_alter_table, ignore_check_constraints \
                 FROM pragma_foreign_keys, pragma_legacy_alter_table, pragma_ignore_check_constraints",
            )
            .get_result(c)
        })
        .expect("read the settings");
    s.commit().expect("commit");
    settings
}

const AS_STAFFDB_LEAVES_THEM: Settings = Settings {
    foreign_keys: true,
    legacy_alter_table: false,
    ignore_check_constraints: false,
};

fn versions_recorded(conn: &mut SqliteConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT version AS line FROM staffdb_schema_versions ORDER BY 1",
    )
}

/// The rebuild, run by staffdb on a database with data and with an application's tables beside
/// staffdb's: every row is kept as it was (the unreadable one too), with its id and the
/// high-water mark; the columns, indexes and foreign keys are as before; the application's rows,
/// references, view and trigger are untouched and still work on the new tables; no reference is
/// broken; the checks refuse another client's unreadable values; and the connection goes back to
/// the pool with foreign keys on.
#[test]
fn the_checks_rebuild_keeps_every_row_and_what_refers_to_the_tables() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let mut other = database_before_the_checks(&t.url);
    let before = contents(&mut other);
    let shape_before = shape(&mut other, false);
    assert!(before.len() > 500, "{}", before.len());
    assert!(foreign_key_violations(&mut other).is_empty());

    let db = staffdb_on_one_connection(&t.url);
    migrate_through_the_checks(&db);
    assert_eq!(settings(&db), AS_STAFFDB_LEAVES_THEM);

    assert_eq!(contents(&mut other), before, "every row, as it was");
    let triggers = "trigger ";
    assert_eq!(
        shape(&mut other, false)
            .into_iter()
            .filter(|l| !l.starts_with(triggers))
            .collect::<Vec<_>>(),
        shape_before
            .iter()
            .filter(|l| !l.starts_with(triggers))
            .cloned()
            .collect::<Vec<_>>(),
        "the same columns, indexes and foreign keys"
    );
    let left: Vec<String> = shape(&mut other, false)
        .into_iter()
        .filter(|l| l.starts_with(triggers))
        .map(|l| l.split(':').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(left, ["trigger employees_version_bump"]);
    assert!(foreign_key_violations(&mut other).is_empty());
    assert!(versions_recorded(&mut other).contains(&CHECKS.to_owned()));

    // Another client's unreadable values are refused, named as the triggers named them.
    for (sql, field) in [
        (
            "INSERT INTO employees (name, age, position) VALUES ('X', 25.5, 'Chef')",
            "employees.age",
        ),
        (
            "INSERT INTO employees (name, age, position, hired_on) VALUES ('X', 30, 'Chef', '2020-02-30')",
            "employees.hired_on",
        ),
        (
            "UPDATE employees SET updated_at = 1764615600 WHERE id = 2",
            "employees.updated_at",
        ),
        (
            "INSERT INTO departments (name, created_at) VALUES ('D', 'yesterday')",
            "departments.created_at",
        ),
    ] {
        let error = other.batch_execute(sql).expect_err(sql).to_string();
        assert!(
            error.starts_with(&format!("CHECK constraint failed: {field} must be")),
            "{sql}: {error}"
        );
    }
    assert_eq!(contents(&mut other), before, "nothing stored");

    // The references resolve to the new tables: deletes cascade and set NULL as declared.
    execute(
        &mut other,
        "DELETE FROM employees WHERE id = 70; DELETE FROM departments WHERE id = 2;",
    );
    let after = lines(
        &mut other,
        "SELECT (SELECT count(*) FROM projects WHERE lead_id = 70) || ' '
             || (SELECT count(*) FROM notes WHERE body = 'N70' AND author_id IS NULL) || ' '
             || (SELECT count(*) FROM budgets) || ' '
             || (SELECT count(*) FROM employees WHERE department_id IS NULL) AS line",
    );
    assert_eq!(after, ["0 1 1 200"], "cascade, set null, cascade, set null");
    // The application's view and trigger name employees, and read the new table.
    execute(
        &mut other,
        "INSERT INTO projects (name, lead_id) VALUES ('Apollo', 3)",
    );
    assert_eq!(
        lines(
            &mut other,
            "SELECT what AS line FROM audit ORDER BY rowid DESC LIMIT 1"
        ),
        ["led by E2"]
    );
    assert_eq!(
        lines(
            &mut other,
            "SELECT lead AS line FROM project_leads WHERE project = 'Apollo'"
        ),
        ["E2"]
    );

    // A deleted id is still never handed out again.
    let added = db
        .transaction(|s| s.add(&employee("New").build()))
        .expect("add");
    assert_eq!(added.id.get(), 402, "after the high-water mark, 401");
    // A row stored before the checks is kept as it was, and PRAGMA integrity_check names its
    // table. As under the triggers, an update that writes updated_at (the version trigger does
    // on every update that leaves the version alone) is refused on its created_at, which can
    // never be copied into updated_at; an UPDATE is otherwise checked on the columns it sets.
    for sql in [
        "UPDATE employees SET age = 51 WHERE id = 1",
        "UPDATE employees SET updated_at = created_at, version = version + 1 WHERE id = 1",
    ] {
        let error = other.batch_execute(sql).expect_err(sql).to_string();
        assert!(
            error.starts_with("CHECK constraint failed: employees.created_at must be"),
            "{sql}: {error}"
        );
    }
    execute(
        &mut other,
        "UPDATE employees SET age = 51, version = version + 1 WHERE id = 1",
    );
    assert_eq!(
        lines(
            &mut other,
            "SELECT integrity_check AS line FROM pragma_integrity_check"
        ),
        ["CHECK constraint failed in employees"]
    );
    execute(&mut other, "DELETE FROM employees WHERE id = 1");
    assert_eq!(
        lines(
            &mut other,
            "SELECT integrity_check AS line FROM pragma_integrity_check"
        ),
        ["ok"]
    );
}

/// The CHECK constraints refuse exactly what the triggers refused, with the same messages: a
/// corpus of values for every checked column, written by INSERT and by UPDATE, on a database at
/// the migration before (triggers) and one after (checks), both migrated by Diesel's harness —
/// which runs the rebuild as `diesel migration run` does.
#[test]
fn the_checks_refuse_exactly_what_the_triggers_refused() {
    let stamps = [
        "'2026-12-06 10:00:00'",
        "'2026-12-06 10:00:00.1'",
        "'2026-12-06 10:00:00.123456789'",
        "'2026-12-06 10:00:00.1234567890'",
        "'2026-12-06 10:00:00.'",
        "'2026-12-06 10:00:00.12a'",
        "'2026-12-06 10:00:00Z'",
        "'2026-12-06T10:00:00'",
        "'2026-12-06 24:00:00'",
        "'2026-12-06 10:00:60'",
        "'2026-02-30 10:00:00'",
        "'2026-12-06 10:00'",
        "' 2026-12-06 10:00:00'",
        "'2026-12-06 10:00:00.1' || char(0) || 'x'",
        "'2026-12-31 23:59:59.9995'",
        "1764615600",
        "1764615600.5",
        "x'323032362d31322d30362031303a30303a3030'",
        "'yesterday'",
    ];
    let mut statements = Vec::new();
    for age in [
        "30", "'30'", "30.0", "25.5", "200.5", "151", "-1", "'abc'", "x'01'",
    ] {
        statements.push(format!(
            "INSERT INTO employees (name, age, position) VALUES ('X', {age}, 'P')"
        ));
        statements.push(format!("UPDATE employees SET age = {age} WHERE id = 1"));
    }
    for date in [
        "NULL",
        "'2020-01-31'",
        "'2020-02-30'",
        "'2020-1-1'",
        "'2020-01-01 00:00:00'",
        "' 2020-01-01'",
        "20200101",
        "x'00'",
    ] {
        statements.push(format!(
            "INSERT INTO employees (name, age, position, hired_on) VALUES ('X', 30, 'P', {date})"
        ));
        statements.push(format!(
            "UPDATE employees SET hired_on = {date} WHERE id = 1"
        ));
    }
    for stamp in stamps {
        for column in ["created_at", "updated_at"] {
            statements.push(format!(
                "INSERT INTO employees (name, age, position, {column}) VALUES ('X', 30, 'P', {stamp})"
            ));
            statements.push(format!(
                "UPDATE employees SET {column} = {stamp}, version = version + 1 WHERE id = 1"
            ));
        }
        statements.push(format!(
            "INSERT INTO departments (name, created_at) VALUES ('D', {stamp})"
        ));
        statements.push(format!(
            "UPDATE departments SET created_at = {stamp} WHERE id = 1"
        ));
    }
    statements.push(
        "INSERT INTO employees (name, age, position, hired_on, created_at) \
         VALUES ('X', 20.5, 'P', 'x', 'y')"
            .to_owned(),
    );

    let outcomes = |to: &str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("corpus.db").display().to_string();
        let mut conn = client(&url);
        diesel_migrate(&mut conn, "", to);
        execute(
            &mut conn,
            "INSERT INTO departments (name) VALUES ('Ops');
             INSERT INTO employees (name, age, position) VALUES ('A', 30, 'P');",
        );
        statements
            .iter()
            .map(|sql| {
                execute(&mut conn, "SAVEPOINT corpus");
                let outcome = match conn.batch_execute(sql) {
                    Ok(()) => "stored".to_owned(),
                    Err(e) => e.to_string(),
                };
                execute(&mut conn, "ROLLBACK TO corpus; RELEASE corpus");
                format!("{sql} => {outcome}")
            })
            .collect::<Vec<_>>()
    };
    let by_triggers = outcomes(TRIGGERS);
    let by_checks = outcomes(CHECKS);
    assert_eq!(by_checks, by_triggers);
    let refused = by_checks
        .iter()
        .filter(|o| o.contains("=> CHECK constraint failed: "))
        .count();
    assert!(
        refused > 60 && refused < by_checks.len() - 20,
        "{by_checks:#?}"
    );
}

/// Reverting the rebuild (`down.sql`, the same procedure) restores the migration before it
/// exactly — the same tables as written, indexes, foreign keys and triggers, as a database that
/// Diesel's harness migrated only that far has them — with every row, every application row and
/// the high-water mark kept; and it applies again after.
#[test]
fn reverting_the_checks_restores_the_triggers_and_keeps_every_row() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let mut other = database_before_the_checks(&t.url);
    let before = contents(&mut other);
    let shape_before = shape(&mut other, true);

    let db = staffdb_on_one_connection(&t.url);
    migrate_through_the_checks(&db);
    assert_ne!(shape(&mut other, true), shape_before);
    assert_eq!(db.revert_last_migration().expect("revert"), CHECKS);
    assert_eq!(settings(&db), AS_STAFFDB_LEAVES_THEM);

    assert_eq!(
        shape(&mut other, true),
        shape_before,
        "the schema before, exactly"
    );
    assert_eq!(contents(&mut other), before, "every row, as it was");
    assert!(foreign_key_violations(&mut other).is_empty());
    assert!(!versions_recorded(&mut other).contains(&CHECKS.to_owned()));
    let pending: Vec<_> = db
        .migration_status()
        .expect("status")
        .into_iter()
        .filter(|m| m.state == MigrationState::Pending)
        .map(|m| m.version)
        .collect();
    assert_eq!(pending, [CHECKS, LISTS, POSITION, USERS, HISTORY]);
    let refused = other
        .batch_execute("INSERT INTO employees (name, age, position) VALUES ('X', 25.5, 'Chef')")
        .expect_err("the triggers refuse it again");
    assert_eq!(
        refused.to_string(),
        "CHECK constraint failed: employees.age must be an integer"
    );

    assert_eq!(
        db.run_pending_migrations().expect("again"),
        [CHECKS, LISTS, POSITION, USERS, HISTORY]
    );
    assert_eq!(contents(&mut other), before);
}

/// A reference another client broke before the rebuild (an employee's department deleted with
/// foreign keys off) is kept as it was and does not stop the migration, which checks only that
/// it broke none itself.
#[test]
fn a_reference_broken_before_the_rebuild_is_kept_and_does_not_stop_it() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let mut other = database_before_the_checks(&t.url);
    execute(
        &mut other,
        "PRAGMA foreign_keys = OFF; DELETE FROM departments WHERE id = 2; PRAGMA foreign_keys = ON;",
    );
    let broken = foreign_key_violations(&mut other);
    assert_eq!(broken.len(), 201, "{broken:?}");
    let before = contents(&mut other);
    let db = staffdb_on_one_connection(&t.url);
    migrate_through_the_checks(&db);
    assert_eq!(foreign_key_violations(&mut other), broken);
    assert_eq!(contents(&mut other), before);
}

/// An index of the application's own on employees would go with the old table: the rebuild
/// refuses, saying so, and changes nothing — no row, no table, no version recorded — and the
/// connection goes back to the pool as it came (foreign keys on, no transaction open). Without
/// the index it runs.
#[test]
fn an_index_of_the_applications_on_employees_stops_the_rebuild_and_changes_nothing() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let mut other = database_before_the_checks(&t.url);
    execute(
        &mut other,
        "CREATE INDEX employees_name_idx ON employees (name)",
    );
    let (before, shape_before) = (contents(&mut other), shape(&mut other, true));
    let recorded = versions_recorded(&mut other);

    let db = staffdb_on_one_connection(&t.url);
    let error = db.run_pending_migrations().expect_err("refused");
    let chain = format!("{:#}", anyhow::Error::new(error));
    assert!(
        chain.contains(CHECKS) && chain.contains("an index or trigger that staffdb did not make"),
        "{chain}"
    );
    assert_eq!(settings(&db), AS_STAFFDB_LEAVES_THEM);
    assert_eq!(contents(&mut other), before);
    assert_eq!(shape(&mut other, true), shape_before);
    assert_eq!(versions_recorded(&mut other), recorded);
    let tables = lines(
        &mut other,
        "SELECT name AS line FROM sqlite_master WHERE name LIKE 'new_%'",
    );
    assert!(tables.is_empty(), "{tables:?}");

    execute(&mut other, "DROP INDEX employees_name_idx");
    migrate_through_the_checks(&db);
}

/// A process killed between the rebuild's COMMIT and Diesel's record of it (in a statement of
/// its own, after) leaves the version in `staffdb_schema_versions` only: the next migrate
/// completes the record and does not run the rebuild again. Likewise a revert killed before
/// Diesel's record was removed: the next migrate removes it, and applies the migration again.
#[test]
fn a_rebuild_interrupted_before_diesels_record_is_completed_not_run_twice() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let db = t.open();
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let mut other = client(&t.url);
    let forget = format!("DELETE FROM __diesel_schema_migrations WHERE version = '{CHECKS}'");
    execute(&mut other, &forget);
    let raw = t.open_unmigrated();
    let state = |db: &Database| {
        db.migration_status()
            .expect("status")
            .into_iter()
            .find(|m| m.version == CHECKS)
            .map(|m| m.state)
    };
    assert_eq!(state(&raw), Some(MigrationState::Pending));
    assert!(
        raw.run_pending_migrations()
            .expect("complete the record")
            .is_empty(),
        "nothing run"
    );
    assert_eq!(state(&raw), Some(MigrationState::Applied));
    assert_eq!(
        versions_recorded(&mut other)
            .iter()
            .filter(|v| *v == CHECKS)
            .count(),
        1
    );

    for version in [HISTORY, USERS, POSITION, LISTS, CHECKS] {
        assert_eq!(raw.revert_last_migration().expect("revert"), version);
    }
    let remember = format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{CHECKS}')");
    execute(&mut other, &remember);
    assert_eq!(state(&raw), Some(MigrationState::Applied));
    assert_eq!(
        raw.run_pending_migrations().expect("migrate"),
        [CHECKS, LISTS, POSITION, USERS, HISTORY]
    );
    let refused = other
        .batch_execute("INSERT INTO employees (name, age, position) VALUES ('X', 25.5, 'Chef')")
        .expect_err("checked");
    assert!(
        refused
            .to_string()
            .contains("employees.age must be an integer")
    );
    assert!(lines(
        &mut other,
        "SELECT name AS line FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%readable%'"
    )
    .is_empty());
}

/// Four `staffdb migrate` processes at once on a database of 20,000 employees that needs the
/// rebuild, which runs outside the migration lock: every process exits 0, the rebuild is
/// applied once (one process says so; the others' second runs fail on its version before
/// changing anything) and the rows are all there.
#[test]
fn four_processes_that_start_the_rebuild_at_once_all_succeed_and_run_it_once() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let mut other = database_before_the_checks(&t.url);
    execute(
        &mut other,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO employees (name, age, position) SELECT 'M' || i, 30, 'Clerk' FROM n;",
    );
    let before = contents(&mut other);
    let children: Vec<_> = (0..4)
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
        assert!(output.status.success(), "{output:?}");
    }
    let said: usize = outputs
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .matches(&format!("applied {CHECKS}"))
                .count()
        })
        .sum();
    assert_eq!(said, 1, "{outputs:?}");
    assert_eq!(contents(&mut other), before);
    assert!(foreign_key_violations(&mut other).is_empty());
    let status = t.open_unmigrated().migration_status().expect("status");
    assert!(status.iter().all(|m| m.state == MigrationState::Applied));
}

/// An application's migration whose metadata says `run_in_transaction = false` runs as `diesel
/// migration run` runs it, outside any transaction — not inside staffdb's migration lock, which
/// is a transaction on SQLite and PostgreSQL: a SQLite migration with a `BEGIN` of its own, and
/// PostgreSQL's `CREATE INDEX CONCURRENTLY`, which refuse to run in one. It is recorded, listed
/// as applied, reverts and applies again.
fn an_application_migration_outside_a_transaction_runs_as_diesel_runs_it(t: &TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let migration = dir.path().join("2026-12-10-000001_outside_a_transaction");
    std::fs::create_dir_all(&migration).expect("migration dir");
    let (up, down) = match t.backend {
        staffdb::Backend::Sqlite => (
            "PRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\nCOMMIT;\nPRAGMA foreign_keys = ON;",
            "BEGIN;\nDROP TABLE notes;\nCOMMIT;",
        ),
        staffdb::Backend::Postgres => (
            "CREATE INDEX CONCURRENTLY employees_name_idx ON employees (name)",
            "DROP INDEX CONCURRENTLY employees_name_idx",
        ),
        staffdb::Backend::Mysql => (
            "CREATE INDEX employees_name_idx ON employees (name)",
            "DROP INDEX employees_name_idx ON employees",
        ),
    };
    write(&migration.join("up.sql"), up);
    write(&migration.join("down.sql"), down);
    write(
        &migration.join("metadata.toml"),
        "run_in_transaction = false\n",
    );
    let options = OpenOptions::new().app_migrations(AppMigrations::directory(dir.path()));
    let db = t.open_with(options);
    let state = |db: &Database| {
        db.migration_status()
            .expect("status")
            .into_iter()
            .find(|m| m.version == "20261210000001")
            .map(|m| m.state)
    };
    assert_eq!(state(&db), Some(MigrationState::Applied));
    assert_eq!(
        db.revert_last_migration().expect("revert"),
        "20261210000001"
    );
    assert_eq!(state(&db), Some(MigrationState::Pending));
    assert_eq!(
        db.run_pending_migrations().expect("apply"),
        ["20261210000001"]
    );
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("usable");
    let reverted = db.revert_all_migrations().expect("revert all");
    assert_eq!(reverted.len(), crate::common::staffdb_migrations() + 1);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
