//! `staffdb delete ID…`: all or nothing.

use clap::Args;
use staffdb::EmployeeId;

use super::Context;
use super::values::id;

/// Options of `staffdb delete`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The employees' ids; if one is unknown, none is deleted.
    #[arg(required = true, value_parser = id(), value_name = "ID")]
    ids: Vec<i64>,
}

/// Deletes every id or none.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let db = context.open()?;
    let ids: Vec<EmployeeId> = opts.ids.into_iter().map(EmployeeId).collect();
    let deleted = db.transaction(|s| s.delete_many(&ids))?;
    let plural = if deleted == 1 { "" } else { "s" };
    context.note(format!("deleted {deleted} employee{plural}"));
    Ok(())
}
