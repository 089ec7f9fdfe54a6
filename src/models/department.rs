//! The `departments` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::error::{Error, Result};
use crate::schema::departments;

/// A department, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = departments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
#[cfg_attr(feature = "postgres", diesel(check_for_backend(diesel::pg::Pg)))]
#[cfg_attr(feature = "mysql", diesel(check_for_backend(diesel::mysql::Mysql)))]
pub struct Department {
    /// Assigned by the database.
    pub id: i32,
    /// Unique.
    pub name: String,
    /// When it was created (UTC).
    #[serde(with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// A department to create.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = departments)]
pub struct NewDepartment<'a> {
    /// Unique, not blank, at most 200 characters.
    pub name: &'a str,
    /// Set by staffdb.
    pub created_at: NaiveDateTime,
}

impl Department {
    pub(crate) fn find(conn: &mut AnyConnection, id: i32) -> Result<Department> {
        with_conn!(conn, |c| departments::table
            .find(id)
            .select(Department::as_select())
            .first(c)
            .optional())?
        .ok_or(Error::NotFound {
            entity: "department",
            id: id.into(),
        })
    }

    /// The department named `name`. With `latest`, MySQL reads the newest committed row with a
    /// locking read rather than the transaction's snapshot, which may predate a concurrent insert.
    #[cfg_attr(not(feature = "mysql"), allow(unused_variables))]
    pub(crate) fn by_name(
        conn: &mut AnyConnection,
        name: &str,
        latest: bool,
    ) -> Result<Option<Department>> {
        // `as_select()` is typed by backend, so the query is built in each arm.
        macro_rules! query {
            () => {
                departments::table
                    .filter(departments::name.eq(name))
                    .select(Department::as_select())
            };
        }
        Ok(with_conn!(conn, |c| -> Sqlite | Postgres {
            query!().first(c).optional()
        } Mysql {
            if latest {
                query!().for_update().first(c).optional()
            } else {
                query!().first(c).optional()
            }
        })?)
    }

    pub(crate) fn all(conn: &mut AnyConnection) -> Result<Vec<Department>> {
        Ok(with_conn!(conn, |c| departments::table
            .order(departments::id)
            .select(Department::as_select())
            .load(c))?)
    }

    pub(crate) fn insert(conn: &mut AnyConnection, name: &str) -> Result<Department> {
        super::validate::text("department name", name)?;
        let new = NewDepartment {
            name,
            created_at: super::now(),
        };
        let inserted = with_conn!(conn, |c| -> Sqlite | Postgres {
            diesel::insert_into(departments::table)
                .values(&new)
                .returning(Department::as_returning())
                .get_result(c)
        } Mysql {
            diesel::insert_into(departments::table).values(&new).execute(c)
                .and_then(|_| super::last_insert_id(c))
                .and_then(|id| departments::table.find(id).select(Department::as_select()).first(c))
        });
        inserted.map_err(|e| name_taken(e.into(), name))
    }

    pub(crate) fn rename(conn: &mut AnyConnection, id: i32, name: &str) -> Result<Department> {
        super::validate::text("department name", name)?;
        let updated = with_conn!(conn, |c| diesel::update(departments::table.find(id))
            .set(departments::name.eq(name))
            .execute(c))
        .map_err(|e| name_taken(e.into(), name))?;
        if updated == 0 {
            return Err(Error::NotFound {
                entity: "department",
                id: id.into(),
            });
        }
        Self::find(conn, id)
    }

    pub(crate) fn delete(conn: &mut AnyConnection, id: i32) -> Result<()> {
        let deleted = with_conn!(conn, |c| diesel::delete(departments::table.find(id))
            .execute(c))?;
        if deleted == 0 {
            return Err(Error::NotFound {
                entity: "department",
                id: id.into(),
            });
        }
        Ok(())
    }
}

/// Words a person can act on for a duplicate department name.
fn name_taken(error: Error, name: &str) -> Error {
    match error {
        Error::UniqueViolation { .. } => Error::UniqueViolation {
            field: "department name",
            detail: format!("`{name}` is taken"),
        },
        other => other,
    }
}
