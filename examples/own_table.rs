//! A table of your own beside staffdb's: `projects`, led by an employee.
//!
//! This is all an application built on staffdb writes to get its own table served by the same
//! [`Session`](staffdb::Session) as employees and departments, and by the admin:
//!
//! 1. its migrations, one directory per dialect (`examples/own_table/migrations/…`), compiled in
//!    with `embed_migrations!` and handed to [`OpenOptions::app_migrations`]; staffdb runs its
//!    own first, then these, with the same `__diesel_schema_migrations` bookkeeping, so
//!    `diesel migration run` and staffdb agree on what is applied;
//! 2. the table's `table!` declaration, and how it joins staffdb's `employees`;
//! 3. its id, `staffdb::id!(ProjectId)`, and its read struct with `#[derive(staffdb::Model)]`:
//!    the options on the fields say what the database cannot (`max_chars`, `min`, `version`,
//!    `generated`, `references`, what lists may sort, filter and search by). The derive writes
//!    `NewProject` and `ProjectChanges`, their validation, `impl Model` (one statement per insert
//!    and per update where the backend has `RETURNING`), `impl Versioned`, the relations
//!    (`Project::lead()` from `references`, `Project::members()` from `many_to_many` through the
//!    `project_members` join table, each loaded for a whole page in one statement by
//!    `Session::related`, edited by `Session::set_related`), and the description
//!    the admin reads: with `impl AdminModel for Project {}` (Django's `admin.site.register`,
//!    every page from the description), `Admin::new(db).model::<Project>()` serves its list,
//!    add, edit and delete pages, and its JSON API at `/api/projects` (described in
//!    `/api/openapi.json`). Everything else — `add`, `add_all`, `get`, `update`, `update_if_version`, `delete`,
//!    `stream_all`, savepoints, retries — comes from the Session;
//! 4. its own command line: `staffdb::cli::App::new("own_table").migrations(…).model::<Project>()`
//!    gives `own_table projects list|show|add|update|delete|import|export` and `own_table
//!    migrate`, every flag from the description, with the `staffdb` binary's exit codes.
//!
//! ```text
//! cargo run --example own_table                      # on a fresh own_table.db (deleted first)
//! cargo run --example own_table -- serve own_table.db 127.0.0.1:8080   # the admin, /projects too
//! cargo run --example own_table -- serve own_table.db 127.0.0.1:8080 password.txt   # with a login
//! cargo run --features servers --example own_table -- postgres://…/empty_db
//! cargo run --features servers --example own_table -- mysql://…/empty_db
//! cargo run --example own_table -- --database-url own_table.db projects add --name Apollo --budget 1000
//! cargo run --example own_table -- --database-url own_table.db projects list --filter 'budget>=100' --sort -budget --format json
//! cargo run --example own_table -- projects --help          # every command, from the description
//! ```
//!
//! A URL must name an empty database: the example adds fixed names, which are unique. It prints
//! the same lines on every backend (`.ci/own-table` checks that):
//!
//! ```text
//! migrate status:
//!   applied  2026-11-24-000001_create_departments (staffdb)
//!   applied  2026-11-24-000002_create_employees (staffdb)
//!   applied  2026-12-01-000001_staffdb_schema_versions (staffdb)
//!   applied  2026-12-02-090000_invariants_for_every_client (staffdb)
//!   applied  2026-12-04-000001_wide_ids_utc_instants_readable_values (staffdb)
//!   applied  2026-12-04-000002_create_projects (application)
//!   applied  2026-12-06-000001_stamps_checked_without_rounding (staffdb)
//!   applied  2026-12-07-000001_projects_version (application)
//!   applied  2026-12-07-090000_readable_values_as_check_constraints (staffdb)
//!   applied  2026-12-07-100000_project_members (application)
//!   applied  2026-12-07-110000_indexes_for_sorted_and_filtered_columns (staffdb)
//!   applied  2026-12-07-120000_projects_indexes_for_lists (application)
//!   applied  2026-12-07-130000_position_sorted_from_an_index (staffdb)
//!   applied  2026-12-07-160000_users_and_roles (staffdb)
//!   applied  2026-12-07-170000_history_of_every_row (staffdb)
//!   applied  2026-12-07-180000_projects_history (application)
//! added in one transaction: Alice (Lead), Apollo (budget 1000), Gemini (budget 0)
//! refused before the database: invalid name: must not be empty or blank
//! refused before the database: invalid budget: must not be negative (got -5)
//! refused by the database, in a savepoint: name already exists
//! updated Gemini: budget 0 -> 2500
//! rolled back: Scratch was added in a session dropped without commit, and is not stored
//! projects, streamed in id order:
//!   Apollo: budget 1000
//!   Gemini: budget 2500
//! leads, by a join of our own:
//!   Apollo is led by Alice
//!   Gemini is led by Alice
//! with their leads and members, in 3 statements:
//!   Apollo: led by Alice; members Alice, Bob
//!   Gemini: led by Alice; members Bob
//! deleted Apollo; projects left: Gemini
//! Gemini's history: insert, update (Budget: 0 → 2500)
//! deleted projects, which restore brings back: Apollo
//! Alice left: Gemini has no lead now (ON DELETE SET NULL)
//! Gemini's members now: Bob
//! ```
//!
//! Dependencies, in an application's `Cargo.toml`:
//!
//! ```toml
//! staffdb = { version = "0.1", features = ["servers"] }   # servers: PostgreSQL and MySQL too
//! diesel = { version = "2.3", default-features = false }   # for `table!`, see below
//! chrono = { version = "0.4", default-features = false }   # the timestamp's type
//! anyhow = "1"                                             # main's error
//! ```
//!
//! Diesel and its migrations crate are re-exported by staffdb (`staffdb::diesel`,
//! `staffdb::diesel_migrations`), and everything here goes through those — except that Diesel's
//! `table!` expands to `use ::diesel;`, which only a dependency *named* `diesel` satisfies. With
//! no features and the same major version, that dependency is the very crate staffdb uses (Cargo
//! builds one Diesel, with staffdb's features), so the types agree.

