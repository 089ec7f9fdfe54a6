//! Tests of the `staffdb` binary: the real executable, run against SQLite files in temp dirs.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

use crate::common::{TestDb, on_every_backend, staffdb_migrations};

on_every_backend!(
    concurrent_adds_to_a_new_department_all_succeed,
    concurrent_upserts_of_the_same_new_emails_all_succeed,
    demo_on_an_explicit_url_needs_an_empty_database,
    add_prints_the_stored_row_in_every_format,
    list_prints_lines_table_json_and_csv,
    list_filters_sorts_and_pages,
    list_by_unknown_department_creates_nothing,
    show_prints_one_employee_or_not_found,
    update_changes_fields_and_bumps_the_version,
    a_department_flag_is_a_name_even_when_it_is_digits,
    update_with_a_stale_version_is_refused_and_changes_nothing,
    update_refuses_invalid_input_and_unknown_ids,
    delete_is_all_or_nothing,
    invalid_input_exits_2_and_changes_nothing,
    duplicate_email_is_refused,
    hostile_and_non_ascii_text_round_trips_literally,
    export_import_round_trip_reproduces_the_rows,
    import_with_one_bad_record_writes_nothing,
    import_reads_csv_flexibly_and_json_from_stdin,
    import_refuses_malformed_files,
    import_upsert_updates_by_email,
    stats_by_position_and_department,
    departments_subcommands,
    migrate_status_apply_revert_and_redo,
    echo_prints_sql_with_durations_on_stderr,
    quiet_silences_messages_only,
    failed_export_leaves_no_partial_file,
    a_read_on_a_database_without_the_schema_exits_1_and_creates_no_table,
    a_read_on_a_database_with_migrations_pending_exits_1_and_changes_nothing,
    reads_on_an_empty_database_are_refused_but_a_write_migrates_it,
);

/// Every read-only command: none may change a database.
const READS: [&[&str]; 6] = [
    &["list"],
    &["show", "1"],
    &["export"],
    &["stats"],
    &["departments", "list"],
    &["migrate", "--status"],
];

/// How many tables the test database holds, counted by the database's own catalogue (the
/// binary is not asked: it is what is being tested).
#[allow(unused_imports)]
fn table_count(db: &TestDb) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let url = db.single_host_url();
    let counted: QueryResult<Vec<Count>> = match db.backend {
        staffdb::Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&url).expect("open the file");
            diesel::sql_query("SELECT count(*) AS n FROM sqlite_master").load(&mut conn)
        }
        #[cfg(feature = "postgres")]
        staffdb::Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&url).expect("connect");
            diesel::sql_query(
                "SELECT count(*) AS n FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            )
            .load(&mut conn)
        }
        #[cfg(feature = "mysql")]
        staffdb::Backend::Mysql => {
            let mut conn = diesel::MysqlConnection::establish(&url).expect("connect");
            diesel::sql_query(
                "SELECT count(*) AS n FROM information_schema.tables \
                 WHERE table_schema = DATABASE()",
            )
            .load(&mut conn)
        }
        #[allow(unreachable_patterns)]
        other => unreachable!("{other} tests run only with its feature"),
    };
    counted.expect("count the tables")[0].n
}

/// An empty database of the test's backend: on SQLite an empty file (a missing one is `no
/// database at PATH`, tested elsewhere), on a server the test's fresh database as it is.
fn empty_database(db: &TestDb) -> Cli {
    if db.backend == staffdb::Backend::Sqlite {
        std::fs::write(&db.url, b"").expect("create an empty SQLite file");
    }
    Cli::on(db)
}

/// Every read command on a database without staffdb's schema (an empty one: a server's
/// maintenance database, a SQLite file of nothing) exits 1 with `no staffdb schema in
/// DATABASE: run `staffdb migrate``, and the database still holds no table.
fn a_read_on_a_database_without_the_schema_exits_1_and_creates_no_table(db: &TestDb) {
    let cli = empty_database(db);
    for args in READS {
        let stderr = cli.fails(args, 1);
        assert_error(&stderr, "no staffdb schema in ");
        assert_error(&stderr, ": run `staffdb migrate`");
        assert_eq!(table_count(db), 0, "{args:?} created tables");
    }
    if db.backend == staffdb::Backend::Sqlite {
        // Not even switched to WAL: the file is as it was, with no -wal or -shm beside it.
        assert_eq!(std::fs::metadata(&db.url).expect("file").len(), 0);
        let beside = std::fs::read_dir(std::path::Path::new(&db.url).parent().expect("dir"));
        assert_eq!(beside.expect("dir").count(), 1);
    }
}

/// A read command on a database whose schema is behind this binary (a migration pending) exits
/// 1 saying how many are pending, and applies none: reading old tables with new code could
/// misread them.
fn a_read_on_a_database_with_migrations_pending_exits_1_and_changes_nothing(db: &TestDb) {
    let cli = Cli::on(db);
    cli.ok(&["migrate"]);
    cli.add("Alice", 25, "Manager", &[]);
    cli.ok(&["migrate", "--revert", "--yes"]);
    let tables = table_count(db);
    for args in &READS[..5] {
        let stderr = cli.fails(args, 1);
        assert_error(&stderr, "1 migration pending in ");
        assert_error(&stderr, ": run `staffdb migrate`");
    }
    let status = cli.ok(&["migrate", "--status"]);
    assert_eq!(
        status.lines().filter(|l| l.starts_with("pending ")).count(),
        1,
        "{status}"
    );
    assert_eq!(table_count(db), tables);
    cli.ok(&["migrate"]);
    assert_eq!(cli.ok(&["list"]).lines().count(), 1);
}

/// Reads on an empty database are refused and create nothing, but a write command migrates it
/// first, as documented: the write lands and every migration is applied.
fn reads_on_an_empty_database_are_refused_but_a_write_migrates_it(db: &TestDb) {
    let cli = empty_database(db);
    cli.fails(&["list"], 1);
    assert_eq!(table_count(db), 0);
    cli.add("Alice", 25, "Manager", &[]);
    let status = cli.ok(&["migrate", "--status"]);
    assert_eq!(
        status.lines().filter(|l| l.starts_with("applied ")).count(),
        staffdb_migrations(),
        "{status}"
    );
    assert!(table_count(db) > 0);
    assert_eq!(cli.ok(&["list"]).lines().count(), 1);
}

/// A temp dir to work in, a database URL, and the binary pointed at both.
///
/// Ids in these tests are ordinals: `1` is the first employee (or department) the test made.
/// A server is free to assign other ids — a Galera cluster steps them by the node count — so
/// [`Cli::ok`] and [`Cli::fails`] translate: ordinals in the arguments become the ids the
/// database assigned, and assigned ids in the output become ordinals again, learned in the
/// order they first appear. Where ids are consecutive from 1, both are the identity.
struct Cli {
    dir: TempDir,
    url: String,
    ids: std::cell::RefCell<Ordinals>,
    /// False for a test about the ids themselves: no translation.
    ordinals: bool,
}

/// Where [`Ordinals::assigned`] puts the ordinals of rows that do not exist.
const UNSEEN: i64 = 1_000_000;

/// The ids a database assigned, in the order the test first saw them.
#[derive(Default)]
struct Ordinals {
    employees: Vec<i64>,
    departments: Vec<i64>,
}

impl Ordinals {
    /// The ordinal of an assigned id; an id not seen before is learned when `learn` (a row in
    /// the output), and left as it is otherwise (an id in an error message: `employee 42`).
    fn ordinal(seen: &mut Vec<i64>, id: i64, learn: bool) -> i64 {
        match seen.iter().position(|&s| s == id) {
            Some(index) => index as i64 + 1,
            None if learn => {
                seen.push(id);
                seen.len() as i64
            }
            None if (UNSEEN..2 * UNSEEN).contains(&id) => id - UNSEEN,
            None => id,
        }
    }

    /// An ordinal argument as the id the database assigned. An ordinal of no row (the tests'
    /// 42 or 99) becomes an id far past any the tests make, so that it names no row on a
    /// cluster either; [`Ordinals::as_ordinals`] turns it back in error messages.
    fn assigned(seen: &[i64], ordinal: i64) -> i64 {
        match usize::try_from(ordinal - 1) {
            Ok(index) if index < seen.len() => seen[index],
            Ok(_) if ordinal < UNSEEN => ordinal + UNSEEN,
            _ => ordinal,
        }
    }

    /// `text` with every employee and department id it prints replaced by its ordinal.
    fn as_ordinals(&mut self, text: &str, learn: bool) -> String {
        let mut out = Vec::new();
        let mut header_has_id = false;
        for line in text.split_inclusive('\n') {
            let line = if line.starts_with("id,") || line.starts_with("id ") {
                header_has_id = true;
                line.to_owned()
            } else if header_has_id && line.starts_with(|c: char| c.is_ascii_digit()) {
                replace_leading_number(line, |id| Self::ordinal(&mut self.employees, id, learn))
            } else if line.starts_with("ID: ") && !line.contains(", Age: ") {
                replace_after(line, "ID: ", |id| {
                    Self::ordinal(&mut self.departments, id, learn)
                })
            } else {
                let line = replace_after(line, "ID: ", |id| {
                    Self::ordinal(&mut self.employees, id, learn)
                });
                let line = replace_after(&line, "\"id\":", |id| {
                    Self::ordinal(&mut self.employees, id, learn)
                });
                let line = replace_after(&line, "employee ", |id| {
                    Self::ordinal(&mut self.employees, id, learn)
                });
                replace_after(&line, "department ", |id| {
                    Self::ordinal(&mut self.departments, id, learn)
                })
            };
            out.push(line);
        }
        out.concat()
    }
}

