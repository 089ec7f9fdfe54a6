//! staffdb on real distributed engines: the Galera cluster and the PostgreSQL primary with hot
//! standbys that `rigs/galera` and `rigs/replicas` start on loopback.
//!
//! The rigs are named by environment variables (`.ci/run` sets them after starting the rigs):
//! - `STAFFDB_TEST_GALERA_URLS`: the three nodes' URLs, comma-separated
//!   (`eval "$(rigs/galera urls)"` gives `GALERA_URL_1..3`);
//! - `STAFFDB_TEST_PG_REPLICA_URLS`: the PostgreSQL primary's URL, then its standbys'
//!   (`eval "$(rigs/replicas urls)"` gives `PG_PRIMARY_URL`, `PG_STANDBY_URL_1..2`);
//! - `STAFFDB_TEST_PGBOUNCER_URL`: PgBouncer in transaction mode in front of that primary
//!   (`eval "$(rigs/pgbouncer urls)"` gives `PGBOUNCER_URL`);
//! - `STAFFDB_TEST_PATRONI_URL`: the Patroni cluster's members in one URL
//!   (`eval "$(rigs/patroni urls)"` gives `PATRONI_URL`).
//!
//! Every test here is `#[ignore]`d, so that a run without the rigs reports them as ignored
//! rather than passed; `--ignored` runs them (as `.ci/run` does), and then a missing rig fails. The
//! round counts default to the (100 lost-update rounds, 50 migration races) and
//! `STAFFDB_CLUSTER_ROUNDS` scales them down for a quick local run (`=10`).

mod galera;
mod patroni;
mod pgbouncer;
mod replicas;
mod support;
