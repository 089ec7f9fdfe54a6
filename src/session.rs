//! The Session: one transaction on one connection, and the operations that run inside it.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use crate::db::{AnyConnection, Backend, PooledConnection};
use crate::error::{Error, Result};
use crate::models::employee::{Cursor, EmployeeRow, Keyed, PageRequest, rows_per_statement};
use crate::models::{
    Department, Employee, EmployeeChanges, EmployeeSummary, EmployeeWithDepartment, NewEmployee,
};
use crate::query::{EmployeeFilter, ListOptions, SortKey};
use crate::schema::employees;

type Transactions = <AnyConnection as Connection>::TransactionManager;

/// Rows fetched per keyset page while streaming.
const PAGE_SIZE: i64 = 5_000;

/// A transaction on one connection: commit it explicitly, or it rolls back when dropped.
///
/// Every operation runs inside the transaction; [`Session::conn`] reaches the same connection
/// for any Diesel query of your own. After a database error the transaction is treated as failed
/// on every backend (PostgreSQL aborts it anyway): later operations and `commit` return
/// [`Error::TransactionAborted`], and the caller rolls back or retries. A failure inside
/// [`Session::savepoint`] undoes only the savepoint's part and leaves the session usable.
///
/// ```
/// use staffdb::{Database, EmployeeChanges, EmployeeFilter, ListOptions, NewEmployee};
///
/// let db = Database::open(":memory:")?;
/// let mut s = db.session()?;
/// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
/// let bob = s.add(&NewEmployee::new("Bob", 22, "Developer"))?;
/// s.update(alice.id, &EmployeeChanges { age: Some(26), position: Some("Senior Developer".into()), ..Default::default() })?;
/// s.delete(bob.id)?;
/// s.commit()?;
///
/// let mut s = db.read_session()?;
/// let everyone = s.list(&EmployeeFilter::new(), &ListOptions::new())?;
/// assert_eq!(everyone.len(), 1);
/// assert_eq!(everyone[0].to_string(), "ID: 1, Name: Alice, Age: 26, Position: Senior Developer");
/// # Ok::<(), staffdb::Error>(())
/// ```
pub struct Session {
    conn: PooledConnection,
    open: bool,
    failed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &self.backend())
            .field("open", &self.open)
            .field("failed", &self.failed)
            .finish()
    }
}

/// Commits when `outcome` is `Ok`, rolls back when it is `Err`.
pub(crate) fn finish_transaction<T>(conn: &mut AnyConnection, outcome: Result<T>) -> Result<T> {
    match outcome {
        Ok(value) => {
            Transactions::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The original error is the one worth reporting; a failed rollback marks the
            // connection broken, and the pool discards it.
            let _ = Transactions::rollback_transaction(conn);
            Err(error)
        }
    }
}

