//! The Session: one transaction on one pooled connection, and the operations every model gets
//! inside it. It knows nothing of employees; a model's own queries (filters, statistics, bulk
//! upserts) take `&mut Session` and run through [`Session::run`].

use diesel::connection::TransactionManager;
use diesel::prelude::*;

use super::error::{Error, Result};
use super::model::{KeptRow, Model, ModelId, NewModel, Validate, Versioned};
use super::pool::PooledConnection;
use super::replicas::CommitTracker;
use crate::backend::{self, Access, AnyConnection, Backend};

type Transactions = <AnyConnection as Connection>::TransactionManager;

/// A transaction on one connection: commit it explicitly, or it rolls back when dropped.
///
/// Every operation runs inside the transaction. After a database error the transaction is
/// treated as failed on every backend (PostgreSQL aborts it anyway): later operations and
/// `commit` return [`Error::TransactionAborted`], and the caller rolls back or retries. A failure
/// inside [`Session::savepoint`] undoes only the savepoint's part and leaves the session usable.
/// A session from [`Database::read_session`](crate::Database::read_session) is read-only on every
/// backend: a write in it fails with [`Error::ReadOnly`].
///
/// Lookups follow one rule, SQLAlchemy's: `get` returns `Option` (`None` when there is no such
/// row) and `get_one` returns the row or [`Error::NotFound`]; writes by id (`update`, `delete`)
/// fail with `NotFound`.
///
/// ```
/// use staffdb::{Database, EmployeeChanges, NewEmployee};
///
/// let db = Database::open(":memory:")?;
/// let mut s = db.session()?;
/// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
/// let bob = s.add(&NewEmployee::new("Bob", 22, "Developer"))?;
/// let promotion = EmployeeChanges { age: Some(26), position: Some("Senior Developer".into()), ..Default::default() };
/// s.update(alice.id, &promotion)?;
/// s.delete(bob.id)?;
/// s.commit()?;
///
/// let mut s = db.read_session()?;
/// assert_eq!(s.get_one(alice.id)?.to_string(), "ID: 1, Name: Alice, Age: 26, Position: Senior Developer");
/// assert!(s.get(bob.id)?.is_none());
/// # Ok::<(), staffdb::Error>(())
/// ```
pub struct Session {
    conn: PooledConnection,
    access: Access,
    lock_timeout: std::time::Duration,
    /// A write session on a Galera node: `commit` first checks the transaction is still open.
    marked: bool,
    /// Where a write session records its commit's position, when reads go to standbys.
    commits: Option<CommitTracker>,
    open: bool,
    failed: bool,
    /// The row the last `get` read, where the model keeps it (see `Model::update_read`).
    kept: Option<KeptRow>,
    /// Who this write session acts for ([`Database::acting_as`]), recorded by the history
    /// triggers; forgotten before `COMMIT`.
    ///
    /// [`Database::acting_as`]: crate::Database::acting_as
    acting: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &self.backend())
            .field("read_only", &self.is_read_only())
            .field("open", &self.open)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Session {
    pub(crate) fn begin(
        mut conn: PooledConnection,
        access: Access,
        lock_timeout: std::time::Duration,
        commits: Option<CommitTracker>,
        actor: Option<&str>,
    ) -> Result<Session> {
        let started = std::time::Instant::now();
        let marked = conn.galera && access == Access::ReadWrite;
        let pooled = conn.transaction_pooling.then_some(lock_timeout);
        backend::begin(&mut conn, access, marked, pooled)
            .map_err(|e| waited(Error::from(e), started, lock_timeout))?;
        let mut session = Session {
            conn,
            access,
            lock_timeout,
            marked,
            commits,
            open: true,
            failed: false,
            kept: None,
            acting: false,
        };
        if let (Some(user), Access::ReadWrite) = (actor, access) {
            // On failure the session is dropped, which rolls back.
            backend::set_actor(&mut session.conn, user)?;
            session.acting = true;
        }
        Ok(session)
    }

    /// The backend this session talks to.
    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// True for a session from [`Database::read_session`](crate::Database::read_session).
    pub fn is_read_only(&self) -> bool {
        self.access == Access::ReadOnly
    }

    /// Commits the transaction.
    ///
    /// On a Galera node, a transaction the cluster rolled back under this session (for a
    /// conflicting write committed on another node) is not committed: whatever ran after the
    /// abort is rolled back too, and this returns [`Error::Contention`], which
    /// [`Database::transaction`](crate::Database::transaction) retries.
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        if self.failed {
            self.abandon();
            return Err(Error::TransactionAborted);
        }
        if self.marked {
            match backend::still_open(&mut self.conn) {
                Ok(true) => {}
                Ok(false) => {
                    self.abandon();
                    return Err(Error::Contention(
                        "the cluster rolled this transaction back for a conflicting write on \
                         another node"
                            .into(),
                    ));
                }
                Err(error) => {
                    self.abandon();
                    return Err(Error::from(error));
                }
            }
        }
        if self.acting
            && let Err(error) = backend::forget_actor(&mut self.conn)
        {
            self.abandon();
            return Err(Error::from(error));
        }
        let committed = Transactions::commit_transaction(&mut self.conn).map_err(commit_failure);
        let ended = backend::end(&mut self.conn, self.access, self.marked);
        // What COMMIT said decides: a connection lost during it is "outcome unknown", never the
        // retryable "lost before commit" that resetting the connection would then report; and a
        // committed write is reported committed whatever the reset says (a connection lost
        // meanwhile fails the pool's check before its next use).
        committed?;
        if self.access == Access::ReadOnly {
            ended?;
        }
        if let Some(commits) = &self.commits {
            commits.record_from(&mut self.conn);
        }
        Ok(())
    }

    /// Rolls the transaction back. Dropping the session does the same.
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        let rolled_back = Transactions::rollback_transaction(&mut self.conn);
        backend::end(&mut self.conn, self.access, self.marked)?;
        Ok(rolled_back?)
    }

    /// Rolls back where no error can be reported: a failed rollback marks the connection broken
    /// and the pool discards it.
    fn abandon(&mut self) {
        let _ = Transactions::rollback_transaction(&mut self.conn);
        let _ = backend::end(&mut self.conn, self.access, self.marked);
    }

    /// Runs `work` in a savepoint: if it fails, only its own changes are undone and the session
    /// goes on.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager").email("a@example.com"))?;
    /// let duplicate = s.savepoint(|s| s.add(&NewEmployee::new("Eve", 30, "Spy").email("a@example.com")));
    /// assert!(duplicate.is_err());
    /// s.commit()?; // Alice stays
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn savepoint<T, F>(&mut self, work: F) -> Result<T>
    where
        F: FnOnce(&mut Session) -> Result<T>,
    {
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        Transactions::begin_transaction(&mut self.conn)?;
        match work(self) {
            Ok(value) => match Transactions::commit_transaction(&mut self.conn) {
                Ok(()) => Ok(value),
                Err(error) => Err(self.note(Error::from(error))),
            },
            Err(error) => {
                // Rolling back to the savepoint clears whatever failed inside it; only a failed
                // rollback leaves the transaction failed.
                self.failed = Transactions::rollback_transaction(&mut self.conn).is_err();
                Err(error)
            }
        }
    }

    /// Runs your own Diesel code on this session's connection, inside its transaction, with the
    /// session's failure tracking: a database error fails the session as any of its own
    /// operations would.
    ///
    /// The connection is an [`AnyConnection`], Diesel's `MultiConnection` over the backends
    /// compiled in, so ordinary Diesel DSL runs on it whatever the URL. `staffdb::diesel` is
    /// Diesel itself: no second dependency is needed.
    ///
    /// ```
    /// use staffdb::diesel::{self, prelude::*};
    /// use staffdb::schema::employees;
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    /// let names: Vec<String> = s.run(|conn| employees::table.select(employees::name).load(conn))?;
    /// assert_eq!(names, ["Alice"]);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn run<T, E>(&mut self, work: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T>
    where
        E: Into<Error>,
    {
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        let started = std::time::Instant::now();
        work(&mut self.conn).map_err(|error| {
            let error = waited(error.into(), started, self.lock_timeout);
            self.note(error)
        })
    }

    /// After `rows` rows were written to `table` at once (an import): past a bulk load's size,
    /// the database's planner statistics of the table are refreshed in this transaction, so
    /// that the next reads are planned on what is there (`backend::sql::refresh_statistics`:
    /// PostgreSQL's `ANALYZE`).
    pub(crate) fn after_bulk_write(&mut self, table: &'static str, rows: usize) -> Result<()> {
        if rows < backend::sql::BULK_ROWS {
            return Ok(());
        }
        self.run(|conn| backend::sql::refresh_statistics(conn, table))
    }

    /// Marks the transaction failed when `error` means the database refused a statement.
    fn note(&mut self, error: Error) -> Error {
        noted(&mut self.failed, self.access, error)
    }

    /// Adds a row of any model (validated first) and returns it as stored.
    ///
    /// ```
    /// use staffdb::{Database, NewDepartment, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let sales = s.add(&NewDepartment::new("Sales"))?;
    /// let bob = s.add(&NewEmployee::new("Bob", 22, "Developer").department_id(sales.id))?;
    /// assert_eq!(bob.department_id, Some(sales.id));
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn add<N: NewModel + Clone>(&mut self, new: &N) -> Result<N::Model>
    where
        N::Model: Model<New = N>,
    {
        let mut new = new.clone();
        new.validate()?;
        self.run(|c| <N::Model as Model>::insert(c, new))
    }

    /// Adds many rows of a model in batches sized by the model (multi-row statements), or as one
    /// stream where the model streams (employees through one `COPY` on PostgreSQL); returns how
    /// many were written.
    ///
    /// Every record is validated (an error names its 1-based record); the whole call runs in a
    /// savepoint, so on any error nothing of it is kept. The input is consumed a batch at a time,
    /// never held whole.
    ///
    /// ```
    /// use staffdb::{Database, Employee, EmployeeFilter, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let written = s.add_all((0..10_000).map(|i| NewEmployee::new(format!("E{i}"), 30, "Clerk")))?;
    /// assert_eq!(written, 10_000);
    /// assert_eq!(Employee::count(&mut s, &EmployeeFilter::new())?, 10_000);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn add_all<N, I>(&mut self, rows: I) -> Result<usize>
    where
        N: NewModel,
        N::Model: Model<New = N>,
        I: IntoIterator<Item = N>,
    {
        if <N::Model as Model>::streams_inserts(self.backend()) {
            let mut rows = rows.into_iter().enumerate().map(|(index, mut row)| {
                row.validate().map_err(|error| error.at_record(index + 1))?;
                Ok(row)
            });
            return self.savepoint(|s| s.run(|c| <N::Model as Model>::insert_stream(c, &mut rows)));
        }
        let batch_size = <N::Model as Model>::batch_size(self.backend()).max(1);
        self.savepoint(|s| {
            let mut written = 0;
            let mut batch = Vec::with_capacity(batch_size);
            for (index, mut row) in rows.into_iter().enumerate() {
                row.validate().map_err(|error| error.at_record(index + 1))?;
                batch.push(row);
                if batch.len() == batch_size {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                    written += s.run(|c| <N::Model as Model>::insert_batch(c, full))?;
                }
            }
            if !batch.is_empty() {
                written += s.run(|c| <N::Model as Model>::insert_batch(c, batch))?;
            }
            Ok(written)
        })
    }

    /// The row with this id, or `None`.
    pub fn get<I: ModelId>(&mut self, id: I) -> Result<Option<I::Model>> {
        let row = self.run(|c| <I::Model as Model>::find(c, id))?;
        if backend::reads_back_writes(self.backend()) {
            self.kept = row.as_ref().and_then(Model::keep_read);
        }
        Ok(row)
    }

    /// The row with this id, or [`Error::NotFound`].
    pub fn get_one<I: ModelId>(&mut self, id: I) -> Result<I::Model> {
        self.get(id)?.ok_or_else(|| not_found(id))
    }

    /// The rows with these ids, in id order; an id that names no row is left out. One
    /// statement per thousand distinct ids.
    pub fn get_many<I: ModelId>(&mut self, ids: &[I]) -> Result<Vec<I::Model>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1_000) {
            rows.extend(self.run(|c| <I::Model as Model>::find_many(c, chunk))?);
        }
        Ok(rows)
    }

    /// Applies `changes` (validated first) to the row with this id; returns the stored row, or
    /// [`Error::NotFound`].
    ///
    /// The stored row comes back with the update (`RETURNING`) on SQLite and PostgreSQL. MySQL
    /// has none: there the row is read back, unless it is the row this session's last `get`
    /// read and the model can tell it is unchanged since ([`Model::update_read`]; employees by
    /// their version), so that `get` + `update` is two round trips on every backend.
    pub fn update<I: ModelId>(
        &mut self,
        id: I,
        changes: &<I::Model as Model>::Changes,
    ) -> Result<I::Model> {
        let mut changes = changes.clone();
        changes.validate()?;
        if let Some(read) = self.kept.take() {
            let updated = self.run(|c| <I::Model as Model>::update_read(c, read, id, &changes))?;
            if let Some(row) = updated {
                self.kept = row.keep_read();
                return Ok(row);
            }
        }
        let row = self
            .run(|c| <I::Model as Model>::update(c, id, &changes))?
            .ok_or_else(|| not_found(id))?;
        if backend::reads_back_writes(self.backend()) {
            self.kept = row.keep_read();
        }
        Ok(row)
    }

    /// Optimistic locking: applies `changes` only if the row still has `expected_version`, else
    /// fails with [`Error::Conflict`] (or [`Error::NotFound`]) and changes nothing.
    ///
    /// ```
    /// use staffdb::{Database, EmployeeChanges, Error, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    /// let older = EmployeeChanges { age: Some(26), ..Default::default() };
    /// s.update_if_version(alice.id, alice.version, &older)?; // version 1 -> 2
    /// let stale = s.update_if_version(alice.id, alice.version, &older);
    /// assert!(matches!(stale, Err(Error::Conflict { expected: 1, actual: 2, .. })));
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn update_if_version<I: ModelId>(
        &mut self,
        id: I,
        expected_version: i32,
        changes: &<I::Model as Model>::Changes,
    ) -> Result<I::Model>
    where
        I::Model: Versioned,
    {
        let mut changes = changes.clone();
        changes.validate()?;
        let updated = self.run(|c| {
            <I::Model as Versioned>::update_if_version(c, id, expected_version, &changes)
        })?;
        match updated {
            Some(row) => Ok(row),
            // The version as the UPDATE saw it: not this transaction's snapshot (MySQL).
            None => match self.run(|c| <I::Model as Versioned>::current_version(c, id))? {
                Some(actual) => Err(Error::Conflict {
                    entity: <I::Model as Model>::NAME,
                    id: id.into(),
                    expected: expected_version,
                    actual,
                }),
                None => Err(not_found(id)),
            },
        }
    }

    /// Deletes the row with this id, or fails with [`Error::NotFound`].
    pub fn delete<I: ModelId>(&mut self, id: I) -> Result<()> {
        if self.run(|c| <I::Model as Model>::delete(c, id))? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Deletes all these rows or none: one unknown id fails with [`Error::NotFound`] and nothing
    /// is deleted. Returns how many were deleted.
    pub fn delete_many<I: ModelId>(&mut self, ids: &[I]) -> Result<usize> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        // Chunked: one `IN (…)` per thousand ids stays far below every backend's bind limit.
        const IDS_PER_STATEMENT: usize = 1_000;
        self.savepoint(|s| {
            for chunk in ids.chunks(IDS_PER_STATEMENT) {
                let existing = s.run(|c| <I::Model as Model>::existing(c, chunk))?;
                if let Some(&missing) = chunk.iter().find(|id| !existing.contains(id)) {
                    return Err(not_found(missing));
                }
            }
            ids.chunks(IDS_PER_STATEMENT)
                .map(|chunk| s.run(|c| <I::Model as Model>::delete_batch(c, chunk)))
                .sum()
        })
    }

    /// Streams every row of a model in id order, a keyset page at a time: memory stays flat
    /// however many rows there are.
    pub fn stream_all<M: Model + 'static>(&mut self) -> Result<RowStream<'_, M>> {
        let mut after: Option<M::Id> = None;
        self.stream_pages(None, move |conn, limit| {
            let page = M::page_after(conn, after, limit)?;
            after = page.last().map(M::id).or(after);
            Ok(page)
        })
    }

    /// Streams rows that `fetch` loads a page at a time — the engine under every staffdb stream,
    /// for keyset queries of your own. `fetch(conn, n)` returns up to `n` rows following the
    /// ones it returned before (it keeps its own cursor); a short page ends the stream. `limit`
    /// caps the total.
    pub fn stream_pages<'s, R, F>(
        &'s mut self,
        limit: Option<i64>,
        fetch: F,
    ) -> Result<RowStream<'s, R>>
    where
        F: FnMut(&mut AnyConnection, i64) -> Result<Vec<R>> + 's,
    {
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        Ok(RowStream::new(self, limit, Box::new(fetch)))
    }

    /// Streams the rows of one query as the server sends them, where the backend can without
    /// holding the result (see [`backend::streams_rows`]): `open` starts the query on the
    /// session's connection. The connection is the stream's until it ends or is dropped, and a
    /// stream dropped early reads the rest of the result before the session goes on.
    pub(crate) fn stream_rows<'s, R>(
        &'s mut self,
        open: impl FnOnce(&'s mut AnyConnection) -> Result<Rows<'s, R>>,
    ) -> Result<RowStream<'s, R>> {
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        let Session {
            conn,
            failed,
            access,
            ..
        } = self;
        match open(conn) {
            Ok(rows) => Ok(RowStream {
                source: Source::Rows {
                    rows,
                    failed,
                    access: *access,
                },
            }),
            Err(error) => Err(noted(failed, *access, error)),
        }
    }
}

