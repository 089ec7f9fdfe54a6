//! Bulk writes keyed by email: find existing employees by email in batches, and add-or-update
//! many records at once (what `staffdb import --upsert` needs).

use std::collections::HashMap;

use diesel::prelude::*;

use super::employee::EmployeeRow;
use super::{Employee, EmployeeId, NewEmployee};
use crate::backend::stamp::{Stamp, now};
use crate::backend::{self, AnyConnection, CaseFolded, excluded, with_conn};
use crate::schema::employees;
use crate::{Error, Result, Session, Validate};

/// Emails looked up per `SELECT … WHERE email IN (…)`: far below every backend's bind limit.
const EMAILS_PER_QUERY: usize = 1_000;

/// What an upsert did ([`Employee::upsert_by_email`], [`upsert_rows`](crate::upsert_rows)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Records written as new rows.
    pub added: usize,
    /// Records that updated the row with the same key.
    pub updated: usize,
}

impl std::ops::Add for Upserted {
    type Output = Upserted;

    /// Both counts, summed: what two batches of one upsert did.
    fn add(self, other: Upserted) -> Upserted {
        Upserted {
            added: self.added + other.added,
            updated: self.updated + other.updated,
        }
    }
}

impl Employee {
    /// The ids of the employees with these emails, keyed by the (lowercased) email; emails that
    /// belong to nobody are absent. Looked up a thousand at a time, not one query per email.
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
    /// let found = Employee::ids_by_email(&mut s, ["ALICE@example.com", "nobody@example.com"])?;
    /// assert_eq!(found.get("alice@example.com"), Some(&alice.id));
    /// assert_eq!(found.len(), 1);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn ids_by_email<I, S>(
        session: &mut Session,
        emails: I,
    ) -> Result<HashMap<String, EmployeeId>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut emails: Vec<String> = emails
            .into_iter()
            .map(|e| e.as_ref().to_lowercase())
            .collect();
        emails.sort_unstable();
        emails.dedup();
        let mut found = HashMap::with_capacity(emails.len());
        for chunk in emails.chunks(EMAILS_PER_QUERY) {
            // Matched as the unique key matches: regardless of case, so a row another client
            // stored as `Sam@Example.COM` is found for `sam@example.com`.
            let rows: Vec<(Option<String>, EmployeeId)> = session.run(|c| {
                with_conn!(c, |c| employees::table
                    .filter(CaseFolded(employees::email).eq_any(chunk))
                    .select((employees::email, employees::id))
                    .load(c))
            })?;
            found.extend(
                rows.into_iter()
                    .filter_map(|(e, id)| e.map(|e| (e.to_lowercase(), id))),
            );
        }
        Ok(found)
    }

    /// Adds each record, or — when an employee with the record's email exists — updates that
    /// employee to the record's values (every field, so a missing optional field becomes NULL;
    /// the version is bumped as by any update).
    ///
    /// All or nothing: every record is validated first, two records with the same email are
    /// refused as [`Error::Validation`] naming both (1-based) records, and the whole call runs in
    /// a savepoint. Nothing is one statement per row: existing emails are found a thousand at a
    /// time, new rows go through [`Session::add_all`]'s multi-row inserts, and the updates are
    /// multi-row upserts (`ON CONFLICT (email) DO UPDATE`, `ON DUPLICATE KEY UPDATE` on MySQL).
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
    /// let done = Employee::upsert_by_email(&mut s, [
    ///     NewEmployee::new("Alice", 26, "Director").email("alice@example.com"),
    ///     NewEmployee::new("Bob", 22, "Developer"),
    /// ])?;
    /// assert_eq!((done.added, done.updated), (1, 1));
    /// assert_eq!(s.get_one(alice.id)?.age, 26);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn upsert_by_email<I>(session: &mut Session, records: I) -> Result<Upserted>
    where
        I: IntoIterator<Item = NewEmployee>,
    {
        let mut records: Vec<NewEmployee> = records.into_iter().collect();
        let mut first_with_email: HashMap<String, usize> = HashMap::new();
        for (index, record) in records.iter_mut().enumerate() {
            record
                .validate()
                .map_err(|error| error.at_record(index + 1))?;
            if let Some(email) = &record.email
                && let Some(first) = first_with_email.insert(email.clone(), index)
            {
                return Err(duplicate_email(email, first + 1, index + 1));
            }
        }
        session.savepoint(|s| {
            let existing = Employee::ids_by_email(s, first_with_email.keys())?;
            let (updates, new): (Vec<NewEmployee>, Vec<NewEmployee>) =
                records.into_iter().partition(|record| {
                    record
                        .email
                        .as_ref()
                        .is_some_and(|email| existing.contains_key(email))
                });
            // New rows first: the updates' attempted inserts use up ids (on every backend), and
            // this way those gaps come after the new rows rather than before them.
            // An email that was nobody's when looked up, and is somebody's now, was added by a
            // concurrent writer since: the transaction must run again to update it instead.
            let added = s.add_all(new).map_err(|error| match error {
                Error::UniqueViolation { field, .. } if field == "email" => {
                    Error::Contention("an email was added by a concurrent transaction".to_owned())
                }
                other => other,
            })?;
            let updated = updates.len();
            let chunk_size = backend::rows_per_statement(s.backend(), EmployeeRow::COLUMNS);
            // One timestamp for the batch, formatted once, as `add_all` does.
            let now = Stamp::new(now());
            let mut updates = updates.into_iter().peekable();
            while updates.peek().is_some() {
                let rows: Vec<EmployeeRow> = updates
                    .by_ref()
                    .take(chunk_size)
                    .map(|e| EmployeeRow::new(e, now))
                    .collect();
                s.run(|c| update_chunk(c, &rows))?;
            }
            Ok(Upserted { added, updated })
        })
    }
}

