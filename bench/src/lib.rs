//! The staffdb benchmark harness: the employees workload of `shared/bench/README.md`, run by
//! staffdb, raw Diesel, the database's own floor, the Rust peers (sqlx, SeaORM: `bench/peers`)
//! and the Python references (SQLAlchemy, Django), each in a process of its own. `src/main.rs`
//! orchestrates; this library holds the workload and the implementations, so that `tests/` can
//! check every one of them gives the same result.

pub mod impls;
pub mod report;
pub mod workload;

pub use impls::{Impl, fresh_database, run};
pub use workload::{Expected, Outcome, Workload, expected};
