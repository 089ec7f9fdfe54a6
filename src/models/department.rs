//! The `departments` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::departments;
use crate::{Error, Result, Session};

crate::id! {
    /// A department's id.
    pub DepartmentId => Department
}

/// A department, as stored. The derive writes [`NewDepartment`] (`NewDepartment::new("Sales")`),
/// [`DepartmentChanges`] (`DepartmentChanges { name: Some("R&D".into()) }`), their validation
/// and the queries.
#[derive(Debug, Clone, PartialEq, Eq, Identifiable, Serialize, staffdb::Model)]
#[diesel(table_name = departments)]
#[staffdb(table = departments, history = crate::schema::departments_history)]
pub struct Department {
    /// Assigned by the database.
    pub id: DepartmentId,
    /// Unique, not blank, at most 200 characters.
    #[staffdb(unique, max_chars = super::MAX_TEXT_CHARS, search, sort)]
    pub name: String,
    /// When it was created (UTC).
    #[serde(with = "super::rfc3339")]
    #[staffdb(created, label = "Created")]
    pub created_at: NaiveDateTime,
}

impl Department {
    /// Every department, by id.
    pub fn all(session: &mut Session) -> Result<Vec<Department>> {
        session.stream_all::<Department>()?.collect()
    }

    /// The department with this name, if there is one.
    pub fn by_name(session: &mut Session, name: &str) -> Result<Option<Department>> {
        session.run(|c| {
            staffdb::with_connection!(c, |c| departments::table
                .filter(departments::name.eq(name))
                .select(Department::as_select())
                .get_result(c)
                .optional())
        })
    }

    /// The department with this name, created if it does not exist yet — safely when another
    /// writer creates it at the same moment. A refused name is a "department name" in the
    /// error, not a "name" that could be the employee's.
    ///
    /// ```
    /// use staffdb::{Database, Department};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let sales = Department::ensure(&mut s, "Sales")?;
    /// assert_eq!(Department::ensure(&mut s, "Sales")?, sales);
    /// assert_eq!(
    ///     Department::ensure(&mut s, " ").unwrap_err().to_string(),
    ///     "invalid department name: must not be empty or blank"
    /// );
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn ensure(session: &mut Session, name: &str) -> Result<Department> {
        if let Some(department) = Self::by_name(session, name)? {
            return Ok(department);
        }
        let added = session.savepoint(|s| s.add(&NewDepartment::new(name)));
        match added.map_err(|e| e.field_named("name", "department name")) {
            // Someone else created it since we looked. Their row is visible now unless this
            // transaction reads an older snapshot (MySQL's repeatable read): then the whole
            // transaction must run again, which `Database::transaction` does.
            Err(Error::UniqueViolation { .. }) => Self::by_name(session, name)?.ok_or_else(|| {
                Error::Contention(format!(
                    "department `{name}` was created by a concurrent transaction"
                ))
            }),
            other => other,
        }
    }
}
