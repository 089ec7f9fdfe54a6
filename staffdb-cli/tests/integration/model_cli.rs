//! An application's own command line: `examples/own_table.rs` registers its `Project` with
//! `staffdb::cli::App`, and these run the example's binary (`own_table projects …`) on every
//! backend. Ids are the ones the database returned, never assumed.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{TestDb, on_every_backend};

on_every_backend!(
    add_show_list_update_and_delete_projects,
    a_stale_if_version_exits_1_and_changes_nothing,
    bad_input_exits_2_naming_the_column_and_changes_nothing,
    import_is_all_or_nothing_and_export_round_trips,
    import_upserts_on_a_unique_column,
    migrate_applies_and_lists_staffdbs_and_the_applications_migrations,
    standard_input_imports_and_global_options_go_anywhere,
    reads_go_to_the_read_url_and_writes_wait_for_a_primary,
    the_staffdb_binarys_departments_show_import_and_export_generically,
);

/// The example's binary, which `cargo test` (and `cargo build --example own_table`) builds
/// beside the test binary's directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|target| target.join("examples/own_table"))
        .filter(|path| path.exists())
        .expect("cargo test builds examples/own_table (or: cargo build --example own_table)")
}

/// The example's command line on a test database, run in a scratch directory.
struct OwnTable<'a> {
    db: &'a TestDb,
    dir: tempfile::TempDir,
}

impl<'a> OwnTable<'a> {
    fn on(db: &'a TestDb) -> Self {
        OwnTable {
            db,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn run(&self, program: PathBuf, args: &[&str]) -> Output {
        self.run_with_input(program, args, "")
    }

    /// The binary on the test's database, `input` on its standard input.
    fn run_with_input(&self, program: PathBuf, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(program)
            .current_dir(self.dir.path())
            .env_remove("DATABASE_URL")
            .args(["--database-url", &self.db.url])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the binary");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
        drop(stdin);
        child.wait_with_output().expect("wait for the binary")
    }

    /// `own_table ARGS`, which must succeed: its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(example(), args);
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// `own_table ARGS … --format json`, parsed.
    fn json(&self, args: &[&str]) -> Value {
        let args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
        serde_json::from_str(&self.ok(&args)).expect("JSON")
    }

    /// `own_table ARGS`, which must fail with `code`: its stderr, one line `error: …`.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let output = self.run(example(), args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        stderr
    }

    /// An employee added by the `staffdb` binary (a project's lead): its id.
    fn employee(&self, name: &str) -> i64 {
        let program = PathBuf::from(env!("CARGO_BIN_EXE_staffdb"));
        let args = ["add", "--name", name, "--age", "40", "--position", "Lead"];
        let output = self.run(program, &[&args[..], &["--format", "json"]].concat());
        assert!(output.status.success(), "{output:?}");
        let row: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        row["id"].as_i64().expect("an id")
    }

    /// A project added through the command line: the stored row.
    fn add(&self, name: &str, budget: i64) -> Value {
        let budget = budget.to_string();
        self.json(&["projects", "add", "--name", name, "--budget", &budget])
    }

    /// Every project, as `list --format json` prints them.
    fn all(&self) -> Value {
        self.json(&["projects", "list"])
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a file");
        path.display().to_string()
    }
}

/// The names of a JSON array of rows, in order.
fn names(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|row| row["name"].as_str().expect("a name"))
        .collect()
}

fn id_of(row: &Value) -> String {
    row["id"].as_i64().expect("an id").to_string()
}

