//! Reads routed to standbys: the second pool that a read URL opens, and read-your-writes.
//!
//! A [`Database`](crate::Database) opened with [`OpenOptions::read_url`](crate::OpenOptions::read_url)
//! sends its read sessions here. Every write session it commits records where its commit is in
//! the primary's log (PostgreSQL: the WAL position, one more round trip per commit); a read
//! session then takes a standby connection only once that standby has replayed the newest such
//! commit, polling for up to the read wait, and else reads from the primary. So a process always
//! reads its own writes. A standby that cannot be reached is skipped for a few seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pool::{Connector, PooledConnection, SchemaGeneration};
use super::url::DatabaseUrl;
use crate::backend::{self, AnyConnection};

/// How long standbys are skipped after one could not be reached.
const SKIP_DOWN_FOR: Duration = Duration::from_secs(5);

/// The newest commit position a database's write sessions have made (0: none yet). Shared by
/// a [`Database`](crate::Database)'s clones and their sessions.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitTracker(Arc<AtomicU64>);

impl CommitTracker {
    fn record(&self, position: Option<u64>) {
        self.0
            .fetch_max(position.unwrap_or(u64::MAX), Ordering::AcqRel);
    }

    /// Records the newest commit of `conn`'s server, read right after a commit on it. Not
    /// tracked there (not PostgreSQL): nothing to wait for. Unreadable: every later read goes to
    /// the primary, the only place sure to have it.
    pub(crate) fn record_from(&self, conn: &mut AnyConnection) {
        match backend::replication::commit_position(conn) {
            Ok(Some(position)) => self.record(Some(position)),
            Ok(None) => {}
            Err(_) => self.record(None),
        }
    }

    fn newest(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// The standbys' pool.
#[derive(Clone)]
pub(crate) struct Replicas {
    pub(crate) pool: r2d2::Pool<Connector>,
    pub(crate) url: DatabaseUrl,
    pub(crate) commits: CommitTracker,
    /// How long a read waits for a standby to replay this database's newest commit.
    pub(crate) wait: Duration,
    pub(crate) connect_timeout: Duration,
    skip_until: Arc<Mutex<Option<Instant>>>,
}

impl Replicas {
    pub(crate) fn new(
        pool: r2d2::Pool<Connector>,
        url: DatabaseUrl,
        commits: CommitTracker,
        wait: Duration,
        connect_timeout: Duration,
    ) -> Self {
        Replicas {
            pool,
            url,
            commits,
            wait,
            connect_timeout,
            skip_until: Arc::default(),
        }
    }

    /// A standby connection that has everything this database committed, or `None`: read from
    /// the primary (no standby answered, or none caught up within the read wait).
    pub(crate) fn caught_up(&self, schema: &SchemaGeneration) -> Option<PooledConnection> {
        let skipping = self.skip_until.lock().ok().and_then(|until| *until);
        if skipping.is_some_and(|until| Instant::now() < until) {
            return None;
        }
        let mut conn = match self.pool.get_timeout(self.connect_timeout) {
            Ok(conn) => conn,
            Err(_) => {
                if let Ok(mut until) = self.skip_until.lock() {
                    *until = Some(Instant::now() + SKIP_DOWN_FOR);
                }
                return None;
            }
        };
        conn.refresh(schema);
        let newest = self.commits.newest();
        if newest == 0 {
            return Some(conn);
        }
        let deadline = Instant::now() + self.wait;
        loop {
            match backend::replication::replayed_position(&mut conn) {
                // Not a standby (or positions are not tracked there): nothing to wait for.
                Ok(None) => return Some(conn),
                Ok(Some(replayed)) if replayed >= newest => return Some(conn),
                Ok(Some(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                _ => return None,
            }
        }
    }
}