/// The rows of one query, as a backend streams them.
pub(crate) type Rows<'s, R> = Box<dyn Iterator<Item = Result<R>> + 's>;

/// `error`, with `failed` set when it means the database refused a statement (the transaction
/// is then unusable until it ends).
fn noted(failed: &mut bool, access: Access, error: Error) -> Error {
    // A write session refused as read-only was sent to a server that takes no writes, or
    // (SQLite) opened a file that cannot be written: no standby there.
    let error = match error {
        Error::ReadOnly(source) if access == Access::ReadWrite => {
            if backend::is_read_only_file(&source) {
                Error::ReadOnlyFile(source)
            } else {
                Error::ReadOnlyServer(source)
            }
        }
        other => other,
    };
    if error.fails_transaction() {
        *failed = true;
    }
    error
}

/// SQLite reports the end of a full busy wait with the same BUSY as a momentary one: a statement
/// that failed so after waiting the whole lock timeout has timed out, and is not retried.
fn waited(error: Error, started: std::time::Instant, lock_timeout: std::time::Duration) -> Error {
    match error {
        Error::Database(source)
            if started.elapsed() >= lock_timeout
                && backend::classify(&source) == backend::Classified::Transient
                && !backend::is_deadlock(&source) =>
        {
            Error::LockTimeout(source)
        }
        other => other,
    }
}

