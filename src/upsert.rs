//! Bulk writes keyed by email: find existing employees by email in batches, and add-or-update
//! many records at once (what `staffdb import --upsert` needs).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::error::{Error, Result};
use crate::models::NewEmployee;
use crate::models::employee::{EmployeeInsert, rows_per_statement};
use crate::schema::employees;
use crate::session::Session;

/// Emails looked up per `SELECT … WHERE email IN (…)`: far below every backend's bind limit.
const EMAILS_PER_QUERY: usize = 1_000;

/// What [`Session::upsert_by_email`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Records written as new employees.
    pub added: usize,
    /// Records that updated the employee with the same email.
    pub updated: usize,
}

/// Checks a department name by the same rules the database write applies (not blank, at most
/// [`crate::MAX_TEXT_CHARS`] characters, no control characters), so that a batch can be checked
/// before anything is written.
///
/// ```
/// assert!(staffdb::upsert::validate_department_name("R&D").is_ok());
/// assert!(staffdb::upsert::validate_department_name("  ").is_err());
/// ```
pub fn validate_department_name(name: &str) -> Result<()> {
    crate::models::validate::text("department name", name)
}

impl Session {
    /// The ids of the employees with these emails, keyed by the (lowercased) email; emails that
    /// belong to nobody are absent. Looked up a thousand at a time, not one query per email.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let alice = s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
    /// let found = s.employee_ids_by_email(["ALICE@example.com", "nobody@example.com"])?;
    /// assert_eq!(found.get("alice@example.com"), Some(&alice.id));
    /// assert_eq!(found.len(), 1);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn employee_ids_by_email<I, S>(&mut self, emails: I) -> Result<HashMap<String, i32>>
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
        self.savepoint(|s| {
            let mut found = HashMap::with_capacity(emails.len());
            for chunk in emails.chunks(EMAILS_PER_QUERY) {
                let rows: Vec<(Option<String>, i32)> = with_conn!(s.conn(), |c| employees::table
                    .filter(employees::email.eq_any(chunk))
                    .select((employees::email, employees::id))
                    .load(c))?;
                found.extend(rows.into_iter().filter_map(|(e, id)| e.map(|e| (e, id))));
            }
            Ok(found)
        })
    }

    /// Adds each record, or — when an employee with the record's email exists — updates that
    /// employee to the record's values (every field, so a missing optional field becomes NULL;
    /// the version is bumped as by any update).
    ///
    /// All or nothing: every record is validated first, two records with the same email are
    /// refused as [`Error::Validation`] naming both (1-based) records, and the whole call runs in
    /// a savepoint. Nothing is one statement per row: existing emails are found a thousand at a
    /// time, new rows go through [`Session::add_all`]'s multi-row inserts, and the updates are
    /// multi-row `INSERT … ON CONFLICT (email) DO UPDATE` statements (`ON DUPLICATE KEY UPDATE`
    /// on MySQL), sized like [`Session::add_all`]'s.
    ///
    /// ```
    /// use staffdb::{Database, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
    /// let done = s.upsert_by_email([
    ///     NewEmployee::new("Alice", 26, "Director").email("alice@example.com"),
    ///     NewEmployee::new("Bob", 22, "Developer"),
    /// ])?;
    /// assert_eq!((done.added, done.updated), (1, 1));
    /// assert_eq!(s.get(1)?.age, 26);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn upsert_by_email<I>(&mut self, employees: I) -> Result<Upserted>
    where
        I: IntoIterator<Item = NewEmployee>,
    {
        let mut records: Vec<NewEmployee> = employees.into_iter().collect();
        let mut first_with_email: HashMap<String, usize> = HashMap::new();
        for (index, record) in records.iter_mut().enumerate() {
            record
                .validate()
                .map_err(|error| error.at_record(index + 1))?;
            if let Some(email) = &record.email
                && let Some(first) = first_with_email.insert(email.clone(), index)
            {
                return Err(Error::validation(
                    "email",
                    format!(
                        "`{email}` appears in records {} and {}",
                        first + 1,
                        index + 1
                    ),
                ));
            }
        }
        self.savepoint(|s| {
            let existing = s.employee_ids_by_email(first_with_email.keys())?;
            let (updates, new): (Vec<NewEmployee>, Vec<NewEmployee>) =
                records.into_iter().partition(|record| {
                    record
                        .email
                        .as_ref()
                        .is_some_and(|email| existing.contains_key(email))
                });
            // New rows first: the updates' attempted inserts use up ids (on every backend), and
            // this way those gaps come after the new rows rather than before them.
            let added = s.add_all(new)?;
            let chunk_size = rows_per_statement(s.backend());
            // One timestamp for the batch, formatted once, as `add_all` does.
            let now = crate::models::stamp::Stamp::new(crate::models::now());
            for chunk in updates.chunks(chunk_size) {
                let rows: Vec<EmployeeInsert<'_>> =
                    chunk.iter().map(|e| EmployeeInsert::new(e, now)).collect();
                update_chunk(s.conn(), &rows)?;
            }
            Ok(Upserted {
                added,
                updated: updates.len(),
            })
        })
    }
}

