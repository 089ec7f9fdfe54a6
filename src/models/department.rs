//! The `departments` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::backend::stamp::now;
use crate::backend::{AnyConnection, checked, with_conn, write_returning};
use crate::schema::departments;
use crate::{Error, Model, NewModel, Result, Session, Validate};

crate::id! {
    /// A department's id.
    pub DepartmentId => Department
}

/// A department, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = departments)]
#[diesel(check_for_backend(checked::Sqlite, checked::Pg, checked::Mysql))]
pub struct Department {
    /// Assigned by the database.
    pub id: DepartmentId,
    /// Unique.
    pub name: String,
    /// When it was created (UTC).
    #[serde(with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// A department to create: `session.add(&NewDepartment::new("Sales"))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDepartment {
    /// Unique, not blank, at most 200 characters.
    pub name: String,
}

impl NewDepartment {
    /// A department with this name.
    pub fn new(name: impl Into<String>) -> Self {
        NewDepartment { name: name.into() }
    }
}

impl Validate for NewDepartment {
    fn validate(&mut self) -> Result<()> {
        super::validate::text("department name", &self.name)
    }
}

impl NewModel for NewDepartment {
    type Model = Department;
}

/// Changes to a department: a new name.
#[derive(Debug, Clone, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = departments)]
pub struct DepartmentChanges {
    /// The new name (unique).
    pub name: String,
}

impl Validate for DepartmentChanges {
    fn validate(&mut self) -> Result<()> {
        super::validate::text("department name", &self.name)
    }
}

#[derive(Insertable)]
#[diesel(table_name = departments)]
struct DepartmentRow<'a> {
    name: &'a str,
    created_at: NaiveDateTime,
}

impl Model for Department {
    type Id = DepartmentId;
    type New = NewDepartment;
    type Changes = DepartmentChanges;
    const NAME: &'static str = "department";

    fn id(&self) -> DepartmentId {
        self.id
    }

    fn insert(conn: &mut AnyConnection, new: NewDepartment) -> Result<Department> {
        let row = DepartmentRow {
            name: &new.name,
            created_at: now(),
        };
        let inserted = write_returning!(conn,
            |c| diesel::insert_into(departments::table).values(&row),
            Department::as_returning(),
            inserted: |c, id| departments::table
                .find(DepartmentId(id))
                .select(Department::as_select())
                .get_result(c));
        match inserted.map_err(|e| name_taken(e.into(), &new.name))? {
            Some(department) => Ok(department),
            None => Err(diesel::result::Error::NotFound.into()),
        }
    }

    fn find(conn: &mut AnyConnection, id: DepartmentId) -> Result<Option<Department>> {
        Ok(with_conn!(conn, |c| departments::table
            .find(id)
            .select(Department::as_select())
            .get_result(c)
            .optional())?)
    }

    fn update(
        conn: &mut AnyConnection,
        id: DepartmentId,
        changes: &DepartmentChanges,
    ) -> Result<Option<Department>> {
        let updated = write_returning!(conn,
            |c| diesel::update(departments::table.find(id)).set(changes),
            Department::as_returning(),
            updated: |c| departments::table.find(id).select(Department::as_select()).get_result(c));
        updated.map_err(|e| name_taken(e.into(), &changes.name))
    }

    fn delete(conn: &mut AnyConnection, id: DepartmentId) -> Result<bool> {
        let deleted = with_conn!(conn, |c| diesel::delete(departments::table.find(id))
            .execute(c))?;
        Ok(deleted > 0)
    }

    fn page_after(
        conn: &mut AnyConnection,
        after: Option<DepartmentId>,
        limit: i64,
    ) -> Result<Vec<Department>> {
        let after = after.unwrap_or(DepartmentId(i64::MIN));
        Ok(with_conn!(conn, |c| departments::table
            .filter(departments::id.gt(after))
            .order(departments::id)
            .limit(limit)
            .select(Department::as_select())
            .load(c))?)
    }
}

impl Department {
    /// Every department, by id.
    pub fn all(session: &mut Session) -> Result<Vec<Department>> {
        session.stream_all::<Department>()?.collect()
    }

    /// The department with this name, if there is one.
    pub fn by_name(session: &mut Session, name: &str) -> Result<Option<Department>> {
        session.run(|c| {
            with_conn!(c, |c| departments::table
                .filter(departments::name.eq(name))
                .select(Department::as_select())
                .get_result(c)
                .optional())
        })
    }

    /// The department with this name, created if it does not exist yet — safely when another
    /// writer creates it at the same moment.
    ///
    /// ```
    /// use staffdb::{Database, Department};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let sales = Department::ensure(&mut s, "Sales")?;
    /// assert_eq!(Department::ensure(&mut s, "Sales")?, sales);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn ensure(session: &mut Session, name: &str) -> Result<Department> {
        if let Some(department) = Self::by_name(session, name)? {
            return Ok(department);
        }
        match session.savepoint(|s| s.add(&NewDepartment::new(name))) {
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

/// Words a person can act on for a duplicate department name.
fn name_taken(error: Error, name: &str) -> Error {
    match error {
        Error::UniqueViolation { source, .. } => Error::UniqueViolation {
            field: "name".to_owned(),
            detail: Some(format!("a department named `{name}` already exists")),
            source,
        },
        other => other,
    }
}
