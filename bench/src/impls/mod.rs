//! The implementations of the workload, and the fresh database each run starts from.

mod diesel_raw;
#[cfg(feature = "mysql")]
mod floor_mysql;
#[cfg(feature = "postgres")]
mod floor_pg;
mod floor_sqlite;
pub mod peers;
pub mod python;
mod staffdb_api;

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail};
use staffdb::Backend;

use crate::workload::{Outcome, Workload};

/// One implementation of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Impl {
    /// staffdb's Session API.
    Staffdb,
    /// Diesel as a user would write it, on the concrete connection.
    Diesel,
    /// The database's own floor: rusqlite, the `postgres` crate (binary COPY), the `mysql` crate.
    Floor,
    /// SQLite only: the floor's code on the tutorial's four-column table, the table the
    /// SQLAlchemy references write. A yardstick for what staffdb's real table costs.
    TutorialTable,
    /// The SQLAlchemy Core reference.
    SqlaCore,
    /// The SQLAlchemy ORM reference.
    SqlaOrm,
    /// The Django ORM reference (`bench/django_workload.py`), on staffdb's columns.
    Django,
    /// sqlx 0.8 at its best (`bench/peers`), a child binary on staffdb's table.
    Sqlx,
    /// SeaORM 1.1 at its best (`bench/peers`), a child binary on staffdb's table.
    SeaOrm,
}

impl Impl {
    /// Every implementation, in the order the tables list them.
    pub const ALL: [Impl; 9] = [
        Impl::Floor,
        Impl::Staffdb,
        Impl::Diesel,
        Impl::Sqlx,
        Impl::SeaOrm,
        Impl::TutorialTable,
        Impl::SqlaCore,
        Impl::SqlaOrm,
        Impl::Django,
    ];

    /// The Rust implementations, which run in-process.
    pub const RUST: [Impl; 4] = [
        Impl::Floor,
        Impl::Staffdb,
        Impl::Diesel,
        Impl::TutorialTable,
    ];

    /// The Python references, run by python3 ([`python::run`]).
    pub const PYTHON: [Impl; 3] = [Impl::SqlaCore, Impl::SqlaOrm, Impl::Django];

    /// The Rust peers of `bench/peers`, run as a child binary ([`peers::run`]).
    pub const PEERS: [Impl; 2] = [Impl::Sqlx, Impl::SeaOrm];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Impl::Staffdb => "staffdb",
            Impl::Diesel => "diesel",
            Impl::Floor => "floor",
            Impl::TutorialTable => "tutorial-table",
            Impl::SqlaCore => "sqla-core",
            Impl::SqlaOrm => "sqla-orm",
            Impl::Django => "django",
            Impl::Sqlx => "sqlx",
            Impl::SeaOrm => "sea-orm",
        }
    }

    /// Parses a name given on the command line.
    pub fn parse(name: &str) -> Result<Impl> {
        Impl::ALL
            .into_iter()
            .find(|i| i.name() == name)
            .with_context(|| {
                format!("unknown implementation `{name}`: use staffdb, diesel, floor, tutorial-table, sqla-core, sqla-orm, django, sqlx or sea-orm")
            })
    }

    /// Whether it runs on `backend` (the tutorial-table yardstick is SQLite's only; the Rust
    /// peers run on SQLite and PostgreSQL).
    pub fn runs_on(self, backend: Backend) -> bool {
        match self {
            Impl::TutorialTable => backend == Backend::Sqlite,
            Impl::Sqlx | Impl::SeaOrm => peers::runs_on(backend),
            _ => true,
        }
    }

    /// Why it cannot run on `url`, when `url` reaches a transaction pooler
    /// (`pool_mode=transaction`): the floor's `postgres` crate and sqlx prepare statements under
    /// names that another server connection does not know, or knows as another query.
    pub fn pooler_refusal(self, url: &str) -> Option<&'static str> {
        let named = matches!(self, Impl::Floor | Impl::Sqlx | Impl::SeaOrm);
        (named && transaction_pooled(url)).then_some(
            "not run through a transaction pooler (`pool_mode=transaction`): its named \
             prepared statements reach whichever server connection is free",
        )
    }

    /// Whether it writes staffdb's migrated tables (the others create their own table).
    pub fn uses_staffdb_schema(self) -> bool {
        !self.is_python() && self != Impl::TutorialTable
    }

    /// True for the Python references.
    pub fn is_python(self) -> bool {
        self.python().is_some()
    }

    /// What the table calls it on `backend`.
    pub fn describe(self, backend: Backend) -> &'static str {
        match (self, backend) {
            (Impl::Staffdb, _) => {
                "staffdb Session API (`add_all`, `stream_summaries`, `update`, `delete_where`)"
            }
            (Impl::Diesel, Backend::Postgres) => "raw Diesel, multi-row INSERT in chunks of 5,000",
            (Impl::Diesel, _) => "raw Diesel, multi-row INSERT in chunks of 5,000",
            (Impl::Floor, Backend::Sqlite) => {
                "floor: rusqlite, prepared statements, 256-row INSERTs"
            }
            (Impl::TutorialTable, _) => {
                "yardstick: the floor on the tutorial's 4-column table (no index, no bookkeeping)"
            }
            (Impl::Floor, Backend::Postgres) => {
                "floor: `postgres` crate, binary COPY + prepared statements"
            }
            (Impl::Floor, Backend::Mysql) => {
                "floor: `mysql` crate, multi-row prepared INSERT + prepared statements"
            }
            (Impl::SqlaCore, _) => "SQLAlchemy 2 Core",
            (Impl::SqlaOrm, _) => "SQLAlchemy 2 ORM",
            (Impl::Django, Backend::Sqlite) => {
                "Django 5.2 ORM, staffdb's columns: `bulk_create` (111 rows a statement, Django's \
                 cap for SQLite), `values_list().iterator()`, `update(F())`, `get` + \
                 `save(update_fields)`, `delete()` (one DELETE)"
            }
            (Impl::Django, Backend::Postgres) => {
                "Django 5.2 ORM, staffdb's columns: `bulk_create` (`INSERT … SELECT FROM UNNEST`, \
                 5,000 rows a statement), `values_list().iterator()` (server-side cursor), \
                 `update(F())`, `get` + `save(update_fields)`, `delete()` (one DELETE)"
            }
            (Impl::Django, Backend::Mysql) => {
                "Django 5.2 ORM (mysqlclient), staffdb's columns: `bulk_create` (5,000 rows a \
                 statement), `values_list().iterator()`, `update(F())`, `get` + \
                 `save(update_fields)`, `delete()` (one DELETE)"
            }
            (Impl::Sqlx, Backend::Sqlite) => {
                "sqlx 0.8, one connection: `QueryBuilder::push_values` (5,461 rows a statement), \
                 streamed `fetch`, cached prepared statements (`sqlx::query`)"
            }
            (Impl::Sqlx, _) => {
                "sqlx 0.8, one connection: `QueryBuilder::push_values` (10,922 rows a statement), \
                 streamed `fetch`, cached prepared statements (`sqlx::query`)"
            }
            (Impl::SeaOrm, Backend::Sqlite) => {
                "SeaORM 1.1: `insert_many` of ActiveModels (5,461 rows a statement), `.stream()` \
                 of 4-column tuples, `find_by_id` + ActiveModel `update` (`RETURNING`), \
                 `update_many`, `delete_many`"
            }
            (Impl::SeaOrm, _) => {
                "SeaORM 1.1: `insert_many` of ActiveModels (10,922 rows a statement), `.stream()` \
                 of 4-column tuples, `find_by_id` + ActiveModel `update` (`RETURNING`), \
                 `update_many`, `delete_many`"
            }
        }
    }
}

