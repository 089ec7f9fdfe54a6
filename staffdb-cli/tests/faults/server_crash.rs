//! The server itself crashing while `import` writes (a private server of the test's own, stopped
//! with `pg_ctl stop -m immediate` or SIGKILL), then restarted.

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use staffdb::Backend;

use crate::ledger::SERVER_CRASH;
use crate::servers::{PrivateMariadb, PrivatePostgres};
use crate::support::{Tally, Target, random_moment, rng, time_of, wait};

const ROWS: i64 = 20_000;

/// PostgreSQL crashes during an import, at a random moment, and is restarted.
#[test]
#[ignore = "needs root and PostgreSQL 15's binaries (a private server): run with --ignored"]
fn a_postgres_crash_during_import_writes_all_or_nothing_and_the_restart_serves() {
    let server = PrivatePostgres::start();
    let target = Target::at(Backend::Postgres, server.url());
    crash_during_imports(&target, || server.crash(), || server.resume());
}

/// MariaDB is killed during an import, at a random moment, and is restarted.
#[test]
#[ignore = "needs root and mariadbd (a private server): run with --ignored"]
fn a_mariadb_crash_during_import_writes_all_or_nothing_and_the_restart_serves() {
    let server = PrivateMariadb::start();
    let server = std::cell::RefCell::new(server);
    let target = Target::at(Backend::Mysql, server.borrow().url());
    crash_during_imports(
        &target,
        || server.borrow_mut().crash(),
        || server.borrow_mut().resume(),
    );
}

/// Over [`SERVER_CRASH`]'s runs: an import starts, the server crashes at a random moment, the
/// import must end by itself (exit 0, 1, or 3 when the crash cut COMMIT off; never a hang or a
/// panic) with all of its rows or none, and once the server is back the next command works.
fn crash_during_imports(target: &Target, crash: impl Fn(), resume: impl Fn()) {
    let file = target.csv("people.csv", ROWS as usize);
    let file = file.to_str().expect("UTF-8 path");
    target.ok(&["migrate"]);
    let span = time_of(target, &["import", file]);
    let mut rng = rng(SERVER_CRASH.test);
    let (mut tally, mut imports, mut adds, mut unknown) = (Tally::default(), 1, 0, 0);
    for run in 0..SERVER_CRASH.runs {
        let child = target.command(&["import", file]).spawn().expect("spawn");
        let moment = random_moment(&mut rng, span);
        std::thread::sleep(moment);
        crash();
        let status = wait(child, "import while the server crashed");
        resume();
        let written = target.count() - adds - imports * ROWS;
        assert!(
            written == 0 || written == ROWS,
            "run {run} ({moment:?}): {written} of {ROWS} rows survived the crash"
        );
        let exit = exit_code(status, run);
        assert!(
            exit != 0 || written == ROWS,
            "run {run}: exit 0 and rows missing"
        );
        // Exit 3, "outcome unknown", with the rows stored or not: the crash cut the connection
        // after COMMIT was sent and before its answer came back. Exit 1 with every row stored
        // would be a lie, counted here.
        unknown += usize::from(exit == 1 && written == ROWS);
        tally.record(written == ROWS);
        imports += i64::from(written == ROWS);
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
    tally.report(SERVER_CRASH.test, target.backend);
    eprintln!("  {unknown} runs exited 1 though the crash came after their commit");
}

fn exit_code(status: ExitStatus, run: usize) -> i32 {
    match status.code() {
        Some(code @ (0 | 1 | 3)) => code,
        _ => panic!(
            "run {run}: the import ended with {status} ({:?})",
            status.signal()
        ),
    }
}
