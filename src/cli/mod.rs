//! An application's own command line (the `cli` feature): its models registered, as
//! `staffdb::web`'s `Admin::new(db).model::<Project>()` serves them on the web, each with the
//! commands staffdb's employees have, written once against the model's description
//! ([`Listed`], [`write_fields`](crate::write_fields)). Nothing is written per model: the flags
//! of `add` and `update` are the columns a write takes, required where a new row must name them.
//!
//! ```no_run
//! use staffdb::{AppMigrations, Department};
//!
//! fn main() -> std::process::ExitCode {
//!     staffdb::cli::App::new("myapp")
//!         .migrations(AppMigrations::directory("migrations"))
//!         .model::<Department>()
//!         .run()
//! }
//! ```
//!
//! gives, for every registered model (by its table's name, here `departments`):
//!
//! | command | what |
//! |---|---|
//! | `TABLE list [--filter COND]… [--search TEXT] [--sort [-]COLUMN] [--limit N] [--format lines\|table\|json\|csv]` | the rows, streamed a keyset page at a time; a condition as [`Query::filter_text`](crate::Query::filter_text) reads it (`budget>=100`, `name~apo`, `lead_id=null`) |
//! | `TABLE show ID [--format]` | one row |
//! | `TABLE add --COLUMN VALUE… [--set COLUMN=VALUE]… [--format]` | adds a row, prints it as stored; a reference by id or by the title of the row it names |
//! | `TABLE update ID --COLUMN VALUE… [--clear COLUMN]… [--if-version N] [--format]` | changes a row (only at version N, for a versioned model, with `--if-version`) |
//! | `TABLE delete ID…` | all of them, or none if one is unknown |
//! | `TABLE import FILE [--format csv\|json] [--upsert-on COLUMN]` | every record, or none: the first bad one named by line (CSV) or record (JSON) and column; with `--upsert-on` a unique column, a record whose value is stored updates that row |
//! | `TABLE export [--format csv\|json] [--output FILE] [--filter…] [--search] [--sort]` | the rows in a file `import` reads back, from one snapshot; `--output` is renamed into place when complete |
//! | `TABLE history ID [--format text\|json]` | a model with history ([`Describe::HISTORY_TABLE`](crate::Describe::HISTORY_TABLE)): every change of the row, oldest first — when, what, who, each column from what to what |
//! | `TABLE history prune --before DATE` | deletes older changes, 1,000 per transaction, keeping each row's last |
//! | `TABLE deleted [--format]` | the deleted rows, each with the change that deleted it |
//! | `TABLE restore ID --to CHANGE [--format]` | the row as that change recorded it: a new version, or a deleted row back under its id |
//! | `TABLE list --as-of INSTANT` | the rows as they were then (RFC 3339, or a date: its midnight UTC) |
//! | `migrate [--status]` | applies staffdb's and the application's pending migrations, or lists them |
//!
//! Global options: `--database-url URL` (else `DATABASE_URL` from the environment or `.env`,
//! else `staffdb.db`) and `--quiet`. Data goes to stdout, messages to stderr, an error to
//! stderr as one line `error: …`, with the exit codes of the `staffdb` binary:
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success (also when a read's stdout is closed early, as by `myapp departments list \| head`) |
//! | 1    | well-formed but refused or failed: an unknown id, a stale version, a unique value taken, a referenced row missing, a read on a database without the schema or with migrations pending, a database or I/O failure |
//! | 2    | invalid input: bad flags or values (the message names the column), an unreadable or malformed import file |
//! | 3    | outcome unknown: the connection was lost during COMMIT |
//!
//! Reads (`list`, `show`, `export`, `migrate --status`) never create, migrate or change a
//! database; writes migrate it first. `import` and `export` show a progress bar when stderr is
//! a terminal (and not `--quiet`). A write prints its row before it commits: if stdout cannot
//! take it, nothing is written. Ctrl-C, SIGTERM or SIGHUP during `import` or `export --output`
//! stops it with nothing written (`error: interrupted: nothing was imported`, exit 130), unless
//! its commit or rename is done, when the signal is too late and the command ends as it would
//! have; an export writes a temporary `.staffdb-export-PID-FILE` beside FILE, renamed into
//! place when complete and removed by a signal, or, after a `kill -9`, by the next export into
//! that directory. The handler is installed by the first such command, unless the application
//! installed one first.

mod args;
mod error;
mod history;
mod import;
mod interrupt;
mod print;
mod reads;
mod values;
mod writes;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

pub use self::args::instant;
pub use self::args::seconds;
pub use self::error::CliError;
pub use self::print::Format;
pub use self::reads::refuse_the_database_itself;
use crate::{
    AppMigrations, Database, Listed, MigrationOwner, MigrationState, MigrationStatus, OpenOptions,
};

/// A command line with models registered: build it with [`App::new`], register models with
/// [`App::model`], and [`App::run`] it from `main`.
#[derive(Debug)]
pub struct App {
    name: String,
    about: Option<String>,
    migrations: Option<AppMigrations>,
    models: Vec<Registered>,
}

/// A registered model: its subcommand, and the code that runs it.
#[derive(Debug, Clone, Copy)]
struct Registered {
    /// Its table's name: the subcommand's.
    table: &'static str,
    /// Builds the subcommand from the model's description.
    command: fn() -> Command,
    /// Runs one of the subcommand's commands.
    run: fn(&Context, &ArgMatches) -> Result<(), CliError>,
}

impl App {
    /// A command line called `name` (what its help and usage say), with no model yet.
    pub fn new(name: impl Into<String>) -> App {
        App {
            name: name.into(),
            about: None,
            migrations: None,
            models: Vec::new(),
        }
    }

    /// What `--help` says the program is.
    pub fn about(mut self, about: impl Into<String>) -> App {
        self.about = Some(about.into());
        self
    }

    /// The application's own migrations, run after staffdb's on every write and by `migrate`
    /// (see [`OpenOptions::app_migrations`]).
    pub fn migrations(mut self, migrations: AppMigrations) -> App {
        self.migrations = Some(migrations);
        self
    }

    /// Registers `M`: its commands under its table's name (`projects list`, …).
    pub fn model<M: Listed<Id: From<i64>>>(mut self) -> App {
        self.models.push(Registered {
            table: M::TABLE,
            command: args::model_command::<M>,
            run: run_model::<M>,
        });
        self
    }

    /// The whole command line, as clap declares it (for completions, or a test that calls
    /// clap's `debug_assert`).
    pub fn command(&self) -> Command {
        let about = self.about.clone().unwrap_or_else(|| {
            format!(
                "{}'s records in SQLite, PostgreSQL or MySQL/MariaDB",
                self.name
            )
        });
        let command = Command::new(self.name.clone())
            .about(about)
            .subcommand_required(true)
            .arg_required_else_help(true)
            .max_term_width(100)
            .arg(
                Arg::new("database_url")
                    .long("database-url")
                    .global(true)
                    .env("DATABASE_URL")
                    .hide_env_values(true)
                    .value_name("URL")
                    .help("The database: a path or sqlite://PATH, postgres://…, mysql://… [default: DATABASE_URL from the environment or .env, else staffdb.db]"),
            )
            .arg(
                Arg::new("read_url")
                    .long("read-url")
                    .global(true)
                    .env("DATABASE_READ_URL")
                    .hide_env_values(true)
                    .value_name("URL")
                    .help("Where reads go (`list`, `show`, `export`): hot standbys of the primary, several hosts allowed, or other Galera nodes. Writes and migrations always go to --database-url"),
            )
            .arg(
                Arg::new("wait_for_primary")
                    .long("wait-for-primary")
                    .global(true)
                    .env("STAFFDB_WAIT_FOR_PRIMARY")
                    .value_name("SECONDS")
                    .value_parser(args::seconds)
                    .help("Wait up to SECONDS for a writable primary (across a failover); a command whose COMMIT got no answer still exits 3 and is never run twice"),
            )
            .arg(
                Arg::new("quiet")
                    .long("quiet")
                    .short('q')
                    .global(true)
                    .action(ArgAction::SetTrue)
                    .help("Print no messages, only data and errors"),
            )
            .subcommand(args::migrate_command());
        self.models.iter().fold(command, |command, model| {
            command.subcommand((model.command)())
        })
    }

    /// True when `arg`, as a program's first argument, is for this command line: one of its
    /// subcommands, or one of its options. An application that does more than this command
    /// line (the example's tour and server) asks before handing its arguments over.
    pub fn knows(&self, arg: &str) -> bool {
        let command = self.command();
        let flag = |a: &Arg| {
            let long = a.get_long().map(|l| format!("--{l}"));
            let short = a.get_short().map(|s| format!("-{s}"));
            let name = arg.split('=').next().unwrap_or(arg);
            long.as_deref() == Some(name) || short.as_deref() == Some(name)
        };
        matches!(arg, "help" | "-h" | "--help")
            || command.get_subcommands().any(|c| c.get_name() == arg)
            || command.get_arguments().any(flag)
    }

    /// Runs the command line of this process and returns its exit code.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// Runs the command line `args` (the program's name first) and returns its exit code:
    /// an error is printed once, on stderr, as `error: …`.
    pub fn run_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = match self.command().try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(error) => return clap_exit(error),
        };
        let code = match self.dispatch(&matches) {
            Ok(()) => ExitCode::SUCCESS,
            // A reader that stopped early is no failure of a read.
            Err(error) if error.is_closed_stdout() => ExitCode::SUCCESS,
            Err(error) => {
                let _ = writeln!(io::stderr(), "error: {}", error.one_line());
                ExitCode::from(error.exit_code())
            }
        };
        interrupt::over();
        code
    }

    /// Runs the command `matches` names.
    fn dispatch(&self, matches: &ArgMatches) -> Result<(), CliError> {
        let context = Context {
            url: global(matches, &|m| m.get_one::<String>("database_url").cloned())
                .filter(|url| !url.trim().is_empty())
                .unwrap_or_else(crate::url_from_env),
            read_url: global(matches, &|m| m.get_one::<String>("read_url").cloned())
                .filter(|url| !url.trim().is_empty()),
            wait_for_primary: global(matches, &|m| {
                m.get_one::<Duration>("wait_for_primary").copied()
            }),
            quiet: global(matches, &|m| m.get_flag("quiet").then_some(())).is_some(),
            migrations: self.migrations.clone(),
        };
        let Some((name, sub)) = matches.subcommand() else {
            return Err(CliError::Invalid("no command given (see --help)".into()));
        };
        if name == "migrate" {
            return migrate(&context, sub.get_flag("status"));
        }
        match self.models.iter().find(|model| model.table == name) {
            Some(model) => (model.run)(&context, sub),
            None => Err(CliError::Invalid(format!("unknown command `{name}`"))),
        }
    }
}

