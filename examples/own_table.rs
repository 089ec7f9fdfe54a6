//! A table of your own beside staffdb's: `projects`, led by an employee.
//!
//! This is what an application built on staffdb writes to get its own tables served by the same
//! [`Session`](staffdb::Session) as employees and departments:
//!
//! 1. its migrations, one directory per dialect (`examples/own_table/migrations/…`), compiled in
//!    with `embed_migrations!` and handed to [`OpenOptions::app_migrations`]; staffdb runs its
//!    own first, then these, with the same `__diesel_schema_migrations` bookkeeping, so
//!    `diesel migration run` and staffdb agree on what is applied;
//! 2. the table's `table!` declaration, and how it joins staffdb's `employees`;
//! 3. a read struct, an insert struct and an update struct, with [`Validate`] for the rules the
//!    database should never see broken;
//! 4. `impl Model for Project`: five small queries in plain Diesel against an [`AnyConnection`].
//!    Everything else — `add`, `get`, `update`, `delete`, `stream_all`, savepoints, retries,
//!    failure tracking — comes from the Session;
//! 5. `impl AdminModel for Project`: its form's fields and its list's columns, so that
//!    `staffdb serve`'s admin ([`Admin`]) gets list, add, edit and delete pages for it.
//!
//! ```text
//! cargo run --example own_table                      # on a fresh own_table.db (deleted first)
//! cargo run --example own_table -- serve own_table.db 127.0.0.1:8080   # the admin, /projects too
//! cargo run --features servers --example own_table -- postgres://…/empty_db
//! cargo run --features servers --example own_table -- mysql://…/empty_db
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
//! added in one transaction: Alice (Lead), Apollo (budget 1000), Gemini (budget 0)
//! refused before the database: invalid name: must not be blank
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
//! deleted Apollo; projects left: Gemini
//! Alice left: Gemini has no lead now (ON DELETE SET NULL)
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

// Every `diesel::…` path below, and the `use diesel;` the derives expand to, mean staffdb's
// Diesel.
use staffdb::diesel;
use staffdb::diesel::prelude::*;
use staffdb::diesel_migrations::{self, EmbeddedMigrations, embed_migrations};

use chrono::NaiveDateTime;
use staffdb::backend::checked;
use staffdb::schema::employees;
use staffdb::web::{Admin, AdminModel, Field, FieldKind, FormValues};
use staffdb::{
    AnyConnection, AppMigrations, EmployeeId, Error, MigrationOwner, MigrationState, Model,
    ModelId, NewEmployee, NewModel, OpenOptions, Session, Validate,
};

// --- The migrations --------------------------------------------------------------------------

/// The application's migrations for each dialect, compiled into the binary. The paths are
/// relative to the crate's `Cargo.toml`.
const SQLITE_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("examples/own_table/migrations/sqlite");
/// For PostgreSQL: `SERIAL`, `COLLATE "C"`.
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("examples/own_table/migrations/postgres");
/// For MySQL / MariaDB: `AUTO_INCREMENT`, InnoDB, `utf8mb4_bin`.
const MYSQL_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("examples/own_table/migrations/mysql");

/// All three sets: staffdb picks the one for the URL's backend when the database is opened.
fn app_migrations() -> AppMigrations {
    AppMigrations::new()
        .sqlite(SQLITE_MIGRATIONS)
        .postgres(POSTGRES_MIGRATIONS)
        .mysql(MYSQL_MIGRATIONS)
}

// --- The schema ------------------------------------------------------------------------------

// What `diesel print-schema` prints for the migrations (the same for all three dialects, up to
// type aliases). `employees` is staffdb's own table, imported from `staffdb::schema` above.
diesel::table! {
    /// An application's table, beside staffdb's.
    projects (id) {
        /// Assigned by the database.
        id -> BigInt,
        /// Unique.
        name -> Text,
        /// The employee leading it; set to NULL when that employee is deleted.
        lead_id -> Nullable<BigInt>,
        /// Never negative (a CHECK constraint).
        budget -> Integer,
        /// Set by the database when the row is inserted (UTC).
        created_at -> Timestamp,
    }
}

// `inner_join(employees::table)` follows `lead_id`.
diesel::joinable!(projects -> employees (lead_id));

// A join also needs Diesel to know that the two tables may appear in one query. Within one crate
// `diesel::allow_tables_to_appear_in_same_query!(projects, employees)` says so, but `employees`
// is staffdb's: with the `postgres` feature the macro also writes impls for PostgreSQL's
// `ONLY`/`TABLESAMPLE` wrappers that the orphan rule forbids outside the crate that declares
// `employees` (diesel-rs/diesel#4858). The two impls the macro is made of, for the tables
// themselves, are what a join needs, and are ours to write:
impl diesel::query_source::TableNotEqual<employees::table> for projects::table {}
impl diesel::query_source::TableNotEqual<projects::table> for employees::table {}

// --- The id ----------------------------------------------------------------------------------