impl fmt::Display for Impl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The backend a URL names (by scheme, as staffdb decides it).
pub fn backend_of(url: &str) -> Result<Backend> {
    Ok(staffdb::DatabaseUrl::parse(url)?.backend())
}

/// Runs the Rust implementation `which` on `url`, which must hold a fresh, migrated database.
pub fn run(which: Impl, url: &str, workload: Workload) -> Result<Outcome> {
    let backend = backend_of(url)?;
    match (which, backend) {
        (Impl::Staffdb, _) => staffdb_api::run(url, workload),
        (Impl::Diesel, _) => diesel_raw::run(url, workload),
        (Impl::Floor, Backend::Sqlite) => {
            floor_sqlite::run(sqlite_path(url)?, workload, floor_sqlite::Table::Staffdb)
        }
        (Impl::TutorialTable, Backend::Sqlite) => {
            floor_sqlite::run(sqlite_path(url)?, workload, floor_sqlite::Table::Tutorial)
        }
        #[cfg(feature = "postgres")]
        (Impl::Floor, Backend::Postgres) => floor_pg::run(url, workload),
        #[cfg(feature = "mysql")]
        (Impl::Floor, Backend::Mysql) => floor_mysql::run(url, workload),
        (Impl::SqlaCore | Impl::SqlaOrm | Impl::Django, _) => {
            bail!("{which} runs through python3, not in-process")
        }
        (Impl::Sqlx | Impl::SeaOrm, _) => {
            bail!("{which} runs as bench/peers' staffdb-peers binary, not in-process")
        }
        #[allow(unreachable_patterns)]
        (_, backend) => bail!(
            "this staffdb-bench was built without {backend} support: add `--features {backend}`"
        ),
    }
}

/// The file a SQLite URL names.
pub fn sqlite_path(url: &str) -> Result<&str> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("file://"))
        .unwrap_or(url);
    if path.is_empty() || path == ":memory:" {
        bail!("the benchmark needs a SQLite file, not `{url}`");
    }
    Ok(path)
}

