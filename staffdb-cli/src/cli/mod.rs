//! The `staffdb` command-line tool: parses the command line, runs one command on the library's
//! [`staffdb::Session`], prints an error once, and maps it to a documented exit code.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success (also when a read's stdout is closed early, as by `staffdb list \| head`) |
//! | 1    | well-formed but refused or failed: unknown id, stale version, duplicate email, a lock not freed within the lock timeout, a read-only command on a missing SQLite file or on a database without staffdb's schema or with migrations pending, a write whose result could not be printed (rolled back), database, migration or I/O failure |
//! | 2    | invalid input: bad flags or values, a URL staffdb refuses, unreadable or malformed import file, `export --output` naming the database |
//! | 130  | interrupted by Ctrl-C during `import` (nothing is written) |

pub(crate) mod args;
mod completions;
mod demo;
mod departments;
mod echo;
mod generic;
mod list;
mod migrate;
mod output;
mod roles;
mod serve;
mod stats;
mod tokens;
mod users;
pub(crate) mod values;

use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;

use clap::{FromArgMatches, parser::ValueSource};
use staffdb::{AppMigrations, Database, Error, OpenOptions};

use self::args::{Cli, Command};

/// A failure the CLI itself detects, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Invalid input (exit 2): a malformed or unreadable import file, contradictory flags.
    #[error("{0}")]
    Invalid(String),
    /// A well-formed request that was refused (exit 1).
    #[error("{0}")]
    Refused(String),
}

/// What every command needs: where the database is and how chatty to be.
#[derive(Debug)]
pub struct Context {
    /// The database URL (from `--database-url`, `DATABASE_URL`, `.env`, or the default).
    pub url: String,
    /// True when the URL was given with `--database-url` on the command line.
    pub url_given: bool,
    /// Where read sessions go (`--read-url`, `DATABASE_READ_URL`).
    pub read_url: Option<String>,
    /// How long writes wait for a writable primary (`--wait-for-primary`).
    pub wait_for_primary: Option<std::time::Duration>,
    /// The application's own migrations, run after staffdb's (`--migrations-dir`).
    pub migrations_dir: Option<std::path::PathBuf>,
    /// No messages on stderr.
    pub quiet: bool,
}

impl Context {
    /// Where the library's commands run ([`staffdb::cli::list_rows`]).
    pub fn target(&self) -> staffdb::cli::Target {
        staffdb::cli::Target {
            url: self.url.clone(),
            read_url: self.read_url.clone(),
            wait_for_primary: self.wait_for_primary,
            migrations: self.migrations_dir.as_deref().map(AppMigrations::directory),
            quiet: self.quiet,
        }
    }

    /// How every command opens the database: with the application's migrations, if given.
    pub fn options(&self) -> OpenOptions {
        let mut options = OpenOptions::new();
        if let Some(wait) = self.wait_for_primary {
            options = options.wait_for_primary(wait);
        }
        if let Some(read_url) = &self.read_url {
            options = options.read_url(read_url);
        }
        match &self.migrations_dir {
            Some(dir) => options.app_migrations(AppMigrations::directory(dir)),
            None => options,
        }
    }

    /// Opens the database, applying pending migrations; a missing SQLite file is created.
    pub fn open(&self) -> Result<Database, Error> {
        self.options().open(&self.url)
    }

    /// Opens the database to read it, changing nothing: never migrates, never creates. A
    /// missing SQLite file (`no database at PATH`), a database without staffdb's schema (`no
    /// staffdb schema in DATABASE`) and one with migrations pending are errors (exit 1), not a
    /// new, empty or migrated database.
    pub fn open_existing(&self) -> Result<Database, Error> {
        self.options().require_schema(true).open(&self.url)
    }

    /// [`Context::open_existing`] for a command that only reads, else [`Context::open`].
    pub fn open_for(&self, reads_only: bool) -> Result<Database, Error> {
        if reads_only {
            self.open_existing()
        } else {
            self.open()
        }
    }

    /// A message for the person at the terminal, on stderr (nothing with `--quiet`).
    pub fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            // A closed stderr is no reason to fail the command.
            let _ = writeln!(io::stderr(), "{message}");
        }
    }
}

/// Buffered, locked stdout for data.
pub fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Parses the command line, runs the command, prints any error once, and returns the exit code.
pub fn main() -> ExitCode {
    let matches = match args::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => return staffdb::cli::clap_exit(error),
    };
    let result = match generic::run(&matches) {
        Some(result) => result,
        None => match Cli::from_arg_matches(&matches) {
            Ok(cli) => {
                let url_given =
                    matches.value_source("database_url") == Some(ValueSource::CommandLine);
                run(cli, url_given)
            }
            Err(error) => return staffdb::cli::clap_exit(error),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early is no failure of a read; a write whose result could not
        // be printed was rolled back, and says so.
        Err(error) if closed_stdout(&error) && !rolled_back(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever the driver's message looks like (libpq's end in a newline).
            let message = format!("{error:#}");
            let message: Vec<&str> = message
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            // The library never puts a password in an error.
            let message = message.join(" ");
            let _ = writeln!(io::stderr(), "error: {message}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn run(cli: Cli, url_given: bool) -> anyhow::Result<()> {
    if cli.echo {
        echo::install()?;
    }
    let context = Context {
        url: cli.database_url.unwrap_or_else(staffdb::url_from_env),
        url_given,
        read_url: cli.read_url.filter(|url| !url.trim().is_empty()),
        wait_for_primary: cli.wait_for_primary,
        migrations_dir: cli.migrations_dir,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Demo(opts) => demo::run(&context, opts),
        Command::Migrate(opts) => migrate::run(&context, opts),
        Command::List(opts) => list::run(&context, opts),
        Command::Stats(opts) => stats::run(&context, opts),
        Command::Departments(command) => departments::run(&context, command),
        Command::Users(command) => users::run(&context, command),
        Command::Tokens(command) => tokens::run(&context, command),
        Command::Roles(command) => roles::run(&context, command),
        Command::Serve(opts) => serve::run(&context, opts),
        Command::Completions(opts) => completions::run(opts, args::command()),
    }
}

/// The exit code for an error: the first typed error in the cause chain decides.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        // A command the library runs for any model (`departments show|import|export`).
        if let Some(error) = cause.downcast_ref::<staffdb::cli::CliError>() {
            return error.exit_code();
        }
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return match failure {
                Failure::Invalid(_) => 2,
                Failure::Refused(_) => 1,
            };
        }
        if let Some(error) = cause.downcast_ref::<Error>() {
            return match error {
                // Includes an unknown URL scheme (field "database URL").
                Error::Validation { .. } => 2,
                Error::OutcomeUnknown(_) => 3,
                _ => 1,
            };
        }
    }
    1
}

/// True when the command's own step failed inside a transaction, which was rolled back.
fn rolled_back(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| matches!(cause.downcast_ref::<Error>(), Some(Error::Application(_))))
}

/// True when the error is a write to a stdout whose reader has gone (`staffdb list | head`).
fn closed_stdout(error: &anyhow::Error) -> bool {
    let broken = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
    error.chain().any(|cause| {
        cause
            .downcast_ref::<staffdb::cli::CliError>()
            .is_some_and(staffdb::cli::CliError::is_closed_stdout)
            || cause.downcast_ref::<io::Error>().is_some_and(broken)
            // csv's errors carry the io::Error without exposing it as their source.
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(e) if broken(e)))
    })
}