/// A project's id: a newtype, so that an [`EmployeeId`] can't be passed where a project's id
/// goes (`session.delete(alice.id)` deletes an employee, `session.delete(apollo.id)` a project).
///
/// `AsExpression` and `FromSqlRow`, with the two impls below, let it stand for the `BigInt`
/// column in queries and results on every backend, exactly like staffdb's own ids.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::BigInt)]
pub struct ProjectId(pub i64);

impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for ProjectId
where
    DB: diesel::backend::Backend,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        self.0.to_sql(out)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for ProjectId
where
    DB: diesel::backend::Backend,
    i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        i64::from_sql(bytes).map(ProjectId)
    }
}

impl std::fmt::Display for ProjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Errors name the row by an `i64` (`project 7 not found`), whatever the id's type.
impl From<ProjectId> for i64 {
    fn from(id: ProjectId) -> i64 {
        id.0
    }
}

/// Tells the Session which model an id belongs to: `session.get(id)` needs no annotation.
impl ModelId for ProjectId {
    type Model = Project;
}

// --- The structs -----------------------------------------------------------------------------

/// A project, as stored.
///
/// `check_for_backend` makes the compiler check each field's type against each backend's column
/// type (it names only the backends this build of staffdb has, so it compiles with or without
/// the `servers` feature).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = projects)]
#[diesel(check_for_backend(checked::Sqlite, checked::Pg, checked::Mysql))]
pub struct Project {
    /// Assigned by the database.
    pub id: ProjectId,
    /// Unique.
    pub name: String,
    /// Who leads it, if anyone.
    pub lead_id: Option<EmployeeId>,
    /// Never negative.
    pub budget: i32,
    /// When it was inserted (UTC).
    pub created_at: NaiveDateTime,
}

/// A project to create: `session.add(&NewProject::new("Apollo").lead(alice.id).budget(1000))`.
///
/// No `id` or `created_at`: the database assigns them.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject {
    /// Unique, not blank.
    pub name: String,
    /// Who leads it (`None` writes NULL).
    pub lead_id: Option<EmployeeId>,
    /// Not negative.
    pub budget: i32,
}

impl NewProject {
    /// A project with this name, no lead and no budget.
    pub fn new(name: impl Into<String>) -> Self {
        NewProject {
            name: name.into(),
            lead_id: None,
            budget: 0,
        }
    }

    /// Led by this employee.
    pub fn lead(mut self, lead: EmployeeId) -> Self {
        self.lead_id = Some(lead);
        self
    }

    /// With this budget.
    pub fn budget(mut self, budget: i32) -> Self {
        self.budget = budget;
        self
    }
}

/// The table's rules, as plain functions both the insert and the update form use.
mod rules {
    use staffdb::{Error, MAX_TEXT_CHARS, Result};

    /// Not blank, and short enough for MySQL's `VARCHAR(200)` (which counts characters).
    pub fn name(name: &str) -> Result<()> {
        if name.trim().is_empty() {
            return Err(Error::validation("name", "must not be blank"));
        }
        let chars = name.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(Error::validation(
                "name",
                format!("must be at most {MAX_TEXT_CHARS} characters (it has {chars})"),
            ));
        }
        Ok(())
    }

    /// The database's CHECK would refuse a negative budget too, but only after a round trip and
    /// with a database error that fails the whole transaction; refused here, the session goes on.
    pub fn budget(budget: i32) -> Result<()> {
        if budget < 0 {
            return Err(Error::validation(
                "budget",
                format!("must not be negative (got {budget})"),
            ));
        }
        Ok(())
    }
}

/// `Session::add` calls this before anything reaches the database.
impl Validate for NewProject {
    fn validate(&mut self) -> staffdb::Result<()> {
        rules::name(&self.name)?;
        rules::budget(self.budget)
    }
}

/// Tells the Session what `session.add(&new_project)` returns.
impl NewModel for NewProject {
    type Model = Project;
}

/// Changes to a project: each `None` leaves its column alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = projects)]
pub struct ProjectChanges {
    /// A new name (unique).
    pub name: Option<String>,
    /// A new lead: `Some(None)` removes it.
    pub lead_id: Option<Option<EmployeeId>>,
    /// A new budget.
    pub budget: Option<i32>,
}

/// `Session::update` calls this before anything reaches the database.
impl Validate for ProjectChanges {
    fn validate(&mut self) -> staffdb::Result<()> {
        // An UPDATE with nothing to SET is an error in Diesel; say so in words.
        if *self == ProjectChanges::default() {
            return Err(Error::validation("changes", "nothing to change"));
        }
        if let Some(name) = &self.name {
            rules::name(name)?;
        }
        if let Some(budget) = self.budget {
            rules::budget(budget)?;
        }
        Ok(())
    }
}

// --- The model -------------------------------------------------------------------------------

/// The five queries that are the table's own, in plain Diesel on an [`AnyConnection`] (Diesel's
/// `MultiConnection` over the backends compiled in): the same code runs on SQLite, PostgreSQL
/// and MySQL.
///
/// `MultiConnection` has no `RETURNING` (MySQL lacks it), so a write is executed and the row is
/// read back: in the Session's transaction, so no other writer can get in between.
impl Model for Project {
    type Id = ProjectId;
    type New = NewProject;
    type Changes = ProjectChanges;
    const NAME: &'static str = "project";

