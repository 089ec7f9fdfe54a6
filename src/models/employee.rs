//! The `employees` table: the stored row, the row to insert, the changes to apply, and how the
//! Session writes them.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{Department, DepartmentId};
use crate::backend::checked;
use crate::schema::{departments, employees};
use crate::{Result, Session};

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

/// An employee, as stored. The derive writes [`NewEmployee`] (with a builder:
/// `NewEmployee::new("Bob", 22, "Developer").email("bob@example.com")`), [`EmployeeChanges`]
/// (`None` leaves a field as it is; `Some(None)` clears a nullable one), their validation from
/// the options below (the error names the field; the email is stored lowercased), and the
/// queries: the version bumped and `updated_at` set by every update, `created_at` by the insert.
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
#[derive(Debug, Clone, PartialEq, Eq, Identifiable, Associations, Serialize, staffdb::Model)]
#[diesel(table_name = employees, belongs_to(Department))]
#[staffdb(table = employees, history = crate::schema::employees_history, display)]
pub struct Employee {
    /// Assigned by the database; never reused.
    pub id: EmployeeId,
    /// Full name: not blank, at most 200 characters.
    #[staffdb(max_chars = super::MAX_TEXT_CHARS, search, sort)]
    pub name: String,
    /// Age in years, 0..=150.
    #[staffdb(min = 0, max = 150, sort, filter)]
    pub age: i32,
    /// Job title: not blank, at most 200 characters.
    #[staffdb(max_chars = super::MAX_TEXT_CHARS, search, sort, filter)]
    pub position: String,
    /// A unique, well-formed email address, stored lowercased.
    #[staffdb(unique, email, search)]
    pub email: Option<String>,
    /// The department, if any. Files and the command line name it by its name, and an import
    /// adds a department no row is called yet.
    #[staffdb(references = Department, filter, create_titled)]
    pub department_id: Option<DepartmentId>,
    /// The hiring date, if known.
    #[staffdb(sort, filter)]
    pub hired_on: Option<NaiveDate>,
    /// 1 when created, +1 on every update: the optimistic-locking token.
    #[staffdb(version)]
    pub version: i32,
    /// When the row was created (UTC, microseconds).
    #[serde(with = "super::rfc3339")]
    #[staffdb(created)]
    pub created_at: NaiveDateTime,
    /// When the row was last changed (UTC, microseconds).
    #[serde(with = "super::rfc3339")]
    #[staffdb(updated)]
    pub updated_at: NaiveDateTime,
}

/// The row an insert writes, for the upsert's own multi-row statement.
pub(crate) type EmployeeRow = __EmployeeRow;

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

impl Employee {
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
    use crate::backend::stamp::{Stamp, now};
    use crate::{AGE_RANGE, Column, Describe, MAX_TEXT_CHARS};

    fn rules(columns: &[Column], name: &str) -> crate::Rules {
        columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.rules)
            .unwrap_or_default()
    }

    /// The constants are what the models declare.
    #[test]
    fn constants_are_the_declared_rules() {
        let employee = Employee::COLUMNS;
        assert_eq!(rules(employee, "name").max_chars, Some(MAX_TEXT_CHARS));
        assert_eq!(rules(employee, "position").max_chars, Some(MAX_TEXT_CHARS));
        let department = Department::COLUMNS;
        assert_eq!(rules(department, "name").max_chars, Some(MAX_TEXT_CHARS));
        let age = rules(employee, "age");
        assert_eq!(
            (age.min, age.max),
            (
                Some(i64::from(*AGE_RANGE.start())),
                Some(i64::from(*AGE_RANGE.end()))
            )
        );
    }

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