/// Add (a reference by title or by id, a default left out), show, list filtered, searched,
/// sorted and limited in every format, update and clear, and delete all or nothing.
fn add_show_list_update_and_delete_projects(db: &TestDb) {
    let cli = OwnTable::on(db);
    let alice = cli.employee("Alice");
    let apollo = cli.json(&[
        "projects",
        "add",
        "--name",
        "Apollo",
        "--budget",
        "1000",
        "--lead-id",
        "Alice",
    ]);
    assert_eq!(apollo["lead_id"].as_i64(), Some(alice));
    assert_eq!(
        (apollo["budget"].as_i64(), apollo["version"].as_i64()),
        (Some(1000), Some(1))
    );
    let gemini = cli.json(&["projects", "add", "--name", "Gemini"]);
    assert_eq!(
        (gemini["budget"].as_i64(), gemini["lead_id"].is_null()),
        (Some(0), true)
    );
    let lead = alice.to_string();
    let line = cli.ok(&[
        "projects",
        "add",
        "--name",
        "Mercury",
        "--budget",
        "50",
        "--lead-id",
        &lead,
    ]);
    assert!(
        line.starts_with("ID: ")
            && line.ends_with(&format!(", Name: Mercury, Lead: {alice}, Budget: 50\n")),
        "{line}"
    );
    cli.add("Vostok", 500);
    assert_eq!(cli.json(&["projects", "show", &id_of(&apollo)]), apollo);

    let rich = cli.json(&[
        "projects",
        "list",
        "--filter",
        "budget>=50",
        "--sort",
        "-budget",
    ]);
    assert_eq!(names(&rich), ["Apollo", "Vostok", "Mercury"]);
    let led = cli.json(&["projects", "list", "--filter", "lead_id=null"]);
    assert_eq!(names(&led), ["Gemini", "Vostok"]);
    assert_eq!(
        names(&cli.json(&["projects", "list", "--search", "APO"])),
        ["Apollo"]
    );
    let first_two = cli.json(&["projects", "list", "--sort", "name", "--limit", "2"]);
    assert_eq!(names(&first_two), ["Apollo", "Gemini"]);
    let csv = cli.ok(&[
        "projects", "list", "--format", "csv", "--filter", "budget>0",
    ]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,name,lead_id,budget,created_at,version")
    );
    assert_eq!(lines.count(), 3, "{csv}");
    let table = cli.ok(&["projects", "list", "--format", "table", "--sort", "name"]);
    assert!(table.starts_with("id  "), "{table}");
    assert_eq!(table.lines().count(), 5, "{table}");

    let id = id_of(&apollo);
    let cut = cli.json(&[
        "projects",
        "update",
        &id,
        "--budget",
        "5",
        "--if-version",
        "1",
    ]);
    assert_eq!(
        (cut["budget"].as_i64(), cut["version"].as_i64()),
        (Some(5), Some(2))
    );
    let cleared = cli.json(&["projects", "update", &id, "--clear", "lead_id"]);
    assert!(cleared["lead_id"].is_null());
    assert_eq!(cleared["version"].as_i64(), Some(3));

    // All or nothing: one unknown id deletes none.
    let gone = (apollo["id"].as_i64().expect("id") + 1_000_000).to_string();
    let stderr = cli.fails(&["projects", "delete", &id_of(&gemini), &gone], 1);
    assert!(
        stderr.contains(&format!("project {gone} not found")),
        "{stderr}"
    );
    assert_eq!(names(&cli.all()).len(), 4);
    cli.ok(&["projects", "delete", &id_of(&gemini), &id]);
    assert_eq!(names(&cli.all()), ["Mercury", "Vostok"]);
    let stderr = cli.fails(&["projects", "show", &id], 1);
    assert!(
        stderr.contains(&format!("project {id} not found")),
        "{stderr}"
    );
}

/// `update --if-version` with a version someone else has replaced exits 1, naming both
/// versions, and changes nothing.
fn a_stale_if_version_exits_1_and_changes_nothing(db: &TestDb) {
    let cli = OwnTable::on(db);
    let id = id_of(&cli.add("Apollo", 10));
    cli.ok(&["projects", "update", &id, "--budget", "20"]);
    let before = cli.all();
    let stderr = cli.fails(
        &[
            "projects",
            "update",
            &id,
            "--budget",
            "30",
            "--if-version",
            "1",
        ],
        1,
    );
    assert!(
        stderr.contains(&format!("project {id} has version 2, not the expected 1")),
        "{stderr}"
    );
    assert_eq!(cli.all(), before);
}