impl Session {
    pub(crate) fn begin(mut conn: PooledConnection, write: bool) -> Result<Session> {
        match &mut *conn {
            // A deferred BEGIN that later writes can fail with SQLITE_BUSY at once, whatever the
            // busy timeout; BEGIN IMMEDIATE takes the write lock up front and waits for it.
            AnyConnection::Sqlite(c) if write => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            }
            other => Transactions::begin_transaction(other)?,
        }
        Ok(Session {
            conn,
            open: true,
            failed: false,
        })
    }

    /// The connection, inside this session's transaction, for any Diesel query of your own.
    ///
    /// ```
    /// use diesel::prelude::*;
    /// use staffdb::schema::employees;
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    /// let names: Vec<String> = employees::table.select(employees::name).load(s.conn())?;
    /// assert_eq!(names, ["Alice"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// The backend this session talks to.
    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Commits the transaction.
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        if self.failed {
            let _ = Transactions::rollback_transaction(&mut self.conn);
            return Err(Error::TransactionAborted);
        }
        Transactions::commit_transaction(&mut self.conn).map_err(Error::from)
    }

    /// Rolls the transaction back. Dropping the session does the same.
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        Transactions::rollback_transaction(&mut self.conn).map_err(Error::from)
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
                Err(error) => {
                    let error = Error::from(error);
                    self.note(&error);
                    Err(error)
                }
            },
            Err(error) => {
                // Rolling back to the savepoint clears whatever failed inside it; only a failed
                // rollback leaves the transaction failed.
                self.failed = Transactions::rollback_transaction(&mut self.conn).is_err();
                Err(error)
            }
        }
    }

    /// Runs one operation, marking the transaction failed when the database refused it.
    fn run<T>(&mut self, op: impl FnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        op(&mut self.conn).inspect_err(|e| self.note(e))
    }

    fn note(&mut self, error: &Error) {
        if matches!(
            error,
            Error::Database(_)
                | Error::UniqueViolation { .. }
                | Error::ForeignKey { .. }
                | Error::Connection { .. }
        ) {
            self.failed = true;
        }
    }

    /// Adds an employee; returns the stored row with its id, version 1 and timestamps.
    pub fn add(&mut self, employee: &NewEmployee) -> Result<Employee> {
        let mut employee = employee.clone();
        employee.validate()?;
        self.run(|c| Employee::insert(c, &employee))
    }

    /// Adds many employees with multi-row statements sized to the backend's bind-parameter
    /// limit (and `COPY` on PostgreSQL); returns how many were written.
    ///
    /// Every record is validated; the whole call runs in a savepoint, so on any error nothing
    /// of it is kept. The input is consumed chunk by chunk, never held whole.
    ///
    /// ```
    /// use staffdb::{Database, EmployeeFilter, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let written = s.add_all((0..10_000).map(|i| NewEmployee::new(format!("E{i}"), 30, "Clerk")))?;
    /// assert_eq!(written, 10_000);
    /// assert_eq!(s.count(&EmployeeFilter::new())?, 10_000);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn add_all<I>(&mut self, employees: I) -> Result<usize>
    where
        I: IntoIterator<Item = NewEmployee>,
    {
        let chunk_size = rows_per_statement(self.backend());
        self.savepoint(|s| {
            // One timestamp for the whole batch, formatted once (a `Stamp`): formatting it per
            // row would cost more than the insert itself.
            let now = crate::models::stamp::Stamp::new(crate::models::now());
            let mut written = 0;
            let mut chunk: Vec<NewEmployee> = Vec::with_capacity(chunk_size);
            let mut flush = |s: &mut Session, chunk: &mut Vec<NewEmployee>| -> Result<()> {
                // Owned rows (fields moved, not copied), so SQLite can reuse its statement.
                let rows: Vec<EmployeeRow> =
                    chunk.drain(..).map(|e| EmployeeRow::new(e, now)).collect();
                written += s.run(|c| Employee::insert_chunk(c, &rows))?;
                Ok(())
            };
            for (index, mut employee) in employees.into_iter().enumerate() {
                employee
                    .validate()
                    .map_err(|error| error.at_record(index + 1))?;
                chunk.push(employee);
                if chunk.len() == chunk_size {
                    flush(s, &mut chunk)?;
                }
            }
            if !chunk.is_empty() {
                flush(s, &mut chunk)?;
            }
            Ok(written)
        })
    }

    /// The employee with this id, or [`Error::NotFound`].
    pub fn get(&mut self, id: i32) -> Result<Employee> {
        self.find(id)?.ok_or(Error::NotFound {
            entity: "employee",
            id: id.into(),
        })
    }

    /// The employee with this id, if there is one.
    pub fn find(&mut self, id: i32) -> Result<Option<Employee>> {
        self.run(|c| Employee::find(c, id))
    }

    /// Every employee the filter matches, in the options' order. Prefer [`Session::stream`] for
    /// large results.
    pub fn list(
        &mut self,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<Vec<Employee>> {
        self.stream(filter, options)?.collect()
    }

    /// How many employees the filter matches.
    pub fn count(&mut self, filter: &EmployeeFilter) -> Result<i64> {
        self.run(|c| Employee::count(c, filter))
    }

    /// Streams the employees the filter matches, in the options' order, a page at a time: memory
    /// stays flat however many rows there are.
    ///
    /// Pages are keyset pages (`(sort key, id) > last … LIMIT n`), which work the same on every
    /// backend and never buffer a whole result.
    ///
    /// ```
    /// use staffdb::{Database, EmployeeFilter, ListOptions, NewEmployee, SortKey};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all((0..20_000).map(|i| NewEmployee::new(format!("E{i}"), 20 + i % 40, "Clerk")))?;
    /// let oldest_first = ListOptions::new().sort(SortKey::Age).descending();
    /// let mut seen = 0;
    /// for employee in s.stream(&EmployeeFilter::new().min_age(50), &oldest_first)? {
    ///     assert!(employee?.age >= 50);
    ///     seen += 1;
    /// }
    /// assert_eq!(seen, 5_000);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn stream(
        &mut self,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<EmployeeStream<'_, Employee>> {
        self.stream_rows(filter, options, Employee::page)
    }

    /// Like [`Session::stream`], reading only the columns of an [`EmployeeSummary`] — all that
    /// printing tutorial lines needs, at about half the cost per row.
    ///
    /// ```
    /// use staffdb::{Database, EmployeeFilter, ListOptions, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    /// for line in s.stream_summaries(&EmployeeFilter::new(), &ListOptions::new())? {
    ///     assert_eq!(line?.to_string(), "ID: 1, Name: Alice, Age: 25, Position: Manager");
    /// }
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn stream_summaries(
        &mut self,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<EmployeeStream<'_, EmployeeSummary>> {
        self.stream_rows(filter, options, Employee::page_summaries)
    }

    /// Like [`Session::stream`], with each employee's department name.
    pub fn stream_with_department(
        &mut self,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<EmployeeStream<'_, EmployeeWithDepartment>> {
        self.stream_rows(filter, options, Employee::page_with_department)
    }

    fn stream_rows<R: Keyed>(
        &mut self,
        filter: &EmployeeFilter,
        options: &ListOptions,
        fetch: PageFn<R>,
    ) -> Result<EmployeeStream<'_, R>> {
        options.validate()?;
        if self.failed {
            return Err(Error::TransactionAborted);
        }
        Ok(EmployeeStream {
            session: self,
            fetch,
            cursor_of: R::cursor,
            filter: filter.clone(),
            options: *options,
            cursor: None,
            page: Vec::new().into_iter(),
            remaining: options.limit,
            offset: options.offset.unwrap_or(0),
            done: false,
        })
    }

    /// Applies `changes` to the employee, bumping its version and `updated_at`; returns the
    /// stored row.
    pub fn update(&mut self, id: i32, changes: &EmployeeChanges) -> Result<Employee> {
        let mut changes = changes.clone();
        changes.validate()?;
        self.run(|c| Employee::update(c, id, None, &changes))
    }

    /// Optimistic locking: applies `changes` only if the employee still has `expected_version`,
    /// else fails with [`Error::Conflict`] and changes nothing.
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
    pub fn update_if_version(
        &mut self,
        id: i32,
        expected_version: i32,
        changes: &EmployeeChanges,
    ) -> Result<Employee> {
        let mut changes = changes.clone();
        changes.validate()?;
        self.run(|c| Employee::update(c, id, Some(expected_version), &changes))
    }

    /// Deletes the employee, or fails with [`Error::NotFound`].
    pub fn delete(&mut self, id: i32) -> Result<()> {
        self.run(|c| Employee::delete(c, id))
    }

    /// Deletes all these employees or none: one unknown id fails with [`Error::NotFound`] and
    /// nothing is deleted. Returns how many were deleted.
    pub fn delete_many(&mut self, ids: &[i32]) -> Result<usize> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        // Chunked: one `IN (…)` per thousand ids stays far below every backend's bind limit.
        const IDS_PER_STATEMENT: usize = 1_000;
        self.savepoint(|s| {
            s.run(|c| {
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let existing = Employee::existing_ids(c, chunk)?;
                    if let Some(&missing) = chunk.iter().find(|id| !existing.contains(id)) {
                        return Err(Error::NotFound {
                            entity: "employee",
                            id: missing.into(),
                        });
                    }
                }
                ids.chunks(IDS_PER_STATEMENT)
                    .map(|chunk| Employee::delete_ids(c, chunk))
                    .sum()
            })
        })
    }

    /// Deletes every employee the filter matches; returns how many. An empty filter is refused:
    /// deleting everyone takes an explicit filter that matches everyone.
    pub fn delete_where(&mut self, filter: &EmployeeFilter) -> Result<usize> {
        if filter.is_empty() {
            return Err(Error::validation(
                "filter",
                "is empty: refusing to delete every employee",
            ));
        }
        self.run(|c| Employee::delete_where(c, filter))
    }

    /// Every department, by id.
    pub fn departments(&mut self) -> Result<Vec<Department>> {
        self.run(Department::all)
    }

    /// The department with this id, or [`Error::NotFound`].
    pub fn department(&mut self, id: i32) -> Result<Department> {
        self.run(|c| Department::find(c, id))
    }

    /// The department with this name, if there is one.
    pub fn department_by_name(&mut self, name: &str) -> Result<Option<Department>> {
        self.run(|c| Department::by_name(c, name, false))
    }

    /// Creates a department; a duplicate name is [`Error::UniqueViolation`].
    pub fn add_department(&mut self, name: &str) -> Result<Department> {
        self.run(|c| Department::insert(c, name))
    }

    /// The department with this name, created if it does not exist yet — safely when another
    /// writer creates it at the same moment.
    pub fn ensure_department(&mut self, name: &str) -> Result<Department> {
        if let Some(department) = self.department_by_name(name)? {
            return Ok(department);
        }
        match self.savepoint(|s| s.add_department(name)) {
            Err(Error::UniqueViolation { .. }) => {
                // Someone else created it since we looked: read the latest committed row.
                self.run(|c| Department::by_name(c, name, true))?
                    .ok_or_else(|| Error::UniqueViolation {
                        field: "department name",
                        detail: format!(
                            "`{name}` was created by another writer whose row this transaction cannot see yet; try again"
                        ),
                    })
            }
            other => other,
        }
    }

    /// Renames a department.
    pub fn rename_department(&mut self, id: i32, name: &str) -> Result<Department> {
        self.run(|c| Department::rename(c, id, name))
    }

    /// Deletes a department; its employees keep their rows, with no department.
    pub fn delete_department(&mut self, id: i32) -> Result<()> {
        self.run(|c| Department::delete(c, id))
    }

    /// Head count and age figures per position or per department.
    pub fn stats(&mut self, by: GroupBy) -> Result<Vec<GroupStats>> {
        use diesel::dsl::{count_star, max, min, sum};
        type Row<K> = (K, i64, Option<i64>, Option<i32>, Option<i32>);
        macro_rules! grouped_by {
            ($key:expr) => {
                self.run(|c| {
                    Ok(with_conn!(c, |c| employees::table
                        .group_by($key)
                        .select((
                            $key,
                            count_star(),
                            sum(employees::age),
                            min(employees::age),
                            max(employees::age),
                        ))
                        .load(c))?)
                })
            };
        }
        let rows: Vec<Row<Option<String>>> = match by {
            GroupBy::Position => {
                let rows: Vec<Row<String>> = grouped_by!(employees::position)?;
                rows.into_iter()
                    .map(|(key, n, total, lo, hi)| (Some(key), n, total, lo, hi))
                    .collect()
            }
            GroupBy::Department => {
                // Grouped by id, then named from the (small) departments table.
                let rows: Vec<Row<Option<i32>>> = grouped_by!(employees::department_id)?;
                let names: std::collections::HashMap<i32, String> = self
                    .departments()?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect();
                rows.into_iter()
                    .map(|(id, n, total, lo, hi)| {
                        (id.and_then(|id| names.get(&id).cloned()), n, total, lo, hi)
                    })
                    .collect()
            }
        };
        let mut stats: Vec<GroupStats> = rows
            .into_iter()
            .map(|(group, count, total_age, min_age, max_age)| GroupStats {
                group,
                count,
                average_age: total_age.unwrap_or(0) as f64 / count.max(1) as f64,
                min_age: min_age.unwrap_or(0),
                max_age: max_age.unwrap_or(0),
            })
            .collect();
        // Named groups in byte order (the same on every backend), the unnamed one last.
        stats.sort_by(|a, b| match (&a.group, &b.group) {
            (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
            (a, b) => a.is_none().cmp(&b.is_none()),
        });
        Ok(stats)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.open {
            // Errors here cannot be reported; a failed rollback marks the connection broken and
            // the pool discards it.
            let _ = Transactions::rollback_transaction(&mut self.conn);
        }
    }
}

