//! Every Rust implementation of the workload ends with the same count and the same formatted
//! load output as the in-memory model of the workload; no timing is asserted here.

use staffdb_bench::{Impl, Workload, expected, fresh_database, run};

const N: usize = 2_000;

/// staffdb, raw Diesel, the rusqlite floor and the tutorial-table yardstick give the expected
/// count and load-output hash on a fresh SQLite file.
#[test]
fn every_rust_implementation_agrees_on_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let want = expected(&Workload::generate(N));
    for which in Impl::RUST {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("{which}.db")).display()
        );
        fresh_database(&url, which.uses_staffdb_schema())?;
        let got = run(which, &url, Workload::generate(N))?;
        assert_eq!(got.count, want.count, "{which}: count");
        assert_eq!(got.out_bytes, want.out_bytes, "{which}: load output bytes");
        assert_eq!(got.hash, Some(want.hash), "{which}: load output hash");
        assert_eq!(got.seconds.len(), 6, "{which}: six timed phases");
    }
    Ok(())
}

/// The expected count follows the README's rules, checked here by brute force over the rows.
#[test]
fn expected_count_follows_the_rules() {
    let workload = Workload::generate(N);
    let mut ages: Vec<i32> = workload
        .iter()
        .map(|r| r.age + i32::from(r.position == "Developer"))
        .collect();
    for i in 0..1000 {
        ages[(i * 7919) % N] += 1;
    }
    let left = ages.iter().filter(|&&a| a <= 60).count() as i64;
    assert_eq!(expected(&workload).count, left);
    // The README's figure for N = 100,000.
    assert_eq!(expected(&Workload::generate(100_000)).count, 89_412);
}
