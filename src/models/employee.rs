//! The `employees` table: the stored row, the row to insert, and the changes to apply.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::stamp::{ReadStamp, Stamp};
use super::{Department, validate};
use crate::cached_update;
use crate::db::{AnyConnection, Backend};
use crate::error::{Error, Result};
use crate::query::{EmployeeFilter, ListOptions, SortKey, apply_filter};
use crate::schema::{departments, employees};

/// An employee, as stored.
///
/// `Display` prints the tutorial's line:
///
/// ```
/// # use staffdb::Employee;
/// # let alice = Employee { id: 1, name: "Alice".into(), age: 25, position: "Manager".into(),
/// #     email: None, department_id: None, hired_on: None, version: 1,
/// #     created_at: Default::default(), updated_at: Default::default() };
/// assert_eq!(alice.to_string(), "ID: 1, Name: Alice, Age: 25, Position: Manager");
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Associations, Serialize,
)]
#[diesel(table_name = employees, belongs_to(Department))]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
#[cfg_attr(feature = "postgres", diesel(check_for_backend(diesel::pg::Pg)))]
#[cfg_attr(feature = "mysql", diesel(check_for_backend(diesel::mysql::Mysql)))]
pub struct Employee {
    /// Assigned by the database; never reused.
    pub id: i32,
    /// Full name.
    pub name: String,
    /// Age in years, 0..=150.
    pub age: i32,
    /// Job title.
    pub position: String,
    /// Unique, stored lowercased.
    pub email: Option<String>,
    /// The department, if any.
    pub department_id: Option<i32>,
    /// The hiring date, if known.
    pub hired_on: Option<NaiveDate>,
    /// 1 when created, +1 on every update: the optimistic-locking token.
    pub version: i32,
    /// When the row was created (UTC, microseconds).
    #[serde(with = "super::rfc3339")]
    // Read without chrono's format strings on SQLite: see `stamp`.
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
    id: i32,
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
/// (see [`Session::stream_summaries`](crate::Session::stream_summaries)).
///
/// `Display` prints the tutorial's line, as [`Employee`] does.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = employees)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
#[cfg_attr(feature = "postgres", diesel(check_for_backend(diesel::pg::Pg)))]
#[cfg_attr(feature = "mysql", diesel(check_for_backend(diesel::mysql::Mysql)))]
pub struct EmployeeSummary {
    /// The employee's id.
    pub id: i32,
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

/// An employee to add: the tutorial's three fields, the rest optional.
///
/// ```
/// use staffdb::NewEmployee;
///
/// let bob = NewEmployee::new("Bob", 22, "Developer").email("bob@example.com");
/// assert_eq!(bob.email.as_deref(), Some("bob@example.com"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Insertable, Deserialize)]
#[diesel(table_name = employees)]
// A real multi-row INSERT on SQLite: see `EmployeeInsert`.
#[diesel(treat_none_as_default_value = false)]
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
    pub department_id: Option<i32>,
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
    pub fn department_id(mut self, id: i32) -> Self {
        self.department_id = Some(id);
        self
    }

    /// Hired on this date.
    pub fn hired_on(mut self, date: NaiveDate) -> Self {
        self.hired_on = Some(date);
        self
    }

    /// Checks every field, naming the first one that is refused, and lowercases the email.
    pub fn validate(&mut self) -> Result<()> {
        validate::text("name", &self.name)?;
        validate::age(self.age)?;
        validate::text("position", &self.position)?;
        if let Some(email) = &mut self.email {
            let lowered = validate::email(email)?;
            *email = lowered;
        }
        Ok(())
    }
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
    pub department_id: Option<Option<i32>>,
    /// A new hiring date, or `Some(None)` to clear it.
    pub hired_on: Option<Option<NaiveDate>>,
}

impl EmployeeChanges {
    /// True when no field would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks every field that is set, and lowercases the email.
    pub fn validate(&mut self) -> Result<()> {
        if self.is_empty() {
            return Err(Error::validation(
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
            let lowered = validate::email(email)?;
            *email = lowered;
        }
        Ok(())
    }
}

/// The row written by an insert: the new employee plus the columns staffdb keeps.
///
/// `treat_none_as_default_value = false` binds `None` as NULL rather than `DEFAULT`, which is
/// what lets SQLite take a whole chunk in one multi-row `INSERT` (and PostgreSQL use `COPY`).
#[derive(Insertable)]
#[diesel(table_name = employees, treat_none_as_default_value = false)]
pub(crate) struct EmployeeInsert<'a> {
    name: &'a str,
    age: i32,
    position: &'a str,
    email: Option<&'a str>,
    department_id: Option<i32>,
    hired_on: Option<NaiveDate>,
    version: i32,
    // Formatted once per batch for SQLite, not once per bind: see `stamp`.
    created_at: Stamp,
    updated_at: Stamp,
}

impl<'a> EmployeeInsert<'a> {
    /// Columns per row, for sizing chunks to the bind-parameter limits.
    pub(crate) const COLUMNS: usize = 9;