/// `text` with the number after each `prefix` passed through `map`.
fn replace_after(text: &str, prefix: &str, mut map: impl FnMut(i64) -> i64) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let (before, after) = rest.split_at(at + prefix.len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<i64>() {
            Ok(id) => out.push_str(&map(id).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// `line` with its leading number passed through `map` (a CSV or table row's id).
fn replace_leading_number(line: &str, map: impl FnOnce(i64) -> i64) -> String {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    match line[..digits].parse::<i64>() {
        Ok(id) => {
            let ordinal = map(id).to_string();
            // A table keeps its columns: pad (or trim) the ordinal to the id's width.
            let width = if line[digits..].starts_with(' ') {
                digits
            } else {
                ordinal.len()
            };
            format!("{ordinal:<width$}{}", &line[digits..])
        }
        Err(_) => line.to_owned(),
    }
}

impl Cli {
    /// A SQLite file in the temp dir.
    fn new() -> Cli {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("staff.db").display().to_string();
        Cli {
            dir,
            url,
            ids: Default::default(),
            ordinals: true,
        }
    }

    /// The test database of any backend, with a temp dir to work in.
    fn on(db: &TestDb) -> Cli {
        let dir = tempfile::tempdir().expect("temp dir");
        Cli {
            dir,
            url: db.url.clone(),
            ids: Default::default(),
            ordinals: true,
        }
    }

    /// This fixture with ids shown and taken as the database assigned them.
    fn with_real_ids(mut self) -> Cli {
        self.ordinals = false;
        self
    }

    /// The binary, in the temp dir, with no DATABASE_URL from outside.
    fn bare(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("staffdb"));
        cmd.current_dir(self.dir.path()).env_remove("DATABASE_URL");
        cmd
    }

    /// The binary on this fixture's database.
    fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.args(["--database-url", &self.url]);
        cmd
    }

    /// Runs `args` and returns stdout, failing the test unless it exits 0.
    fn ok(&self, args: &[&str]) -> String {
        let output = self
            .cmd()
            .args(self.assigned(args))
            .output()
            .expect("run staffdb");
        assert!(
            output.status.success(),
            "staffdb {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
        if !self.ordinals {
            return stdout;
        }
        self.ids.borrow_mut().as_ordinals(&stdout, true)
    }

    /// Runs `args` (ordinals translated), returning its output with ids as ordinals.
    fn output(&self, args: &[&str]) -> Output {
        let mut output = self
            .cmd()
            .args(self.assigned(args))
            .output()
            .expect("run staffdb");
        if !self.ordinals {
            return output;
        }
        let mut ids = self.ids.borrow_mut();
        output.stdout = ids
            .as_ordinals(&String::from_utf8_lossy(&output.stdout), true)
            .into_bytes();
        output.stderr = ids
            .as_ordinals(&String::from_utf8_lossy(&output.stderr), false)
            .into_bytes();
        output
    }

    /// `args` with the ordinal ids of `show`, `update` and `delete` as the database's ids.
    fn assigned(&self, args: &[&str]) -> Vec<String> {
        if !self.ordinals {
            return args.iter().map(|arg| (*arg).to_owned()).collect();
        }
        let ids = self.ids.borrow();
        // Flags that take no value, before or after the command.
        let quiet = |arg: &str| matches!(arg, "-q" | "--quiet" | "--echo");
        let command = args.iter().position(|arg| !quiet(arg));
        let departments = command.is_some_and(|c| args[c] == "departments");
        // `departments rename|delete N`: the id follows the subcommand.
        let command = command.map(|c| c + usize::from(departments));
        let by_id = command.is_some_and(|c| {
            matches!(
                args.get(c),
                Some(&("show" | "update" | "delete" | "rename"))
            )
        });
        let mut options_done = false;
        args.iter()
            .enumerate()
            .map(|(i, arg)| {
                let after_command = command.is_some_and(|c| i > c);
                options_done |= after_command && arg.starts_with("--") && !quiet(arg);
                match arg.parse::<i64>() {
                    Ok(n) if by_id && after_command && !options_done => {
                        let seen = if departments {
                            &ids.departments
                        } else {
                            &ids.employees
                        };
                        Ordinals::assigned(seen, n).to_string()
                    }
                    _ => (*arg).to_owned(),
                }
            })
            .collect()
    }

    /// Runs `args` expecting exit `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let output = self.output(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "staffdb {args:?}: stdout {:?}, stderr {:?}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stderr).expect("UTF-8 stderr")
    }

    /// Everything stored, as JSON: equal snapshots mean unchanged data.
    fn snapshot(&self) -> String {
        let employees = self.ok(&["export", "--format", "json"]);
        let departments = self.ok(&["departments", "list"]);
        format!("{employees}{departments}")
    }

    fn add(&self, name: &str, age: u32, position: &str, extra: &[&str]) -> String {
        let age = age.to_string();
        let mut args = vec!["add", "--name", name, "--age", &age, "--position", position];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// A few employees: Alice (Engineering), Bob (no department), Carol (Sales).
    fn seeded(db: &TestDb) -> Cli {
        Cli::on(db).seed()
    }

    /// The same employees, added to this fixture's database.
    fn seed(self) -> Cli {
        let cli = self;
        cli.add(
            "Alice",
            25,
            "Manager",
            &[
                "--email",
                "alice@example.com",
                "--department",
                "Engineering",
                "--hired-on",
                "2020-01-15",
            ],
        );
        cli.add("Bob", 22, "Developer", &[]);
        cli.add(
            "Carol",
            41,
            "Developer",
            &[
                "--email",
                "carol@example.com",
                "--department",
                "Sales",
                "--hired-on",
                "2019-06-01",
            ],
        );
        cli
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write fixture file");
        path
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts one error line on stderr that begins `error:` and contains `needle`.
fn assert_error(stderr: &str, needle: &str) {
    let stderr = stderr.trim_end();
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
}

const TUTORIAL: &str = "ID: 1, Name: Alice, Age: 25, Position: Manager\n\
                        ID: 2, Name: Bob, Age: 22, Position: Developer\n\
                        ID: 1, Name: Alice, Age: 26, Position: Senior Developer\n";

/// `demo` prints exactly the tutorial's three lines, on a database it recreates every run.
#[test]
fn demo_prints_the_tutorial_exactly_every_run() {
    let cli = Cli::new();
    for _ in 0..2 {
        cli.bare()
            .arg("demo")
            .assert()
            .success()
            .stdout(TUTORIAL)
            .stderr(predicate::str::contains("Alice becomes 26"));
    }
    assert!(cli.dir.path().join("staffdb-demo.db").exists());
    cli.bare()
        .args(["--quiet", "demo"])
        .assert()
        .success()
        .stdout(TUTORIAL)
        .stderr("");
}

/// With an explicit `--database-url`, `demo` runs on an empty database and refuses a used one.
fn demo_on_an_explicit_url_needs_an_empty_database(db: &TestDb) {
    let cli = Cli::on(db);
    assert_eq!(cli.ok(&["demo"]), TUTORIAL);
    assert!(!cli.dir.path().join("staffdb-demo.db").exists());
    let before = cli.snapshot();
    let stderr = cli.fails(&["demo"], 1);
    assert_error(&stderr, "needs an empty database");
    assert_eq!(cli.snapshot(), before);
}

/// `add` prints the stored row in every format, with the department's name and a lowercased email.
fn add_prints_the_stored_row_in_every_format(db: &TestDb) {
    let cli = Cli::on(db);
    assert_eq!(
        cli.add("Alice", 25, "Manager", &[]),
        "ID: 1, Name: Alice, Age: 25, Position: Manager\n"
    );
    let out = cli.add(
        "Bob",
        22,
        "Developer",
        &[
            "--email",
            "Bob@Example.COM",
            "--department",
            "R&D",
            "--format",
            "json",
        ],
    );
    let bob = json(&out);
    assert_eq!(bob["id"], 2);
    assert_eq!(bob["email"], "bob@example.com");
    assert_eq!(bob["department"], "R&D");
    assert_eq!(bob["version"], 1);
    assert!(bob["hired_on"].is_null());
    let order: Vec<usize> = [
        "\"id\"",
        "\"name\"",
        "\"age\"",
        "\"position\"",
        "\"email\"",
        "\"department\"",
        "\"hired_on\"",
        "\"version\"",
        "\"created_at\"",
        "\"updated_at\"",
    ]
    .iter()
    .map(|key| out.find(key).unwrap_or(usize::MAX))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "field order: {out}");
    let created = bob["created_at"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    let csv = cli.add("Carol", 30, "Tester", &["--format", "csv"]);
    let csv = lines(&csv);
    assert_eq!(
        csv[0],
        "id,name,age,position,email,department,hired_on,version,created_at,updated_at"
    );
    assert!(csv[1].starts_with("3,Carol,30,Tester,,,,1,"), "{}", csv[1]);
    let table = cli.add("Dan", 40, "Boss", &["--format", "table"]);
    assert!(table.starts_with("id  name  age  position"), "{table}");
    assert!(
        lines(&table)[1].starts_with("4   Dan   40   Boss"),
        "{table}"
    );
    assert_eq!(cli.ok(&["departments", "list"]), "ID: 1, Name: R&D\n");
}

/// `list` prints every format, with all fields in the documented order.
fn list_prints_lines_table_json_and_csv(db: &TestDb) {
    let cli = Cli::seeded(db);
    assert_eq!(
        cli.ok(&["list"]),
        "ID: 1, Name: Alice, Age: 25, Position: Manager\n\
         ID: 2, Name: Bob, Age: 22, Position: Developer\n\
         ID: 3, Name: Carol, Age: 41, Position: Developer\n"
    );
    let table = cli.ok(&["list", "--format", "table"]);
    let table = lines(&table);
    assert_eq!(table.len(), 4);
    assert!(table[0].starts_with("id  name   age  position   email"));
    assert!(table[1].contains("alice@example.com  Engineering  2020-01-15  1"));
    let all = json(&cli.ok(&["list", "--format", "json"]));
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    assert_eq!(all[2]["department"], "Sales");
    assert!(all[1]["department"].is_null());
    let csv = cli.ok(&["list", "--format", "csv"]);
    assert_eq!(lines(&csv).len(), 4);
    assert!(
        lines(&csv)[1]
            .starts_with("1,Alice,25,Manager,alice@example.com,Engineering,2020-01-15,1,")
    );
    // Empty results still have their frame.
    assert_eq!(
        cli.ok(&["list", "--position", "Nobody", "--format", "json"]),
        "[]\n"
    );
    assert_eq!(
        lines(&cli.ok(&["list", "--position", "Nobody", "--format", "csv"])).len(),
        1
    );
}

/// Filters, sorting (NULLs last, ties by id in the sort's direction), limit and offset select
/// the documented rows.
fn list_filters_sorts_and_pages(db: &TestDb) {
    let cli = Cli::seeded(db);
    cli.add("50%_off Dave", 33, "Developer", &[]);
    cli.add("Dave", 33, "Developer", &[]);
    let ids = |args: &[&str]| -> Vec<i64> {
        let mut full = vec!["list", "--format", "json"];
        full.extend_from_slice(args);
        json(&cli.ok(&full))
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    assert_eq!(ids(&["--position", "Developer"]), [2, 3, 4, 5]);
    assert_eq!(ids(&["--department", "Sales"]), [3]);
    assert_eq!(ids(&["--min-age", "25", "--max-age", "33"]), [1, 4, 5]);
    assert_eq!(ids(&["--name-contains", "ALI"]), [1]);
    assert_eq!(ids(&["--name-contains", "%_"]), [4]);
    assert_eq!(ids(&["--name-contains", "_"]), [4]);
    assert_eq!(ids(&["--sort", "age"]), [2, 1, 4, 5, 3]);
    // Descending, ties (and the NULL dates) by id descending: the exact reverse.
    assert_eq!(ids(&["--sort", "age", "--desc"]), [3, 5, 4, 1, 2]);
    assert_eq!(ids(&["--sort", "hired-on"]), [3, 1, 2, 4, 5]);
    assert_eq!(ids(&["--sort", "hired-on", "--desc"]), [1, 3, 5, 4, 2]);
    assert_eq!(ids(&["--sort", "name"]), [4, 1, 2, 3, 5]);
    assert_eq!(ids(&["--limit", "2", "--offset", "1"]), [2, 3]);
    assert_eq!(ids(&["--limit", "0"]), Vec::<i64>::new());
    // An offset and a limit across the 1,000-row pages the list reads.
    let db = staffdb::Database::open(&cli.url).expect("open");
    db.transaction(|s| {
        s.add_all((0..2_500).map(|i| staffdb::NewEmployee::new(format!("E{i}"), 40, "Dev")))
    })
    .expect("rows");
    drop(db);
    // (By name: the harness shows ids as ordinals, in the order it first sees them.)
    let names = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["list", "--format", "json"];
        full.extend_from_slice(args);
        json(&cli.ok(&full))
            .as_array()
            .map(|rows| {
                let name = |r: &serde_json::Value| r["name"].as_str().map(str::to_owned);
                rows.iter().filter_map(name).collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        names(&["--offset", "1499", "--limit", "3"]),
        ["E1494", "E1495", "E1496"]
    );
    let tail = names(&["--sort", "age", "--desc", "--offset", "2000"]);
    assert_eq!(tail.len(), 505, "2,505 rows, 2,000 passed over");
    assert_eq!(
        tail.last().map(String::as_str),
        Some("Bob"),
        "the youngest last"
    );
}

/// `list --department` filters by name and never creates the department.
fn list_by_unknown_department_creates_nothing(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    assert_eq!(cli.ok(&["list", "--department", "Nowhere"]), "");
    assert_eq!(cli.snapshot(), before);
}

/// `show` prints one row (one JSON object); an unknown id exits 1 with `employee N not found`.
fn show_prints_one_employee_or_not_found(db: &TestDb) {
    let cli = Cli::seeded(db);
    assert_eq!(
        cli.ok(&["show", "2"]),
        "ID: 2, Name: Bob, Age: 22, Position: Developer\n"
    );
    let alice = json(&cli.ok(&["show", "1", "--format", "json"]));
    assert!(alice.is_object());
    assert_eq!(alice["department"], "Engineering");
    assert_eq!(alice["hired_on"], "2020-01-15");
    assert_eq!(lines(&cli.ok(&["show", "3", "--format", "csv"])).len(), 2);
    assert_error(&cli.fails(&["show", "42"], 1), "employee 42 not found");
}

/// `update` changes only the given fields, bumps the version, clears fields and creates departments.
fn update_changes_fields_and_bumps_the_version(db: &TestDb) {
    let cli = Cli::seeded(db);
    assert_eq!(
        cli.ok(&[
            "update",
            "1",
            "--age",
            "26",
            "--position",
            "Senior Developer"
        ]),
        "ID: 1, Name: Alice, Age: 26, Position: Senior Developer\n"
    );
    let alice = json(&cli.ok(&[
        "update",
        "1",
        "--clear",
        "email",
        "--clear",
        "hired-on",
        "--department",
        "Research",
        "--format",
        "json",
    ]));
    assert_eq!(alice["version"], 3);
    assert!(alice["email"].is_null() && alice["hired_on"].is_null());
    assert_eq!(alice["department"], "Research");
    assert_eq!(alice["name"], "Alice");
    let alice = json(&cli.ok(&[
        "update",
        "1",
        "--clear",
        "department",
        "--if-version",
        "3",
        "--format",
        "json",
    ]));
    assert!(alice["department"].is_null());
    assert_eq!(alice["version"], 4);
}

/// `--department` is always a department's name, digits too (never an id), and the column's
/// own names work where a flag's do: `--clear hired_on`, `--set department=…`.
fn a_department_flag_is_a_name_even_when_it_is_digits(db: &TestDb) {
    let cli = Cli::seeded(db);
    let alice = json(&cli.ok(&[
        "update",
        "1",
        "--department",
        "2024",
        "--clear",
        "hired_on",
        "--format",
        "json",
    ]));
    assert_eq!(alice["department"], "2024");
    assert!(alice["hired_on"].is_null());
    let departments = cli.ok(&["departments", "list"]);
    assert!(departments.contains("Name: 2024"), "{departments}");
    let bob = json(&cli.ok(&[
        "update",
        "2",
        "--set",
        "department=2024",
        "--format",
        "json",
    ]));
    assert_eq!(bob["department"], "2024");
    assert_eq!(
        cli.ok(&["departments", "list"]).lines().count(),
        departments.lines().count(),
        "the one department, found again by name"
    );
}

/// A stale `--if-version` exits 1 with the conflict message and changes nothing.
fn update_with_a_stale_version_is_refused_and_changes_nothing(db: &TestDb) {
    let cli = Cli::seeded(db);
    cli.ok(&["update", "2", "--age", "23"]);
    let before = cli.snapshot();
    let stderr = cli.fails(
        &[
            "update",
            "2",
            "--age",
            "30",
            "--department",
            "New",
            "--if-version",
            "1",
        ],
        1,
    );
    assert_error(&stderr, "employee 2 has version 2, not the expected 1");
    assert_eq!(cli.snapshot(), before);
}

/// Invalid update input exits 2 and changes nothing; an unknown id exits 1 and creates no department.
fn update_refuses_invalid_input_and_unknown_ids(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    assert_error(&cli.fails(&["update", "1"], 2), "nothing to change");
    assert_error(
        &cli.fails(
            &["update", "1", "--email", "a@b.com", "--clear", "email"],
            2,
        ),
        "contradict",
    );
    assert_error(
        &cli.fails(&["update", "1", "--name", "  "], 2),
        "invalid name",
    );
    assert_error(
        &cli.fails(&["update", "1", "--age", "-1"], 2),
        "invalid age",
    );
    assert_error(
        &cli.fails(&["update", "99", "--department", "Ghosts"], 1),
        "employee 99 not found",
    );
    assert_eq!(cli.snapshot(), before);
}

/// `delete` is all or nothing: one unknown id and none is deleted (exit 1).
fn delete_is_all_or_nothing(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    assert_error(
        &cli.fails(&["delete", "1", "42", "3"], 1),
        "employee 42 not found",
    );
    assert_eq!(cli.snapshot(), before);
    let deleted = cli.output(&["delete", "1", "3"]);
    assert!(deleted.status.success(), "{deleted:?}");
    assert_eq!(
        (&deleted.stdout[..], &deleted.stderr[..]),
        (&b""[..], &b"deleted 2 employees\n"[..])
    );
    assert_eq!(
        cli.ok(&["list"]),
        "ID: 2, Name: Bob, Age: 22, Position: Developer\n"
    );
    cli.fails(&["delete"], 2);
}

/// Bad values, flags and commands exit 2 with one `error:` line, and change nothing.
fn invalid_input_exits_2_and_changes_nothing(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    let cases: [(&[&str], &str); 11] = [
        (
            &["add", "--name", " ", "--age", "3", "--position", "X"],
            "invalid name",
        ),
        (
            &["add", "--name", "A", "--age", "151", "--position", "X"],
            "invalid age",
        ),
        (
            &["add", "--name", "A", "--age", "-1", "--position", "X"],
            "invalid age",
        ),
        (
            &[
                "add",
                "--name",
                "A",
                "--age",
                "3",
                "--position",
                "X",
                "--email",
                "nope",
            ],
            "invalid email",
        ),
        (
            &[
                "add",
                "--name",
                "A",
                "--age",
                "3",
                "--position",
                "X",
                "--hired-on",
                "2023-02-29",
            ],
            "not a real calendar date",
        ),
        (
            &[
                "add",
                "--name",
                "A",
                "--age",
                "3",
                "--position",
                "X",
                "--department",
                "",
            ],
            "department name",
        ),
        (
            &["add", "--name", "A\u{7}", "--age", "3", "--position", "X"],
            "control characters",
        ),
        (&["show", "0"], "0"),
        (&["show", "9223372036854775808"], "9223372036854775808"),
        (&["frobnicate"], "frobnicate"),
        (&["list", "--sort", "salary"], "salary"),
    ];
    for (args, needle) in cases {
        let stderr = cli.fails(args, 2);
        assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let long = "é".repeat(201);
    assert_error(
        &cli.fails(
            &["add", "--name", &long, "--age", "3", "--position", "X"],
            2,
        ),
        "at most 200 characters",
    );
    cli.add(&"é".repeat(200), 3, "X", &[]);
    cli.ok(&["delete", "4"]);
    assert_eq!(cli.snapshot(), before);
}

/// A duplicate email exits 1 (refused) and changes nothing.
fn duplicate_email_is_refused(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    let stderr = cli.fails(
        &[
            "add",
            "--name",
            "Eve",
            "--age",
            "30",
            "--position",
            "Spy",
            "--email",
            "ALICE@example.com",
            "--department",
            "Spies",
        ],
        1,
    );
    assert_error(&stderr, "email already exists");
    assert_eq!(cli.snapshot(), before);
}

/// An unknown URL scheme exits 2; an unreachable database exits 1 and never shows the password.
#[test]
fn bad_database_urls_have_their_exit_codes() {
    let cli = Cli::new();
    let stderr = cli
        .bare()
        .args(["--database-url", "oracle://scott:tiger@db/x", "list"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8_lossy(&stderr);
    assert_error(&stderr, "unknown scheme `oracle://`");
    let output = cli
        .bare()
        .args([
            "--database-url",
            "postgres://app:hunter2secret@127.0.0.1:1/db",
            "list",
        ])
        .output()
        .expect("run staffdb");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_error(
        &stderr,
        "cannot connect to postgres://app:***@127.0.0.1:1/db",
    );
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    // A directory is no SQLite file: the database fails, exit 1.
    let output = cli
        .bare()
        .args(["--database-url", "/", "list"])
        .output()
        .expect("run staffdb");
    assert_eq!(output.status.code(), Some(1));
    assert_error(
        &String::from_utf8_lossy(&output.stderr),
        "cannot connect to /",
    );
    // A file that is not a database: exit 1, and the file is left as it was.
    let junk = cli.write("junk.db", &"not a database\n".repeat(100));
    let output = cli
        .bare()
        .arg("--database-url")
        .arg(&junk)
        .arg("list")
        .output()
        .expect("run staffdb");
    assert_eq!(output.status.code(), Some(1));
    assert_error(&String::from_utf8_lossy(&output.stderr), "not a database");
    assert_eq!(
        std::fs::read_to_string(&junk).unwrap_or_default(),
        "not a database\n".repeat(100)
    );
}

/// `--database-url` falls back to DATABASE_URL, then `.env`, then staffdb.db in the working dir.
#[test]
fn database_url_falls_back_to_env_dotenv_and_default() {
    let cli = Cli::new();
    cli.bare()
        .env("DATABASE_URL", "from-env.db")
        .args(["add", "--name", "A", "--age", "1", "--position", "P"])
        .assert()
        .success();
    assert!(cli.dir.path().join("from-env.db").exists());
    cli.write(".env", "DATABASE_URL=from-dotenv.db\n");
    cli.bare()
        .args(["add", "--name", "B", "--age", "1", "--position", "P"])
        .assert()
        .success();
    assert!(cli.dir.path().join("from-dotenv.db").exists());
    std::fs::remove_file(cli.dir.path().join(".env")).expect("remove .env");
    cli.bare()
        .args(["add", "--name", "C", "--age", "1", "--position", "P"])
        .assert()
        .success();
    assert!(cli.dir.path().join("staffdb.db").exists());
}

/// Names with quotes, semicolons, SQL keywords and non-ASCII text are stored and printed literally.
fn hostile_and_non_ascii_text_round_trips_literally(db: &TestDb) {
    let cli = Cli::on(db);
    let names = [
        "Robert'); DROP TABLE employees;--",
        "\"Quoted\", with comma",
        "SELECT * FROM departments WHERE 1=1",
        "Zoë Ångström 李小龍 🚀",
        "percent % under_score \\ backslash",
    ];
    for name in names {
        cli.add(name, 30, name, &["--department", name]);
    }
    let listed = cli.ok(&["list"]);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            lines(&listed)[i],
            format!("ID: {}, Name: {name}, Age: 30, Position: {name}", i + 1)
        );
        let row = json(&cli.ok(&["show", &(i + 1).to_string(), "--format", "json"]));
        assert_eq!(row["name"], *name);
        assert_eq!(row["department"], *name);
    }
    let csv = cli.ok(&["list", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let csv_names: Vec<String> = reader
        .records()
        .filter_map(Result::ok)
        .map(|r| r[1].to_owned())
        .collect();
    assert_eq!(csv_names, names);
    assert_eq!(
        cli.ok(&["list", "--name-contains", "ZOË"]),
        "ID: 4, Name: Zoë Ångström 李小龍 🚀, Age: 30, Position: Zoë Ångström 李小龍 🚀\n"
    );
}

/// export → import into an empty database reproduces the same rows, in CSV and in JSON.
fn export_import_round_trip_reproduces_the_rows(db: &TestDb) {
    let cli = Cli::seeded(db);
    cli.add(
        "Zoë; \"DROP\"",
        60,
        "Chief, of staff",
        &["--email", "zoe@example.com"],
    );
    let original = cli.ok(&["export", "--format", "json"]);
    let fields = |text: &str| -> Vec<serde_json::Value> {
        json(text)
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        serde_json::json!([
                            r["id"],
                            r["name"],
                            r["age"],
                            r["position"],
                            r["email"],
                            r["department"],
                            r["hired_on"]
                        ])
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for format in ["csv", "json"] {
        let file = cli.dir.path().join(format!("staff.{format}"));
        let file = file.to_str().unwrap_or_default();
        cli.ok(&["export", "--output", file]);
        let other = TestDb::create(db.backend);
        let copy = Cli::on(&other);
        copy.cmd()
            .args(["import", file])
            .assert()
            .success()
            .stderr(predicate::str::contains("imported 4 employees"));
        assert_eq!(
            fields(&copy.ok(&["export", "--format", "json"])),
            fields(&original),
            "{format}"
        );
        assert_eq!(copy.ok(&["departments", "list"]).lines().count(), 2);
    }
    // The CSV export on stdout is byte for byte what --output writes.
    let written = std::fs::read_to_string(cli.dir.path().join("staff.csv")).unwrap_or_default();
    let exported = cli.cmd().arg("export").output().expect("run staffdb");
    assert_eq!(String::from_utf8_lossy(&exported.stdout), written);
}

/// One bad record in the middle of an import writes nothing, and the error names its line and field.
fn import_with_one_bad_record_writes_nothing(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    let csv = cli.write(
        "bad.csv",
        "name,age,position,department\nEve,30,Spy,Spies\nMallory,abc,Spy,Spies\nTrent,40,Judge,\n",
    );
    let stderr = cli.fails(&["import", csv.to_str().unwrap_or_default()], 2);
    assert_error(&stderr, "line 3: invalid age: `abc` is not a whole number");
    let json_file = cli.write(
        "bad.json",
        r#"[{"name":"Eve","age":30,"position":"Spy"},{"name":"Mallory","age":30,"position":"Spy","email":"not-an-email"},{"name":"Trent","age":40,"position":"Judge"}]"#,
    );
    let stderr = cli.fails(&["import", json_file.to_str().unwrap_or_default()], 2);
    assert_error(&stderr, "record 2: invalid email");
    // After a quoted field spanning two lines, errors still name the physical line.
    let multi = cli.write(
        "multi.csv",
        "name,age,position,created_at\nEve,30,Spy,\"ignored,\nover two lines\"\nMallory,30,,x\n",
    );
    let stderr = cli.fails(&["import", multi.to_str().unwrap_or_default()], 2);
    assert_error(&stderr, "line 4: invalid position");
    assert_eq!(cli.snapshot(), before);
}

/// Import accepts any column order, a BOM, export's extra columns, empty cells as NULL and stdin.
fn import_reads_csv_flexibly_and_json_from_stdin(db: &TestDb) {
    let cli = Cli::on(db);
    let file = cli.write(
        "in.csv",
        "\u{feff}position,hired_on,id,name,email,age,version,department,created_at,updated_at\n\
         Manager,2020-01-15,77,Alice,ALICE@example.com,25,9,Engineering,x,y\n\
         Developer,,78,Bob,,22,9,,x,y\n",
    );
    cli.cmd()
        .args(["import", file.to_str().unwrap_or_default()])
        .assert()
        .success();
    let rows = json(&cli.ok(&["export", "--format", "json"]));
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["email"], "alice@example.com");
    assert_eq!(rows[0]["department"], "Engineering");
    assert_eq!(rows[0]["version"], 1);
    assert!(rows[1]["email"].is_null() && rows[1]["hired_on"].is_null());
    assert!(rows[1]["department"].is_null());
    cli.cmd()
        .args(["import", "-", "--format", "json"])
        .write_stdin(r#"[{"name":"Carol","age":41,"position":"Developer","department":null}]"#)
        .assert()
        .success();
    assert_eq!(cli.ok(&["list"]).lines().count(), 3);
    cli.cmd()
        .args(["import", "-", "--format", "csv"])
        .write_stdin("name,age,position\n")
        .assert()
        .success()
        .stderr("imported 0 employees from standard input\n");
}

/// Unreadable or malformed import files, and unknown columns, exit 2 and write nothing.
fn import_refuses_malformed_files(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    let path = |name: &str, text: &str| {
        cli.write(name, text)
            .to_str()
            .unwrap_or_default()
            .to_owned()
    };
    let cases = [
        (
            path("extra.csv", "name,age,position,salary\nA,1,P,3\n"),
            "unknown column `salary`",
        ),
        (
            path("short.csv", "name,age\nA,1\n"),
            "missing column `position`",
        ),
        (
            path("ragged.csv", "name,age,position\nA,1,P,extra\n"),
            "malformed CSV",
        ),
        (path("broken.json", "[{\"name\": \"A\","), "malformed JSON"),
        (
            path("object.json", "{\"name\": \"A\"}"),
            "expected a JSON array",
        ),
        (
            path(
                "unknown.json",
                r#"[{"name":"A","age":1,"position":"P","boss":"B"}]"#,
            ),
            "record 1: unknown column `boss`",
        ),
        (
            path("types.json", r#"[{"name":"A","age":1.5,"position":"P"}]"#),
            "record 1: invalid age",
        ),
        (
            path("binary.csv", "name,age,position\n\u{0}\u{1}"),
            "line 2: malformed CSV",
        ),
        (
            path("data.txt", "name,age,position\n"),
            "cannot tell the format",
        ),
        ("missing.csv".to_owned(), "cannot read missing.csv"),
    ];
    for (file, needle) in &cases {
        let stderr = cli.fails(&["import", file], 2);
        assert_error(&stderr, needle);
    }
    let latin1 = cli.dir.path().join("latin1.csv");
    std::fs::write(&latin1, b"name,age,position\nZo\xeb,1,P\n").expect("write");
    assert_error(
        &cli.fails(&["import", latin1.to_str().unwrap_or_default()], 2),
        "not UTF-8",
    );
    assert_eq!(cli.snapshot(), before);
}

/// An email that already exists is refused (exit 1, nothing written) unless `--upsert` updates it.
fn import_upsert_updates_by_email(db: &TestDb) {
    let cli = Cli::seeded(db);
    let before = cli.snapshot();
    let file = cli.write(
        "people.csv",
        "name,age,position,email,department\n\
         Dave,50,CTO,dave@example.com,Board\n\
         Alice Smith,26,Director,Alice@Example.com,Board\n",
    );
    let file = file.to_str().unwrap_or_default();
    let stderr = cli.fails(&["import", file], 1);
    assert_error(
        &stderr,
        "line 3: email `alice@example.com` already belongs to employee 1",
    );
    assert_eq!(cli.snapshot(), before);

    cli.cmd()
        .args(["import", file, "--upsert"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 added, 1 updated"));
    let alice = json(&cli.ok(&["show", "1", "--format", "json"]));
    assert_eq!(alice["name"], "Alice Smith");
    assert_eq!(alice["department"], "Board");
    assert_eq!(alice["version"], 2);
    assert_eq!(
        alice["hired_on"], "2020-01-15",
        "an upsert sets the columns the file gives, and keeps the others"
    );
    assert_eq!(cli.ok(&["list"]).lines().count(), 4);

    let twice = cli.write(
        "twice.csv",
        "name,age,position,email\nA,1,P,x@example.com\nB,2,P,y@example.com\nC,3,P,X@example.com\n",
    );
    let before = cli.snapshot();
    let stderr = cli.fails(
        &["import", "--upsert", twice.to_str().unwrap_or_default()],
        2,
    );
    assert_error(&stderr, "appears twice, on line 2 and on line 4");
    assert_eq!(cli.snapshot(), before);
}

/// `stats` groups by position by default, by department with `(none)`, one decimal for the average.
fn stats_by_position_and_department(db: &TestDb) {
    let cli = Cli::seeded(db);
    cli.add("Dan", 24, "Developer", &["--department", "Sales"]);
    assert_eq!(
        cli.ok(&["stats"]),
        "Developer: 3 employees, average age 29.0, min 22, max 41\n\
         Manager: 1 employee, average age 25.0, min 25, max 25\n"
    );
    cli.add("Eve", 23, "Developer", &[]);
    assert_eq!(
        cli.ok(&["stats", "--by", "department"]),
        "Engineering: 1 employee, average age 25.0, min 25, max 25\n\
         Sales: 2 employees, average age 32.5, min 24, max 41\n\
         (none): 2 employees, average age 22.5, min 22, max 23\n"
    );
    let groups = json(&cli.ok(&["stats", "--format", "json"]));
    assert_eq!(groups[0]["group"], "Developer");
    assert_eq!(groups[0]["average_age"], 27.5);
    let by_department = json(&cli.ok(&["stats", "--by", "department", "--format", "json"]));
    assert!(by_department[2]["group"].is_null());
    assert_eq!(
        cli.ok(&["stats", "--by", "department", "--format", "csv"]),
        "group,count,average_age,min_age,max_age\n\
         Engineering,1,25.0,25,25\nSales,2,32.5,24,41\n(none),2,22.5,22,23\n"
    );
    let table = cli.ok(&["stats", "--format", "table"]);
    assert!(
        table.starts_with("group      count  average_age"),
        "{table}"
    );
}

/// `departments` lists, adds, renames and deletes; errors exit 1 and change nothing.
fn departments_subcommands(db: &TestDb) {
    let cli = Cli::seeded(db);
    assert_eq!(
        cli.ok(&["departments", "list"]),
        "ID: 1, Name: Engineering\nID: 2, Name: Sales\n"
    );
    assert_eq!(
        cli.ok(&["departments", "add", "Légal; DROP"]),
        "ID: 3, Name: Légal; DROP\n"
    );
    assert_eq!(
        cli.ok(&["departments", "rename", "2", "Sales & Marketing"]),
        "ID: 2, Name: Sales & Marketing\n"
    );
    let before = cli.snapshot();
    assert_error(
        &cli.fails(&["departments", "add", "Engineering"], 1),
        "already exists",
    );
    assert_error(
        &cli.fails(&["departments", "rename", "1", "Sales & Marketing"], 1),
        "already exists",
    );
    assert_error(
        &cli.fails(&["departments", "delete", "9"], 1),
        "department 9 not found",
    );
    assert_error(
        &cli.fails(&["departments", "rename", "1", " "], 2),
        "department name",
    );
    assert_eq!(cli.snapshot(), before);
    cli.ok(&["departments", "delete", "1"]);
    let alice = json(&cli.ok(&["show", "1", "--format", "json"]));
    assert!(alice["department"].is_null());
    assert_eq!(cli.ok(&["list"]).lines().count(), 3);
}

/// `migrate --status` shows pending migrations without applying them; revert and redo need --yes.
fn migrate_status_apply_revert_and_redo(db: &TestDb) {
    let cli = Cli::on(db);
    assert_error(
        &cli.fails(&["migrate", "--revert", "--yes"], 1),
        "migration failed: no migration is applied",
    );
    // A database with no staffdb schema is refused by `--status`, as by every read.
    assert_error(
        &cli.fails(&["migrate", "--status"], 1),
        "no staffdb schema in",
    );
    let applied = cli.ok(&["migrate"]);
    assert_eq!(applied.lines().count(), staffdb_migrations());
    assert!(applied.lines().all(|l| l.starts_with("applied ")));
    assert!(
        cli.ok(&["migrate", "--status"])
            .lines()
            .all(|l| l.starts_with("applied "))
    );
    cli.cmd()
        .arg("migrate")
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("up to date"));
    cli.add("Alice", 25, "Manager", &[]);
    let before = cli.snapshot();
    cli.fails(&["migrate", "--revert"], 2);
    cli.fails(&["migrate", "--redo"], 2);
    cli.fails(&["migrate", "--status", "--revert", "--yes"], 2);
    assert_eq!(cli.snapshot(), before);
    let redone = cli.ok(&["migrate", "--redo", "--yes"]);
    assert!(
        redone.starts_with("reverted ") && redone.contains("\napplied "),
        "{redone}"
    );
    // The newest migration widens columns and adds triggers: redoing it keeps the employees.
    assert_eq!(
        cli.ok(&["list"]).lines().count(),
        1,
        "redo kept the employees"
    );
    cli.ok(&["migrate", "--revert", "--yes"]);
    let status = cli.ok(&["migrate", "--status"]);
    let states: Vec<&str> = status.lines().map(|l| &l[..7]).collect();
    let mut expected = vec!["applied"; staffdb_migrations() - 1];
    expected.push("pending");
    assert_eq!(states, expected, "{status}");
}

/// `staffdb list | head` ends quietly with exit 0 when the reader closes the pipe early.
#[test]
fn closed_stdout_pipe_exits_0_quietly() {
    let cli = Cli::new();
    let mut csv = String::from("name,age,position\n");
    for i in 0..20_000 {
        csv.push_str(&format!("Employee number {i},30,Developer\n"));
    }
    cli.cmd()
        .args(["import", "-", "--format", "csv"])
        .write_stdin(csv)
        .assert()
        .success();
    for args in [&["list"][..], &["export", "--format", "json"][..]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
            .current_dir(cli.dir.path())
            .env_remove("DATABASE_URL")
            .args(["--database-url", &cli.url])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn staffdb");
        let stdout = child.stdout.take().expect("stdout pipe");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("read a line");
        assert!(!first.is_empty());
        // The reader is gone: the next writes fail with EPIPE.
        let output: Output = child.wait_with_output().expect("wait");
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
}

/// `export --output` into a missing directory fails with exit 1 and leaves no file behind.
fn failed_export_leaves_no_partial_file(db: &TestDb) {
    let cli = Cli::seeded(db);
    let target = cli.dir.path().join("missing").join("out.csv");
    let stderr = cli.fails(
        &["export", "--output", target.to_str().unwrap_or_default()],
        1,
    );
    assert_error(&stderr, "out.csv");
    assert!(!target.exists());
    let good = cli.dir.path().join("out.json");
    cli.ok(&["export", "--output", good.to_str().unwrap_or_default()]);
    let written = json(&std::fs::read_to_string(&good).unwrap_or_default());
    assert_eq!(written.as_array().map(Vec::len), Some(3));
    let leftovers: Vec<PathBuf> = std::fs::read_dir(cli.dir.path())
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    assert!(
        !leftovers.iter().any(|p| is_temp(p)),
        "temporary files left: {leftovers:?}"
    );
}

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".staffdb-export"))
}

/// `--echo` prints each SQL statement with its duration on stderr and leaves stdout alone.
fn echo_prints_sql_with_durations_on_stderr(db: &TestDb) {
    let cli = Cli::seeded(db);
    let output = cli.output(&["--echo", "show", "1"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "ID: 1, Name: Alice, Age: 25, Position: Manager\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("FROM") && l.contains("employees") && l.ends_with(" ms")),
        "{stderr}"
    );
    assert!(
        stderr.contains("BEGIN") || stderr.contains("START TRANSACTION"),
        "{stderr}"
    );
}

/// `--version`, `--help` on every command, and completion scripts for bash, zsh and fish.
#[test]
fn version_help_and_completions() {
    let cli = Cli::new();
    cli.bare()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("staffdb "));
    for command in [
        "demo",
        "migrate",
        "add",
        "list",
        "show",
        "update",
        "delete",
        "import",
        "export",
        "stats",
        "departments",
        "completions",
    ] {
        cli.bare()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: staffdb"));
    }
    for shell in ["bash", "zsh", "fish"] {
        cli.bare()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("staffdb").and(predicate::str::contains("import")));
    }
    cli.bare().args(["completions", "tcsh"]).assert().code(2);
    cli.bare().assert().code(2);
}

/// `--quiet` silences messages but not data or errors.
fn quiet_silences_messages_only(db: &TestDb) {
    let cli = Cli::seeded(db);
    let deleted = cli.output(&["--quiet", "delete", "2"]);
    assert!(
        deleted.status.success() && deleted.stderr.is_empty(),
        "{deleted:?}"
    );
    let shown = cli.output(&["-q", "show", "2"]);
    assert_eq!(shown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&shown.stderr);
    assert!(
        stderr.starts_with("error: employee 2 not found"),
        "{stderr}"
    );
    let mut stdin = Vec::new();
    writeln!(stdin, "name,age,position\nQ,1,P").expect("write");
    cli.cmd()
        .args(["-q", "import", "-", "--format", "csv"])
        .write_stdin(stdin)
        .assert()
        .success()
        .stderr("");
}

/// Ctrl-C (SIGINT) during `import` exits 130 and writes nothing.
#[cfg(unix)]
#[test]
fn ctrl_c_during_import_exits_130_and_writes_nothing() {
    let cli = Cli::new().seed();
    let before = cli.snapshot();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
        .current_dir(cli.dir.path())
        .env_remove("DATABASE_URL")
        .args(["--database-url", &cli.url])
        .args(["import", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn staffdb");
    let mut stdin = child.stdin.take().expect("stdin pipe");
    stdin
        .write_all(b"name,age,position\nEve,30,Spy\n")
        .expect("write stdin");
    // staffdb is now reading stdin, its Ctrl-C handler long installed.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    // The import may have ended already, its end of the pipe closed with it.
    let _ = stdin.write_all(b"Mallory,40,Spy\n");
    drop(stdin);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    assert_error(
        &String::from_utf8_lossy(&output.stderr),
        "interrupted: nothing was imported",
    );
    assert_eq!(cli.snapshot(), before);
}

/// Read-only commands on a SQLite file that does not exist exit 1 with "no database at PATH"
/// and create nothing; `migrate` and a write command create it.
#[test]
fn read_only_commands_on_a_missing_file_exit_1_and_create_nothing() {
    let cli = Cli::new();
    let path = std::path::Path::new(&cli.url);
    for args in [
        &["list"][..],
        &["show", "1"],
        &["export"],
        &["stats"],
        &["departments", "list"],
        &["migrate", "--status"],
    ] {
        assert_error(&cli.fails(args, 1), "no database at");
        assert!(!path.exists(), "{args:?} created {}", path.display());
    }
    cli.ok(&["migrate"]);
    assert!(path.exists());
    std::fs::remove_file(path).expect("remove");
    cli.add("Alice", 25, "Manager", &[]);
    assert_eq!(cli.ok(&["list"]).lines().count(), 1);
}

/// `export --output` naming the database file itself is refused (exit 2), and the database is
/// left as it was.
#[test]
fn export_refuses_to_overwrite_the_database_itself() {
    let cli = Cli::new();
    cli.add("Alice", 25, "Manager", &[]);
    let before = cli.snapshot();
    assert_error(
        &cli.fails(&["export", "--output", &cli.url], 2),
        "is the database itself",
    );
    assert_eq!(cli.snapshot(), before);
}

/// A department deleted by a client with foreign keys off leaves employees pointing nowhere:
/// every command reads that as no department, and updating such an employee works.
#[test]
fn a_dangling_department_reads_as_none_on_every_command() {
    use diesel::prelude::*;
    let cli = Cli::new();
    cli.add("Alice", 25, "Manager", &["--department", "Sales"]);
    // Another client, with SQLite's default of foreign keys off.
    let mut other = diesel::SqliteConnection::establish(&cli.url).expect("connect");
    diesel::sql_query("DELETE FROM departments")
        .execute(&mut other)
        .expect("delete the department");
    let alice = json(&cli.ok(&["show", "1", "--format", "json"]));
    assert!(alice["department"].is_null(), "{alice}");
    let listed = json(&cli.ok(&["list", "--format", "json"]));
    assert!(listed[0]["department"].is_null(), "{listed}");
    let updated = json(&cli.ok(&["update", "1", "--age", "26", "--format", "json"]));
    assert_eq!(
        (updated["age"].as_i64(), updated["department"].is_null()),
        (Some(26), true)
    );
    let stats = cli.ok(&["stats", "--by", "department"]);
    assert!(stats.starts_with("(none): 1 employee"), "{stats}");
}

/// A write whose result cannot be printed (stdout on a full disk) exits 1 and changes nothing:
/// the row is printed before the commit, and the failure rolls it back.
#[test]
fn a_write_whose_result_cannot_be_printed_changes_nothing() {
    let cli = Cli::new();
    cli.add("Alice", 25, "Manager", &[]);
    let before = cli.snapshot();
    for args in [
        &[
            "add",
            "--name",
            "Bob",
            "--age",
            "22",
            "--position",
            "Developer",
        ][..],
        &["update", "1", "--age", "26"],
        &["departments", "add", "Sales"],
        &[
            "add",
            "--name",
            "Carol",
            "--age",
            "41",
            "--position",
            "Dev",
            "--department",
            "Ops",
        ],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--database-url", &cli.url])
            .args(args)
            .stdout(full)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("rolled back"), "{stderr}");
        assert_eq!(cli.snapshot(), before, "{args:?} changed the data");
    }
}

/// A usage error keeps clap's "did you mean" tip on its one line, and a negative `--limit` is
/// named as an invalid value, not as an unknown argument.
#[test]
fn usage_errors_keep_their_suggestions_and_name_bad_numbers() {
    let cli = Cli::new();
    let typo = cli.fails(&["lsit"], 2);
    assert!(
        typo.contains("a similar subcommand exists: 'list'"),
        "{typo}"
    );
    assert_eq!(typo.lines().count(), 1, "{typo}");
    let flag = cli.fails(&["list", "--limt", "3"], 2);
    assert!(
        flag.contains("a similar argument exists: '--limit'"),
        "{flag}"
    );
    let negative = cli.fails(&["list", "--limit", "-1"], 2);
    assert!(
        negative.contains("invalid value '-1' for '--limit"),
        "{negative}"
    );
}

/// `staffdb export | staffdb import -` works without `--format`: standard input is read as
/// CSV, what `export` writes by default.
#[test]
fn export_pipes_into_import_from_standard_input() {
    let from = Cli::new();
    from.add("Alice", 25, "Manager", &["--email", "alice@example.com"]);
    from.add("Bob", 22, "Developer", &[]);
    let csv = from.ok(&["export"]);
    let to = Cli::new();
    to.cmd()
        .args(["import", "-"])
        .write_stdin(csv)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "imported 2 employees from standard input",
        ));
    assert_eq!(to.ok(&["list"]), from.ok(&["list"]));
}

/// Fails if the command runs left any file in the test's directory.
fn assert_no_file_in(cli: &Cli) {
    let left: Vec<_> = std::fs::read_dir(cli.dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// URLs a driver would take to mean something else are refused (exit 2) and create nothing:
/// `sqlite:x.db`, `-`, `x.db?mode=ro` and `postgres//u:pw@h/db` would be files of those names (the
/// last printed with its password), a server URL without a database would be the server's default
/// one.
#[test]
fn mistyped_urls_are_refused_and_create_nothing() {
    let cli = Cli::new();
    for url in [
        "sqlite:x.db",
        "-",
        "x.db?mode=ro",
        "postgres://",
        "mysql://root@127.0.0.1/",
        // Found by attacking serve: taken for a file, its password printed in "no database at".
        "postgres//postgres:Up9sec@127.0.0.1/d",
        "mysql//root:Up9sec@127.0.0.1/d",
    ] {
        let output = cli
            .bare()
            .args(["--database-url", url, "add", "--name", "A", "--age", "30"])
            .args(["--position", "P"])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{url}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("error: invalid database URL"),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains("Up9sec"), "{url}: {stderr}");
    }
    assert_no_file_in(&cli);
}

/// A CSV export (and `list --format csv`, and `stats --format csv`) writes text that a
/// spreadsheet would run (`=HYPERLINK(…)`, `+cmd|…`, `-…`, `@…`) with a `'` before it, and an
/// import of that file stores the values exactly as they were; JSON shows them as they are.
#[test]
fn csv_exports_neutralise_formulas_and_import_back_exactly() {
    let cli = Cli::new();
    let hostile = [
        (
            "=HYPERLINK(\"http://evil.example/\",\"x\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)",
        ),
        ("-2+3", "'=already quoted", "''+two quotes"),
        ("O'Brien", "Plain", "'not a formula"),
    ];
    for (name, position, department) in hostile {
        // `--flag=value`: a value beginning with `-` is not taken for a flag.
        let (name, position) = (format!("--name={name}"), format!("--position={position}"));
        let department = format!("--department={department}");
        cli.ok(&["add", &name, "--age", "30", &position, &department]);
    }
    let csv = cli.ok(&["export"]);
    let cells: Vec<&str> = csv.lines().skip(1).flat_map(|l| l.split(',')).collect();
    assert!(
        cells
            .iter()
            .all(|c| !c.trim_start_matches('"').starts_with(['=', '+', '-', '@'])),
        "{csv}"
    );
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(csv.contains(",'+cmd|"), "{csv}");
    assert!(csv.contains(",'@SUM(1+1),"), "{csv}");
    assert!(csv.contains(",'-2+3,"), "{csv}");
    assert!(csv.contains(",''=already quoted,"), "{csv}");
    assert!(
        csv.contains(",O'Brien,") && csv.contains(",'not a formula,"),
        "{csv}"
    );
    assert_eq!(cli.ok(&["list", "--format", "csv"]), csv);
    let stats = cli.ok(&["stats", "--by", "department", "--format", "csv"]);
    assert!(stats.contains("\n'@SUM(1+1),1,"), "{stats}");
    let as_json = cli.ok(&["export", "--format", "json"]);
    assert!(as_json.contains(r#""name":"=HYPERLINK("#), "{as_json}");
    // Imported into a new database, the rows are the same values (ids and stamps aside).
    cli.write("export.csv", &csv);
    let copy = cli.dir.path().join("copy.db").display().to_string();
    cli.bare()
        .args(["--database-url", &copy, "import", "export.csv"])
        .assert()
        .success();
    let copied = cli
        .bare()
        .args(["--database-url", &copy, "export", "--format", "json"])
        .output()
        .expect("run");
    let fields = |text: &str| -> Vec<(String, String, String)> {
        json(text)
            .as_array()
            .expect("an array")
            .iter()
            .map(|e| {
                let field = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
                (field("name"), field("position"), field("department"))
            })
            .collect()
    };
    assert_eq!(
        fields(&String::from_utf8_lossy(&copied.stdout)),
        fields(&as_json)
    );
}

/// A write to a SQLite file that cannot be written (chmod 444) says so — not that "the server
/// is a read-only standby" — exits 1 and changes nothing; reads still work. Root writes any
/// file, so as root the commands run as `nobody` (through `setpriv`), who owns the directory.
#[test]
fn a_write_to_a_read_only_sqlite_file_says_the_file_cannot_be_written() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    cli.add("Alice", 25, "Manager", &[]);
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let dir = cli.dir.path();
    if as_root {
        let chown = std::process::Command::new("chown")
            .args(["-R", "nobody"])
            .arg(dir)
            .status();
        assert!(chown.is_ok_and(|s| s.success()), "chown to nobody");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    }
    std::fs::set_permissions(&cli.url, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let run = |args: &[&str]| {
        let mut command = if as_root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                .arg(assert_cmd::cargo::cargo_bin!("staffdb"));
            c
        } else {
            std::process::Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
        };
        command
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .args(["--database-url", &cli.url])
            .args(args)
            .output()
            .expect("run staffdb")
    };
    let before = run(&["export", "--format", "json"]);
    assert!(before.status.success(), "{before:?}");
    let output = run(&[
        "add",
        "--name",
        "Bob",
        "--age",
        "22",
        "--position",
        "Developer",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_error(&stderr, "the database file cannot be written");
    assert!(!stderr.contains("standby"), "{stderr}");
    assert_eq!(run(&["export", "--format", "json"]).stdout, before.stdout);
}

/// A libpq keyword string given as the URL is refused (exit 2) by what it is, on a read and on
/// a write, without quoting its password, and no file named after it is created.
#[test]
fn a_keyword_string_url_is_refused_without_its_password_and_creates_no_file() {
    let cli = Cli::new();
    let url = "host=127.0.0.1 port=1 password=KwSecret77 dbname=staff";
    for args in [
        &["list"][..],
        &["add", "--name", "A", "--age", "30", "--position", "P"],
    ] {
        let output = cli
            .bare()
            .args(["--echo", "--database-url", url])
            .args(args)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_error(&stderr, "keyword string");
        assert!(!stderr.contains("KwSecret77"), "{stderr}");
    }
    assert_no_file_in(&cli);
}

/// A value another client stored that staffdb cannot read (an epoch integer in `created_at`) is
/// one error naming the table's row, its id and the column, with the reason once; `list`,
/// `export` and `show` of that row stop on it (exit 1), the other rows still show, and
/// `export --output` leaves no file and does not blame the file.
#[test]
fn an_unreadable_value_is_one_error_naming_the_row_and_column() {
    use diesel::prelude::*;
    let cli = Cli::new();
    for name in ["Alice", "Bob", "Carol"] {
        cli.add(name, 30, "Developer", &[]);
    }
    let mut other = diesel::SqliteConnection::establish(&cli.url).expect("connect");
    // As in a row written before staffdb's checks existed: the migrations that added them kept
    // the rows as they were. (Today's schema refuses this write; see
    // other_clients_cannot_store_values_staffdb_cannot_read.)
    diesel::sql_query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut other)
        .expect("skip the checks");
    diesel::sql_query(
        "UPDATE employees SET created_at = 1764615600, version = version + 1 WHERE id = 2",
    )
    .execute(&mut other)
    .expect("another client's write");
    for args in [
        &["list", "--format", "json"][..],
        &["show", "2"],
        &["export"],
        &["export", "--output", "out.csv"],
    ] {
        let stderr = cli.fails(args, 1);
        assert!(
            stderr.starts_with("error: cannot read employee 2: its `created_at` holds a value"),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.matches("1764615600").count(), 1, "{stderr}");
        assert!(!stderr.contains("cannot write"), "{stderr}");
    }
    assert!(!cli.dir.path().join("out.csv").exists());
    assert!(cli.ok(&["show", "1"]).starts_with("ID: 1, Name: Alice"));
}

/// Three `import --upsert` processes of the same new emails at once all succeed (the ones that
/// meet rows the others added run their write again), and each email is stored once.
fn concurrent_upserts_of_the_same_new_emails_all_succeed(db: &TestDb) {
    let cli = Cli::on(db);
    // Enough rows that the three transactions overlap, and no department: creating one would
    // make the importers wait for each other, and the emails are what they should race on.
    let mut csv = String::from("name,age,position,email\n");
    for i in 0..3_000 {
        csv.push_str(&format!("P{i},30,Dev,p{i}@example.com\n"));
    }
    let file = cli.dir.path().join("people.csv");
    std::fs::write(&file, csv).expect("write csv");
    let file = file.display().to_string();
    // Migrated first, so that the importers start their transactions together.
    cli.ok(&["migrate"]);
    let import = ["import", file.as_str(), "--upsert"]
        .map(str::to_owned)
        .to_vec();
    all_succeed_at_once(&cli, vec![import; 3]);
    assert_eq!(cli.ok(&["list"]).lines().count(), 3_000);
}

/// Six `add --department NewName` processes at once all succeed and share one new department
/// (one creates it; the others see it, or run their transaction again until they do).
fn concurrent_adds_to_a_new_department_all_succeed(db: &TestDb) {
    let cli = Cli::on(db);
    cli.ok(&["migrate"]);
    let add = |i: usize| {
        let name = format!("E{i}");
        [
            "add",
            "--name",
            &name,
            "--age",
            "30",
            "--position",
            "Dev",
            "--department",
            "NewName",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    all_succeed_at_once(&cli, (0..6).map(add).collect());
    // Its id is whichever the winning insert drew: failed inserts use up ids on the servers.
    let departments = cli.ok(&["departments", "list"]);
    assert_eq!(departments.lines().count(), 1, "{departments}");
    assert!(departments.ends_with(", Name: NewName\n"), "{departments}");
    let listed = cli.ok(&["list", "--department", "NewName"]);
    assert_eq!(listed.lines().count(), 6, "{listed}");
}

/// A temporary file that a killed export (kill -9) left beside its output is removed by the next
/// export into that directory; one that belongs to a running process is left alone.
#[test]
fn an_export_sweeps_the_temporary_files_of_killed_exports() {
    let cli = Cli::new();
    cli.add("Alice", 25, "Manager", &[]);
    let dir = cli.dir.path();
    let abandoned = dir.join(".staffdb-export-999999999-abc123");
    let running = dir.join(format!(".staffdb-export-{}-def456", std::process::id()));
    for file in [&abandoned, &running] {
        std::fs::write(file, "partial").expect("temp file");
    }
    cli.ok(&["export", "--output", "out.csv"]);
    assert!(!abandoned.exists(), "the killed export's file is swept");
    assert!(running.exists(), "a running process's file is left alone");
    assert!(dir.join("out.csv").exists());
}

/// SIGTERM during `export --output` removes its temporary file and leaves no output file.
#[test]
fn sigterm_during_an_export_leaves_no_file_behind() {
    let cli = Cli::new();
    let db = staffdb::Database::open(&cli.url).expect("open");
    db.transaction(|s| {
        s.add_all((0..300_000).map(|i| staffdb::NewEmployee::new(format!("E{i}"), 30, "Dev")))
    })
    .expect("rows to export");
    drop(db);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .current_dir(cli.dir.path())
        .args(["--database-url", &cli.url, "export", "--output", "out.csv"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the export has its temporary file, then stop it.
    let started = std::time::Instant::now();
    let temp_exists = || {
        std::fs::read_dir(cli.dir.path())
            .expect("dir")
            .flatten()
            .any(|e| is_temp(&e.path()))
    };
    while !temp_exists() && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(temp_exists(), "the export began writing");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("wait");
    // 300,000 rows take the export far longer than the signal takes to arrive.
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(!temp_exists(), "the temporary file was removed");
    assert!(!cli.dir.path().join("out.csv").exists());
}

/// Ctrl-C is honoured within about a second while an import waits for a lock another writer
/// holds: exit 130, nothing imported — not after the lock timeout, and not exit 1.
#[test]
fn ctrl_c_while_an_import_waits_for_a_lock_exits_130_at_once() {
    let cli = Cli::new();
    cli.ok(&["migrate"]);
    let file = cli.dir.path().join("people.csv");
    std::fs::write(&file, "name,age,position\nCarol,41,Developer\n").expect("csv");
    let holder = staffdb::Database::open(&cli.url).expect("open");
    let mut held = holder.session().expect("the write lock");
    held.add(&staffdb::NewEmployee::new("Held", 30, "Dev"))
        .expect("add");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--database-url", &cli.url, "import"])
        .arg(&file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let sent = std::time::Instant::now();
    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(signal.success());
    let output = child.wait_with_output().expect("wait");
    let took = sent.elapsed();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    // About a second, against the 10 s lock timeout it would otherwise have waited.
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    held.rollback().expect("release");
    assert_eq!(cli.ok(&["list"]), "", "nothing imported");
}

/// A FIFO and `/dev/stdin` on a pipe, which can be read only once, are imported like standard
/// input (copied first, since the import reads twice) instead of hanging or finding no header.
#[test]
fn streams_that_read_once_import_like_standard_input() {
    let cli = Cli::new();
    cli.cmd()
        .args(["import", "/dev/stdin", "--format", "csv"])
        .write_stdin("name,age,position\nAlice,25,Manager\n")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "imported 1 employee from /dev/stdin",
        ));
    let fifo = cli.dir.path().join("people.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(&fifo, "name,age,position\nBob,22,Developer\n").expect("write fifo")
        })
    };
    let output = cli
        .cmd()
        .args(["import", "--format", "csv"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run");
    writer.join().expect("writer");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(cli.ok(&["list"]).lines().count(), 2);
}

/// An id past 2,147,483,647 (another client's) lists, shows and exports as itself, and `list`
/// ends: SQLite's ids used to wrap to negative numbers there, and `list` never ended.
#[test]
fn ids_past_2147483647_list_show_and_export_as_themselves() {
    use diesel::prelude::*;
    let cli = Cli::new().with_real_ids();
    cli.add("Alice", 30, "Developer", &[]);
    let mut other = diesel::SqliteConnection::establish(&cli.url).expect("connect");
    diesel::sql_query(
        "INSERT INTO employees (id, name, age, position) VALUES (3000000000, 'Big', 40, 'Chef')",
    )
    .execute(&mut other)
    .expect("another client's row");
    assert_eq!(
        lines(&cli.ok(&["list"])),
        [
            "ID: 1, Name: Alice, Age: 30, Position: Developer",
            "ID: 3000000000, Name: Big, Age: 40, Position: Chef"
        ]
    );
    assert!(
        cli.ok(&["show", "3000000000"])
            .starts_with("ID: 3000000000, Name: Big")
    );
    let exported = cli.ok(&["export", "--format", "json"]);
    assert_eq!(json(&exported)[1]["id"], 3_000_000_000_i64);
    let added = cli.add("Next", 20, "Chef", &[]);
    assert!(added.starts_with("ID: 3000000001, "), "{added}");
}

/// A MySQL "server" that accepts connections and never answers is given up on after the
/// connect timeout, as on PostgreSQL: the client library would wait for its greeting forever.
#[cfg(feature = "mysql")]
#[test]
fn a_mysql_server_that_never_answers_is_given_up_after_the_connect_timeout() {
    silent_server_is_given_up_on("mysql");
}

/// A PostgreSQL "server" that accepts connections and never answers is given up on after the
/// connect timeout (5 s by default), with a clear error and exit 1 — it used to hang until killed.
#[cfg(feature = "postgres")]
#[test]
fn a_server_that_never_answers_is_given_up_after_the_connect_timeout() {
    silent_server_is_given_up_on("postgres");
}

/// `list` on a `scheme://` URL whose server accepts and holds every connection, saying nothing,
/// exits 1 with a timeout error well before the test's own limit.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn silent_server_is_given_up_on(scheme: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    // Accepts and holds every connection, saying nothing; ends with the test process.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let cli = Cli::new();
    let url = format!("{scheme}://staffdb@127.0.0.1:{port}/silent");
    let started = std::time::Instant::now();
    let output = cli
        .bare()
        .args(["--database-url", &url, "list"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect") && stderr.contains("timeout"),
        "{stderr}"
    );
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
}

/// Starts one `staffdb` process per argument list on `cli`'s database, all at once, and asserts
/// that every one exits 0.
fn all_succeed_at_once(cli: &Cli, runs: Vec<Vec<String>>) {
    let children: Vec<_> = runs
        .iter()
        .map(|args| {
            std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
                .args(["--database-url", &cli.url])
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn staffdb")
        })
        .collect();
    for (child, args) in children.into_iter().zip(&runs) {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "{args:?}: {output:?}");
    }
}
