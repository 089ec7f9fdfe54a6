//! `staffdb update ID`: changes some fields of an employee and prints the stored row.

use clap::{Args, ValueEnum};
use staffdb::EmployeeChanges;

use super::args::{Fields, Format, id};
use super::output::{Printer, with_department};
use super::{Context, Failure};

/// Options of `staffdb update`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The employee's id.
    #[arg(value_parser = id())]
    id: i32,
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

/// Applies the changes (creating a department if needed) and prints the row.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
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
            return Err(Failure::Invalid(format!(
                "{flag} and --clear {} contradict each other",
                field
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned())
                    .unwrap_or_default()
            ))
            .into());
        }
    }
    let mut changes = EmployeeChanges {
        name: opts.name,
        age: opts.age,
        position: opts.position,
        email: fields.email.clone().map(Some),
        department_id: None,
        hired_on: fields.hired_on.map(Some),
    };
    if clear(Clearable::Email) {
        changes.email = Some(None);
    }
    if clear(Clearable::Department) {
        changes.department_id = Some(None);
    }
    if clear(Clearable::HiredOn) {
        changes.hired_on = Some(None);
    }
    let department = fields.department.as_deref();
    if changes.is_empty() && department.is_none() {
        return Err(Failure::Invalid(
            "nothing to change: give at least one of --name, --age, --position, --email, \
             --department, --hired-on or --clear"
                .into(),
        )
        .into());
    }
    // Refuse bad values before the database is even opened.
    let mut probe = changes.clone();
    if let Some(name) = department {
        staffdb::upsert::validate_department_name(name)?;
        probe.department_id = Some(None);
    }
    probe.validate()?;
    let db = context.open()?;
    let row = db.transaction(|s| {
        let mut changes = changes.clone();
        if let Some(name) = department {
            changes.department_id = Some(Some(s.ensure_department(name)?.id));
        }
        let employee = match opts.if_version {
            Some(version) => s.update_if_version(opts.id, version, &changes)?,
            None => s.update(opts.id, &changes)?,
        };
        with_department(s, employee)
    })?;
    let mut printer = Printer::single(opts.format, super::stdout())?;
    printer.row(&row)?;
    printer.finish()?;
    Ok(())
}
