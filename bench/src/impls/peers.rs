//! The Rust peers: the workload written with sqlx 0.8 and with SeaORM 1.1 (`bench/peers`), as
//! their users write it at its best. They live in a Cargo workspace of their own, excluded from
//! staffdb's: sqlx's SQLite driver links libsqlite3-sys 0.30, this workspace links 0.38, and
//! Cargo allows one `links = "sqlite3"` crate per dependency graph.
//!
//! [`build`] compiles their one binary, `staffdb-peers`, once per harness run; [`run`] runs it
//! as a child process on staffdb's migrated, empty tables (as the floor and raw Diesel start)
//! and reads the `RESULT` line it prints: the Python references' protocol, with the hash of the
//! load output, the memory from the load on and the CPU seconds of every phase.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use staffdb::Backend;

use super::Impl;
use crate::workload::Outcome;

/// The peers' manifest, `bench/peers/Cargo.toml`.
pub const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/Cargo.toml");

/// What to do when the peers cannot be built.
pub const BUILD_HINT: &str = "run `cargo build --release --manifest-path bench/peers/Cargo.toml` \
     to see why (the first build fetches sqlx, SeaORM and tokio from crates.io); or pass \
     --peers-bin PATH to a staffdb-peers built elsewhere; or --no-peers to run without sqlx and \
     SeaORM";

impl Impl {
    /// True for the Rust peers of `bench/peers` (sqlx, SeaORM), run as a child binary.
    pub fn is_peer(self) -> bool {
        matches!(self, Impl::Sqlx | Impl::SeaOrm)
    }
}

/// Whether the peers run on `backend`: SQLite and PostgreSQL.
pub fn runs_on(backend: Backend) -> bool {
    matches!(backend, Backend::Sqlite | Backend::Postgres)
}

/// Builds `staffdb-peers` with the cargo that runs this process, or the one on PATH, and returns
/// the executable's path: the release profile to measure it, the dev profile (built in a third
/// of the time) where only its answers are checked. Cargo's progress and errors go to stderr.
pub fn build(release: bool) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["build", "--message-format=json-render-diagnostics"]);
    if release {
        command.arg("--release");
    }
    let output = command
        .args(["--manifest-path", MANIFEST])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        bail!(
            "`cargo build --manifest-path {MANIFEST}` failed ({}; its errors are above)",
            output.status
        );
    }
    executable(&String::from_utf8_lossy(&output.stdout))
        .context("cargo reported no staffdb-peers executable")
}

/// The `staffdb-peers` executable named in cargo's JSON messages (wherever the target directory
/// is: `bench/peers/target`, or `CARGO_TARGET_DIR`).
fn executable(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "staffdb-peers")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
}

/// Runs the peer `which` with `binary` on `url`, which must hold staffdb's migrated, empty
/// tables, and reads its result.
pub fn run(which: Impl, url: &str, rows: usize, binary: &Path) -> Result<Outcome> {
    if !which.is_peer() {
        bail!("{which} is not one of the Rust peers");
    }
    let output = Command::new(binary)
        .arg(which.name())
        .arg(rows.to_string())
        .arg(peer_url(url)?)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("error: "))
            .or_else(|| stderr.lines().last())
            .unwrap_or("no message");
        bail!("staffdb-peers {which} failed ({}): {reason}", output.status);
    }
    super::python::parse(&String::from_utf8_lossy(&output.stdout))
}

/// The URL the peers take: `sqlite://` and an absolute path, or the PostgreSQL URL as it is.
fn peer_url(url: &str) -> Result<String> {
    match super::backend_of(url)? {
        Backend::Sqlite => {
            let path = std::path::absolute(super::sqlite_path(url)?)?;
            Ok(format!("sqlite://{}", path.display()))
        }
        Backend::Postgres => Ok(url.to_owned()),
        Backend::Mysql => bail!("the Rust peers (sqlx, SeaORM) do not run on MySQL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The executable is read from cargo's artifact messages, whatever else cargo says.
    #[test]
    fn finds_the_executable() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"sqlx"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"staffdb-peers"},"executable":"/t/release/staffdb-peers"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(messages),
            Some(PathBuf::from("/t/release/staffdb-peers"))
        );
        assert_eq!(executable("not json\n"), None);
    }

    /// A peer's RESULT line gives the hash, the memory from the load on and the CPU seconds too.
    #[test]
    fn parses_peer_result_line() -> Result<()> {
        let out = "RESULT impl=sqlx n=10 insert=0.5 load=0.25 upd_set=0.1 upd_row=0.2 \
                   delete=0.1 count=0.05 total=1.2 remaining=9 out_bytes=420 \
                   hash=22769e01b312c114 load_rss_kib=512 cpu_insert=0.4 cpu_load=0.2 \
                   cpu_upd_set=0.1 cpu_upd_row=0.1 cpu_delete=0.1 cpu_count=0.01\nMAXRSS 2048\n";
        let outcome = super::super::python::parse(out)?;
        assert_eq!(outcome.seconds, vec![0.5, 0.25, 0.1, 0.2, 0.1, 0.05]);
        assert_eq!(outcome.cpu_seconds, vec![0.4, 0.2, 0.1, 0.1, 0.1, 0.01]);
        assert_eq!((outcome.count, outcome.out_bytes), (9, 420));
        assert_eq!(outcome.hash, Some(0x2276_9e01_b312_c114));
        assert_eq!(
            (outcome.peak_rss_kib, outcome.load_rss_kib),
            (2048, Some(512))
        );
        Ok(())
    }

    /// SQLite URLs reach the peers with an absolute path; PostgreSQL's as they are.
    #[test]
    fn peer_urls() -> Result<()> {
        assert_eq!(peer_url("sqlite:///tmp/b.db")?, "sqlite:///tmp/b.db");
        let relative = peer_url("sqlite://b.db")?;
        assert!(relative.starts_with("sqlite:///") && relative.ends_with("/b.db"));
        let pg = "postgres://postgres@127.0.0.1/staffdb_bench";
        assert_eq!(peer_url(pg)?, pg);
        Ok(())
    }
}
