//! A `many_to_many` without its join table: every part of it is required.

use staffdb::diesel;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
        hours -> Integer,
        note -> Nullable<Text>,
        estimate -> Nullable<Integer>,
        version -> Integer,
    }
}

staffdb::id! { pub TaskId => Task }

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks, many_to_many(helpers = Task, from = task_id, to = helper_id))]
pub struct Task {
    pub id: TaskId,
    pub title: String,
}

fn main() {}