    fn id(&self) -> ProjectId {
        self.id
    }

    fn insert(conn: &mut AnyConnection, new: NewProject) -> staffdb::Result<Project> {
        diesel::insert_into(projects::table)
            .values(&new)
            .execute(conn)?;
        // `last_insert_rowid()`, `lastval()` or `LAST_INSERT_ID()`: per connection, so it is
        // this insert's id even with other writers about.
        let id = staffdb::last_insert_id(conn)?;
        Project::find(conn, ProjectId(id))?.ok_or_else(|| diesel::result::Error::NotFound.into())
    }

    fn find(conn: &mut AnyConnection, id: ProjectId) -> staffdb::Result<Option<Project>> {
        Ok(projects::table
            .find(id)
            .select(Project::as_select())
            .get_result(conn)
            .optional()?)
    }

    fn update(
        conn: &mut AnyConnection,
        id: ProjectId,
        changes: &ProjectChanges,
    ) -> staffdb::Result<Option<Project>> {
        // The row is read back anyway (no `RETURNING`), and that read also answers whether
        // there is such a row: `None` becomes the Session's `NotFound`.
        diesel::update(projects::table.find(id))
            .set(changes)
            .execute(conn)?;
        Project::find(conn, id)
    }

    fn delete(conn: &mut AnyConnection, id: ProjectId) -> staffdb::Result<bool> {
        let deleted = diesel::delete(projects::table.find(id)).execute(conn)?;
        Ok(deleted > 0)
    }

    /// One keyset page: `WHERE id > after ORDER BY id LIMIT n`, which stays fast however deep
    /// the stream is (an `OFFSET` would rescan every row before it).
    fn page_after(
        conn: &mut AnyConnection,
        after: Option<ProjectId>,
        limit: i64,
    ) -> staffdb::Result<Vec<Project>> {
        let after = after.unwrap_or(ProjectId(i64::MIN));
        Ok(projects::table
            .filter(projects::id.gt(after))
            .order(projects::id)
            .limit(limit)
            .select(Project::as_select())
            .load(conn)?)
    }
}

// --- The admin pages -------------------------------------------------------------------------

/// How `staffdb serve`'s admin shows and edits a project: registered with
/// `Admin::new(db).model::<Project>()`, it gets `/projects` (a list), `/projects/new`,
/// `/projects/{id}` and `/projects/{id}/delete`, beside staffdb's own pages.
impl AdminModel for Project {
    const PLURAL: &'static str = "projects";

    fn id_from(raw: i64) -> ProjectId {
        ProjectId(raw)
    }

    fn fields(_: &mut Session) -> staffdb::Result<Vec<Field>> {
        let id = FieldKind::Number {
            min: 1,
            max: i64::MAX,
        };
        let budget = FieldKind::Number {
            min: 0,
            max: i64::from(i32::MAX),
        };
        Ok(vec![
            Field::new("name", "Name", FieldKind::Text).required(),
            Field::new("lead_id", "Lead (employee id)", id),
            Field::new("budget", "Budget", budget).required(),
        ])
    }

    fn columns() -> &'static [&'static str] {
        &["id", "name", "lead", "budget"]
    }

    fn cells(&self) -> Vec<String> {
        let lead = self.lead_id.map(|id| id.to_string()).unwrap_or_default();
        vec![
            self.id.to_string(),
            self.name.clone(),
            lead,
            self.budget.to_string(),
        ]
    }

    fn values(&self) -> FormValues {
        let lead = self.lead_id.map(|id| id.to_string()).unwrap_or_default();
        FormValues(vec![
            ("name".into(), self.name.clone()),
            ("lead_id".into(), lead),
            ("budget".into(), self.budget.to_string()),
        ])
    }

    fn new_from(form: &FormValues) -> staffdb::Result<NewProject> {
        Ok(NewProject {
            name: form.string("name"),
            lead_id: form.number("lead_id")?.map(EmployeeId),
            budget: form.required_number("budget")?,
        })
    }

    fn changes_from(form: &FormValues) -> staffdb::Result<ProjectChanges> {
        let new = Self::new_from(form)?;
        Ok(ProjectChanges {
            name: Some(new.name),
            lead_id: Some(new.lead_id),
            budget: Some(new.budget),
        })
    }
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

/// `own_table serve URL [ADDR]`: staffdb's admin with the projects' pages beside its own.
fn serve(url: &str, bind: Option<String>) -> anyhow::Result<()> {
    let db = OpenOptions::new()
        .app_migrations(app_migrations())
        .open(url)?;
    let bind = bind
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()?;
    Admin::new(db).model::<Project>().serve(bind)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("serve") {
        let url = args.next().unwrap_or_else(|| "own_table.db".to_owned());
        return serve(&url, args.next());
    }
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
        let apollo = s.add(&NewProject::new("Apollo").lead(alice.id).budget(1000))?;
        let gemini = s.add(&NewProject::new("Gemini").lead(alice.id))?;
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
    Ok(())
}
