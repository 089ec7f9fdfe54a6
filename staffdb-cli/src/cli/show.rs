//! `staffdb show ID`: one employee.

use clap::Args;

use super::Context;
use super::values::{Format, id};
use staffdb::EmployeeId;

use super::output::print_one;

/// Options of `staffdb show`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The employee's id.
    #[arg(value_parser = id())]
    id: i64,
    /// How to print the row (`json` prints one object).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Prints the employee, or fails with `employee ID not found`.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let db = context.open_existing()?;
    let mut s = db.read_session()?;
    let row = s.get_one(EmployeeId(opts.id))?.with_department(&mut s)?;
    drop(s);
    print_one(opts.format, &row)
}
