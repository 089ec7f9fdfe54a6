//! A database of its own for every test, on every backend that is available.
//!
//! SQLite always runs (a file in a temp dir). PostgreSQL and MySQL run when the crate is built
//! with their feature, on the server of the admin URL in `STAFFDB_TEST_POSTGRES_URL` /
//! `STAFFDB_TEST_MYSQL_URL`, or when that is unset on the local default
//! ([`DEFAULT_POSTGRES_URL`], [`DEFAULT_MYSQL_URL`]): each test gets a `CREATE DATABASE` of its
//! own, dropped afterwards, so tests run in parallel. A server that cannot be reached fails the
//! test, saying which URL it tried. Built without a backend's feature, that backend's tests are
//! reported as ignored (`#[ignore]`), never as passed.

#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use staffdb::{Backend, Database, NewEmployee, OpenOptions};

/// A test database, removed when dropped.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// Where the library's read sessions go (`STAFFDB_TEST_POSTGRES_READ_URL`: a standby).
    pub read_url: Option<String>,
    _dir: Option<tempfile::TempDir>,
    server: Option<ServerDb>,
}

struct ServerDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A fresh, empty database on `backend`. Panics when the backend's server cannot be
    /// reached, or when the build lacks its feature (its tests are then ignored: see
    /// [`on_every_backend!`]).
    pub fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("staffdb-test.db").display().to_string();
                TestDb {
                    backend,
                    url,
                    read_url: None,
                    _dir: Some(dir),
                    server: None,
                }
            }
            Backend::Postgres | Backend::Mysql => Self::create_on_server(backend),
        }
    }

    fn create_on_server(backend: Backend) -> TestDb {
        let admin_url = admin_url(backend);
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "staffdb_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        // The admin URL's query is staffdb's (`pool_mode=transaction` through PgBouncer): the
        // test's URL keeps it, and the admin work, which Diesel does alone, goes without it.
        let (admin_url, query) = match admin_url.split_once('?') {
            Some((url, query)) => (url.to_owned(), Some(query.to_owned())),
            None => (admin_url, None),
        };
        // An admin URL of several hosts (a cluster's nodes): the admin work goes to the first,
        // and the test's own URL names them all, each connection on a node picked at random.
        let (admin_url, several) = first_host(&admin_url);
        admin_execute(backend, &admin_url, &format!("CREATE DATABASE {name}"));
        let url = match &several {
            Some(all_hosts) => format!(
                "{}?load_balance_hosts=random",
                with_database(all_hosts, &name)
            ),
            None => with_database(&admin_url, &name),
        };
        let url = match &query {
            Some(query) if url.contains('?') => format!("{url}&{query}"),
            Some(query) => format!("{url}?{query}"),
            None => url,
        };
        let read_url = match backend {
            Backend::Postgres => std::env::var("STAFFDB_TEST_POSTGRES_READ_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .map(|u| with_database(&u, &name)),
            _ => None,
        };
        TestDb {
            backend,
            url,
            read_url,
            _dir: None,
            server: Some(ServerDb { admin_url, name }),
        }
    }

    /// Opens the database (migrating it), with a pool large enough for the concurrency tests,
    /// and its reads on a standby when the run names one.
    pub fn open(&self) -> Database {
        self.open_with(OpenOptions::new())
    }

    /// [`TestDb::open`] with `options` of the test's own (an application's migrations, say).
    pub fn open_with(&self, options: OpenOptions) -> Database {
        let options = options.max_connections(16);
        let options = match &self.read_url {
            Some(read_url) => options.read_url(read_url),
            None => options,
        };
        options
            .open(&self.url)
            .unwrap_or_else(|e| panic!("opening {}: {e} ({e:?})", self.backend))
    }

    /// The database through one server: the first node of a cluster URL, for a client that
    /// takes one host (Diesel's own connections and CLI), or a test of one server's locks.
    pub fn single_host_url(&self) -> String {
        let url = self.url.split('?').next().unwrap_or(&self.url);
        first_host(url).0
    }

    /// True when the database is reached through several nodes (a Galera cluster).
    pub fn is_cluster(&self) -> bool {
        self.url.contains("load_balance_hosts=")
    }

    /// Opens the database without applying migrations.
    pub fn open_unmigrated(&self) -> Database {
        OpenOptions::new()
            .migrate(false)
            .open(&self.url)
            .unwrap_or_else(|e| panic!("opening {}: {e} ({e:?})", self.backend))
    }
}

