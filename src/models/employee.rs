//! The `employees` table: the stored row, the row to insert, the changes to apply, and how the
//! Session writes them.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Department, DepartmentId, validate};
use crate::backend::stamp::{ReadStamp, Stamp, now};
use crate::backend::{self, AnyConnection, Backend, checked, with_conn, write_returning};
use crate::core::cached_update;
use crate::schema::{departments, employees};
use crate::{Error, KeptRow, Model, NewModel, Result, Session, Validate, Versioned};

crate::id! {
    /// An employee's id.
    ///
    /// ```
    /// use staffdb::EmployeeId;
    ///
    /// assert_eq!(EmployeeId(7).to_string(), "7");
    /// ```
    pub EmployeeId => Employee
}

/// An employee, as stored.
///
/// `Display` prints the tutorial's line:
///
/// ```
/// # use staffdb::{Employee, EmployeeId};
/// # let alice = Employee { id: EmployeeId(1), name: "Alice".into(), age: 25, position: "Manager".into(),
/// #     email: None, department_id: None, hired_on: None, version: 1,
/// #     created_at: Default::default(), updated_at: Default::default() };
/// assert_eq!(alice.to_string(), "ID: 1, Name: Alice, Age: 25, Position: Manager");
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Associations, Serialize,
)]
#[diesel(table_name = employees, belongs_to(Department))]
#[diesel(check_for_backend(checked::Sqlite, checked::Pg, checked::Mysql))]
pub struct Employee {
    /// Assigned by the database; never reused.
    pub id: EmployeeId,
    /// Full name.
    pub name: String,
    /// Age in years, 0..=150.
    pub age: i32,
    /// Job title.
    pub position: String,
    /// Unique, stored lowercased.
    pub email: Option<String>,
    /// The department, if any.
    pub department_id: Option<DepartmentId>,
    /// The hiring date, if known.
    pub hired_on: Option<NaiveDate>,
    /// 1 when created, +1 on every update: the optimistic-locking token.
    pub version: i32,
    /// When the row was created (UTC, microseconds).
    #[serde(with = "super::rfc3339")]
    // Read without chrono's format strings on SQLite: see `backend::stamp`.
    #[diesel(deserialize_as = ReadStamp)]
    pub created_at: NaiveDateTime,
    /// When the row was last changed (UTC, microseconds).
    #[serde(with = "super::rfc3339")]
    #[diesel(deserialize_as = ReadStamp)]
    pub updated_at: NaiveDateTime,
}

impl fmt::Display for Employee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        tutorial_line(f, self.id, &self.name, self.age, &self.position)
    }
}

/// `ID: 1, Name: Alice, Age: 25, Position: Manager`.
fn tutorial_line(
    f: &mut fmt::Formatter<'_>,
    id: EmployeeId,
    name: &str,
    age: i32,
    position: &str,
) -> fmt::Result {
    write!(
        f,
        "ID: {id}, Name: {name}, Age: {age}, Position: {position}"
    )
}

/// Just the columns a listing of tutorial lines reads: the line's four fields, plus the hiring
/// date that sorting may need. Half the columns of [`Employee`], so streaming them is faster
/// (see [`Employee::stream_summaries`]).
///
/// `Display` prints the tutorial's line, as [`Employee`] does.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = employees)]
#[diesel(check_for_backend(checked::Sqlite, checked::Pg, checked::Mysql))]
pub struct EmployeeSummary {
    /// The employee's id.
    pub id: EmployeeId,
    /// Full name.
    pub name: String,
    /// Age in years.
    pub age: i32,
    /// Job title.
    pub position: String,
    /// The hiring date, if known.
    pub hired_on: Option<NaiveDate>,
}

impl fmt::Display for EmployeeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        tutorial_line(f, self.id, &self.name, self.age, &self.position)
    }
}

/// An employee with the name of their department, as listings and exports show it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
pub struct EmployeeWithDepartment {
    /// The stored row.
    #[diesel(embed)]
    pub employee: Employee,
    /// The department's name, if the employee has one.
    #[diesel(select_expression = departments::name.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<departments::name>)]
    pub department: Option<String>,
}

