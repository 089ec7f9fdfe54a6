//! kill -9 of `import`, `export --output` and `migrate` (on an empty database, and while it
//! rebuilds SQLite's tables) at random moments: what a crash of the machine or an OOM kill does to
//! a running command.

use std::time::Duration;

use staffdb::Backend;

use crate::ledger::{KILL_EXPORT, KILL_IMPORT, KILL_MIGRATE, KILL_REBUILD};
use crate::support::{Tally, Target, interrupt, random_moment, rng, time_of};

crate::support::each_backend!(
    kill_9_during_import_writes_all_or_nothing,
    kill_9_during_export_never_leaves_a_partial_file,
    kill_9_during_migrate_leaves_a_database_the_next_command_uses,
);

/// Rows per imported file: enough that the import takes a while on every backend.
const IMPORT_ROWS: i64 = 20_000;

/// A killed import leaves none of its rows or all of them; the database stays intact and the
/// next command works.
fn kill_9_during_import_writes_all_or_nothing(backend: Backend) {
    let target = Target::fresh(backend);
    let file = target.csv("people.csv", IMPORT_ROWS as usize);
    let file = file.to_str().expect("UTF-8 path");
    target.ok(&["migrate"]);
    let span = time_of(&target, &["import", file]);
    let mut rng = rng(KILL_IMPORT.test);
    let (mut tally, mut imports, mut adds) = (Tally::default(), 1, 0);
    for run in 0..KILL_IMPORT.runs {
        let moment = random_moment(&mut rng, span);
        let status = interrupt(target.command(&["import", file]), moment, "KILL", "import");
        settle(backend);
        let written = target.count() - adds - imports * IMPORT_ROWS;
        assert!(
            written == 0 || written == IMPORT_ROWS,
            "run {run} ({moment:?}): a killed import left {written} of {IMPORT_ROWS} rows"
        );
        assert!(!status.success() || written == IMPORT_ROWS, "run {run}");
        tally.record(written == IMPORT_ROWS);
        imports += i64::from(written == IMPORT_ROWS);
        target.assert_intact();
        target.ok(&[
            "add",
            "--name",
            "After",
            "--age",
            "30",
            "--position",
            "Tester",
        ]);
        adds += 1;
    }
    assert_eq!(target.count(), imports * IMPORT_ROWS + adds);
    tally.report(KILL_IMPORT.test, backend);
}

/// A killed `export --output` leaves the previous export or the new one under the output's name,
/// never part of one; the next export sweeps the temporary files the killed ones left.
fn kill_9_during_export_never_leaves_a_partial_file(backend: Backend) {
    let target = Target::fresh(backend);
    let file = target.csv("people.csv", 20_000);
    target.ok(&["import", file.to_str().expect("UTF-8 path")]);
    let out = target.dir.path().join("out.csv");
    let span = time_of(&target, &["export", "--output", "out.csv"]);
    let mut previous = std::fs::read(&out).expect("the first export");
    let mut rng = rng(KILL_EXPORT.test);
    let (mut tally, mut most_left) = (Tally::default(), 0);
    for run in 0..KILL_EXPORT.runs {
        target.ok(&[
            "add",
            "--name",
            &format!("Run {run}"),
            "--age",
            "30",
            "--position",
            "P",
        ]);
        let current = target.stdout(&["export"]);
        let moment = random_moment(&mut rng, span);
        interrupt(
            target.command(&["export", "--output", "out.csv"]),
            moment,
            "KILL",
            "export",
        );
        let found = std::fs::read(&out).expect("an export under the output's name");
        assert!(
            found == previous || found == current,
            "run {run} ({moment:?}): out.csv holds {} bytes, neither export ({} or {})",
            found.len(),
            previous.len(),
            current.len()
        );
        tally.record(found == current);
        most_left = most_left.max(Target::export_temp_files(target.dir.path()).len());
        previous = found;
    }
    target.ok(&["export", "--output", "out.csv"]);
    assert_eq!(
        Target::export_temp_files(target.dir.path()),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        std::fs::read(&out).expect("out.csv"),
        target.stdout(&["export"])
    );
    tally.report(KILL_EXPORT.test, backend);
    eprintln!("  at most {most_left} temporary files waited for the next export's sweep");
}

/// A `migrate` killed on an empty database leaves one that the next `migrate` completes and the
/// next write uses.
fn kill_9_during_migrate_leaves_a_database_the_next_command_uses(backend: Backend) {
    let calibration = Target::fresh(backend);
    let span = time_of(&calibration, &["migrate"]);
    let mut rng = rng(KILL_MIGRATE.test);
    let mut tally = Tally::default();
    for run in 0..KILL_MIGRATE.runs {
        let target = Target::fresh(backend);
        let moment = random_moment(&mut rng, span);
        let status = interrupt(target.command(&["migrate"]), moment, "KILL", "migrate");
        tally.record(status.success());
        target.assert_intact();
        let retried = target.command(&["migrate"]).output().expect("run migrate");
        assert!(
            retried.status.success(),
            "run {run} ({moment:?}): migrate after a killed migrate: {}",
            String::from_utf8_lossy(&retried.stderr)
        );
        let status = target.stdout(&["migrate", "--status"]);
        let status = String::from_utf8_lossy(&status);
        assert!(!status.contains("pending"), "run {run}: {status}");
        target.ok(&[
            "add",
            "--name",
            "After",
            "--age",
            "30",
            "--position",
            "Tester",
        ]);
        assert_eq!(target.count(), 1, "run {run}");
    }
    tally.report(KILL_MIGRATE.test, backend);
}

