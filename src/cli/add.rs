//! `staffdb add`: adds one employee and prints the stored row.

use clap::Args;
use staffdb::NewEmployee;

use super::Context;
use super::args::{Fields, Format};
use super::output::{Printer, with_department};

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

/// Validates, adds (creating the department if needed) and prints the row.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let mut new = NewEmployee::new(opts.name, opts.age, opts.position);
    new.email = opts.fields.email;
    new.hired_on = opts.fields.hired_on;
    // Refuse bad input before the database is even opened.
    new.validate()?;
    if let Some(name) = &opts.fields.department {
        staffdb::upsert::validate_department_name(name)?;
    }
    let db = context.open()?;
    let department = opts.fields.department.as_deref();
    let row = db.transaction(|s| {
        let mut new = new.clone();
        if let Some(name) = department {
            new.department_id = Some(s.ensure_department(name)?.id);
        }
        let employee = s.add(&new)?;
        with_department(s, employee)
    })?;
    let mut printer = Printer::single(opts.format, super::stdout())?;
    printer.row(&row)?;
    printer.finish()?;
    Ok(())
}