/// Bad flags and values exit 2 naming the column (a filter's, a sort's, a write's), a taken
/// name exits 1, and none of them changes anything; a read of a database without the schema
/// exits 1 and creates nothing.
fn bad_input_exits_2_naming_the_column_and_changes_nothing(db: &TestDb) {
    let cli = OwnTable::on(db);
    // A missing SQLite file, or a server's empty database.
    let stderr = cli.fails(&["projects", "list"], 1);
    assert!(
        stderr.contains("no staffdb schema") || stderr.contains("no database at"),
        "{stderr}"
    );
    let id = id_of(&cli.add("Apollo", 10));
    let before = cli.all();
    for (args, said) in [
        (
            &["projects", "list", "--filter", "colour=red"][..],
            "no column `colour`",
        ),
        (
            &["projects", "list", "--filter", "budget>=lots"],
            "invalid budget: `lots`",
        ),
        (
            &["projects", "list", "--filter", "budget~1"],
            "invalid budget",
        ),
        (
            &["projects", "export", "--sort", "created_at"],
            "invalid created_at",
        ),
        (&["projects", "add", "--budget", "5"], "--name"),
        (
            &["projects", "add", "--name", "Zond", "--budget", "-5"],
            "invalid budget: must not be negative",
        ),
        (
            &["projects", "add", "--name", "Zond", "--budget", "x"],
            "invalid budget",
        ),
        (
            &["projects", "add", "--name", "Zond", "--lead-id", "Nobody"],
            "invalid lead_id",
        ),
        (&["projects", "add", "--name", "  "], "invalid name"),
        (
            &["projects", "add", "--name", "Zond", "--set", "version=3"],
            "`version` is the version",
        ),
        (&["projects", "update", &id], "nothing to change"),
        (
            &[
                "projects",
                "update",
                &id,
                "--budget",
                "1",
                "--if-version",
                "0",
            ],
            "--if-version",
        ),
        (
            &[
                "projects", "update", &id, "--budget", "1", "--set", "budget=2",
            ],
            "budget is given twice",
        ),
    ] {
        let stderr = cli.fails(args, 2);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    let stderr = cli.fails(&["projects", "add", "--name", "Apollo"], 1);
    assert!(stderr.contains("name already exists"), "{stderr}");
    let stderr = cli.fails(&["projects", "update", &id, "--lead-id", "999999999"], 1);
    assert!(
        stderr.contains("a referenced row does not exist"),
        "{stderr}"
    );
    assert_eq!(cli.all(), before);
}

/// An import writes every record or none, naming the first bad one's line or record and
/// column; an export in either format imports back into a fresh database as the same rows.
fn import_is_all_or_nothing_and_export_round_trips(db: &TestDb) {
    let cli = OwnTable::on(db);
    let bad = cli.write("bad.csv", "name,budget\nApollo,1000\nGemini,-5\nVostok,3\n");
    let stderr = cli.fails(&["projects", "import", &bad], 2);
    assert!(
        stderr.contains("line 3: invalid budget: must not be negative"),
        "{stderr}"
    );
    let bad = cli.write(
        "bad.json",
        r#"[{"name":"A","budget":1},{"name":"B","budget":"x"}]"#,
    );
    let stderr = cli.fails(&["projects", "import", &bad], 2);
    assert!(stderr.contains("record 2: invalid budget"), "{stderr}");
    let unknown = cli.write("unknown.csv", "name,colour\nA,red\n");
    assert!(
        cli.fails(&["projects", "import", &unknown], 2)
            .contains("unknown column `colour`")
    );
    let twice = cli.write("twice.csv", "name\nSame\nSame\n");
    assert!(
        cli.fails(&["projects", "import", &twice], 2)
            .contains("line 3: invalid name: `Same` appears twice, on line 2 and on line 3")
    );
    assert_eq!(cli.all(), Value::Array(Vec::new()));

    let good = cli.write(
        "good.csv",
        "name,budget\nApollo,1000\nGemini,\n\"Vostok, \"\"the East\"\"\",3\n",
    );
    let output = cli.run(example(), &["projects", "import", &good]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("imported 3 projects"));
    // Again: the first name a stored project has is named with its line and that project.
    let taken = cli.fails(&["projects", "import", &good], 1);
    assert!(
        taken.contains("line 2: name `Apollo` already belongs to project ")
            && taken.ends_with("; nothing was imported (use --upsert to update it)\n"),
        "{taken}"
    );
    let rows = cli.all();
    assert_eq!(names(&rows), ["Apollo", "Gemini", "Vostok, \"the East\""]);

    let listed = cli.ok(&["projects", "list", "--format", "csv"]);
    assert_eq!(cli.ok(&["projects", "export"]), listed);
    let rich = cli.ok(&[
        "projects",
        "export",
        "--filter",
        "budget>=100",
        "--format",
        "json",
    ]);
    assert_eq!(
        names(&serde_json::from_str(&rich).expect("JSON")),
        ["Apollo"]
    );
    for file in ["all.json", "all.csv"] {
        let path = cli.dir.path().join(file).display().to_string();
        cli.ok(&["projects", "export", "--output", &path]);
        let fresh = TestDb::create(db.backend);
        let other = OwnTable::on(&fresh);
        other.ok(&["projects", "import", &path]);
        let copied = other.all();
        let fields = |rows: &Value| -> Vec<(Value, Value)> {
            rows.as_array()
                .expect("rows")
                .iter()
                .map(|r| (r["name"].clone(), r["budget"].clone()))
                .collect()
        };
        assert_eq!(fields(&copied), fields(&rows), "{file}");
    }
}

/// `import --upsert-on name`: a record whose name is stored updates that project with the
/// columns the file gives, the others are added, and the note counts both; `--upsert` names the
/// project's one unique column; a column that is not unique, an unknown one, or a name given
/// twice is refused (exit 2) and nothing changes.
fn import_upserts_on_a_unique_column(db: &TestDb) {
    let cli = OwnTable::on(db);
    let first = cli.write("first.csv", "name,budget\nApollo,1000\nGemini,5\n");
    cli.ok(&["projects", "import", &first]);
    let again = cli.write("again.csv", "name,budget\nGemini,2500\nVostok,3\n");
    let output = cli.run(
        example(),
        &["projects", "import", &again, "--upsert-on", "name"],
    );
    assert!(output.status.success(), "{output:?}");
    let note = String::from_utf8_lossy(&output.stderr);
    assert!(
        note.contains("imported 2 records from") && note.contains("1 added, 1 updated"),
        "{note}"
    );
    let budgets = |rows: &Value| -> Vec<(String, i64)> {
        rows.as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let name = r["name"].as_str().unwrap_or_default().to_owned();
                (name, r["budget"].as_i64().unwrap_or(-1))
            })
            .collect()
    };
    let expected = [
        ("Apollo".to_owned(), 1000),
        ("Gemini".to_owned(), 2500),
        ("Vostok".to_owned(), 3),
    ];
    assert_eq!(budgets(&cli.all()), expected);

    // `--upsert`: the model's one unique column, `name`; with `--upsert-on` it is a clash.
    let more = cli.write("more.csv", "name,budget\nVostok,4\n");
    let output = cli.run(example(), &["projects", "import", &more, "--upsert"]);
    assert!(output.status.success(), "{output:?}");
    let expected = [
        ("Apollo".to_owned(), 1000),
        ("Gemini".to_owned(), 2500),
        ("Vostok".to_owned(), 4),
    ];
    assert_eq!(budgets(&cli.all()), expected);
    cli.fails(
        &[
            "projects",
            "import",
            &more,
            "--upsert",
            "--upsert-on",
            "name",
        ],
        2,
    );
    let stderr = cli.fails(&["projects", "import", &again, "--upsert-on", "budget"], 2);
    assert!(stderr.contains("cannot upsert on `budget`"), "{stderr}");
    let stderr = cli.fails(&["projects", "import", &again, "--upsert-on", "colour"], 2);
    assert!(stderr.contains("`colour`"), "{stderr}");
    let twice = cli.write("twice.csv", "name,budget\nApollo,1\nApollo,2\n");
    let stderr = cli.fails(&["projects", "import", &twice, "--upsert-on", "name"], 2);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert_eq!(budgets(&cli.all()), expected, "refusals change nothing");
}