/// On a server, gives it a moment to finish rolling back (or committing) what the killed
/// process sent, so the count reads its outcome.
pub fn settle(backend: Backend) {
    if backend != Backend::Sqlite {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Employees in the table the killed migration rebuilds: enough that the rebuild takes a while.
const REBUILD_ROWS: i64 = 50_000;

/// Raw SQL on a SQLite file, as another client: one text column `line` per row.
fn sqlite_lines(url: &str, sql: &str) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let mut conn = SqliteConnection::establish(url).expect("open the file");
    diesel::sql_query(sql)
        .load::<Line>(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// What the rebuild must keep, and whether it is done: employees, the application's projects,
/// and the version that the rebuild records in its own transaction.
fn rebuild_state(url: &str) -> (Vec<String>, bool) {
    let kept = sqlite_lines(
        url,
        "SELECT (SELECT count(*) FROM employees) || ' ' || (SELECT count(*) FROM projects) \
         || ' ' || (SELECT count(*) FROM departments) AS line",
    );
    let done = !sqlite_lines(
        url,
        "SELECT version AS line FROM staffdb_schema_versions WHERE version = '20261207090000'",
    )
    .is_empty();
    (kept, done)
}

/// A `migrate` killed while it rebuilds SQLite's employees and departments — the checks
/// migration (2026-12-07-090000), which runs outside the migration lock with foreign keys off,
/// in a transaction of its own — leaves the tables as they were or rebuilt, with every row and
/// every row of an application's table that refers to them (ON DELETE CASCADE: a DROP TABLE
/// with foreign keys on would have emptied it), and the next `migrate` finishes the migration.
#[test]
fn kill_9_during_the_sqlite_rebuild_keeps_every_row_and_the_next_migrate_finishes_it() {
    let template = Target::fresh(Backend::Sqlite);
    let file = template.csv("people.csv", REBUILD_ROWS as usize);
    template.ok(&["import", file.to_str().expect("UTF-8 path")]);
    // The history (2026-12-07-170000), the users (2026-12-07-160000), the position index
    // (2026-12-07-130000), the list indexes (2026-12-07-110000), then the rebuild before them.
    for _ in 0..5 {
        template.ok(&["migrate", "--revert", "--yes"]);
    }
    {
        use diesel::prelude::*;
        let mut conn = SqliteConnection::establish(&template.url).expect("open the file");
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "PRAGMA foreign_keys = ON;
             CREATE TABLE projects (id INTEGER PRIMARY KEY,
                 lead_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE);
             INSERT INTO projects (lead_id) SELECT id FROM employees WHERE id % 10 = 0;",
        )
        .expect("the application's table");
    }
    let copy_of_template = || {
        let target = Target::fresh(Backend::Sqlite);
        std::fs::copy(&template.url, &target.url).expect("copy the database");
        target
    };
    let (before, done) = rebuild_state(&template.url);
    assert!(!done, "the template waits for the rebuild");
    let span = time_of(&copy_of_template(), &["migrate"]);
    let mut rng = rng(KILL_REBUILD.test);
    let mut tally = Tally::default();
    for run in 0..KILL_REBUILD.runs {
        let target = copy_of_template();
        let moment = random_moment(&mut rng, span);
        interrupt(target.command(&["migrate"]), moment, "KILL", "migrate");
        target.assert_intact();
        let (kept, done) = rebuild_state(&target.url);
        assert_eq!(kept, before, "run {run} ({moment:?}): rows lost");
        tally.record(done);
        target.ok(&["migrate"]);
        let status = String::from_utf8_lossy(&target.stdout(&["migrate", "--status"])).into_owned();
        assert!(!status.contains("pending"), "run {run}: {status}");
        assert_eq!(
            rebuild_state(&target.url),
            (before.clone(), true),
            "run {run}"
        );
        let refused = {
            use diesel::prelude::*;
            let mut conn = SqliteConnection::establish(&target.url).expect("open the file");
            diesel::sql_query("INSERT INTO employees (name, age, position) VALUES ('X', 25.5, 'P')")
                .execute(&mut conn)
                .is_err()
        };
        assert!(refused, "run {run}: the checks are in place");
        let broken = sqlite_lines(
            &target.url,
            "SELECT \"table\" AS line FROM pragma_foreign_key_check",
        );
        assert!(broken.is_empty(), "run {run}: {broken:?}");
        target.assert_intact();
    }
    tally.report(KILL_REBUILD.test, Backend::Sqlite);
}
