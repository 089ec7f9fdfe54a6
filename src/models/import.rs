//! Importing employees: every record validated first, then all written in one transaction —
//! one bad record and nothing is written.
//!
//! The records are read twice and never held whole: the first pass validates every record and
//! gathers only the emails and department names; the second writes the records a batch at a
//! time (multi-row inserts, or upserts by email). Reading the file is the caller's part (the CLI
//! reads CSV and JSON): it hands over an [`ImportSource`] that can start again from the top.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Department, DepartmentId, Employee, EmployeeId, NewDepartment, NewEmployee};
use crate::{Database, Error, Session, Validate};

/// Records written per `upsert_by_email` call in the second pass.
const BATCH: usize = 5_000;

/// One record to import: an employee, the name of their department, and where the record is
/// in its source (a line or a record number, for messages).
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// The employee; `department_id` is ignored (the department is named instead).
    pub employee: NewEmployee,
    /// The department's name; created if it does not exist yet.
    pub department: Option<String>,
    /// Where the record is, as the source counts (see [`ImportSource::describe`]).
    pub place: u64,
}

/// The records of one pass over an [`ImportSource`].
pub type ImportRecords<'a, E> = Box<dyn Iterator<Item = Result<ImportRecord, E>> + 'a>;

/// Records that can be read from the start again: the import reads them twice.
pub trait ImportSource {
    /// Why a record could not be read (a malformed line, an unreadable file).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The records from the start; `pass` is 1 while validating and 2 while writing.
    fn records(&mut self, pass: u8) -> Result<ImportRecords<'_, Self::Error>, Self::Error>;

    /// A place as a person reads it: `line 3`, `record 3`.
    fn describe(&self, place: u64) -> String;
}

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions<'a> {
    /// Update the employee with the same email instead of refusing the import.
    pub upsert: bool,
    /// Set (by a Ctrl-C handler, say) to stop: the import then rolls back.
    pub cancel: Option<&'a AtomicBool>,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Records written as new employees.
    pub added: usize,
    /// Records that updated the employee with the same email (with `upsert`).
    pub updated: usize,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError<E: std::error::Error + 'static> {
    /// The source could not produce a record.
    #[error(transparent)]
    Source(E),
    /// A record was refused.
    #[error("{place}")]
    Invalid {
        /// Where the record is (`line 3`).
        place: String,
        /// Why: a validation error naming the field.
        #[source]
        error: Error,
    },
    /// Two records give the same email: the second one's place, and a validation error on
    /// `email` naming both.
    #[error("{place}")]
    DuplicateEmail {
        /// Where the second record is (`line 4`).
        place: String,
        /// Why: a validation error on `email` naming both places.
        #[source]
        error: Error,
    },
    /// A record's email belongs to an employee already (and `upsert` is off).
    #[error("{place}: email `{email}` already belongs to employee {id}; nothing was imported")]
    EmailTaken {
        /// Where the record is.
        place: String,
        /// The email.
        email: String,
        /// Whose it is.
        id: EmployeeId,
    },
    /// The source gave different records the second time it was read (the file changed).
    #[error("{0}: the input changed while it was being imported; nothing was imported")]
    Changed(String),
    /// The database failed or refused the write.
    #[error(transparent)]
    Database(#[from] Error),
    /// Stopped through [`ImportOptions::cancel`]; nothing was written.
    #[error("interrupted: nothing was imported")]
    Cancelled,
}

impl<E: std::error::Error + 'static> ImportError<E> {
    /// The database's error, if that is what this is.
    pub fn database(&self) -> Option<&Error> {
        match self {
            ImportError::Database(error) => Some(error),
            _ => None,
        }
    }
}

/// What the first pass learns: how many records, the place of each email, the departments.
struct Checked {
    records: u64,
    emails: HashMap<String, u64>,
    departments: BTreeSet<String>,
}

impl Employee {
    /// Imports every record of `source` in one transaction, or none.
    ///
    /// Every record is validated before anything is written, two records with one email are
    /// refused, and an email that already belongs to an employee is refused unless
    /// [`ImportOptions::upsert`], which updates that employee instead. Departments named by the
    /// records are created if they do not exist yet.
    pub fn import<S: ImportSource>(
        db: &Database,
        source: &mut S,
        options: ImportOptions<'_>,
    ) -> Result<Imported, ImportError<S::Error>> {
        let checked = check(source, &options)?;
        // A concurrent importer of the same new emails or departments makes this one's write
        // meet rows it did not see: the write (not the check) runs again, and finds them.
        db.transaction_with(
            |session| {
                let mut departments = HashMap::with_capacity(checked.departments.len());
                for name in &checked.departments {
                    departments.insert(name.clone(), Department::ensure(session, name)?.id);
                }
                if !options.upsert {
                    refuse_taken(session, source, &checked)?;
                }
                let imported = write(session, source, &departments, &checked, &options)?;
                cancelled(&options)?;
                session.after_bulk_write("employees", imported.added + imported.updated)?;
                Ok(imported)
            },
            ImportError::database,
        )
    }
}

fn cancelled<E: std::error::Error>(options: &ImportOptions<'_>) -> Result<(), ImportError<E>> {
    match options.cancel {
        Some(flag) if flag.load(Ordering::SeqCst) => Err(ImportError::Cancelled),
        _ => Ok(()),
    }
}

/// Why the first pass stopped at a record.
enum Refusal {
    Invalid(u64, Error),
    DuplicateEmail {
        email: String,
        first: u64,
        second: u64,
    },
}