impl TestDb {
    /// Drops a server database now, its connections cut (a database that went away under a
    /// running server); dropping the `TestDb` afterwards is harmless.
    pub fn vanish(&self) {
        self.drop_database();
    }

    fn drop_database(&self) {
        if let Some(server) = &self.server {
            let sql = match self.backend {
                Backend::Postgres => {
                    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", server.name)
                }
                _ => format!("DROP DATABASE IF EXISTS {}", server.name),
            };
            admin_execute(self.backend, &server.admin_url, &sql);
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_database();
    }
}

/// `text` with each `ID: N` replaced by its ordinal, in the order the ids first appear: a
/// cluster's ids step by the node count, and a test of what is printed compares positions.
pub fn ids_as_ordinals(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("ID: ") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let id = after[..digits].to_owned();
        let ordinal = match seen.iter().position(|s| *s == id) {
            Some(index) => index + 1,
            None => {
                seen.push(id);
                seen.len()
            }
        };
        out.push_str(&ordinal.to_string());
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(slash) if slash > url.find("://").map_or(0, |i| i + 2) => {
            format!("{}/{name}", &url[..slash])
        }
        _ => format!("{}/{name}", url.trim_end_matches('/')),
    }
}

/// For `scheme://user@h1,h2,h3/db`: the URL of its first host alone, and the URL itself; for a
/// URL of one host, that URL and `None`.
fn first_host(url: &str) -> (String, Option<String>) {
    let Some((head, tail)) = url.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let (hosts, path) = tail.split_once('/').unwrap_or((tail, ""));
    match hosts.split_once(',') {
        Some((first, _)) => (format!("{head}@{first}/{path}"), Some(url.to_owned())),
        None => (url.to_owned(), None),
    }
}

/// The local PostgreSQL server's admin URL, used when `STAFFDB_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The local MariaDB server's admin URL, used when `STAFFDB_TEST_MYSQL_URL` is unset.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// The admin URL of `backend`'s test server: its variable, or the local default (said once).
/// Panics in a build without the backend's feature: its tests are ignored there, and one run
/// with `--ignored` must not pass without running.
pub fn admin_url(backend: Backend) -> String {
    let (variable, default, feature_on) = match backend {
        Backend::Postgres => (
            "STAFFDB_TEST_POSTGRES_URL",
            DEFAULT_POSTGRES_URL,
            cfg!(feature = "postgres"),
        ),
        _ => (
            "STAFFDB_TEST_MYSQL_URL",
            DEFAULT_MYSQL_URL,
            cfg!(feature = "mysql"),
        ),
    };
    assert!(
        feature_on,
        "the {backend} tests need a build with `--features {backend}`"
    );
    if let Some(url) = std::env::var(variable).ok().filter(|u| !u.is_empty()) {
        return url;
    }
    static POSTGRES: Once = Once::new();
    static MYSQL: Once = Once::new();
    let once = if backend == Backend::Postgres {
        &POSTGRES
    } else {
        &MYSQL
    };
    once.call_once(|| {
        // Straight to stderr: the test harness captures println!/eprintln!, not this.
        let _ = writeln!(
            std::io::stderr(),
            "note: {variable} is unset: the {backend} tests use {default}"
        );
    });
    default.to_owned()
}

