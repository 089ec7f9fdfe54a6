//! Two `version` fields.

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
    #[staffdb(version)]
    pub hours: i32,
    #[staffdb(version)]
    pub version: i32,
}

fn main() {}