// A program, not a library: its items are documented by the comments a reader needs.
#![allow(missing_docs)]

use staffdb::cli::App;
use staffdb::diesel::prelude::*;
use staffdb::diesel_migrations::{EmbeddedMigrations, embed_migrations};
use staffdb::schema::employees;
use staffdb::web::{Admin, AdminModel, Password};
use staffdb::{
    AppMigrations, Error, MigrationOwner, MigrationState, NewEmployee, OpenOptions, Operation,
    Query, with_differences,
};

// The table: all of its code, in `examples/own_table/project.rs` (the integration tests use it
// too).
#[path = "own_table/project.rs"]
mod project;
// Its members' join table, a table of its own (`Project::members()` goes through it).
#[path = "own_table/members.rs"]
mod members;
use project::{NewProject, Project, ProjectChanges, projects};

/// The table's migrations, one directory per dialect; staffdb runs the URL's set after its own.
fn app_migrations() -> AppMigrations {
    const SQLITE: EmbeddedMigrations = embed_migrations!("examples/own_table/migrations/sqlite");
    const POSTGRES: EmbeddedMigrations =
        embed_migrations!("examples/own_table/migrations/postgres");
    const MYSQL: EmbeddedMigrations = embed_migrations!("examples/own_table/migrations/mysql");
    AppMigrations::new()
        .sqlite(SQLITE)
        .postgres(POSTGRES)
        .mysql(MYSQL)
}

// --- The program -----------------------------------------------------------------------------