/// A `COMMIT` that lost its connection may have been applied: say so, rather than "lost before
/// commit", which would be retried.
fn commit_failure(error: diesel::result::Error) -> Error {
    let error = match error {
        diesel::result::Error::RollbackErrorOnCommit { commit_error, .. } => *commit_error,
        other => other,
    };
    match Error::from(error) {
        Error::ConnectionLost(source) => Error::OutcomeUnknown(source),
        other => other,
    }
}

fn not_found<I: ModelId>(id: I) -> Error {
    Error::NotFound {
        entity: <I::Model as Model>::NAME,
        id: id.into(),
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.open {
            self.abandon();
        }
    }
}

/// Rows fetched per page while streaming.
pub(crate) const PAGE_SIZE: i64 = 5_000;

/// Loads the next page of up to `n` rows.
type Fetch<'s, R> = Box<dyn FnMut(&mut AnyConnection, i64) -> Result<Vec<R>> + 's>;

/// Rows read inside a session a page at a time (see [`Session::stream_pages`]), or as the
/// server sends one query's result: an iterator of `Result<R>` that never holds the whole
/// result. An error ends it.
pub struct RowStream<'s, R> {
    source: Source<'s, R>,
}

enum Source<'s, R> {
    Pages {
        session: &'s mut Session,
        fetch: Fetch<'s, R>,
        page: std::vec::IntoIter<R>,
        remaining: Option<i64>,
        done: bool,
    },
    Rows {
        rows: Rows<'s, R>,
        failed: &'s mut bool,
        access: Access,
    },
}