/// `migrate` applies staffdb's migrations and then the application's, and `migrate --status`
/// lists both, each with its owner; neither command is needed before a write, which migrates.
fn migrate_applies_and_lists_staffdbs_and_the_applications_migrations(db: &TestDb) {
    let cli = OwnTable::on(db);
    let applied = cli.ok(&["migrate"]);
    assert!(
        applied.lines().all(|l| l.starts_with("applied ")),
        "{applied}"
    );
    assert!(
        applied.contains("applied 20261204000002"),
        "the application's: {applied}"
    );
    let status = cli.ok(&["migrate", "--status"]);
    assert_eq!(status.lines().count(), applied.lines().count(), "{status}");
    assert!(
        status.lines().all(|l| l.starts_with("applied ")),
        "{status}"
    );
    assert!(status.contains("create_projects (application)"), "{status}");
    assert!(status.contains("create_employees (staffdb)"), "{status}");
    let again = cli.run(example(), &["migrate"]);
    assert!(
        again.status.success() && again.stdout.is_empty(),
        "{again:?}"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to apply"));
}

/// `import -` reads standard input (CSV unless `--format json`), so an export pipes into an
/// import; `--quiet` and `--database-url` work after the command as before it.
fn standard_input_imports_and_global_options_go_anywhere(db: &TestDb) {
    let cli = OwnTable::on(db);
    let csv = "name,budget\nApollo,1000\nGemini,2\n";
    let output = cli.run_with_input(example(), &["projects", "import", "-", "--quiet"], csv);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    let json = cli.ok(&["projects", "export", "--format", "json"]);
    let fresh = TestDb::create(db.backend);
    let other = OwnTable::on(&fresh);
    let output = other.run_with_input(
        example(),
        &["projects", "import", "-", "--format", "json"],
        &json,
    );
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("imported 2 projects from standard input")
    );
    // The first database's URL after the command wins over the one before it.
    let listed = Command::new(example())
        .current_dir(cli.dir.path())
        .env_remove("DATABASE_URL")
        .args([
            "--database-url",
            &fresh.url,
            "projects",
            "list",
            "--database-url",
            &db.url,
        ])
        .args(["--filter", "budget>=100"])
        .output()
        .expect("run the binary");
    assert!(listed.status.success(), "{listed:?}");
    let lines = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        lines.starts_with("ID: ") && lines.ends_with(", Name: Apollo, Budget: 1000\n"),
        "{lines}"
    );
}