#[allow(unused_variables, unused_imports)]
fn admin_execute(backend: Backend, admin_url: &str, sql: &str) {
    use diesel::prelude::*;
    match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(admin_url).unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL at {admin_url} is not reachable: {e} \
                     (set STAFFDB_TEST_POSTGRES_URL to a server's admin URL)"
                )
            });
            diesel::sql_query(sql).execute(&mut conn).expect(sql);
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let mut conn = diesel::MysqlConnection::establish(admin_url).unwrap_or_else(|e| {
                panic!(
                    "MySQL at {admin_url} is not reachable: {e} \
                     (set STAFFDB_TEST_MYSQL_URL to a server's admin URL)"
                )
            });
            diesel::sql_query(sql).execute(&mut conn).expect(sql);
        }
        _ => panic!("the {backend} tests need a build with `--features {backend}`"),
    }
}

/// Runs `test` on a fresh database of `backend`.
pub fn run(backend: Backend, test: fn(&TestDb)) {
    test(&TestDb::create(backend));
}

/// Generates, for each listed test function `fn name(db: &TestDb)`, one `#[test]` per backend:
/// `sqlite::name`, `postgres::name`, `mysql::name`; the functions after `servers:` get only the
/// last two (what they prove does not arise on SQLite). A test may carry attributes, such as
/// `#[ignore = "why"]`, which its every backend's test gets. A backend left out of the build is
/// not skipped in silence: its tests are reported as ignored, saying which feature they need.
macro_rules! on_every_backend {
    ($($(#[$attr:meta])* $name:ident),+ $(,)? $(; servers: $($(#[$sattr:meta])* $server_only:ident),+ $(,)?)?) => {
        mod sqlite {
            $($(#[$attr])* #[test] fn $name() { $crate::common::run(staffdb::Backend::Sqlite, super::$name) })+
        }
        mod postgres {
            $(
                #[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
                $(#[cfg_attr(feature = "postgres", $attr)])*
                #[test] fn $name() { $crate::common::run(staffdb::Backend::Postgres, super::$name) }
            )+
            $($(
                #[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
                $(#[cfg_attr(feature = "postgres", $sattr)])*
                #[test] fn $server_only() { $crate::common::run(staffdb::Backend::Postgres, super::$server_only) }
            )+)?
        }
        mod mysql {
            $(
                #[cfg_attr(not(feature = "mysql"), ignore = "build with --features mysql")]
                $(#[cfg_attr(feature = "mysql", $attr)])*
                #[test] fn $name() { $crate::common::run(staffdb::Backend::Mysql, super::$name) }
            )+
            $($(
                #[cfg_attr(not(feature = "mysql"), ignore = "build with --features mysql")]
                $(#[cfg_attr(feature = "mysql", $sattr)])*
                #[test] fn $server_only() { $crate::common::run(staffdb::Backend::Mysql, super::$server_only) }
            )+)?
        }
    };
}
pub(crate) use on_every_backend;

/// A builder for test employees: `employee("Alice").age(30).email("a@x.io").build()`.
pub struct EmployeeBuilder(NewEmployee);

pub fn employee(name: &str) -> EmployeeBuilder {
    EmployeeBuilder(NewEmployee::new(name, 30, "Developer"))
}

impl EmployeeBuilder {
    pub fn age(mut self, age: i32) -> Self {
        self.0.age = age;
        self
    }
    pub fn position(mut self, position: &str) -> Self {
        self.0.position = position.into();
        self
    }
    pub fn email(mut self, email: &str) -> Self {
        self.0.email = Some(email.into());
        self
    }
    pub fn department_id(mut self, id: staffdb::DepartmentId) -> Self {
        self.0.department_id = Some(id);
        self
    }
    pub fn hired_on(mut self, date: &str) -> Self {
        self.0.hired_on = Some(staffdb::parse_date(date).expect("test date"));
        self
    }
    pub fn build(self) -> NewEmployee {
        self.0
    }
}

/// Typed employee ids from plain numbers.
pub fn employee_ids(raw: &[i64]) -> Vec<staffdb::EmployeeId> {
    raw.iter().copied().map(staffdb::EmployeeId).collect()
}

/// How many migrations staffdb itself has (the same on every backend): counted from
/// `migrations/sqlite`, so that a new migration changes no test.
pub fn staffdb_migrations() -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite");
    std::fs::read_dir(dir)
        .expect("migrations dir")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count()
}