impl<'s, R> RowStream<'s, R> {
    pub(crate) fn new(session: &'s mut Session, limit: Option<i64>, fetch: Fetch<'s, R>) -> Self {
        RowStream {
            source: Source::Pages {
                session,
                fetch,
                page: Vec::new().into_iter(),
                remaining: limit,
                done: false,
            },
        }
    }
}

impl<'s, R: 's> Iterator for RowStream<'s, R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Pages {
                session,
                fetch,
                page,
                remaining,
                done,
            } => next_from_pages(session, fetch, page, remaining, done),
            Source::Rows {
                rows,
                failed,
                access,
            } => match rows.next()? {
                Ok(row) => Some(Ok(row)),
                Err(error) => {
                    // Nothing follows an error: the rest of the result is read and dropped.
                    *rows = Box::new(std::iter::empty());
                    Some(Err(noted(failed, *access, error)))
                }
            },
        }
    }
}

/// The next row of a paged stream, loading the next page when this one is used up.
fn next_from_pages<R>(
    session: &mut Session,
    fetch: &mut Fetch<'_, R>,
    page: &mut std::vec::IntoIter<R>,
    remaining: &mut Option<i64>,
    done: &mut bool,
) -> Option<Result<R>> {
    if let Some(row) = page.next() {
        return Some(Ok(row));
    }
    let limit = match *remaining {
        _ if *done => return None,
        Some(remaining) if remaining <= 0 => return None,
        Some(remaining) => remaining.min(PAGE_SIZE),
        None => PAGE_SIZE,
    };
    let loaded = match session.run(|conn| fetch(conn, limit)) {
        Ok(loaded) => loaded,
        Err(error) => {
            *done = true;
            return Some(Err(error));
        }
    };
    let len = loaded.len() as i64;
    *done = len < limit;
    if let Some(remaining) = remaining {
        *remaining -= len;
    }
    *page = loaded.into_iter();
    page.next().map(Ok)
}
