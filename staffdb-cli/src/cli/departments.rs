//! `staffdb departments`: list, add, rename and delete departments; `show`, `import` and
//! `export`, which this file does not write, are the library's for any model (`staffdb::cli`).

use std::io::Write;
use std::path::PathBuf;

use clap::{ArgMatches, Subcommand};
use staffdb::{AppMigrations, Department, DepartmentChanges, DepartmentId, NewDepartment};

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
pub const GENERIC: [&str; 3] = ["show", "import", "export"];

/// `departments` with one of its [`GENERIC`] commands added.
pub fn with_generic(command: clap::Command) -> clap::Command {
    command.subcommands(staffdb::cli::model_subcommands::<Department>(&GENERIC))
}

/// Runs `departments show|import|export` when the command line asks for one of them (`None`
/// for any other command), through the library with the binary's global options.
pub fn generic(matches: &ArgMatches) -> Option<anyhow::Result<()>> {
    let ("departments", departments) = matches.subcommand()? else {
        return None;
    };
    let (name, command) = departments.subcommand()?;
    GENERIC
        .contains(&name)
        .then(|| run_generic(matches, name, command))
}

fn run_generic(matches: &ArgMatches, name: &str, command: &ArgMatches) -> anyhow::Result<()> {
    if matches.get_flag("echo") {
        super::echo::install()?;
    }
    let url = matches
        .get_one::<String>("database_url")
        .cloned()
        .unwrap_or_else(staffdb::url_from_env);
    let migrations = matches
        .get_one::<PathBuf>("migrations_dir")
        .map(AppMigrations::directory);
    let quiet = matches.get_flag("quiet");
    staffdb::cli::run_model_command::<Department>(&url, quiet, migrations, name, command)?;
    Ok(())
}

/// Runs one `departments` subcommand.
pub fn run(context: &Context, command: Command) -> anyhow::Result<()> {
    let db = match command {
        Command::List => context.open_existing()?,
        _ => context.open()?,
    };
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
    match error.field_named("name", "department name") {
        staffdb::Error::UniqueViolation { field, source, .. } => staffdb::Error::UniqueViolation {
            field,
            detail: Some(format!("a department named `{name}` already exists")),
            source,
        },
        other => other,
    }
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
