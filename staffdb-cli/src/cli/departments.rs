//! `staffdb departments`: list, add, rename and delete departments; `show`, `import`, `export`
//! and the history's `history`, `deleted` and `restore`, which this file does not write, are the
//! library's for any model (`staffdb::cli`).

use std::io::Write;

use clap::Subcommand;
use staffdb::{Department, DepartmentChanges, DepartmentId, NewDepartment};

use super::Context;
use super::values::id;

/// The `departments` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every department, by id.
    List,
    /// Create a department.
    Add {
        /// Its name (unique).
        name: String,
    },
    /// Rename a department.
    Rename {
        /// The department's id.
        #[arg(value_parser = id())]
        id: i64,
        /// The new name (unique).
        name: String,
    },
    /// Delete a department; its employees stay, without a department.
    Delete {
        /// The department's id.
        #[arg(value_parser = id())]
        id: i64,
    },
}

/// The departments' commands that are the library's, written once for any model
/// ([`staffdb::cli::model_subcommands`]): those this file has none of its own for.
pub const GENERIC: [&str; 6] = ["show", "import", "export", "history", "deleted", "restore"];

/// `departments` with one of its [`GENERIC`] commands added.
pub fn with_generic(command: clap::Command) -> clap::Command {
    command.subcommands(staffdb::cli::model_subcommands::<Department>(&GENERIC))
}

/// Runs one `departments` subcommand.
pub fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    let db = context.open_for(matches!(command, Command::List))?;
    let mut out = super::stdout();
    match command {
        Command::List => {
            for department in Department::all(&mut db.read_session()?)? {
                print(&mut out, &department)?;
            }
        }
        // Printed before the commit, as `add` does: if stdout fails, nothing is written.
        Command::Add { name } => db
            .transaction(|s| {
                let department = s.add(&NewDepartment::new(name.as_str()))?;
                print_before_commit(&department)
            })
            .map_err(|e| in_words(e, &name))?,
        Command::Rename { id, name } => {
            let changes = DepartmentChanges {
                name: Some(name.clone()),
            };
            db.transaction(|s| print_before_commit(&s.update(DepartmentId(id), &changes)?))
                .map_err(|e| in_words(e, &name))?
        }
        Command::Delete { id } => {
            db.transaction(|s| s.delete(DepartmentId(id)))?;
            context.note(format!("deleted department {id}"));
        }
    }
    out.flush()?;
    Ok(())
}

/// A refused or taken name, said of a department: "invalid department name", "a department
/// named `Sales` already exists".
fn in_words(error: staffdb::Error, name: &str) -> staffdb::Error {
    error
        .field_named("name", "department name")
        .with_unique_detail(|| format!("a department named `{name}` already exists"))
}

fn print(out: &mut impl Write, department: &Department) -> std::io::Result<()> {
    writeln!(out, "ID: {}, Name: {}", department.id, department.name)
}

/// Prints and flushes the department a write is about to commit; a failure rolls it back.
fn print_before_commit(department: &Department) -> staffdb::Result<()> {
    let mut out = super::stdout();
    print(&mut out, department)
        .and_then(|()| out.flush())
        .map_err(staffdb::Error::application)
}
