//! The commands the library writes once for any model (`staffdb::cli`), run in the `staffdb`
//! binary with its global options: `departments show|import|export`
//! ([`departments::GENERIC`](super::departments::GENERIC)) and the employees' `show`, `add`,
//! `update`, `import`, `export`, `delete` and history commands, for which it has none of its
//! own.

use std::path::PathBuf;
use std::time::Duration;

use clap::ArgMatches;
use staffdb::cli::Target;
use staffdb::{AppMigrations, Department, Employee, Listed};

use super::departments;

/// The employees' commands that are the library's, at the top of the command line: `show`,
/// `add`, `update`, `import`, `export`, `delete`, and their history's `history ID`, `history
/// prune`, `deleted` and `restore`.
pub const EMPLOYEES: [&str; 9] = [
    "show", "add", "update", "import", "export", "delete", "history", "deleted", "restore",
];

/// The command line with the employees' [`EMPLOYEES`] commands added.
pub fn with_employees(command: clap::Command) -> clap::Command {
    command.subcommands(staffdb::cli::model_subcommands::<Employee>(&EMPLOYEES))
}

/// Runs the command the command line asks for when it is one of the library's (`None` for any
/// other).
pub fn run(matches: &ArgMatches) -> Option<anyhow::Result<()>> {
    let (name, command) = matches.subcommand()?;
    if EMPLOYEES.contains(&name) {
        return Some(run_one::<Employee>(matches, name, command));
    }
    let ("departments", departments) = (name, command) else {
        return None;
    };
    let (name, command) = departments.subcommand()?;
    departments::GENERIC
        .contains(&name)
        .then(|| run_one::<Department>(matches, name, command))
}

fn run_one<M: Listed<Id: From<i64>>>(
    matches: &ArgMatches,
    name: &str,
    command: &ArgMatches,
) -> anyhow::Result<()> {
    if matches.get_flag("echo") {
        super::echo::install()?;
    }
    staffdb::cli::run_model_command::<M>(&target(matches), name, command)?;
    Ok(())
}

/// Where the command runs, from the global options (given before the command or after it).
fn target(matches: &ArgMatches) -> Target {
    Target {
        url: matches
            .get_one::<String>("database_url")
            .cloned()
            .unwrap_or_else(staffdb::url_from_env),
        read_url: matches
            .get_one::<String>("read_url")
            .filter(|url| !url.trim().is_empty())
            .cloned(),
        wait_for_primary: matches.get_one::<Duration>("wait_for_primary").copied(),
        migrations: matches
            .get_one::<PathBuf>("migrations_dir")
            .map(AppMigrations::directory),
        quiet: matches.get_flag("quiet"),
    }
}
