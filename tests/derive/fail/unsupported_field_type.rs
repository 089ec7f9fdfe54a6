//! A field whose type fits its column but is not one staffdb can show, parse and check.

use staffdb::diesel;

diesel::table! {
    files (id) {
        id -> BigInt,
        name -> Text,
        content -> Binary,
    }
}

staffdb::id! { pub FileId => File }

#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = files)]
pub struct File {
    pub id: FileId,
    pub name: String,
    pub content: Vec<u8>,
}

fn main() {}