/// The `staffdb` binary is built the same way for what it has no command of its own for: its
/// departments' `show`, `import` and `export` are the library's, with the same exit codes.
fn the_staffdb_binarys_departments_show_import_and_export_generically(db: &TestDb) {
    let cli = OwnTable::on(db);
    let staffdb = || PathBuf::from(env!("CARGO_BIN_EXE_staffdb"));
    let ok = |args: &[&str]| {
        let output = cli.run(staffdb(), args);
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let added = ok(&["departments", "add", "Sales"]);
    let id = added
        .trim()
        .strip_prefix("ID: ")
        .and_then(|rest| rest.split(',').next())
        .expect("an id")
        .to_owned();
    assert_eq!(ok(&["departments", "show", &id]), added);
    let row: Value =
        serde_json::from_str(&ok(&["departments", "show", &id, "--format", "json"])).expect("JSON");
    assert_eq!(row["name"], "Sales");
    let file = cli.write("more.csv", "name\nResearch\n \n");
    let refused = cli.run(staffdb(), &["departments", "import", &file]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.starts_with("error: line 3: invalid name"),
        "{stderr}"
    );
    let file = cli.write("more.csv", "name\nResearch\n");
    ok(&["departments", "import", &file]);
    let csv = ok(&["departments", "export", "--sort", "name"]);
    let names: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(names, ["Research", "Sales"]);
    let missing = cli.run(staffdb(), &["departments", "show", "999999999"]);
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("department 999999999 not found"));
}

/// An application's command line takes the cluster options the `staffdb` binary takes:
/// `--wait-for-primary SECONDS` (a number of seconds, else exit 2 naming it) for its writes, and
/// `--read-url` (or `DATABASE_READ_URL`) for its reads — on PostgreSQL a "standby" that is
/// another database of the same server shows that the list was read there, not from the
/// primary, whose writes it had already replayed (the same server's WAL).
fn reads_go_to_the_read_url_and_writes_wait_for_a_primary(db: &TestDb) {
    let cli = OwnTable::on(db);
    let refused = cli.fails(&["--wait-for-primary", "soon", "projects", "list"], 2);
    assert!(
        refused.contains("`soon` is no number of seconds"),
        "{refused}"
    );
    let added = cli.ok(&[
        "projects",
        "add",
        "--name",
        "Apollo",
        "--wait-for-primary",
        "2.5",
    ]);
    assert!(added.contains("Name: Apollo"), "{added}");
    if db.backend != staffdb::Backend::Postgres {
        return;
    }
    let standby = TestDb::create(db.backend);
    let other = OwnTable::on(&standby);
    other.ok(&["projects", "add", "--name", "Gemini"]);
    let listed = cli.ok(&["projects", "list", "--read-url", &standby.url]);
    assert!(
        listed.contains("Name: Gemini") && !listed.contains("Apollo"),
        "{listed}"
    );
    let written = cli.ok(&[
        "projects",
        "add",
        "--name",
        "Mercury",
        "--read-url",
        &standby.url,
    ]);
    assert!(written.contains("Name: Mercury"), "{written}");
    assert!(
        !other.ok(&["projects", "list"]).contains("Mercury"),
        "writes go to the primary"
    );
}
