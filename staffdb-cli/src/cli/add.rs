//! `staffdb add`: adds one employee and prints the stored row.

use clap::Args;
use staffdb::{Employee, NewEmployee};

use super::Context;
use super::values::{Fields, Format};

/// Options of `staffdb add`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Full name.
    #[arg(long, value_name = "N")]
    name: String,
    /// Age in years, 0..=150.
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    age: i32,
    /// Job title.
    #[arg(long, value_name = "P")]
    position: String,
    #[command(flatten)]
    fields: Fields,
    /// How to print the stored row.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Adds the employee (the library validates it first and creates the department if needed)
/// and prints the stored row.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let new = NewEmployee {
        email: opts.fields.email,
        hired_on: opts.fields.hired_on,
        ..NewEmployee::new(opts.name, opts.age, opts.position)
    };
    let department = opts.fields.department.as_deref();
    let db = context.open()?;
    // Printed before the commit: if stdout fails, nothing is written (see `print_before_commit`).
    db.transaction(|s| {
        let row = Employee::add_to_department(s, &new, department)?;
        super::output::print_before_commit(opts.format, &row)
    })?;
    Ok(())
}
