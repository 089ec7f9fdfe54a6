//! Bulk writes keyed by email: find existing employees by email in batches, and add-or-update
//! many records at once (what `staffdb import --upsert` needs).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::error::{Error, Result};
use crate::models::{EmployeeChanges, NewEmployee};
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
    /// a savepoint. Existing emails are found in batches, new rows go through
    /// [`Session::add_all`]'s multi-row inserts; only the updates are one statement per row.
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
            record.validate().map_err(|error| match error {
                Error::Validation { field, reason } => Error::Validation {
                    field,
                    reason: format!("{reason} (record {})", index + 1),
                },
                other => other,
            })?;
            if let Some(email) = &record.email {
                if let Some(first) = first_with_email.insert(email.clone(), index) {
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
        }
        self.savepoint(|s| {
            let existing = s.employee_ids_by_email(first_with_email.keys())?;
            let mut updated = 0;
            let mut new = Vec::with_capacity(records.len());
            for record in records {
                let id = record.email.as_ref().and_then(|e| existing.get(e)).copied();
                match id {
                    Some(id) => {
                        s.update(id, &replace_with(record))?;
                        updated += 1;
                    }
                    None => new.push(record),
                }
            }
            let added = s.add_all(new)?;
            Ok(Upserted { added, updated })
        })
    }
}

/// Changes that give an existing employee every field of `record`.
fn replace_with(record: NewEmployee) -> EmployeeChanges {
    EmployeeChanges {
        name: Some(record.name),
        age: Some(record.age),
        position: Some(record.position),
        email: Some(record.email),
        department_id: Some(record.department_id),
        hired_on: Some(record.hired_on),
    }
}