/// A global option's value, wherever on the command line it was given (before the command or
/// after it): the innermost command's that has it.
fn global<T>(matches: &ArgMatches, value: &dyn Fn(&ArgMatches) -> Option<T>) -> Option<T> {
    let inner = matches.subcommand().and_then(|(_, sub)| global(sub, value));
    inner.or_else(|| value(matches))
}

/// Runs one of `M`'s commands.
fn run_model<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    match matches.subcommand() {
        Some((name, m)) => run_command::<M>(context, name, m),
        None => Err(CliError::Invalid(format!(
            "no {} command given (see --help)",
            M::TABLE
        ))),
    }
}

/// Runs `M`'s command `name`.
fn run_command<M: Listed<Id: From<i64>>>(
    context: &Context,
    name: &str,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    match name {
        "list" => reads::list::<M>(context, matches),
        "show" => reads::show::<M>(context, matches),
        "export" => reads::export::<M>(context, matches),
        "add" => writes::add::<M>(context, matches),
        "update" => writes::update::<M>(context, matches),
        "delete" => writes::delete::<M>(context, matches),
        "import" => import::import::<M>(context, matches),
        "history" => history::history::<M>(context, matches),
        "deleted" => history::deleted::<M>(context, matches),
        "restore" => history::restore::<M>(context, matches),
        other => Err(CliError::Invalid(format!(
            "{} has no command `{other}` (see --help)",
            M::TABLE
        ))),
    }
}

