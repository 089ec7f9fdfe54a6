//! staffdb's fault-injection suite: the real binary killed, interrupted, starved of disk and cut
//! off from its server at random moments, on all three backends, many runs each — and after
//! every run, what must hold is checked (all or nothing written, the database intact, the next
//! command working, no file left behind).
//!
//! Every scenario's fault, run count and invariant is listed in [`ledger::SCENARIOS`]; the
//! tables in RELIABILITY.md are rendered from that list, and a test keeps them equal
//! (`STAFFDB_UPDATE_RELIABILITY=1 cargo test --features servers --test faults ledger` rewrites
//! them). Each scenario prints what it saw (how many kills landed before and after the commit)
//! to stderr: `--nocapture` shows it.
//!
//! Server scenarios that crash a server use private servers (see `servers`); the others use a
//! database of their own on the shared servers, as the integration suite does.

#[path = "../integration/common/mod.rs"]
#[allow(unused_macros, unused_imports)]
mod common;
mod disk;
mod kills;
mod ledger;
mod server_crash;
mod servers;
mod signals;
mod support;