/// An employee to add: the tutorial's three fields, the rest optional. Validated by
/// [`Session::add`] before anything is written (see [`Validate`]).
///
/// ```
/// use staffdb::NewEmployee;
///
/// let bob = NewEmployee::new("Bob", 22, "Developer").email("bob@example.com");
/// assert_eq!(bob.email.as_deref(), Some("bob@example.com"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NewEmployee {
    /// Full name: not blank, at most 200 characters.
    pub name: String,
    /// Age in years, 0..=150.
    pub age: i32,
    /// Job title: not blank, at most 200 characters.
    pub position: String,
    /// A unique, well-formed email address.
    pub email: Option<String>,
    /// An existing department's id.
    pub department_id: Option<DepartmentId>,
    /// The hiring date.
    pub hired_on: Option<NaiveDate>,
}

impl NewEmployee {
    /// An employee with a name, an age and a position.
    pub fn new(name: impl Into<String>, age: i32, position: impl Into<String>) -> Self {
        NewEmployee {
            name: name.into(),
            age,
            position: position.into(),
            ..Self::default()
        }
    }

    /// With an email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// In the department with this id.
    pub fn department_id(mut self, id: DepartmentId) -> Self {
        self.department_id = Some(id);
        self
    }

    /// Hired on this date.
    pub fn hired_on(mut self, date: NaiveDate) -> Self {
        self.hired_on = Some(date);
        self
    }
}

impl Validate for NewEmployee {
    /// Checks every field, naming the first one that is refused, and lowercases the email.
    fn validate(&mut self) -> Result<()> {
        validate::text("name", &self.name)?;
        validate::age(self.age)?;
        validate::text("position", &self.position)?;
        if let Some(email) = &mut self.email {
            *email = validate::email(email)?;
        }
        Ok(())
    }
}

impl NewModel for NewEmployee {
    type Model = Employee;
}

/// Changes to an employee: `None` leaves a field as it is. For the nullable fields,
/// `Some(None)` clears the value.
///
/// ```
/// use staffdb::EmployeeChanges;
///
/// let promotion = EmployeeChanges { age: Some(26), position: Some("Senior Developer".into()), ..Default::default() };
/// let no_email = EmployeeChanges { email: Some(None), ..Default::default() };
/// assert!(!promotion.is_empty() && !no_email.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = employees)]
pub struct EmployeeChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new age.
    pub age: Option<i32>,
    /// A new position.
    pub position: Option<String>,
    /// A new email, or `Some(None)` to clear it.
    pub email: Option<Option<String>>,
    /// A new department, or `Some(None)` to clear it.
    pub department_id: Option<Option<DepartmentId>>,
    /// A new hiring date, or `Some(None)` to clear it.
    pub hired_on: Option<Option<NaiveDate>>,
}

impl EmployeeChanges {
    /// True when no field would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Validate for EmployeeChanges {
    /// Checks every field that is set, and lowercases the email; refuses empty changes.
    fn validate(&mut self) -> Result<()> {
        if self.is_empty() {
            return Err(crate::Error::validation(
                "changes",
                "name at least one field to change",
            ));
        }
        if let Some(name) = &self.name {
            validate::text("name", name)?;
        }
        if let Some(age) = self.age {
            validate::age(age)?;
        }
        if let Some(position) = &self.position {
            validate::text("position", position)?;
        }
        if let Some(Some(email)) = &mut self.email {
            *email = validate::email(email)?;
        }
        Ok(())
    }
}

/// The row an insert writes: a validated [`NewEmployee`] plus the columns staffdb keeps.
///
/// Owned (no lifetime), so that a fixed-size array of them has a `'static` query id and Diesel
/// prepares the multi-row INSERT once per connection (see `backend::insert_rows!`).
/// `treat_none_as_default_value = false` binds `None` as NULL rather than `DEFAULT`, which is
/// what lets SQLite take a whole chunk in one multi-row `INSERT` (and PostgreSQL use `COPY`).
#[derive(Insertable)]
#[diesel(table_name = employees, treat_none_as_default_value = false)]
pub(crate) struct EmployeeRow {
    name: String,
    age: i32,
    position: String,
    email: Option<String>,
    department_id: Option<DepartmentId>,
    hired_on: Option<NaiveDate>,
    version: i32,
    // Formatted once per batch for SQLite, not once per bind: see `backend::stamp`.
    created_at: Stamp,
    updated_at: Stamp,
}

