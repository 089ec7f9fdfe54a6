//! A history table that lacks one of the model's columns: the derive reads every column of the
//! model from it, so the declaration does not compile.

use staffdb::diesel;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
        hours -> Integer,
    }
}

diesel::table! {
    tasks_history (history_id) {
        history_id -> BigInt,
        id -> BigInt,
        title -> Text,
        history_operation -> Text,
        history_at -> Timestamp,
        history_user -> Nullable<Text>,
        history_database_user -> Nullable<Text>,
    }
}

staffdb::id! { pub TaskId => Task }

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks, history = tasks_history)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub hours: i32,
}

fn main() {}
