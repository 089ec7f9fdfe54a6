//! Ctrl-C (SIGINT) and SIGTERM of `import` and `export --output` at random moments: a person
//! giving up, a service manager stopping the job.

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use staffdb::Backend;

use crate::kills::settle;
use crate::ledger::{SIGNAL_EXPORT, SIGNAL_IMPORT};
use crate::support::{Tally, Target, interrupt, random_moment, rng, time_of};

crate::support::each_backend!(
    ctrl_c_or_sigterm_during_import_exits_130_and_writes_nothing,
    ctrl_c_or_sigterm_during_export_exits_130_and_leaves_no_file,
);

const ROWS: i64 = 20_000;

/// How a signalled command ended: it finished first (exit 0), it was stopped (exit 130), or the
/// signal arrived before its handler was installed and ended it at once (nothing begun yet).
/// Anything else fails the scenario.
fn stopped(status: ExitStatus, signal: &str, run: usize) -> bool {
    let number = if signal == "INT" { 2 } else { 15 };
    match (status.code(), status.signal()) {
        (Some(0), _) => false,
        (Some(130), _) => true,
        (None, Some(n)) if n == number => true,
        _ => panic!("run {run}: SIG{signal} ended the command with {status}"),
    }
}

/// Alternates SIGINT and SIGTERM over the runs.
fn signal_of(run: usize) -> &'static str {
    if run.is_multiple_of(2) { "INT" } else { "TERM" }
}

/// A signalled import exits 130 with nothing written, or had finished (exit 0, everything).
fn ctrl_c_or_sigterm_during_import_exits_130_and_writes_nothing(backend: Backend) {
    let target = Target::fresh(backend);
    let file = target.csv("people.csv", ROWS as usize);
    let file = file.to_str().expect("UTF-8 path");
    target.ok(&["migrate"]);
    let span = time_of(&target, &["import", file]);
    let mut rng = rng(SIGNAL_IMPORT.test);
    let (mut tally, mut imports) = (Tally::default(), 1);
    for run in 0..SIGNAL_IMPORT.runs {
        let signal = signal_of(run);
        let moment = random_moment(&mut rng, span);
        let status = interrupt(target.command(&["import", file]), moment, signal, "import");
        settle(backend);
        let written = target.count() - imports * ROWS;
        if stopped(status, signal, run) {
            assert_eq!(
                written, 0,
                "run {run} ({moment:?}): SIG{signal} and rows written"
            );
        } else {
            assert_eq!(written, ROWS, "run {run}: exit 0 and rows missing");
        }
        tally.record(written == ROWS);
        imports += i64::from(written == ROWS);
        target.assert_intact();
    }
    tally.report(SIGNAL_IMPORT.test, backend);
}

/// A signalled `export --output` exits 130, removes its temporary file and leaves the previous
/// output as it was, or had finished (exit 0, the new export in place).
fn ctrl_c_or_sigterm_during_export_exits_130_and_leaves_no_file(backend: Backend) {
    let target = Target::fresh(backend);
    let file = target.csv("people.csv", ROWS as usize);
    target.ok(&["import", file.to_str().expect("UTF-8 path")]);
    let out = target.dir.path().join("out.csv");
    let span = time_of(&target, &["export", "--output", "out.csv"]);
    let mut previous = std::fs::read(&out).expect("the first export");
    let mut rng = rng(SIGNAL_EXPORT.test);
    let mut tally = Tally::default();
    for run in 0..SIGNAL_EXPORT.runs {
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
        let signal = signal_of(run);
        let moment = random_moment(&mut rng, span);
        let command = target.command(&["export", "--output", "out.csv"]);
        let status = interrupt(command, moment, signal, "export");
        let found = std::fs::read(&out).expect("out.csv");
        let was_stopped = stopped(status, signal, run);
        let expected = if was_stopped { &previous } else { &current };
        assert!(
            &found == expected,
            "run {run} ({moment:?}): out.csv is not the export it should be"
        );
        let left = Target::export_temp_files(target.dir.path());
        assert!(left.is_empty(), "run {run}: SIG{signal} left {left:?}");
        tally.record(!was_stopped);
        previous = found;
    }
    tally.report(SIGNAL_EXPORT.test, backend);
}
