//! Who works on which project: the join table of `Project::members()` (a second table beside
//! `projects`, included beside `project.rs` by `own_table.rs` and the integration tests).

use staffdb::diesel;
use staffdb::schema::employees;

diesel::table! {
    /// What `diesel print-schema` prints for the migration (the same on all three backends).
    project_members (project_id, employee_id) {
        project_id -> BigInt,
        employee_id -> BigInt,
    }
}

// `members()` joins `project_members` to `employees` (the impls the orphan rule lets this crate
// write, as for `projects`).
diesel::joinable!(project_members -> employees (employee_id));
impl diesel::query_source::TableNotEqual<employees::table> for project_members::table {}
impl diesel::query_source::TableNotEqual<project_members::table> for employees::table {}
