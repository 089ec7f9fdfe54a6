//! `references = Model` on a type that is not a model.

use staffdb::diesel;
use staffdb::EmployeeId;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
        owner_id -> Nullable<BigInt>,
    }
}

staffdb::id! { pub TaskId => Task }

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    #[staffdb(references = String)]
    pub owner_id: Option<EmployeeId>,
}

fn main() {}
