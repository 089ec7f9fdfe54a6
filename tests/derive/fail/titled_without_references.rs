//! `titled` on a field that is no reference: a title names a row of the model it references.

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
    #[staffdb(titled)]
    pub title: String,
}

fn main() {}
