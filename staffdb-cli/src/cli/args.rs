//! The command line, declared with clap's derive: global options and one subcommand each.

use clap::{Parser, Subcommand};

use super::{
    completions, demo, departments, generic, list, migrate, roles, serve, stats, tokens, users,
};

/// Employee records in SQLite, PostgreSQL or MySQL/MariaDB.
///
/// Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 refused or failed
/// (unknown id, stale version, duplicate email, database or I/O failure), 2 invalid input, 3
/// outcome unknown (the connection was lost during COMMIT: check whether the change is there).
#[derive(Debug, Parser)]
#[command(
    name = "staffdb",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The database: a path or sqlite://PATH, postgres://…, mysql://… [default: DATABASE_URL
    /// from the environment or .env, else staffdb.db]
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Where reads go (`list`, `show`, `export`, `stats`, `departments list`): hot standbys of
    /// the primary, several hosts allowed (postgres://u:p@s1:5443,s2:5444/db), or other Galera
    /// nodes. Writes and migrations always go to --database-url
    #[arg(
        long,
        global = true,
        env = "DATABASE_READ_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub read_url: Option<String>,

    /// An application's own migrations directory (as `diesel migration run` uses it): applied
    /// after staffdb's, and named by `migrate --status`.
    #[arg(
        long,
        global = true,
        env = "STAFFDB_MIGRATIONS_DIR",
        value_name = "DIR"
    )]
    pub migrations_dir: Option<std::path::PathBuf>,

    /// Wait up to SECONDS for a writable primary (across a failover): a command that finds no
    /// host taking writes, before anything was sent for commit, tries again until then. A
    /// command whose COMMIT got no answer still exits 3 and is never run twice
    #[arg(
        long,
        global = true,
        env = "STAFFDB_WAIT_FOR_PRIMARY",
        value_name = "SECONDS",
        value_parser = staffdb::cli::seconds
    )]
    pub wait_for_primary: Option<std::time::Duration>,

    /// Print every SQL statement and its duration to stderr.
    #[arg(long, global = true)]
    pub echo: bool,

    /// Print no messages, only data and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The whole command line: the derive's, with the commands the library writes for any model
/// (the employees' [`generic::EMPLOYEES`], the departments' [`departments::GENERIC`]).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    generic::with_employees(Cli::command()).mut_subcommand("departments", departments::with_generic)
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk the tutorial end to end on a fresh staffdb-demo.db.
    Demo(demo::Opts),
    /// Show, apply, revert or redo migrations (never applies anything before --status).
    Migrate(migrate::Opts),
    /// List employees, filtered, sorted and paged.
    List(list::Opts),
    /// Head count and average / min / max age per position or department.
    Stats(stats::Opts),
    /// List, show, add, rename, delete, import or export departments.
    #[command(subcommand)]
    Departments(departments::Command),
    /// Add, list, disable or remove the users who may log in to `serve`, and their roles.
    #[command(subcommand)]
    Users(users::Command),
    /// List, add or remove the roles users have, and what each grants.
    #[command(subcommand)]
    Roles(roles::Command),
    /// Create, list or revoke the API tokens scripts send to `serve` as a user.
    #[command(subcommand)]
    Tokens(tokens::Command),
    /// Serve the JSON API over HTTP on a loopback address.
    Serve(serve::Opts),
    /// Print a shell completion script.
    Completions(completions::Opts),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// The clap definition is consistent (no clashing flags, valid defaults, …), with the
    /// library's departments' commands added too.
    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
        super::command().debug_assert();
    }
}
