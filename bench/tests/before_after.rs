//! The harness's `--baseline` mode end to end on SQLite, with this very binary as the baseline
//! (it speaks the child protocol by construction): the run passes its checks, prints a table and
//! writes its own section; a program that is not a harness is refused before anything runs.

use std::process::{Command, Output};

const HARNESS: &str = env!("CARGO_BIN_EXE_staffdb-bench");

fn harness(args: &[&str]) -> std::io::Result<Output> {
    Command::new(HARNESS).args(args).output()
}

/// `--baseline` runs the baseline's staffdb beside this build's in every round, checks both,
/// prints the comparison and, unless `--no-write`, writes the section `before-after-N`.
#[test]
fn baseline_mode_compares_and_writes_its_section() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let out = dir.path().join("BENCHMARKS.md");
    let out_arg = out.display().to_string();
    let output = harness(&[
        "--baseline",
        HARNESS,
        "--baseline-rev",
        "old",
        "--rev",
        "new",
        "--rows",
        "300",
        "--rounds",
        "2",
        "--url",
        &url,
        "--out",
        &out_arg,
    ])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for round in ["round 1/2", "round 2/2"] {
        for runner in ["staffdb (after)", "staffdb (before)", "floor"] {
            assert!(
                stderr
                    .lines()
                    .any(|l| l.starts_with(round) && l.contains(runner)),
                "{round} {runner}: {stderr}"
            );
        }
    }
    assert!(stdout.contains("## Before and after: Employee on the derive (issue 24), N = 300"));
    assert!(stdout.contains("Before: staffdb as built from old; after: staffdb as built from new"));
    assert!(stdout.contains("| upd_row | "));
    assert!(stdout.contains("| **total** (CPU: whole child) | "));
    let report = std::fs::read_to_string(&out)?;
    assert!(report.contains("<!-- section:before-after-300:start -->\n## Before and after"));
    Ok(())
}

/// A baseline that does not take `child --impl … --script …` is refused with a reason.
#[test]
fn a_baseline_that_is_not_a_harness_is_refused() -> anyhow::Result<()> {
    let output = harness(&["--baseline", "/bin/true", "--no-write"])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/bin/true is not a staffdb-bench"),
        "{stderr}"
    );
    Ok(())
}