/// The error for an email that two records of one batch carry.
fn duplicate_email(email: &str, first: usize, second: usize) -> Error {
    Error::Validation {
        field: "email",
        reason: format!("`{email}` appears in records {first} and {second}"),
        record: Some(second),
    }
}

/// Updates the employees with these rows' emails to the rows' values in one statement, keeping
/// each row's id and `created_at`, bumping its version and setting `updated_at`.
fn update_chunk(conn: &mut AnyConnection, rows: &[EmployeeRow]) -> QueryResult<usize> {
    use crate::schema::employees::dsl::*;
    let set = (
        name.eq(excluded(name)),
        age.eq(excluded(age)),
        position.eq(excluded(position)),
        department_id.eq(excluded(department_id)),
        hired_on.eq(excluded(hired_on)),
        version.eq(version + 1),
        updated_at.eq(excluded(updated_at)),
    );
    backend::upsert!(conn, employees, rows, on_folded: "email", set: set)
}

#[cfg(test)]
mod tests {
    use crate::{Database, Employee, EmployeeFilter, Error, NewEmployee};

    /// Updated rows keep id and created_at and get version + 1; new rows are added after.
    #[test]
    fn upsert_updates_in_place_and_adds_the_rest() -> Result<(), Error> {
        let db = Database::open(":memory:")?;
        let mut s = db.session()?;
        let alice = s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
        let bob = s.add(&NewEmployee::new("Bob", 22, "Developer").email("bob@example.com"))?;
        let done = Employee::upsert_by_email(
            &mut s,
            [
                NewEmployee::new("Carol", 41, "Developer").email("carol@example.com"),
                NewEmployee::new("Alice B.", 26, "Director").email("ALICE@example.com"),
            ],
        )?;
        assert_eq!((done.added, done.updated), (1, 1));
        let updated = s.get_one(alice.id)?;
        assert_eq!((updated.name.as_str(), updated.age), ("Alice B.", 26));
        assert_eq!(updated.version, 2);
        assert_eq!(updated.created_at, alice.created_at);
        assert_eq!(s.get_one(bob.id)?, bob);
        assert_eq!(
            Employee::ids_by_email(&mut s, ["carol@example.com"])?.len(),
            1
        );
        Ok(())
    }

    /// Two records with one email are refused by name, and nothing of the batch is written.
    #[test]
    fn upsert_refuses_duplicates_and_writes_nothing() -> Result<(), Error> {
        let db = Database::open(":memory:")?;
        let mut s = db.session()?;
        let refused = Employee::upsert_by_email(
            &mut s,
            [
                NewEmployee::new("A", 1, "P").email("x@example.com"),
                NewEmployee::new("B", 2, "P"),
                NewEmployee::new("C", 3, "P").email("X@example.com"),
            ],
        );
        match refused {
            Err(Error::Validation {
                field,
                reason,
                record,
            }) => {
                assert_eq!((field, record), ("email", Some(3)));
                assert!(reason.contains("records 1 and 3"), "{reason}");
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        let invalid = Employee::upsert_by_email(
            &mut s,
            [
                NewEmployee::new("A", 1, "P"),
                NewEmployee::new("B", 200, "P"),
            ],
        );
        assert!(matches!(
            invalid,
            Err(Error::Validation {
                field: "age",
                record: Some(2),
                ..
            })
        ));
        assert_eq!(Employee::count(&mut s, &EmployeeFilter::new())?, 0);
        Ok(())
    }
}