/// Updates the employees with these rows' emails to the rows' values in one statement:
/// `INSERT … ON CONFLICT (email) DO UPDATE` (`ON DUPLICATE KEY UPDATE` on MySQL), keeping each
/// row's id and `created_at`, bumping its version and setting `updated_at`.
fn update_chunk(conn: &mut AnyConnection, rows: &[EmployeeInsert<'_>]) -> Result<()> {
    use crate::schema::employees::dsl::*;
    use diesel::upsert::excluded;
    macro_rules! pg_like {
        ($c:expr) => {
            diesel::insert_into(employees)
                .values(rows)
                .on_conflict(email)
                .do_update()
                .set((
                    name.eq(excluded(name)),
                    age.eq(excluded(age)),
                    position.eq(excluded(position)),
                    department_id.eq(excluded(department_id)),
                    hired_on.eq(excluded(hired_on)),
                    version.eq(version + 1),
                    updated_at.eq(excluded(updated_at)),
                ))
                .execute($c)
        };
    }
    with_conn!(conn, |c| -> Sqlite { pg_like!(c) } Postgres { pg_like!(c) } Mysql {
        // MySQL has no `excluded`: `VALUES(column)` names the value the row tried to insert.
        use diesel::dsl::sql;
        use diesel::sql_types::{Date, Integer, Nullable, Text, Timestamp};
        diesel::insert_into(employees)
            .values(rows)
            .on_conflict(diesel::dsl::DuplicatedKeys)
            .do_update()
            .set((
                name.eq(sql::<Text>("VALUES(`name`)")),
                age.eq(sql::<Integer>("VALUES(`age`)")),
                position.eq(sql::<Text>("VALUES(`position`)")),
                department_id.eq(sql::<Nullable<Integer>>("VALUES(`department_id`)")),
                hired_on.eq(sql::<Nullable<Date>>("VALUES(`hired_on`)")),
                version.eq(version + 1),
                updated_at.eq(sql::<Timestamp>("VALUES(`updated_at`)")),
            ))
            .execute(c)
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Database, Error, NewEmployee};

    /// Updated rows keep id and created_at and get version + 1; new rows are added after.
    #[test]
    fn upsert_updates_in_place_and_adds_the_rest() -> Result<(), Error> {
        let db = Database::open(":memory:")?;
        let mut s = db.session()?;
        let alice = s.add(&NewEmployee::new("Alice", 25, "Manager").email("alice@example.com"))?;
        let bob = s.add(&NewEmployee::new("Bob", 22, "Developer").email("bob@example.com"))?;
        let done = s.upsert_by_email([
            NewEmployee::new("Carol", 41, "Developer").email("carol@example.com"),
            NewEmployee::new("Alice B.", 26, "Director").email("ALICE@example.com"),
        ])?;
        assert_eq!((done.added, done.updated), (1, 1));
        let updated = s.get(alice.id)?;
        assert_eq!((updated.name.as_str(), updated.age), ("Alice B.", 26));
        assert_eq!(updated.version, 2);
        assert_eq!(updated.created_at, alice.created_at);
        assert_eq!(s.get(bob.id)?, bob);
        assert_eq!(s.employee_ids_by_email(["carol@example.com"])?.len(), 1);
        Ok(())
    }

    /// Two records with one email are refused by name, and nothing of the batch is written.
    #[test]
    fn upsert_refuses_duplicates_and_writes_nothing() -> Result<(), Error> {
        let db = Database::open(":memory:")?;
        let mut s = db.session()?;
        let refused = s.upsert_by_email([
            NewEmployee::new("A", 1, "P").email("x@example.com"),
            NewEmployee::new("B", 2, "P"),
            NewEmployee::new("C", 3, "P").email("X@example.com"),
        ]);
        match refused {
            Err(Error::Validation { field, reason }) => {
                assert_eq!(field, "email");
                assert!(reason.contains("records 1 and 3"), "{reason}");
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        let invalid = s.upsert_by_email([
            NewEmployee::new("A", 1, "P"),
            NewEmployee::new("B", 200, "P"),
        ]);
        assert!(matches!(
            invalid,
            Err(Error::Validation { field: "age", .. })
        ));
        assert_eq!(s.count(&crate::EmployeeFilter::new())?, 0);
        Ok(())
    }
}