/// Puts every process the harness starts on the same transport: PostgreSQL without TLS.
///
/// libpq's default (`sslmode=prefer`) encrypts whenever the server offers TLS, as a stock
/// Debian server does, so staffdb, raw Diesel, psql and the Python drivers (all on libpq) would
/// pay for TLS on both ends while the floor's `postgres` crate and sqlx, built here without TLS,
/// talk in the clear. Measured at N = 100,000: staffdb's `upd_row` 1.22× the floor's with TLS.
/// MariaDB's connectors here do not encrypt unless asked (and the local server has no TLS).
pub fn plain_transport(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("PGSSLMODE", "disable")
}

/// The URL parameters that are staffdb's own and that staffdb takes out before the driver sees
/// the URL: the harness's own connections (its admin connection, raw Diesel, the floor) take
/// them out too, or libpq refuses the URL (`invalid connection option "pool_mode"`).
pub const STAFFDB_PARAMETERS: [&str; 2] = ["pool_mode", "wait_for_primary"];

/// `url` as a driver takes it: without [`STAFFDB_PARAMETERS`], every other parameter kept in
/// its order.
pub fn driver_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !pair.is_empty() && !STAFFDB_PARAMETERS.contains(&key)
        })
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// True when `url` asks staffdb for transaction pooling (`pool_mode=transaction`): it reaches a
/// transaction pooler such as PgBouncer, where a session's state and its named prepared
/// statements do not last from one transaction to the next.
pub fn transaction_pooled(url: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "pool_mode=transaction"))
}

/// Empties the database at `url`: deletes the SQLite file (and its WAL), or drops and creates
/// the server database. With `migrate`, applies staffdb's migrations, so the run starts from
/// staffdb's real, empty tables.
pub fn fresh_database(url: &str, migrate: bool) -> Result<()> {
    fresh_database_via(url, None, migrate)
}

/// [`fresh_database`], with the server database dropped and created through `admin` (a URL of
/// the same server, whose database name is ignored) instead of through `url`'s own server: a
/// pooler such as PgBouncer cannot drop or create a database, and holds server connections to
/// the one it serves.
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub fn fresh_database_via(url: &str, admin: Option<&str>, migrate: bool) -> Result<()> {
    match backend_of(url)? {
        Backend::Sqlite => {
            let path = sqlite_path(url)?;
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let file = format!("{path}{suffix}");
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("cannot remove {file}")),
                }
            }
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => floor_pg::recreate_database(url, admin)?,
        #[cfg(feature = "mysql")]
        Backend::Mysql => floor_mysql::recreate_database(url)?,
        #[allow(unreachable_patterns)]
        backend => bail!(
            "this staffdb-bench was built without {backend} support: add `--features {backend}`"
        ),
    }
    if migrate {
        staffdb::Database::open(url).with_context(|| format!("cannot migrate {url}"))?;
    }
    Ok(())
}

/// The server's version string, for the report.
pub fn server_version(url: &str) -> Result<String> {
    match backend_of(url)? {
        Backend::Sqlite => Ok(format!("SQLite {}", rusqlite::version())),
        #[cfg(feature = "postgres")]
        Backend::Postgres => floor_pg::server_version(&driver_url(url)),
        #[cfg(feature = "mysql")]
        Backend::Mysql => floor_mysql::server_version(url),
        #[allow(unreachable_patterns)]
        backend => bail!("built without {backend} support"),
    }
}

/// What a PostgreSQL pooler at `url` says it is (PgBouncer's `SHOW VERSION`), if it says.
pub fn pooler_version(url: &str) -> Option<String> {
    #[cfg(feature = "postgres")]
    {
        floor_pg::pooler_version(&driver_url(url))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        None
    }
}

/// The database name in a server URL's path.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn database_name(url: &url::Url) -> Result<String> {
    let name = url.path().trim_start_matches('/');
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("the benchmark database name must be letters, digits and `_`, not `{name}`");
    }
    Ok(name.to_owned())
}

/// How many employees the database at `url` holds.
pub fn run_count(url: &str) -> Result<i64> {
    let mut session = staffdb::Database::open(url)?.read_session()?;
    Ok(staffdb::Employee::count(
        &mut session,
        &staffdb::EmployeeFilter::new(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// staffdb's own parameters are taken out of the URLs the harness hands a driver (libpq
    /// refuses `pool_mode`), every other parameter is kept, and `pool_mode=transaction` is seen.
    #[test]
    fn staffdb_parameters_are_taken_out_for_drivers() {
        let url = "postgres://u:p@127.0.0.1:6432/db?pool_mode=transaction";
        assert_eq!(driver_url(url), "postgres://u:p@127.0.0.1:6432/db");
        assert!(transaction_pooled(url));
        assert_eq!(
            driver_url(
                "postgres://h/db?sslmode=disable&pool_mode=transaction&wait_for_primary=30&connect_timeout=2"
            ),
            "postgres://h/db?sslmode=disable&connect_timeout=2"
        );
        assert_eq!(driver_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(driver_url("postgres://h/db?"), "postgres://h/db");
        assert!(!transaction_pooled("postgres://h/db?pool_mode=session"));
        assert!(!transaction_pooled("postgres://h/db"));
        assert!(!transaction_pooled(
            "postgres://h/db?xpool_mode=transaction"
        ));
    }
}
