//! Every model and field option, on two models, one referencing the other.

use chrono::{NaiveDate, NaiveDateTime};
use staffdb::diesel;

diesel::table! {
    people (person_id) {
        person_id -> BigInt,
        email -> Text,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        title -> Text,
        note -> Nullable<Text>,
        owner_email -> Nullable<Text>,
        hours -> Integer,
        estimate -> Nullable<BigInt>,
        done -> Bool,
        due -> Nullable<Date>,
        person_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    notes (id) {
        id -> BigInt,
        body -> Text,
        written_at -> Timestamp,
        changed_at -> Timestamp,
        version -> Integer,
    }
}

staffdb::id! { pub PersonId => Person }
staffdb::id! { pub NoteId => Note }

/// Times staffdb writes, and text with line breaks.
#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = notes)]
pub struct Note {
    pub id: NoteId,
    #[staffdb(multiline, search)]
    pub body: String,
    #[staffdb(created, sort)]
    pub written_at: NaiveDateTime,
    #[staffdb(updated)]
    pub changed_at: NaiveDateTime,
    #[staffdb(version)]
    pub version: i32,
}
staffdb::id! { pub TaskId => Task }

/// A key that is not called `id`.
#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = people, name = "person")]
pub struct Person {
    #[staffdb(primary_key)]
    pub person_id: PersonId,
    #[staffdb(email, unique)]
    pub email: String,
}

/// Every field option.
#[derive(Debug, Clone, PartialEq, staffdb::Model)]
#[staffdb(table = tasks)]
pub struct Task {
    pub id: TaskId,
    /// Text with a limit that is a constant expression.
    #[staffdb(unique, search, sort, max_chars = 2 * 100, label = "Task")]
    pub title: String,
    #[staffdb(blank, search)]
    pub note: Option<String>,
    #[staffdb(email, filter)]
    pub owner_email: Option<String>,
    #[staffdb(min = 0, max = 1_000, default, sort)]
    pub hours: i32,
    #[staffdb(min = 1)]
    pub estimate: Option<i64>,
    #[staffdb(default, filter)]
    pub done: bool,
    #[staffdb(sort)]
    pub due: Option<NaiveDate>,
    #[staffdb(references = Person, filter, label = "Owner")]
    pub person_id: Option<PersonId>,
    #[staffdb(generated)]
    pub created_at: NaiveDateTime,
    #[staffdb(version)]
    pub version: i32,
}

fn main() {
    let task = NewTask::new("Write the tests").hours(3).person_id(PersonId(1));
    assert_eq!(task.hours, 3);
    let _ = NewPerson::new("ada@example.com");
    let _ = TaskChanges::default();
    // The times are staffdb's: the insert form has the text alone.
    let note = NewNote::new("two\nlines");
    assert_eq!(note.body, "two\nlines");
}
