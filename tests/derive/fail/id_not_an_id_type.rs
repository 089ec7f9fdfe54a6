//! An `id` field that is a plain `i64`, not an id made by `staffdb::id!`.

use staffdb::diesel;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks)]
pub struct Task {
    pub id: i64,
    pub title: String,
}

fn main() {}