/// The same columns, in the same order, for PostgreSQL's binary `COPY`.
impl backend::copy::CopyRow for EmployeeRow {
    const COLUMNS: i16 = Self::COLUMNS as i16;

    fn write_fields(&self, fields: &mut backend::copy::CopyFields<'_>) {
        fields.text(&self.name);
        fields.int4(self.age);
        fields.text(&self.position);
        fields.text_or_null(self.email.as_deref());
        fields.int8_or_null(self.department_id.map(DepartmentId::get));
        fields.date_or_null(self.hired_on);
        fields.int4(self.version);
        fields.timestamp(self.created_at.at());
        fields.timestamp(self.updated_at.at());
    }
}

impl EmployeeRow {
    /// Columns per row, for sizing chunks to the bind-parameter limits.
    pub(crate) const COLUMNS: usize = 9;

    /// Pass one [`Stamp`] for a whole batch: formatting it per row would cost more than the
    /// insert itself.
    pub(crate) fn new(new: NewEmployee, now: Stamp) -> Self {
        EmployeeRow {
            name: new.name,
            age: new.age,
            position: new.position,
            email: new.email,
            department_id: new.department_id,
            hired_on: new.hired_on,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The assignments of every staffdb update of an employee: `changes`, the next version, and
/// `updated_at = now`. A macro, since the tuple's type is Diesel's to spell.
macro_rules! versioned {
    ($changes:expr, $now:expr) => {
        (
            $changes,
            employees::version.eq(employees::version + 1),
            employees::updated_at.eq($now),
        )
    };
}

impl Model for Employee {
    type Id = EmployeeId;
    type New = NewEmployee;
    type Changes = EmployeeChanges;
    const NAME: &'static str = "employee";

    fn id(&self) -> EmployeeId {
        self.id
    }

    fn insert(conn: &mut AnyConnection, new: NewEmployee) -> Result<Employee> {
        let row = EmployeeRow::new(new, Stamp::new(now()));
        let inserted = write_returning!(conn,
            |c| diesel::insert_into(employees::table).values(&row),
            Employee::as_returning(),
            inserted: |c, id| employees::table
                .find(EmployeeId(id))
                .select(Employee::as_select())
                .get_result(c))?;
        inserted.ok_or_else(|| diesel::result::Error::NotFound.into())
    }

    fn find(conn: &mut AnyConnection, id: EmployeeId) -> Result<Option<Employee>> {
        // `get_result`, not `first`: a primary-key lookup needs no `LIMIT ?`, and on SQLite
        // (3.47 and later) rebinding a LIMIT parameter expires the cached statement, so every
        // `first` was parsed and planned again (a third of `get`'s time, measured with `perf`).
        let found = with_conn!(conn, |c| employees::table
            .find(id)
            .select(Employee::as_select())
            .get_result(c)
            .optional());
        found.map_err(|e| Error::from(e).unreadable_at(Self::NAME, Some(id.into())))
    }

    fn update(
        conn: &mut AnyConnection,
        id: EmployeeId,
        changes: &EmployeeChanges,
    ) -> Result<Option<Employee>> {
        update_where(conn, id, changes, employees::id.eq(id))
    }

    fn keep_read(&self) -> Option<KeptRow> {
        Some(Box::new(self.clone()))
    }

    /// Only at the version read: every writer bumps it (staffdb, and any other client through
    /// the version trigger), so an unchanged version means an unchanged row, and the stored row
    /// is `read` with `changes`, the next version and this update's time.
    fn update_read(
        conn: &mut AnyConnection,
        read: &KeptRow,
        id: EmployeeId,
        changes: &EmployeeChanges,
    ) -> Result<Option<Employee>> {
        let Some(read) = read.downcast_ref::<Employee>().filter(|read| read.id == id) else {
            return Ok(None);
        };
        let now = now();
        let assignments = versioned!(changes, now);
        let filter = employees::id
            .eq(id)
            .and(employees::version.eq(read.version));
        let updated = with_conn!(conn, |c| cached_update::update(
            employees::table,
            assignments,
            filter
        )
        .execute(c))?;
        Ok((updated == 1).then(|| read.clone().changed(changes, now)))
    }

    fn delete(conn: &mut AnyConnection, id: EmployeeId) -> Result<bool> {
        let deleted = with_conn!(conn, |c| diesel::delete(employees::table.find(id))
            .execute(c))?;
        Ok(deleted > 0)
    }

    fn page_after(
        conn: &mut AnyConnection,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> Result<Vec<Employee>> {
        let after = after.unwrap_or(EmployeeId(i64::MIN));
        Ok(with_conn!(conn, |c| employees::table
            .filter(employees::id.gt(after))
            .order(employees::id)
            .limit(limit)
            .select(Employee::as_select())
            .load(c))?)
    }

    /// Multi-row statements sized to the backend's bind-parameter limit, and `COPY` on
    /// PostgreSQL; one timestamp, formatted once, for the whole batch.
    fn insert_batch(conn: &mut AnyConnection, rows: Vec<NewEmployee>) -> Result<usize> {
        let now = Stamp::new(now());
        let rows: Vec<EmployeeRow> = rows.into_iter().map(|e| EmployeeRow::new(e, now)).collect();
        Ok(backend::insert_rows!(conn, employees::table, &rows[..])?)
    }

    fn batch_size(backend: Backend) -> usize {
        backend::rows_per_statement(backend, EmployeeRow::COLUMNS)
    }

    /// One `COPY` on PostgreSQL, encoding each row as it comes.
    fn streams_inserts(backend: Backend) -> bool {
        backend::copy::streams(backend)
    }

    fn insert_stream(
        conn: &mut AnyConnection,
        rows: &mut dyn Iterator<Item = Result<NewEmployee>>,
    ) -> Result<usize> {
        use employees::*;
        let now = Stamp::new(now());
        let mut rows = rows.map(|row| row.map(|new| EmployeeRow::new(new, now)));
        backend::copy::copy_rows!(
            conn,
            table,
            (
                name,
                age,
                position,
                email,
                department_id,
                hired_on,
                version,
                created_at,
                updated_at
            ),
            &mut rows
        )
    }

    fn existing(conn: &mut AnyConnection, ids: &[EmployeeId]) -> Result<Vec<EmployeeId>> {
        Ok(with_conn!(conn, |c| employees::table
            .filter(employees::id.eq_any(ids))
            .select(employees::id)
            .load(c))?)
    }

    fn delete_batch(conn: &mut AnyConnection, ids: &[EmployeeId]) -> Result<usize> {
        Ok(with_conn!(conn, |c| diesel::delete(
            employees::table.filter(employees::id.eq_any(ids))
        )
        .execute(c))?)
    }
}

impl Versioned for Employee {
    fn version(&self) -> i32 {
        self.version
    }

    fn update_if_version(
        conn: &mut AnyConnection,
        id: EmployeeId,
        expected: i32,
        changes: &EmployeeChanges,
    ) -> Result<Option<Employee>> {
        let filter = employees::id.eq(id).and(employees::version.eq(expected));
        update_where(conn, id, changes, filter)
    }

    /// A locking read on MySQL: the version committed since this transaction's snapshot.
    fn current_version(conn: &mut AnyConnection, id: EmployeeId) -> Result<Option<i32>> {
        let version = employees::table.find(id).select(employees::version);
        Ok(crate::__on_backends!(conn,
            sqlite: |c| version.get_result(c).optional(),
            postgres: |c| version.get_result(c).optional(),
            mysql: |c| version.for_update().get_result(c).optional(),
        )?)
    }
}

/// Applies `changes` to the row `filter` matches (the row `id`, perhaps at one version),
/// bumping its version and `updated_at`, through a statement Diesel keeps prepared.
fn update_where<F>(
    conn: &mut AnyConnection,
    #[allow(unused_variables)] id: EmployeeId,
    changes: &EmployeeChanges,
    filter: F,
) -> Result<Option<Employee>>
where
    F: diesel::Expression<SqlType = diesel::sql_types::Bool>
        + diesel::AppearsOnTable<employees::table>
        + diesel::query_builder::QueryFragment<checked::Sqlite>
        + diesel::query_builder::QueryFragment<checked::Pg>
        + diesel::query_builder::QueryFragment<checked::Mysql>
        + diesel::query_builder::QueryId,
{
    let assignments = versioned!(changes, now());
    Ok(write_returning!(conn,
        |c| cached_update::update(employees::table, assignments, filter),
        Employee::as_returning(),
        updated: |c| employees::table.find(id).select(Employee::as_select()).get_result(c))?)
}

impl Employee {
    /// This row as an update with `changes` at `now` leaves it (the next version).
    fn changed(mut self, changes: &EmployeeChanges, now: NaiveDateTime) -> Employee {
        let EmployeeChanges {
            name,
            age,
            position,
            email,
            department_id,
            hired_on,
        } = changes.clone();
        self.name = name.unwrap_or(self.name);
        self.age = age.unwrap_or(self.age);
        self.position = position.unwrap_or(self.position);
        self.email = email.unwrap_or(self.email);
        self.department_id = department_id.unwrap_or(self.department_id);
        self.hired_on = hired_on.unwrap_or(self.hired_on);
        self.version += 1;
        self.updated_at = now;
        self
    }

    /// This employee with their department's name, read in the same session. A department that
    /// no longer exists (deleted by a client with foreign keys off) reads as none.
    pub fn with_department(self, session: &mut Session) -> Result<EmployeeWithDepartment> {
        let department = match self.department_id {
            Some(id) => session.get(id)?.map(|d| d.name),
            None => None,
        };
        Ok(EmployeeWithDepartment {
            employee: self,
            department,
        })
    }

    /// Adds an employee in the department named `department` (created if it does not exist
    /// yet); returns the stored row with its department. Run it in
    /// [`Database::transaction`](crate::Database::transaction), which retries it when a
    /// concurrent writer creates the same department.
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let bob = NewEmployee::new("Bob", 22, "Developer");
    /// let bob = db.transaction(|s| Employee::add_to_department(s, &bob, Some("Sales")))?;
    /// assert_eq!(bob.department.as_deref(), Some("Sales"));
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn add_to_department(
        session: &mut Session,
        new: &NewEmployee,
        department: Option<&str>,
    ) -> Result<EmployeeWithDepartment> {
        let mut new = new.clone();
        if let Some(name) = department {
            new.department_id = Some(Department::ensure(session, name)?.id);
        }
        session.add(&new)?.with_department(session)
    }

    /// Applies `changes` to employee `id` and, with `department`, moves them to the department
    /// of that name (created if needed); with `expected_version`, only if the row still has it.
    /// Returns the stored row with its department; run it in
    /// [`Database::transaction`](crate::Database::transaction), as
    /// [`Employee::add_to_department`].
    pub fn update_with_department(
        session: &mut Session,
        id: EmployeeId,
        changes: &EmployeeChanges,
        department: Option<&str>,
        expected_version: Option<i32>,
    ) -> Result<EmployeeWithDepartment> {
        let mut changes = changes.clone();
        if let Some(name) = department {
            changes.department_id = Some(Some(Department::ensure(session, name)?.id));
        }
        let employee = match expected_version {
            Some(version) => session.update_if_version(id, version, &changes)?,
            None => session.update(id, &changes)?,
        };
        employee.with_department(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `EmployeeRow::COLUMNS` is what an insert of one row binds, so that batches sized by it
    /// stay within every backend's bind-parameter limit.
    #[test]
    fn insert_row_column_count_matches_its_binds() {
        let row = EmployeeRow::new(NewEmployee::new("A", 1, "P"), Stamp::new(now()));
        let insert = diesel::insert_into(employees::table).values(&row);
        let sql = diesel::debug_query::<checked::Sqlite, _>(&insert).to_string();
        let statement = sql.split(" -- binds").next().unwrap_or_default();
        assert_eq!(
            statement.matches('?').count(),
            EmployeeRow::COLUMNS,
            "{sql}"
        );
    }
}
