//! `staffdb update ID`: changes some fields of an employee and prints the stored row.

use clap::{Args, ValueEnum};
use staffdb::{Employee, EmployeeChanges, EmployeeId};

use super::output::print_before_commit;
use super::values::{Fields, Format, id};
use super::{Context, Failure};

/// Options of `staffdb update`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The employee's id.
    #[arg(value_parser = id())]
    id: i64,
    /// A new name.
    #[arg(long, value_name = "N")]
    name: Option<String>,
    /// A new age, 0..=150.
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    age: Option<i32>,
    /// A new position.
    #[arg(long, value_name = "P")]
    position: Option<String>,
    #[command(flatten)]
    fields: Fields,
    /// Set a field to nothing (repeatable).
    #[arg(long, value_enum, value_name = "FIELD")]
    clear: Vec<Clearable>,
    /// Change the row only if it still has this version (see `show --format json`).
    #[arg(long, value_name = "V", value_parser = clap::value_parser!(i32).range(1..))]
    if_version: Option<i32>,
    /// How to print the stored row.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// The optional fields `--clear` empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Clearable {
    Email,
    Department,
    HiredOn,
}

/// Applies the changes (the library validates them and creates a department if needed) and
/// prints the row.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let changes = changes(&opts)?;
    let department = opts.fields.department.as_deref();
    if changes.is_empty() && department.is_none() {
        return Err(Failure::Invalid(
            "nothing to change: give at least one of --name, --age, --position, --email, \
             --department, --hired-on or --clear"
                .into(),
        )
        .into());
    }
    let db = context.open()?;
    let id = EmployeeId(opts.id);
    // Printed before the commit: if stdout fails, nothing is written (see `print_before_commit`).
    db.transaction(|s| {
        let row = Employee::update_with_department(s, id, &changes, department, opts.if_version)?;
        print_before_commit(opts.format, &row)
    })?;
    Ok(())
}

/// The changes the flags ask for, refusing a field that is both set and cleared.
fn changes(opts: &Opts) -> anyhow::Result<EmployeeChanges> {
    let fields = &opts.fields;
    let clear = |field| opts.clear.contains(&field);
    for (field, set, flag) in [
        (Clearable::Email, fields.email.is_some(), "--email"),
        (
            Clearable::Department,
            fields.department.is_some(),
            "--department",
        ),
        (Clearable::HiredOn, fields.hired_on.is_some(), "--hired-on"),
    ] {
        if set && clear(field) {
            let name = field
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            return Err(Failure::Invalid(format!(
                "{flag} and --clear {name} contradict each other"
            ))
            .into());
        }
    }
    Ok(EmployeeChanges {
        name: opts.name.clone(),
        age: opts.age,
        position: opts.position.clone(),
        email: if clear(Clearable::Email) {
            Some(None)
        } else {
            fields.email.clone().map(Some)
        },
        department_id: clear(Clearable::Department).then_some(None),
        hired_on: if clear(Clearable::HiredOn) {
            Some(None)
        } else {
            fields.hired_on.map(Some)
        },
    })
}
