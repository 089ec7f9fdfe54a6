//! A `created` field that is not a `NaiveDateTime`.

use staffdb::diesel;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
        hours -> Integer,
    }
}

staffdb::id! { pub TaskId => Task }

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    #[staffdb(created)]
    pub hours: i32,
}

fn main() {}