/// The database URL from the first argument, or a fresh `own_table.db` in the working directory.
fn database_url() -> anyhow::Result<String> {
    if let Some(url) = std::env::args().nth(1) {
        return Ok(url);
    }
    let path = "own_table.db";
    for file in [path, "own_table.db-wal", "own_table.db-shm"] {
        match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(path.to_owned())
}

/// The projects' admin pages, all from the description (a method here would override one).
impl AdminModel for Project {}

/// `own_table serve URL [ADDR [PASSWORD_FILE]]`: staffdb's admin and API with the projects'
/// pages and routes beside its own; with a password file, behind a login (as `staffdb serve
/// --password-file`).
fn serve(url: &str, bind: Option<String>, password: Option<String>) -> anyhow::Result<()> {
    let password = password
        .map(|file| Password::from_file(std::path::Path::new(&file)))
        .transpose()?;
    let db = OpenOptions::new()
        .app_migrations(app_migrations())
        .open(url)?;
    let bind = bind
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()?;
    Admin::new(db)
        .model::<Project>()
        .password(password)
        .serve(bind)
}

/// `own_table projects …`, `own_table migrate`: the projects' own command line, every command
/// and flag from the description (Django's `manage.py`, for one model).
fn command_line() -> App {
    App::new("own_table")
        .about("The own_table example's projects, beside staffdb's employees")
        .migrations(app_migrations())
        .model::<Project>()
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let cli = command_line();
    let done = match args.next() {
        Some(first) if first == "serve" => {
            let url = args.next().unwrap_or_else(|| "own_table.db".to_owned());
            serve(&url, args.next(), args.next())
        }
        // `projects …`, `migrate`, `--database-url …`: the command line's, with its exit codes.
        Some(first) if cli.knows(&first) => return cli.run(),
        _ => tour(),
    };
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:?}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The tour: the table through the Session, on the database of the first argument or a fresh
/// `own_table.db` (its output is the same on every backend, and `.ci/own-table` compares it).
fn tour() -> anyhow::Result<()> {
    // Opening migrates: staffdb's tables first (`projects` refers to `employees`), then ours.
    let db = OpenOptions::new()
        .app_migrations(app_migrations())
        .open(&database_url()?)?;

    println!("migrate status:");
    for migration in db.migration_status()? {
        let state = match migration.state {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Foreign => "foreign",
        };
        let owner = match migration.owner {
            MigrationOwner::Staffdb => "staffdb",
            MigrationOwner::Application => "application",
            MigrationOwner::Unknown => "applied by another tool",
        };
        let name = migration.name.as_deref().unwrap_or(&migration.version);
        println!("  {state:<8} {name} ({owner})");
    }

    // One transaction for the employee and both projects: all three rows, or none. The closure
    // may run again if the database reports contention, so it only touches the database.
    let (alice, apollo, gemini) = db.transaction(|s| {
        let alice = s.add(&NewEmployee::new("Alice", 30, "Lead"))?;
        let apollo = s.add(&NewProject::new("Apollo").lead_id(alice.id).budget(1000))?;
        let gemini = s.add(&NewProject::new("Gemini").lead_id(alice.id))?;
        let bob = s.add(&NewEmployee::new("Bob", 25, "Engineer"))?;
        // The many-to-many relation, through `project_members`: exactly these members.
        s.set_related(apollo.id, &Project::members(), &[alice.id, bob.id])?;
        s.set_related(gemini.id, &Project::members(), &[bob.id])?;
        Ok((alice, apollo, gemini))
    })?;
    println!(
        "added in one transaction: {} ({}), {} (budget {}), {} (budget {})",
        alice.name, alice.position, apollo.name, apollo.budget, gemini.name, gemini.budget
    );

    // Validation, the database's own refusals, and an update, in one session.
    let mut s = db.session()?;
    for invalid in [NewProject::new("  "), NewProject::new("Mercury").budget(-5)] {
        // `Validate` refuses these before any SQL is sent; the session is unharmed.
        match s.add(&invalid) {
            Err(e @ Error::Validation { .. }) => println!("refused before the database: {e}"),
            other => anyhow::bail!("expected a validation error, got {other:?}"),
        }
    }
    // A duplicate name gets past `Validate`; the UNIQUE constraint refuses it, classified the
    // same on every backend. A database error fails the whole transaction (PostgreSQL insists),
    // unless it happens inside a savepoint: then only the savepoint is undone.
    match s.savepoint(|s| s.add(&NewProject::new("Apollo"))) {
        Err(e @ Error::UniqueViolation { .. }) => {
            println!("refused by the database, in a savepoint: {e}")
        }
        other => anyhow::bail!("expected a duplicate name, got {other:?}"),
    }
    let raise = ProjectChanges {
        budget: Some(2500),
        ..Default::default()
    };
    let gemini = s.update(gemini.id, &raise)?;
    s.commit()?;
    println!("updated Gemini: budget 0 -> {}", gemini.budget);

    // A session that is dropped without `commit` rolls back: the row was visible inside it
    // only.
    let scratch = {
        let mut s = db.session()?;
        s.add(&NewProject::new("Scratch").budget(1))?
    };
    if db.read_session()?.get(scratch.id)?.is_some() {
        anyhow::bail!("Scratch survived its rolled-back session");
    }
    println!(
        "rolled back: {} was added in a session dropped without commit, and is not stored",
        scratch.name
    );

    // A read session sees one snapshot. `stream_all` reads keyset pages through `page_after`:
    // memory stays flat however many projects there are.
    let mut s = db.read_session()?;
    println!("projects, streamed in id order:");
    for project in s.stream_all::<Project>()? {
        let project = project?;
        println!("  {}: budget {}", project.name, project.budget);
    }

    // Any Diesel query of our own, through `Session::run`: inside the session's transaction,
    // with its error handling. Here a join of our table with staffdb's.
    let leads: Vec<(String, String)> = s.run(|conn| {
        projects::table
            .inner_join(employees::table)
            .select((projects::name, employees::name))
            .order(projects::name)
            .load(conn)
    })?;
    println!("leads, by a join of our own:");
    for (project, lead) in &leads {
        println!("  {project} is led by {lead}");
    }

    // The relations the declaration gives, loaded for a whole page of projects: one statement
    // for the page, one for every lead, one for every member, however many projects there are.
    let page = s.list(&Query::<Project>::new())?.items;
    let leads = s.related(&page, &Project::lead())?;
    let members = s.related(&page, &Project::members())?;
    println!("with their leads and members, in 3 statements:");
    for ((project, lead), members) in page.iter().zip(&leads).zip(&members) {
        let lead = lead.as_ref().map_or("nobody", |e| e.name.as_str());
        let names: Vec<&str> = members.iter().map(|e| e.name.as_str()).collect();
        println!(
            "  {}: led by {lead}; members {}",
            project.name,
            names.join(", ")
        );
    }
    drop(s);

    // Deleting by a typed id: `apollo.id` is a `ProjectId`, so this deletes a project.
    let left = db.transaction(|s| {
        s.delete(apollo.id)?;
        s.run(|conn| {
            projects::table
                .select(projects::name)
                .order(projects::id)
                .load::<String>(conn)
        })
    })?;
    println!(
        "deleted {}; projects left: {}",
        apollo.name,
        left.join(", ")
    );

    // The history the database keeps of every project (`history = projects_history`): every
    // change with what it changed, and the deleted rows, which `Session::restore` brings back.
    let mut s = db.read_session()?;
    let changes = s.history(gemini.id)?;
    let steps: Vec<String> = with_differences(&changes)
        .iter()
        .map(|record| match record.change.operation {
            Operation::Update => {
                let changed: Vec<String> = record
                    .differences
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: {} → {}",
                            d.column.label,
                            d.from.as_deref().unwrap_or(""),
                            d.to
                        )
                    })
                    .collect();
                format!("update ({})", changed.join(", "))
            }
            other => other.to_string(),
        })
        .collect();
    println!("Gemini's history: {}", steps.join(", "));
    let deleted: Vec<String> = s
        .deleted::<Project>()?
        .into_iter()
        .map(|change| change.row.name)
        .collect();
    println!(
        "deleted projects, which restore brings back: {}",
        deleted.join(", ")
    );
    drop(s);

    // Deleting the employee: the foreign key's ON DELETE SET NULL clears Gemini's lead, on
    // every backend (staffdb turns SQLite's foreign keys on).
    let gemini = db.transaction(|s| {
        s.delete(alice.id)?;
        s.get_one(gemini.id)
    })?;
    match gemini.lead_id {
        None => println!(
            "{} left: {} has no lead now (ON DELETE SET NULL)",
            alice.name, gemini.name
        ),
        Some(lead) => anyhow::bail!("{} still has lead {lead}", gemini.name),
    }
    // Her memberships went with her: the join table's ON DELETE CASCADE.
    let mut s = db.read_session()?;
    let members = s.related(std::slice::from_ref(&gemini), &Project::members())?;
    let names: Vec<&str> = members[0].iter().map(|e| e.name.as_str()).collect();
    println!("{}'s members now: {}", gemini.name, names.join(", "));
    Ok(())
}