/// `M`'s commands named in `only` (of `list`, `show`, `add`, `update`, `delete`, `import` and
/// `export`), to put under a subcommand of a command line built otherwise: the `staffdb`
/// binary adds its departments' `show`, `import` and `export` so, beside commands of its own.
/// Run what is parsed with [`run_model_command`].
pub fn model_subcommands<M: Listed>(only: &[&str]) -> Vec<Command> {
    args::model_command::<M>()
        .get_subcommands()
        .filter(|command| only.contains(&command.get_name()))
        .cloned()
        .collect()
}

/// Where a model's command runs, and how: what an [`App`] reads from its global options
/// (`--database-url`, `--read-url`, `--wait-for-primary`, `--quiet`), for a command line built
/// otherwise ([`model_subcommands`], [`run_model_command`]).
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The database URL.
    pub url: String,
    /// Where reads go: hot standbys, or other Galera nodes (`--read-url`).
    pub read_url: Option<String>,
    /// How long a write waits for a writable primary across a failover (`--wait-for-primary`).
    pub wait_for_primary: Option<Duration>,
    /// The application's migrations, applied after staffdb's.
    pub migrations: Option<AppMigrations>,
    /// No messages on stderr.
    pub quiet: bool,
}

impl Target {
    /// The commands' context.
    fn context(&self) -> Context {
        Context {
            url: self.url.clone(),
            read_url: self.read_url.clone(),
            wait_for_primary: self.wait_for_primary,
            quiet: self.quiet,
            migrations: self.migrations.clone(),
        }
    }
}