/// What [`Session::stats`] groups by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupBy {
    /// By position (the default).
    #[default]
    Position,
    /// By department; employees without one form the group `None`.
    Department,
}

/// Head count and ages of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// The position or department name; `None` for employees without a department.
    pub group: Option<String>,
    /// How many employees.
    pub count: i64,
    /// Their average age.
    pub average_age: f64,
    /// The youngest age.
    pub min_age: i32,
    /// The oldest age.
    pub max_age: i32,
}

/// Loads one keyset page of `R`.
type PageFn<R> = fn(&mut AnyConnection, &PageRequest<'_>) -> Result<Vec<R>>;

/// Employees streamed a keyset page at a time: [`Employee`]s from [`Session::stream`],
/// [`EmployeeWithDepartment`]s from [`Session::stream_with_department`].
pub struct EmployeeStream<'s, R> {
    session: &'s mut Session,
    fetch: PageFn<R>,
    cursor_of: fn(&R, SortKey) -> Cursor,
    filter: EmployeeFilter,
    options: ListOptions,
    cursor: Option<Cursor>,
    page: std::vec::IntoIter<R>,
    remaining: Option<i64>,
    offset: i64,
    done: bool,
}

impl<R> Iterator for EmployeeStream<'_, R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.page.next() {
            return Some(Ok(row));
        }
        if self.done {
            return None;
        }
        let limit = match self.remaining {
            Some(0) => {
                self.done = true;
                return None;
            }
            Some(remaining) => remaining.min(PAGE_SIZE),
            None => PAGE_SIZE,
        };
        let request = PageRequest {
            filter: &self.filter,
            options: &self.options,
            cursor: self.cursor.as_ref(),
            offset: self.offset,
            limit,
        };
        let fetch = self.fetch;
        let page = match self.session.run(|c| fetch(c, &request)) {
            Ok(page) => page,
            Err(error) => {
                self.done = true;
                return Some(Err(error));
            }
        };
        self.offset = 0;
        if (page.len() as i64) < limit {
            self.done = true;
        }
        if let Some(remaining) = &mut self.remaining {
            *remaining -= page.len() as i64;
        }
        if let Some(last) = page.last() {
            self.cursor = Some((self.cursor_of)(last, self.options.sort));
        }
        self.page = page.into_iter();
        self.page.next().map(Ok)
    }
}
