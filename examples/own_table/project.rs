//! The example's `projects` table, all of its code but the migrations, which `own_table.rs`
//! embeds (as do the integration tests, which include this file too).

use super::members::project_members;
use chrono::NaiveDateTime;
use staffdb::diesel;
use staffdb::schema::employees;
use staffdb::{Employee, EmployeeId};

diesel::table! {
    /// What `diesel print-schema` prints for the migrations (the same on all three backends).
    projects (id) {
        id -> BigInt,
        name -> Text,
        lead_id -> Nullable<BigInt>,
        budget -> Integer,
        created_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// The history the database keeps of every project (migration 2026-12-07-180000): each
    /// version of each row, with what was done, when and by whom.
    projects_history (history_id) {
        history_id -> BigInt,
        id -> BigInt,
        name -> Text,
        lead_id -> Nullable<BigInt>,
        budget -> Integer,
        created_at -> Timestamp,
        version -> Integer,
        history_operation -> Text,
        history_at -> Timestamp,
        history_user -> Nullable<Text>,
        history_database_user -> Nullable<Text>,
    }
}

// `inner_join(employees::table)` follows `lead_id`; `allow_tables_to_appear_in_same_query!`
// would write impls the orphan rule forbids here (diesel#4858), so the two a join needs:
diesel::joinable!(projects -> employees (lead_id));
impl diesel::query_source::TableNotEqual<employees::table> for projects::table {}
impl diesel::query_source::TableNotEqual<projects::table> for employees::table {}

staffdb::id! {
    /// A project's id: an `EmployeeId` can't be passed where it goes.
    pub ProjectId => Project
}

/// A project, as stored; the derive writes `NewProject`, `ProjectChanges`, their validation,
/// `impl Model`, `impl Versioned`, the description the admin reads, its relations, and the
/// reading of its history (`Session::history`, the admin's History page, `projects history ID`).
#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = projects, history = projects_history)]
#[staffdb(many_to_many(members = Employee, through = project_members, from = project_id, to = employee_id))]
pub struct Project {
    pub id: ProjectId,
    #[staffdb(unique, max_chars = 200, search, sort)]
    pub name: String,
    #[staffdb(references = Employee, filter)]
    pub lead_id: Option<EmployeeId>,
    #[staffdb(min = 0, default, sort, filter)]
    pub budget: i32,
    #[staffdb(generated)]
    pub created_at: NaiveDateTime,
    #[staffdb(version)]
    pub version: i32,
}