/// Runs `M`'s command `name`, of [`model_subcommands`], with its `matches`, on `target`.
pub fn run_model_command<M: Listed<Id: From<i64>>>(
    target: &Target,
    name: &str,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    run_command::<M>(&target.context(), name, matches)
}

/// How [`list_rows`] prints: what `list`'s `--format`, `--limit` and `--as-of` say, and an
/// offset (rows passed over first) for a command line that offers one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// How each row is printed.
    pub format: Format,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Pass over this many rows first (read, not printed: the pages are keyset pages).
    pub offset: Option<i64>,
    /// The rows as they were then, by id, from their history (the query is not used).
    pub as_of: Option<chrono::NaiveDateTime>,
}

/// Prints the rows of `M` that `query` matches, in its order, as `list` does: streamed a
/// keyset page at a time from one snapshot, each titled reference by its title. For a command
/// line built otherwise, whose flags make the query (the `staffdb` binary's `list`, whose
/// `--min-age` and kin are the employees' typed filters).
pub fn list_rows<M: Listed>(
    target: &Target,
    query: crate::Query<M>,
    listing: &Listing,
) -> Result<(), CliError> {
    reads::list_rows(&target.context(), query, listing)
}

/// What every command needs: where the database is (and its reads), how long a write waits
/// for a primary, and how chatty to be.
#[derive(Debug)]
struct Context {
    url: String,
    read_url: Option<String>,
    wait_for_primary: Option<Duration>,
    quiet: bool,
    migrations: Option<AppMigrations>,
}

impl Context {
    /// How every command opens the database: with the application's migrations, reads where
    /// `--read-url` sends them, writes waiting for a primary as `--wait-for-primary` says.
    fn options(&self) -> OpenOptions {
        let mut options = OpenOptions::new();
        if let Some(migrations) = &self.migrations {
            options = options.app_migrations(migrations.clone());
        }
        if let Some(read_url) = &self.read_url {
            options = options.read_url(read_url);
        }
        match self.wait_for_primary {
            Some(wait) => options.wait_for_primary(wait),
            None => options,
        }
    }

