//! A `String` field on an `Integer` column.

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
#[staffdb(table = tasks)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub hours: String,
}

fn main() {}
