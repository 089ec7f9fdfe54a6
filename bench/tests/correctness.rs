//! Every implementation of the workload, Rust or Python, ends with the same count and the same
//! formatted load output as the in-memory model of the workload; no timing is asserted here.

use std::path::Path;

use staffdb_bench::impls::{peers, python};
use staffdb_bench::{Expected, Impl, Outcome, Workload, expected, fresh_database, run};

const N: usize = 2_000;

/// `got` (what `which` ended with) has the expected count, load output bytes and hash, and six
/// timed phases.
fn agrees(which: Impl, got: &Outcome, want: &Expected) {
    assert_eq!(got.count, want.count, "{which}: count");
    assert_eq!(got.out_bytes, want.out_bytes, "{which}: load output bytes");
    assert_eq!(got.hash, Some(want.hash), "{which}: load output hash");
    assert_eq!(got.seconds.len(), 6, "{which}: six timed phases");
}

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
        agrees(which, &got, &want);
    }
    Ok(())
}

/// The Python references (SQLAlchemy Core and ORM, Django) give the expected count and
/// load-output bytes and hash on a fresh SQLite file (WAL, as the harness runs them). It needs
/// python3 with SQLAlchemy and Django, so it is ignored unless asked for; asked for where one
/// is missing, it fails saying how to install it.
#[test]
#[ignore = "needs python3 with sqlalchemy and django (pip install): run with --ignored"]
fn every_python_reference_agrees_on_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let beside = format!("sqlite://{}", dir.path().join("bench.db").display());
    let want = expected(&Workload::generate(N));
    for which in Impl::PYTHON {
        let Some(reference) = which.python() else {
            panic!("{which} is listed as a Python reference");
        };
        let script = Path::new(reference.script);
        let missing = reference
            .missing()
            .or_else(|| (!script.exists()).then(|| format!("{} is missing", script.display())));
        if let Some(why) = missing {
            panic!("{which}: {why} (to run it: {})", reference.install_hint);
        }
        let url = reference.own_database(&beside)?;
        fresh_database(&url, false)?;
        let got = python::run(which, &url, N, script)?;
        agrees(which, &got, &want);
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

/// The staffdb-peers binary of `bench/peers`, built once for the tests that need it (cargo's
/// progress goes to stderr; the first build takes minutes). A failed build fails the test.
fn peers_binary() -> std::path::PathBuf {
    static BINARY: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    match BINARY.get_or_init(|| peers::build(false).map_err(|e| format!("{e:#}"))) {
        Ok(binary) => binary.clone(),
        Err(error) => panic!("cannot build bench/peers: {error}; {}", peers::BUILD_HINT),
    }
}

/// Runs sqlx and SeaORM on `url`, recreated with staffdb's migrated tables before each, and
/// checks their count and load output against the model.
fn check_peers(url: &str) -> anyhow::Result<()> {
    let binary = peers_binary();
    let want = expected(&Workload::generate(N));
    for which in Impl::PEERS {
        fresh_database(url, true)?;
        let got = peers::run(which, url, N, &binary)?;
        agrees(which, &got, &want);
    }
    Ok(())
}

/// The Rust peers (sqlx and SeaORM, built here from `bench/peers`) give the expected count and
/// load-output hash on a fresh SQLite file holding staffdb's migrated tables.
#[test]
fn the_rust_peers_agree_on_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    check_peers(&format!(
        "sqlite://{}",
        dir.path().join("peers.db").display()
    ))
}

/// The same on PostgreSQL, in a database of its own on the server of
/// `STAFFDB_TEST_POSTGRES_URL` (an admin URL; unset, the local
/// `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards. Built without the
/// `postgres` feature it is reported as ignored.
#[test]
#[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
fn the_rust_peers_agree_on_postgres() -> anyhow::Result<()> {
    #[cfg(feature = "postgres")]
    {
        let admin = std::env::var("STAFFDB_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        check_peers_on_postgres(&admin)
    }
    #[cfg(not(feature = "postgres"))]
    panic!("this test needs a build with --features postgres")
}

/// [`check_peers`] in a database created for it beside `admin`'s, dropped afterwards.
#[cfg(feature = "postgres")]
fn check_peers_on_postgres(admin: &str) -> anyhow::Result<()> {
    let name = format!("staffdb_bench_peers_{}", std::process::id());
    let mut url = url::Url::parse(admin)?;
    url.set_path(&format!("/{name}"));
    let checked = check_peers(url.as_str());
    let mut client = postgres::Client::connect(admin, postgres::NoTls)?;
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    checked
}

/// Through rigs/pgbouncer (transaction mode, 4 server connections; `STAFFDB_TEST_PGBOUNCER_URL`
/// and `STAFFDB_TEST_PGBOUNCER_SERVER_URL`, as `.ci/run` sets them from `rigs/pgbouncer urls`'
/// `PGBOUNCER_URL` and `PGBOUNCER_SERVER_URL`): staffdb (`pool_mode=transaction`) and
/// raw Diesel (its statement cache off) give the expected count and hash, each on a database
/// dropped and created through the server directly, and the floor, whose named prepared
/// statements cannot go through the pooler, is refused.
#[cfg(feature = "postgres")]
#[test]
#[ignore = "needs rigs/pgbouncer up and STAFFDB_TEST_PGBOUNCER_URL, STAFFDB_TEST_PGBOUNCER_SERVER_URL: run with --ignored"]
fn staffdb_and_raw_diesel_agree_through_pgbouncer() -> anyhow::Result<()> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| panic!("{name} is unset: rigs/pgbouncer up; rigs/pgbouncer urls"))
    };
    let pooler = var("STAFFDB_TEST_PGBOUNCER_URL");
    let server = var("STAFFDB_TEST_PGBOUNCER_SERVER_URL");
    let name = format!("staffdb_bench_pooler_{}", std::process::id());
    let mut url = url::Url::parse(&pooler)?;
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    assert!(staffdb_bench::impls::transaction_pooled(&url), "{url}");
    let want = expected(&Workload::generate(N));
    for which in [Impl::Staffdb, Impl::Diesel, Impl::Staffdb] {
        staffdb_bench::impls::fresh_database_via(&url, Some(&server), true)?;
        let got = run(which, &url, Workload::generate(N))?;
        agrees(which, &got, &want);
    }
    let refused = run(Impl::Floor, &url, Workload::generate(N));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("transaction pooler")),
        "the floor must be refused through the pooler"
    );
    let mut admin = url::Url::parse(&staffdb_bench::impls::driver_url(&server))?;
    admin.set_path("/postgres");
    let mut client = postgres::Client::connect(admin.as_str(), postgres::NoTls)?;
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    Ok(())
}