    /// For a write: applies pending migrations, creating a missing SQLite file.
    fn open(&self) -> Result<Database, CliError> {
        Ok(self.options().open(&self.url)?)
    }

    /// For a read: changes nothing; a database without the schema, or behind it, is an error.
    fn open_existing(&self) -> Result<Database, CliError> {
        Ok(self.options().require_schema(true).open(&self.url)?)
    }

    /// A message for the person at the terminal, on stderr (nothing with `--quiet`).
    fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            // A closed stderr is no reason to fail the command.
            let _ = writeln!(io::stderr(), "{message}");
        }
    }

    /// True when a progress bar would be seen: stderr is a terminal and not `--quiet`.
    fn progress_visible(&self) -> bool {
        !self.quiet && io::stderr().is_terminal()
    }
}

/// `migrate`: applies every pending migration (staffdb's, then the application's), or with
/// `status` lists them all and changes nothing.
fn migrate(context: &Context, status: bool) -> Result<(), CliError> {
    let db = context
        .options()
        .migrate(false)
        .create(!status)
        .open(&context.url)?;
    let mut out = io::stdout().lock();
    if status {
        let statuses = db.migration_status()?;
        let staffdb_applied = |m: &MigrationStatus| {
            m.owner == MigrationOwner::Staffdb && m.state == MigrationState::Applied
        };
        if !statuses.iter().any(staffdb_applied) {
            let database = db.url().to_string();
            return Err(crate::Error::NoSchema { database }.into());
        }
        for migration in &statuses {
            writeln!(out, "{}", status_line(migration))?;
        }
    } else {
        let applied = db.run_pending_migrations()?;
        for version in &applied {
            writeln!(out, "applied {version}")?;
        }
        if applied.is_empty() {
            context.note("nothing to apply: every migration is applied");
        }
    }
    out.flush()?;
    Ok(())
}

/// A migration as `migrate --status` lists it: `applied  NAME (application)`.
fn status_line(migration: &MigrationStatus) -> String {
    let state = match migration.state {
        MigrationState::Pending => "pending",
        _ => "applied",
    };
    let name = migration.name.as_deref().unwrap_or(&migration.version);
    let owner = match migration.owner {
        MigrationOwner::Staffdb => "staffdb",
        MigrationOwner::Application => "application",
        _ => "applied by another tool",
    };
    format!("{state:<8} {name} ({owner})")
}

/// A usage error as one line, as every other error (`error: … (see --help)`, exit 2); help and
/// `--version` as clap prints them. For a binary that parses a command line of its own beside
/// [`App`]'s (the `staffdb` binary does).
pub fn clap_exit(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let code = ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    if !error.use_stderr() || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = error.print();
        return code;
    }
    // clap's message and its "did you mean" tips, without the usage block.
    let rendered = error.render().to_string();
    let lines = rendered.lines().map(str::trim);
    let message: Vec<&str> = lines.clone().take_while(|line| !line.is_empty()).collect();
    let tips: Vec<&str> = lines.filter(|line| line.starts_with("tip:")).collect();
    let message = [message, tips]
        .map(|part| part.join(" "))
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    let _ = writeln!(io::stderr(), "error: {message} (see --help)");
    code
}

#[cfg(test)]
mod tests {
    use super::App;
    use crate::{Department, Employee};

    /// The clap definition built from the descriptions is consistent (no clashing flags, …).
    #[test]
    fn the_command_line_is_consistent() {
        let app = App::new("app").model::<Employee>().model::<Department>();
        app.command().debug_assert();
        assert!(app.knows("employees") && app.knows("migrate") && app.knows("--database-url=x"));
        assert!(!app.knows("own.db") && !app.knows("postgres://h/db"));
    }
}