/// The first pass: validates every record, refuses duplicate emails.
fn check<S: ImportSource>(
    source: &mut S,
    options: &ImportOptions<'_>,
) -> Result<Checked, ImportError<S::Error>> {
    let mut checked = Checked {
        records: 0,
        emails: HashMap::new(),
        departments: BTreeSet::new(),
    };
    let mut refusal = None;
    for record in source.records(1).map_err(ImportError::Source)? {
        cancelled(options)?;
        let mut record = record.map_err(ImportError::Source)?;
        if let Err(error) = validate_record(&mut record) {
            refusal = Some(Refusal::Invalid(record.place, error));
            break;
        }
        checked.records += 1;
        if let Some(email) = record.employee.email.take()
            && let Some(first) = checked.emails.insert(email.clone(), record.place)
        {
            refusal = Some(Refusal::DuplicateEmail {
                email,
                first,
                second: record.place,
            });
            break;
        }
        checked.departments.extend(record.department);
    }
    // Described once the records are no longer being read.
    match refusal {
        None => Ok(checked),
        Some(Refusal::Invalid(place, error)) => Err(ImportError::Invalid {
            place: source.describe(place),
            error,
        }),
        Some(Refusal::DuplicateEmail {
            email,
            first,
            second,
        }) => Err(ImportError::DuplicateEmail {
            place: source.describe(second),
            error: Error::validation(
                "email",
                format!(
                    "`{email}` appears twice, on {} and on {}",
                    source.describe(first),
                    source.describe(second)
                ),
            ),
        }),
    }
}

fn validate_record(record: &mut ImportRecord) -> crate::Result<()> {
    record.employee.validate()?;
    match &record.department {
        // The department's own rules, as `Department::ensure` would check them later.
        Some(name) => NewDepartment::new(name.as_str())
            .validate()
            .map_err(|e| e.field_named("name", "department name")),
        None => Ok(()),
    }
}

/// Refuses the import when a record's email belongs to an employee already: the first such
/// record in the source's order is named.
fn refuse_taken<S: ImportSource>(
    session: &mut Session,
    source: &S,
    checked: &Checked,
) -> Result<(), ImportError<S::Error>> {
    let existing = Employee::ids_by_email(session, checked.emails.keys())?;
    let first_taken = existing
        .into_iter()
        .filter_map(|(email, id)| checked.emails.get(&email).map(|&place| (place, email, id)))
        .min_by_key(|(place, _, _)| *place);
    match first_taken {
        Some((place, email, id)) => Err(ImportError::EmailTaken {
            place: source.describe(place),
            email,
            id,
        }),
        None => Ok(()),
    }
}

/// The second pass: the same records, into the session's transaction as they are read — one
/// `add_all` (on PostgreSQL one `COPY`, which parses the next records while the server writes),
/// or upserts a batch at a time.
fn write<S: ImportSource>(
    session: &mut Session,
    source: &mut S,
    departments: &HashMap<String, DepartmentId>,
    checked: &Checked,
    options: &ImportOptions<'_>,
) -> Result<Imported, ImportError<S::Error>> {
    let mut imported = Imported::default();
    let mut seen = 0u64;
    // Why the records stopped before their end, if they did.
    let mut stopped: Option<Stop<S::Error>> = None;
    {
        let records = source.records(2).map_err(ImportError::Source)?;
        let mut rows = records.map_while(|record| {
            let next = next_row(record, departments, checked, options, &mut seen);
            next.map_err(|stop| stopped = Some(stop)).ok()
        });
        if options.upsert {
            loop {
                let batch: Vec<NewEmployee> = rows.by_ref().take(BATCH).collect();
                if batch.is_empty() {
                    break;
                }
                let done = Employee::upsert_by_email(session, batch)?;
                imported.added += done.added;
                imported.updated += done.updated;
            }
        } else {
            // Rows written before a stop are rolled back with the transaction.
            imported.added += session.add_all(rows)?;
        }
    }
    match stopped {
        Some(Stop::Changed(place)) => Err(ImportError::Changed(source.describe(place))),
        Some(Stop::Error(error)) => Err(error),
        None if seen != checked.records => {
            Err(ImportError::Changed(format!("after {seen} records")))
        }
        None => Ok(imported),
    }
}

/// Why the second pass stopped early.
enum Stop<E: std::error::Error + 'static> {
    /// At this place, the input was not what the first pass read.
    Changed(u64),
    /// Reading failed, or the import was cancelled.
    Error(ImportError<E>),
}

/// The employee a record of the second pass writes, its department resolved. The first pass
/// checked these very records: one it did not see (a department it did not gather, a record
/// past its count) means the input changed in between.
fn next_row<E: std::error::Error + 'static>(
    record: Result<ImportRecord, E>,
    departments: &HashMap<String, DepartmentId>,
    checked: &Checked,
    options: &ImportOptions<'_>,
    seen: &mut u64,
) -> Result<NewEmployee, Stop<E>> {
    cancelled(options).map_err(Stop::Error)?;
    let mut record = record.map_err(|e| Stop::Error(ImportError::Source(e)))?;
    *seen += 1;
    if *seen > checked.records {
        return Err(Stop::Changed(record.place));
    }
    record.employee.department_id = match record.department.take() {
        None => None,
        Some(name) => Some(*departments.get(&name).ok_or(Stop::Changed(record.place))?),
    };
    Ok(record.employee)
}