    /// Pass a [`Stamp`] made once per batch; a `NaiveDateTime` works but is formatted per row.
    pub(crate) fn new(new: &'a NewEmployee, now: impl Into<Stamp>) -> Self {
        let now = now.into();
        EmployeeInsert {
            name: &new.name,
            age: new.age,
            position: &new.position,
            email: new.email.as_deref(),
            department_id: new.department_id,
            hired_on: new.hired_on,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// An owned row for `add_all`, its fields moved out of the [`NewEmployee`].
///
/// Owned (no lifetime) so that a fixed-size array of them has a `'static` query id: Diesel then
/// prepares the multi-row INSERT once per connection and reuses it (see
/// [`ROWS_PER_CACHED_INSERT`]), where a slice of borrowing rows is parsed and planned again on
/// every call.
#[derive(Insertable)]
#[diesel(table_name = employees, treat_none_as_default_value = false)]
pub(crate) struct EmployeeRow {
    name: String,
    age: i32,
    position: String,
    email: Option<String>,
    department_id: Option<i32>,
    hired_on: Option<NaiveDate>,
    version: i32,
    created_at: Stamp,
    updated_at: Stamp,
}

impl EmployeeRow {
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

/// Rows per cached multi-row INSERT (SQLite and MySQL).
///
/// Measured on the employees workload (N = 100,000): on SQLite, re-preparing each chunk's
/// multi-row INSERT, and Diesel walking every row to learn that it cannot cache it, cost about
/// a quarter of `add_all`'s CPU time; on MariaDB the server-side prepare of a 5,000-row,
/// 45,000-placeholder statement per chunk made `add_all` slower than raw Diesel.
const ROWS_PER_CACHED_INSERT: usize = 256;

/// Inserts `rows` (a `&[EmployeeRow]`) on the concrete connection `c`: whole arrays of
/// [`ROWS_PER_CACHED_INSERT`] rows through one statement that Diesel prepares once per
/// connection and caches, then the rest in one statement. Evaluates to `QueryResult<usize>`.
macro_rules! insert_in_blocks {
    ($c:ident, $rows:expr) => {
        (|| -> QueryResult<usize> {
            let rows: &[EmployeeRow] = $rows;
            let (blocks, rest) = rows.as_chunks::<ROWS_PER_CACHED_INSERT>();
            let mut written = 0;
            for block in blocks {
                written += diesel::insert_into(employees::table)
                    .values(block)
                    .execute($c)?;
            }
            if !rest.is_empty() {
                written += diesel::insert_into(employees::table)
                    .values(rest)
                    .execute($c)?;
            }
            Ok(written)
        })()
    };
}

/// The largest number of rows one multi-row statement may carry on `backend`.
pub(crate) fn rows_per_statement(backend: Backend) -> usize {
    let bind_limit = match backend {
        Backend::Sqlite => 32_766,
        // Both count placeholders in a u16; MySQL's packet size (16 MiB by default) is far
        // from reached by rows of at most ~1.5 KB.
        Backend::Postgres | Backend::Mysql => 65_535,
    };
    // Stay well under MySQL's max_allowed_packet with 1.5 KB rows; SQLite and PostgreSQL gain
    // nothing measurable from bigger statements.
    (bind_limit / EmployeeInsert::COLUMNS).min(5_000)
}

/// Batches at least this large go to PostgreSQL through `COPY`.
#[cfg(feature = "postgres")]
const COPY_THRESHOLD: usize = 500;

/// Where a keyset page starts: the sort value and id of the last row already returned.
#[derive(Debug, Clone)]
pub(crate) enum Cursor {
    Id(i32),
    Name(String, i32),
    Age(i32, i32),
    Position(String, i32),
    HiredOn(Option<NaiveDate>, i32),
}

/// Which keyset page to load: the filter and order of the listing, where the last page ended,
/// how many rows to skip first (only before the first page) and how many to load.
#[derive(Clone, Copy)]
pub(crate) struct PageRequest<'a> {
    pub(crate) filter: &'a EmployeeFilter,
    pub(crate) options: &'a ListOptions,
    pub(crate) cursor: Option<&'a Cursor>,
    pub(crate) offset: i64,
    pub(crate) limit: i64,
}

/// A row a keyset stream can continue after: it carries the id and every sort column.
pub(crate) trait Keyed {
    /// The cursor that continues a `sort` listing after this row.
    fn cursor(&self, sort: SortKey) -> Cursor;
}

macro_rules! keyed_by_fields {
    ($row:ty, |$r:ident| $fields:expr) => {
        impl Keyed for $row {
            fn cursor(&self, sort: SortKey) -> Cursor {
                let $r = self;
                let row = $fields;
                match sort {
                    SortKey::Id => Cursor::Id(row.id),
                    SortKey::Name => Cursor::Name(row.name.clone(), row.id),
                    SortKey::Age => Cursor::Age(row.age, row.id),
                    SortKey::Position => Cursor::Position(row.position.clone(), row.id),
                    SortKey::HiredOn => Cursor::HiredOn(row.hired_on, row.id),
                }
            }
        }
    };
}
keyed_by_fields!(Employee, |r| r);
keyed_by_fields!(EmployeeSummary, |r| r);
keyed_by_fields!(EmployeeWithDepartment, |r| &r.employee);

/// Loads one keyset page from `$source`, a boxed select over `employees` (alone or joined):
/// the filter, the listing's order (ties by id, NULLs last), the cursor and the limit.
macro_rules! keyset_page {
    ($c:ident, $source:expr, $request:expr) => {{
        let PageRequest {
            filter,
            options,
            cursor,
            offset,
            limit,
        } = *$request;
        let descending = options.descending;
        let mut query = apply_filter!($source, filter);
        query = match (options.sort, descending) {
            (SortKey::Id, false) => query.order_by(employees::id.asc()),
            (SortKey::Id, true) => query.order_by(employees::id.desc()),
            (SortKey::Name, false) => query.order_by((employees::name.asc(), employees::id.asc())),
            (SortKey::Name, true) => query.order_by((employees::name.desc(), employees::id.asc())),
            (SortKey::Age, false) => query.order_by((employees::age.asc(), employees::id.asc())),
            (SortKey::Age, true) => query.order_by((employees::age.desc(), employees::id.asc())),
            (SortKey::Position, false) => {
                query.order_by((employees::position.asc(), employees::id.asc()))
            }
            (SortKey::Position, true) => {
                query.order_by((employees::position.desc(), employees::id.asc()))
            }
            // NULLs last on every backend: sort on "is null" first.
            (SortKey::HiredOn, false) => query.order_by((
                employees::hired_on.is_null().asc(),
                employees::hired_on.asc(),
                employees::id.asc(),
            )),
            (SortKey::HiredOn, true) => query.order_by((
                employees::hired_on.is_null().asc(),
                employees::hired_on.desc(),
                employees::id.asc(),
            )),
        };
        query = match cursor.cloned() {
            None => query,
            Some(Cursor::Id(id)) if descending => query.filter(employees::id.lt(id)),
            Some(Cursor::Id(id)) => query.filter(employees::id.gt(id)),
            Some(Cursor::Name(v, id)) if descending => query.filter(
                employees::name
                    .lt(v.clone())
                    .or(employees::name.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::Name(v, id)) => query.filter(
                employees::name
                    .gt(v.clone())
                    .or(employees::name.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::Age(v, id)) if descending => query.filter(
                employees::age
                    .lt(v)
                    .or(employees::age.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::Age(v, id)) => query.filter(
                employees::age
                    .gt(v)
                    .or(employees::age.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::Position(v, id)) if descending => query.filter(
                employees::position
                    .lt(v.clone())
                    .or(employees::position.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::Position(v, id)) => query.filter(
                employees::position
                    .gt(v.clone())
                    .or(employees::position.eq(v).and(employees::id.gt(id))),
            ),
            Some(Cursor::HiredOn(None, id)) => {
                query.filter(employees::hired_on.is_null().and(employees::id.gt(id)))
            }
            Some(Cursor::HiredOn(Some(v), id)) if descending => query.filter(
                employees::hired_on
                    .lt(v)
                    .or(employees::hired_on.eq(v).and(employees::id.gt(id)))
                    .or(employees::hired_on.is_null()),
            ),
            Some(Cursor::HiredOn(Some(v), id)) => query.filter(
                employees::hired_on
                    .gt(v)
                    .or(employees::hired_on.eq(v).and(employees::id.gt(id)))
                    .or(employees::hired_on.is_null()),
            ),
        };
        if offset > 0 {
            query = query.offset(offset);
        }
        // Collected into a page sized up front: `load` grows its Vec from empty, copying the
        // rows several times over per page.
        let mut page = Vec::with_capacity(usize::try_from(limit).unwrap_or_default());
        for row in query
            .limit(limit)
            .load_iter::<_, diesel::connection::DefaultLoadingMode>($c)?
        {
            page.push(row?);
        }
        diesel::QueryResult::Ok(page)
    }};
}

impl Employee {
    pub(crate) fn insert(conn: &mut AnyConnection, new: &NewEmployee) -> Result<Employee> {
        let row = EmployeeInsert::new(new, super::now());
        let inserted = with_conn!(conn, |c| -> Sqlite | Postgres {
            diesel::insert_into(employees::table)
                .values(&row)
                .returning(Employee::as_returning())
                .get_result(c)
        } Mysql {
            // Insert and read back in the same transaction.
            diesel::insert_into(employees::table).values(&row).execute(c)
                .and_then(|_| super::last_insert_id(c))
                .and_then(|id| employees::table.find(id).select(Employee::as_select()).first(c))
        });
        Ok(inserted?)
    }

    /// Inserts `rows` in one statement (or one `COPY` on PostgreSQL); the caller sizes the chunk.
    pub(crate) fn insert_chunk(conn: &mut AnyConnection, rows: &[EmployeeRow]) -> Result<usize> {
        let written = with_conn!(conn, |c| -> Sqlite {
            insert_in_blocks!(c, rows)
        } Postgres {
            if rows.len() >= COPY_THRESHOLD {
                diesel::copy_from(employees::table).from_insertable(rows).execute(c)
            } else {
                diesel::insert_into(employees::table).values(rows).execute(c)
            }
        } Mysql {
            insert_in_blocks!(c, rows)
        });
        Ok(written?)
    }

    pub(crate) fn find(conn: &mut AnyConnection, id: i32) -> Result<Option<Employee>> {
        // `get_result`, not `first`: a primary-key lookup needs no `LIMIT ?`, and on SQLite
        // (3.47 and later) rebinding a LIMIT parameter expires the cached statement, so every
        // `first` was parsed and planned again (a third of `get`'s time, measured with `perf`).
        Ok(with_conn!(conn, |c| employees::table
            .find(id)
            .select(Employee::as_select())
            .get_result(c)
            .optional())?)
    }

    pub(crate) fn count(conn: &mut AnyConnection, filter: &EmployeeFilter) -> Result<i64> {
        Ok(with_conn!(conn, |c| apply_filter!(
            employees::table.into_boxed(),
            filter
        )
        .count()
        .get_result(c))?)
    }

    /// One keyset page of employees: rows after the cursor in the listing's order.
    pub(crate) fn page(
        conn: &mut AnyConnection,
        request: &PageRequest<'_>,
    ) -> Result<Vec<Employee>> {
        Ok(with_conn!(conn, |c| keyset_page!(
            c,
            employees::table.select(Employee::as_select()).into_boxed(),
            request
        ))?)
    }

    /// [`Employee::page`], reading only the columns of an [`EmployeeSummary`].
    pub(crate) fn page_summaries(
        conn: &mut AnyConnection,
        request: &PageRequest<'_>,
    ) -> Result<Vec<EmployeeSummary>> {
        Ok(with_conn!(conn, |c| keyset_page!(
            c,
            employees::table
                .select(EmployeeSummary::as_select())
                .into_boxed(),
            request
        ))?)
    }

    /// [`Employee::page`] with each employee's department name (a left join).
    pub(crate) fn page_with_department(
        conn: &mut AnyConnection,
        request: &PageRequest<'_>,
    ) -> Result<Vec<EmployeeWithDepartment>> {
        Ok(with_conn!(conn, |c| keyset_page!(
            c,
            employees::table
                .left_join(departments::table)
                .select(EmployeeWithDepartment::as_select())
                .into_boxed(),
            request
        ))?)
    }

    /// Applies `changes`, bumping the version and `updated_at`; with `expected_version`, only
    /// if the row still has that version.
    pub(crate) fn update(
        conn: &mut AnyConnection,
        id: i32,
        expected_version: Option<i32>,
        changes: &EmployeeChanges,
    ) -> Result<Employee> {
        let now = super::now();
        let assignments = (
            changes,
            employees::version.eq(employees::version + 1),
            employees::updated_at.eq(now),
        );
        macro_rules! update_returning {
            ($filter:expr) => {
                with_conn!(conn, |c| -> Sqlite | Postgres {
                    cached_update::update(employees::table, assignments, $filter)
                        .returning(Employee::as_returning())
                        .get_result(c)
                        .optional()
                } Mysql {
                    cached_update::update(employees::table, assignments, $filter)
                        .execute(c)
                        .and_then(|count| match count {
                            0 => Ok(None),
                            _ => employees::table.find(id).select(Employee::as_select()).first(c).map(Some),
                        })
                })
            };
        }
        let updated: Option<Employee> = match expected_version {
            Some(expected) => {
                update_returning!(employees::id.eq(id).and(employees::version.eq(expected)))?
            }
            None => update_returning!(employees::id.eq(id))?,
        };
        match updated {
            Some(employee) => Ok(employee),
            None => Err(Self::missing_or_moved(conn, id, expected_version)),
        }
    }

    /// Explains why a write by id touched no row: no such employee, or a newer version.
    fn missing_or_moved(conn: &mut AnyConnection, id: i32, expected_version: Option<i32>) -> Error {
        let current: QueryResult<Option<i32>> = with_conn!(conn, |c| employees::table
            .find(id)
            .select(employees::version)
            .first(c)
            .optional());
        match (current, expected_version) {
            (Err(error), _) => error.into(),
            (Ok(Some(actual)), Some(expected)) => Error::Conflict {
                id,
                expected,
                actual,
            },
            _ => Error::NotFound {
                entity: "employee",
                id: id.into(),
            },
        }
    }

    pub(crate) fn delete(conn: &mut AnyConnection, id: i32) -> Result<()> {
        let deleted = with_conn!(conn, |c| diesel::delete(employees::table.find(id))
            .execute(c))?;
        if deleted == 0 {
            return Err(Error::NotFound {
                entity: "employee",
                id: id.into(),
            });
        }
        Ok(())
    }

    /// The ids among `ids` that exist.
    pub(crate) fn existing_ids(conn: &mut AnyConnection, ids: &[i32]) -> Result<Vec<i32>> {
        Ok(with_conn!(conn, |c| employees::table
            .filter(employees::id.eq_any(ids))
            .select(employees::id)
            .load(c))?)
    }

    pub(crate) fn delete_ids(conn: &mut AnyConnection, ids: &[i32]) -> Result<usize> {
        Ok(with_conn!(conn, |c| diesel::delete(
            employees::table.filter(employees::id.eq_any(ids))
        )
        .execute(c))?)
    }

    pub(crate) fn delete_where(conn: &mut AnyConnection, filter: &EmployeeFilter) -> Result<usize> {
        Ok(with_conn!(conn, |c| apply_filter!(
            diesel::delete(employees::table).into_boxed(),
            filter
        )
        .execute(c))?)
    }
}
