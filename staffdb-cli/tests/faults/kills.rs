//! kill -9 of `import`, `export --output` and `migrate` at random moments: what a crash of the
//! machine or an OOM kill does to a running command.

use std::time::Duration;

use staffdb::Backend;

use crate::ledger::{KILL_EXPORT, KILL_IMPORT, KILL_MIGRATE};
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
