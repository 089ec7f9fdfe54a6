//! Lists of any model from its description (`Query`, `Session::list`, `Session::count`): the
//! example's `projects` (declared only through the derive) and staffdb's `employees`, on every
//! backend — typed and text conditions, search, sorts with ties by id and NULLs last, keyset
//! pages that add up to the whole sorted list, and refusals that name the column and run nothing.

use diesel::prelude::*;
use staffdb::{
    Cursor, Database, Department, Employee, Error, ImportRowsError, NewEmployee, Query,
    RecordFormat, Session, export_rows, import_rows, upsert_rows,
};

use crate::common::{TestDb, on_every_backend};
use crate::derived::{app_migrations, project};
use project::{NewProject, Project, projects};

on_every_backend!(
    text_and_typed_conditions_agree,
    search_ignores_case_and_takes_wildcards_literally,
    pages_add_up_to_the_sorted_list,
    nulls_sort_last_and_page_through,
    bad_conditions_name_the_column,
    export_writes_every_matching_row_by_its_columns,
    import_reads_back_an_export_all_or_nothing,
    a_url_query_string_is_a_query,
    a_bounded_count_stops_at_its_limit,
    a_titled_reference_is_its_title_in_files,
    an_import_larger_than_a_batch_is_all_or_nothing,
    a_titled_reference_that_adds_nothing_refuses_an_unknown_title,
);

fn open(t: &TestDb) -> Database {
    t.open_with(staffdb::OpenOptions::new().app_migrations(app_migrations()))
}

/// 30 projects: names in an order of their own, budgets 0, 10, …, 90 three times each (ties),
/// every third led by Alice.
fn seed(db: &Database) -> Vec<Project> {
    db.transaction(|s| {
        let alice = s.add(&NewEmployee::new("Alice", 30, "Lead"))?.id;
        (0..30)
            .map(|i| {
                let new = NewProject::new(format!("P{:02}", i * 7 % 30)).budget(i % 10 * 10);
                let new = if i % 3 == 0 { new.lead_id(alice) } else { new };
                s.add(&new)
            })
            .collect::<Result<Vec<_>, Error>>()
    })
    .expect("seed")
}

fn all<M: staffdb::Listed + Clone>(s: &mut Session, query: Query<M>) -> Vec<M> {
    let mut rows = Vec::new();
    let mut query = query.limit(4).expect("limit");
    loop {
        let page = s.list(&query).expect("page");
        assert!(page.items.len() <= 4);
        rows.extend(page.items);
        match page.next {
            Some(next) => query = query.after(next),
            None => return rows,
        }
    }
}

/// `budget>=50` from text and `projects::budget.ge(50)` from Diesel find the same rows, and
/// `count` agrees with the pages; conditions combine; `lead_id=null` finds the unled.
fn text_and_typed_conditions_agree(t: &TestDb) {
    let db = open(t);
    seed(&db);
    let mut s = db.read_session().expect("session");
    let text = Query::<Project>::new()
        .filter_text("budget>=50")
        .expect("text");
    let typed = Query::<Project>::new().filter(projects::budget.ge(50));
    let ids = |rows: Vec<Project>| rows.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let from_text = ids(all(&mut s, text.clone()));
    assert_eq!(from_text.len(), 15);
    assert_eq!(from_text, ids(all(&mut s, typed)));
    assert_eq!(s.count(&text).expect("count"), 15);
    let both = text.filter_text("budget<80").expect("and");
    assert_eq!(s.count(&both).expect("count"), 9);
    let unled = Query::<Project>::new()
        .filter_text("lead_id=null")
        .expect("null");
    assert_eq!(s.count(&unled).expect("count"), 20);
    let led = Query::<Project>::new()
        .filter_text("lead_id!=null")
        .expect("not null");
    assert_eq!(s.count(&led).expect("count"), 10);
}

/// Search looks in every searchable column, ignoring case (beyond ASCII), and `%` / `_` match
/// only themselves.
fn search_ignores_case_and_takes_wildcards_literally(t: &TestDb) {
    let db = open(t);
    db.transaction(|s| {
        for name in ["Äpfel", "äPFEL pie", "100% done", "1000 done", "a_b", "axb"] {
            s.add(&NewProject::new(name))?;
        }
        Ok(())
    })
    .expect("seed");
    let mut s = db.read_session().expect("session");
    let found = |s: &mut Session, text: &str| -> Vec<String> {
        let query = Query::<Project>::new().search(text).expect("search");
        all(s, query).into_iter().map(|p| p.name).collect()
    };
    assert_eq!(found(&mut s, "äpf"), ["Äpfel", "äPFEL pie"]);
    assert_eq!(found(&mut s, "0%"), ["100% done"]);
    assert_eq!(found(&mut s, "a_b"), ["a_b"]);
    assert_eq!(found(&mut s, "  ").len(), 6, "blank searches nothing");
}

/// Every sort, both directions: the pages, four rows at a time, add up to the whole list in
/// that order with ties broken by ascending id.
fn pages_add_up_to_the_sorted_list(t: &TestDb) {
    let db = open(t);
    let rows = seed(&db);
    let mut s = db.read_session().expect("session");
    for (column, descending) in [
        ("name", false),
        ("name", true),
        ("budget", false),
        ("budget", true),
        ("id", true),
    ] {
        let query = Query::<Project>::new()
            .sort_by(column, descending)
            .expect("sort");
        let paged: Vec<_> = all(&mut s, query).into_iter().map(|p| p.id).collect();
        let mut expected = rows.clone();
        expected.sort_by(|a, b| {
            let by = match column {
                "name" => a.name.cmp(&b.name),
                "budget" => a.budget.cmp(&b.budget),
                _ => a.id.cmp(&b.id),
            };
            // Ties by id in the sort's direction: one index of (column, id), read either way.
            let by = by.then(a.id.cmp(&b.id));
            if descending { by.reverse() } else { by }
        });
        let expected: Vec<_> = expected.into_iter().map(|p| p.id).collect();
        assert_eq!(paged, expected, "sort by {column}, descending {descending}");
    }
}

/// Employees by hiring date, where some have none: NULLs last in both directions (by id in the
/// sort's direction), and pages continue across the NULLs.
fn nulls_sort_last_and_page_through(t: &TestDb) {
    let db = open(t);
    db.transaction(|s| {
        for (i, hired) in [
            Some("2020-01-02"),
            None,
            Some("2019-05-06"),
            None,
            Some("2020-01-02"),
        ]
        .into_iter()
        .enumerate()
        {
            let new = NewEmployee::new(format!("E{i}"), 30, "Clerk");
            let new = match hired {
                Some(date) => new.hired_on(staffdb::parse_date(date)?),
                None => new,
            };
            s.add(&new)?;
        }
        Ok(())
    })
    .expect("seed");
    let mut s = db.read_session().expect("session");
    let names = |s: &mut Session, descending: bool| -> Vec<String> {
        let query = Query::<Employee>::new()
            .sort_by("hired_on", descending)
            .expect("sort")
            .limit(2)
            .expect("limit");
        let mut names = Vec::new();
        let mut query = query;
        loop {
            let page = s.list(&query).expect("page");
            names.extend(page.items.into_iter().map(|e| e.name));
            match page.next {
                Some(next) => query = query.after(next),
                None => return names,
            }
        }
    };
    assert_eq!(names(&mut s, false), ["E2", "E0", "E4", "E1", "E3"]);
    // Largest first, ties and the NULLs by id largest first too: the index read backwards.
    assert_eq!(names(&mut s, true), ["E4", "E0", "E2", "E3", "E1"]);
}

/// An unknown column, a column that is not filterable, an operator its kind does not allow, a
/// value of the wrong type, `null` on a column that is never NULL, and a cursor from nowhere
/// are refused with the column (or what was wrong) named; nothing runs.
fn bad_conditions_name_the_column(t: &TestDb) {
    let db = open(t);
    seed(&db);
    let refused = |text: &str| -> String {
        match Query::<Project>::new().filter_text(text) {
            Err(error @ Error::Validation { .. }) => error.to_string(),
            other => panic!("{text}: expected a refusal, got {other:?}"),
        }
    };
    assert!(
        refused("colour=red").contains("no column `colour`"),
        "{}",
        refused("colour=red")
    );
    assert!(refused("name=Apollo").contains("invalid name"));
    assert!(refused("budget~12").contains("invalid budget"));
    assert!(refused("budget>=lots").contains("invalid budget"));
    assert!(refused("budget=null").contains("invalid budget"));
    assert!(refused("budget").contains("not a condition"));
    assert!(Query::<Project>::new().sort_by("lead_id", false).is_err());
    assert!(Query::<Project>::new().limit(0).is_err());
    assert!("x:1".parse::<Cursor>().is_err());
    let mut s = db.read_session().expect("session");
    let query = Query::<Project>::new()
        .sort_by("budget", false)
        .expect("sort")
        .after("3:not a number".parse().expect("cursor"));
    assert!(matches!(
        s.list(&query),
        Err(Error::Validation {
            field: "budget",
            ..
        })
    ));
}

/// `export_rows` of any model: every row the query matches, over several pages, in its order;
/// CSV with the columns' names as its header and formulas guarded; JSON with each value typed by
/// its column (numbers, `null` for NULL, RFC 3339 times).
fn export_writes_every_matching_row_by_its_columns(t: &TestDb) {
    let db = open(t);
    let alice = db
        .transaction(|s| {
            let alice = s.add(&NewEmployee::new("Alice", 30, "Lead"))?.id;
            let rows = (0..2_100).map(|i| {
                let name = if i == 0 {
                    "=1+1".to_owned()
                } else {
                    format!("P{i:04}")
                };
                let new = NewProject::new(name).budget(i % 100);
                if i % 2 == 0 { new.lead_id(alice) } else { new }
            });
            s.add_all(rows)?;
            Ok(alice)
        })
        .expect("seed");
    let mut s = db.read_session().expect("session");
    let query = Query::<Project>::new()
        .filter_text("budget>=10")
        .expect("filter");
    let mut csv = Vec::new();
    let written = export_rows(&mut s, &query, RecordFormat::Csv, &mut csv).expect("csv");
    assert_eq!(written, 1_890);
    let csv = String::from_utf8(csv).expect("UTF-8");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,name,lead_id,budget,created_at,version")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1_890);
    // Ids are the server's to allocate (a MariaDB with `auto_increment_increment` > 1 skips),
    // so each row is checked from its name on.
    let after_id = |row: &str| row.split_once(',').map(|(_, rest)| rest.to_owned());
    let alice_id = alice.get();
    assert!(
        after_id(rows[0]).is_some_and(|r| r.starts_with(&format!("P0010,{alice_id},10,"))),
        "{}",
        rows[0]
    );
    assert!(rows[0].ends_with("Z,1"), "{}", rows[0]);
    assert!(
        after_id(rows[1]).is_some_and(|r| r.starts_with("P0011,,11,")),
        "{}",
        rows[1]
    );

    let all = Query::<Project>::new()
        .sort_by("budget", true)
        .expect("sort");
    let mut json = Vec::new();
    assert_eq!(
        export_rows(&mut s, &all, RecordFormat::Json, &mut json).expect("json"),
        2_100
    );
    let json: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), 2_100);
    assert_eq!(rows[0]["budget"], 99);
    // Largest budget first, its ties by id largest first.
    assert_eq!(rows[0]["name"], "P2099");
    assert_eq!(rows[0]["lead_id"], serde_json::Value::Null);
    assert_eq!(
        (&rows[20]["name"], &rows[21]["budget"]),
        (&"P0099".into(), &98.into())
    );
    assert_eq!(rows[21]["lead_id"], alice_id);
    assert!(
        rows[0]["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let formula = rows
        .iter()
        .find(|r| r["name"] == "=1+1")
        .expect("JSON carries the text as it is");
    let formula_id = formula["id"].as_i64().expect("an id");
    let mut guarded = Vec::new();
    let first = Query::<Project>::new()
        .filter_text(&format!("id={formula_id}"))
        .expect("id");
    export_rows(&mut s, &first, RecordFormat::Csv, &mut guarded).expect("csv");
    assert!(
        String::from_utf8_lossy(&guarded).contains(&format!("{formula_id},'=1+1,{alice_id},0,"))
    );
}

/// `import_rows` of any model: an export's own file (key, version and time columns ignored)
/// imports as it is, in CSV and JSON; a bad value is named with its line or record and column,
/// an unknown column is refused, a duplicate refused by the database — and then nothing of the
/// file is written.
fn import_reads_back_an_export_all_or_nothing(t: &TestDb) {
    let db = open(t);
    let alice = db
        .transaction(|s| s.add(&NewEmployee::new("Alice", 30, "Lead")))
        .expect("lead")
        .id;
    let import = |format: RecordFormat, text: &str| -> Result<usize, ImportRowsError> {
        let mut s = db.session().expect("session");
        let imported = import_rows::<Project>(&mut s, format, text.as_bytes());
        s.commit().expect("commit");
        imported
    };
    let csv = format!(
        "name,lead_id,budget\nApollo,{alice},1000\n'=Gemini,,0\nMercury,,\n",
        alice = alice.get()
    );
    assert_eq!(import(RecordFormat::Csv, &csv).expect("csv"), 3);
    let mut s = db.read_session().expect("session");
    let mut exported = Vec::new();
    export_rows(
        &mut s,
        &Query::<Project>::new(),
        RecordFormat::Json,
        &mut exported,
    )
    .expect("export");
    drop(s);
    let stored: serde_json::Value = serde_json::from_slice(&exported).expect("JSON");
    assert_eq!(
        stored[1]["name"], "=Gemini",
        "the formula guard is read back"
    );
    assert_eq!(
        stored[2]["budget"], 0,
        "an empty default column takes its default"
    );

    // The export itself, renamed, imports as it is (id, version and created_at ignored).
    let renamed = String::from_utf8(exported)
        .expect("UTF-8")
        .replace("\"name\":\"", "\"name\":\"Copy of ");
    assert_eq!(import(RecordFormat::Json, &renamed).expect("json"), 3);
    let count = |db: &Database| {
        db.read_session()
            .expect("session")
            .count(&Query::<Project>::new())
            .expect("count")
    };
    assert_eq!(count(&db), 6);

    let refusals = [
        (
            RecordFormat::Csv,
            "name,budget\nVenus,5\nMars,-1\n",
            "line 3: invalid budget",
        ),
        (
            RecordFormat::Csv,
            "name,colour\nVenus,red\n",
            "line 1: unknown column `colour`",
        ),
        (
            RecordFormat::Csv,
            "name,name\nVenus,Mars\n",
            "column `name` appears twice",
        ),
        (
            RecordFormat::Json,
            r#"[{"name": "Venus"}, {"name": "Mars", "budget": 1.5}]"#,
            "record 2: invalid budget",
        ),
        (
            RecordFormat::Json,
            r#"[{"name": "Venus", "budget": [1]}]"#,
            "record 1: invalid budget",
        ),
        (RecordFormat::Json, r#"[{"name": "Venus"}, 7]"#, "record 2"),
        (
            RecordFormat::Csv,
            "",
            "line 1: the CSV file has no header row",
        ),
        (
            RecordFormat::Json,
            r#"[{"name": false}]"#,
            "record 1: invalid name: must be a string or null",
        ),
        (
            RecordFormat::Json,
            r#"[{"name": "Venus", "budget": "5"}]"#,
            "record 1: invalid budget: must be a number or null",
        ),
        (
            RecordFormat::Csv,
            "name\nVenus\nApollo\n",
            "line 3: name `Apollo` already belongs to project ",
        ),
        (
            RecordFormat::Csv,
            "name\nVenus\nMars\nVenus\n",
            "line 4: invalid name: `Venus` appears twice, on line 2 and on line 4",
        ),
    ];
    for (format, text, expected) in refusals {
        let refused = import(format, text).expect_err(text).to_string();
        assert!(refused.contains(expected), "{text}: {refused}");
        assert_eq!(count(&db), 6, "{text}: nothing written");
    }
}

/// A URL's query string: conditions percent-encoded or not, `q`, `sort` (`-` for largest
/// first), `limit` and `cursor`; the same page as the query built in code.
fn a_url_query_string_is_a_query(t: &TestDb) {
    let db = open(t);
    seed(&db);
    let mut s = db.read_session().expect("session");
    let names =
        |page: staffdb::Page<Project>| page.items.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let from_url =
        Query::<Project>::from_url_query("budget%3E%3D50&lead_id!=null&q=p&sort=-budget&limit=3")
            .expect("url");
    let in_code = Query::<Project>::new()
        .filter(projects::budget.ge(50))
        .filter_text("lead_id!=null")
        .and_then(|q| q.search("P"))
        .and_then(|q| q.sort_by("budget", true))
        .and_then(|q| q.limit(3))
        .expect("code");
    let first = s.list(&from_url).expect("page");
    assert_eq!(names(first.clone()), names(s.list(&in_code).expect("page")));
    let next = first.next.expect("a next page").to_string();
    let second = Query::<Project>::from_url_query(&format!(
        "budget>=50&lead_id!=null&sort=-budget&limit=3&cursor={}",
        url_encode(&next)
    ))
    .expect("cursor");
    let second = s.list(&second).expect("second page");
    assert!(!second.items.is_empty());
    assert!(
        second
            .items
            .iter()
            .all(|p| p.budget <= first.items[2].budget)
    );
    for bad in [
        "sort=lead_id",
        "limit=0",
        "limit=x",
        "cursor=x",
        "colour=red",
        "budget>=x",
    ] {
        assert!(Query::<Project>::from_url_query(bad).is_err(), "{bad}");
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `count_up_to`: the exact count up to the limit, "more than" the limit beyond it — for a
/// model's query and for employees' filter alike — and the conditions apply before the limit.
fn a_bounded_count_stops_at_its_limit(t: &TestDb) {
    let db = open(t);
    seed(&db);
    let mut s = db.read_session().expect("session");
    let all = Query::<Project>::new();
    let at_least_50 = Query::<Project>::new()
        .filter_text("budget>=50")
        .expect("filter");
    let counted = |s: &mut staffdb::Session, query: &Query<Project>, limit| {
        let counted = s.count_up_to(query, limit).expect("count");
        (counted.rows, counted.more)
    };
    assert_eq!(counted(&mut s, &all, 100), (30, false));
    assert_eq!(counted(&mut s, &all, 30), (30, false));
    assert_eq!(counted(&mut s, &all, 29), (29, true));
    assert_eq!(counted(&mut s, &at_least_50, 100), (15, false));
    assert_eq!(counted(&mut s, &at_least_50, 10), (10, true));
    assert_eq!(
        s.count_up_to(&at_least_50, 10).expect("count").to_string(),
        "more than 10"
    );
    assert_eq!(s.count(&at_least_50).expect("count"), 15);

    let leads = staffdb::EmployeeFilter::new().position("Lead");
    let counted = staffdb::Employee::count_up_to(&mut s, &leads, 1).expect("employees");
    assert_eq!((counted.rows, counted.more), (1, false));
    let counted = staffdb::Employee::count_up_to(&mut s, &staffdb::EmployeeFilter::new(), 0)
        .expect("employees");
    assert_eq!((counted.rows, counted.more), (0, true));
}

#[derive(QueryableByName)]
struct Estimate {
    #[diesel(sql_type = diesel::sql_types::Float)]
    rows: f32,
}

/// PostgreSQL's estimate of `table`'s rows (`pg_class.reltuples`: -1 before any ANALYZE).
fn estimated_rows(s: &mut Session, table: &str) -> f32 {
    let sql = format!("SELECT reltuples AS rows FROM pg_class WHERE relname = '{table}'");
    let found: Estimate = s
        .run(|c| Ok::<_, Error>(diesel::sql_query(&sql).get_result(c)?))
        .expect("pg_class");
    found.rows
}

/// An import of a bulk load's size (10,000 rows) refreshes the table's planner statistics in
/// its own transaction, so that the next pages are planned on what is there; a smaller one
/// leaves them to autovacuum. Through the generic import (projects) and the employees' own
/// (`staffdb import`).
#[test]
#[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
fn a_bulk_import_refreshes_postgresqls_statistics() {
    let t = TestDb::create(staffdb::Backend::Postgres);
    let db = open(&t);
    // Names are unique: each import its own prefix.
    let csv = |rows: usize| {
        let mut csv = String::from("name,budget\n");
        for i in 0..rows {
            csv.push_str(&format!("P{rows}-{i},{}\n", i % 100));
        }
        csv
    };
    let estimate = |table: &str| estimated_rows(&mut db.session().expect("session"), table);
    let import = |rows: usize| {
        db.transaction(|s| {
            Ok(import_rows::<Project>(
                s,
                RecordFormat::Csv,
                csv(rows).as_bytes(),
            ))
        })
        .expect("import")
        .expect("rows")
    };
    let before = estimate("projects");
    import(500);
    assert_eq!(estimate("projects"), before, "500 rows are no bulk load");
    import(10_000);
    let after = estimate("projects");
    assert!((10_000.0..=10_600.0).contains(&after), "estimate {after}");

    let file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    let mut people = String::from("name,age,position\n");
    for i in 0..10_000 {
        people.push_str(&format!("E{i},{},Clerk\n", 20 + i % 40));
    }
    std::fs::write(file.path(), people).expect("write");
    let imported = std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--quiet", "--database-url", &t.url, "import"])
        .arg(file.path())
        .output()
        .expect("staffdb import");
    assert!(imported.status.success(), "{imported:?}");
    let employees = estimate("employees");
    assert!(
        (10_000.0..=10_100.0).contains(&employees),
        "estimate {employees}"
    );
}

/// An import is written 10,000 rows at a time, and is still all or nothing: a bad record, a
/// value given twice or a unique value already stored, after the first batch was written, is
/// named with its line and leaves no row and no department; a good file of 25,000 rows is all
/// there, each department (first named in one batch, named again in the next) added once.
fn an_import_larger_than_a_batch_is_all_or_nothing(t: &TestDb) {
    let db = open(t);
    let file = |bad: &str| {
        let mut csv = String::from("name,age,position,email,department\n");
        for i in 0..25_000 {
            let department = ["Sales", "Legal", "Ops"][i % 3];
            csv.push_str(&format!("P{i},30,Dev,p{i}@example.com,{department}\n"));
        }
        csv.push_str(bad);
        csv
    };
    let cases = [
        ("Late,151,Dev,,Sales\n", "line 25002: invalid age"),
        (
            "Twice,30,Dev,p3@example.com,Sales\n",
            "appears twice, on line 5 and on line 25002",
        ),
    ];
    for (bad, expected) in cases {
        let refused = db
            .transaction(|s| {
                Ok(import_rows::<Employee>(
                    s,
                    RecordFormat::Csv,
                    file(bad).as_bytes(),
                ))
            })
            .expect("transaction");
        let message = refused.expect_err("refused").to_string();
        assert!(message.contains(expected), "{message}");
        let mut s = db.read_session().expect("session");
        assert_eq!(s.count(&Query::<Employee>::new()).expect("count"), 0);
        assert_eq!(s.count(&Query::<Department>::new()).expect("count"), 0);
    }
    let added = db
        .transaction(|s| {
            Ok(import_rows::<Employee>(
                s,
                RecordFormat::Csv,
                file("").as_bytes(),
            ))
        })
        .expect("transaction")
        .expect("imported");
    assert_eq!(added, 25_000);
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&Query::<Employee>::new()).expect("count"), 25_000);
    assert_eq!(s.count(&Query::<Department>::new()).expect("count"), 3);
    drop(s);
    // Again, with one more row: its email is stored (by the row of line 3), so nothing is added.
    let taken = db
        .transaction(|s| {
            let again =
                "name,age,position,email\nNew,30,Dev,new@example.com\nOld,30,Dev,p1@example.com\n";
            Ok(import_rows::<Employee>(
                s,
                RecordFormat::Csv,
                again.as_bytes(),
            ))
        })
        .expect("transaction");
    let message = taken.expect_err("taken").to_string();
    assert!(
        message.starts_with("line 3: email `p1@example.com` already belongs to employee"),
        "{message}"
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&Query::<Employee>::new()).expect("count"), 25_000);
    drop(s);
    // An upsert of the same 25,000 and one more: every batch finds its rows; a value given
    // twice, in two batches, is refused and changes nothing.
    let upsert = |csv: String| {
        db.transaction(|s| {
            Ok(upsert_rows::<Employee>(
                s,
                RecordFormat::Csv,
                csv.as_bytes(),
                "email",
            ))
        })
        .expect("transaction")
    };
    let done = upsert(file("New,31,Dev,new@example.com,Sales\n")).expect("upserted");
    assert_eq!((done.added, done.updated), (1, 25_000));
    let twice = upsert(file("Twice,30,Dev,p3@example.com,Sales\n")).expect_err("twice");
    assert!(
        twice.to_string().contains("on line 5 and on line 25002"),
        "{twice}"
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&Query::<Employee>::new()).expect("count"), 25_001);
}

/// A reference declared `titled` (the employees' department) is the title of the row it names
/// in the generic files: `export_rows` writes the employees' export (`Employee::export` is it,
/// and `staffdb export`'s transcripts are its bytes), and `import_rows` reads it — a department named that no row is called yet is added once
/// (`create_titled`), a refused name is named with its line as `department name`, and then
/// nothing is written, no department either.
fn a_titled_reference_is_its_title_in_files(t: &TestDb) {
    let db = open(t);
    db.transaction(|s| {
        let hired = chrono::NaiveDate::from_ymd_opt(2024, 3, 1);
        let ann = NewEmployee::new("Ann", 30, "Clerk").email("ann@example.com");
        Employee::add_to_department(s, &ann, Some("R&D, \"Labs\""))?;
        let bob = NewEmployee {
            hired_on: hired,
            ..NewEmployee::new("=Bob", 40, "Lead")
        };
        Employee::add_to_department(s, &bob, None)?;
        Employee::add_to_department(s, &NewEmployee::new("Cy", 50, "Clerk"), Some("Sales"))?;
        Ok(())
    })
    .expect("seed");
    let mut s = db.read_session().expect("session");
    let mut json = Vec::new();
    let everyone = Query::<Employee>::new();
    export_rows(&mut s, &everyone, RecordFormat::Json, &mut json).expect("json");
    let json: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    let departments: Vec<&serde_json::Value> = (0..3).map(|at| &json[at]["department"]).collect();
    assert_eq!(
        departments,
        [
            &"R&D, \"Labs\"".into(),
            &serde_json::Value::Null,
            &"Sales".into()
        ]
    );
    assert!(json[0].get("department_id").is_none(), "{json}");
    let mut csv = Vec::new();
    export_rows(&mut s, &everyone, RecordFormat::Csv, &mut csv).expect("csv");
    drop(s);
    let csv = String::from_utf8(csv).expect("UTF-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,age,position,email,department,hired_on,version,created_at,updated_at"
    );
    let after_id = |line: &str| line.split_once(',').map(|(_, rest)| rest.to_owned());
    let rows: Vec<String> = lines[1..].iter().filter_map(|l| after_id(l)).collect();
    assert!(
        rows[0].starts_with("Ann,30,Clerk,ann@example.com,\"R&D, \"\"Labs\"\"\",,1,"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with("'=Bob,40,Lead,,,2024-03-01,1,"),
        "{csv}"
    );
    assert!(rows[2].starts_with("Cy,50,Clerk,,Sales,,1,"), "{csv}");

    let state = |db: &Database| {
        let mut s = db.read_session().expect("session");
        let departments: Vec<String> = Department::all(&mut s)
            .expect("departments")
            .into_iter()
            .map(|d| d.name)
            .collect();
        (
            s.count(&Query::<Employee>::new()).expect("count"),
            departments,
        )
    };
    let before = state(&db);
    let import = |format: RecordFormat, text: &str| -> Result<usize, ImportRowsError> {
        let mut s = db.session().expect("session");
        let imported = import_rows::<Employee>(&mut s, format, text.as_bytes());
        s.commit().expect("commit");
        imported
    };
    let long = "x".repeat(201);
    let refusals = [
        (
            RecordFormat::Csv,
            "name,age\nDee,20\n".to_owned(),
            "line 1: missing column `position`",
        ),
        (
            RecordFormat::Csv,
            format!("name,age,position,department\nDee,20,Clerk,Legal\nEd,21,Clerk,{long}\n"),
            "line 3: invalid department name: must be at most 200 characters",
        ),
        (
            RecordFormat::Csv,
            "name,age,position,department\nDee,20,Clerk,Legal\nEd,21,Clerk,   \n".to_owned(),
            "line 3: invalid department name: must not be empty or blank",
        ),
        (
            RecordFormat::Json,
            r#"[{"name": "Dee", "age": 20, "position": "Clerk", "department": 5}]"#.to_owned(),
            "record 1: invalid department: must be a string or null",
        ),
        (
            RecordFormat::Csv,
            "name,age,position,department_id\nDee,20,Clerk,1\n".to_owned(),
            "unknown column `department_id`; the columns are name, age, position, email, department, hired_on (and id, version, created_at, updated_at, ignored)",
        ),
        (
            RecordFormat::Csv,
            "name,age,position,department,email\nDee,20,Clerk,Legal,ann@example.com\n".to_owned(),
            "already",
        ),
    ];
    for (format, text, expected) in refusals {
        let refused = import(format, &text).expect_err(&text).to_string();
        assert!(refused.contains(expected), "{text}: {refused}");
        assert_eq!(state(&db), before, "{text}: nothing written");
    }

    // The export imports as it is, its departments found by name; a new name is added once.
    let copy = csv.replace("@example.com", "@copy.example.com");
    assert_eq!(import(RecordFormat::Csv, &copy).expect("the export"), 3);
    let text =
        "name,age,position,department\nDee,20,Clerk,Legal\nEd,21,Clerk,Legal\nFay,22,Clerk,Sales\n";
    assert_eq!(import(RecordFormat::Csv, text).expect("new names"), 3);
    let (count, departments) = state(&db);
    assert_eq!(count, 9);
    assert_eq!(departments.len(), 3, "{departments:?}");
    let mut s = db.read_session().expect("session");
    let legal = Query::<Employee>::new()
        .filter_text("age=20")
        .expect("filter");
    let dee = s.list(&legal).expect("list").items.remove(0);
    let dee = dee.with_department(&mut s).expect("department");
    assert_eq!(dee.department.as_deref(), Some("Legal"));
    drop(s);

    // An upsert by email moves Ann to a department it names.
    let mut s = db.session().expect("session");
    let text = "name,age,position,email,department\nAnn,31,Clerk,ann@example.com,Legal\n";
    let done = upsert_rows::<Employee>(&mut s, RecordFormat::Csv, text.as_bytes(), "email")
        .expect("upsert");
    s.commit().expect("commit");
    assert_eq!((done.added, done.updated), (0, 1));
    let mut s = db.read_session().expect("session");
    let ann = Query::<Employee>::new()
        .filter_text("age=31")
        .expect("filter");
    let ann = s.list(&ann).expect("list").items.remove(0);
    assert_eq!(
        ann.with_department(&mut s)
            .expect("dept")
            .department
            .as_deref(),
        Some("Legal")
    );
}

/// The employees' table declared a second time, its department `titled` but not
/// `create_titled`: an import may only name departments that exist.
mod colleague {
    use chrono::{NaiveDate, NaiveDateTime};
    use staffdb::DepartmentId;
    use staffdb::schema::employees;

    staffdb::id! {
        /// A colleague's id.
        pub ColleagueId => Colleague
    }

    /// An employee, with a department named by name in files and never added by an import.
    #[derive(Debug, Clone, PartialEq, staffdb::Model)]
    #[staffdb(table = employees)]
    pub struct Colleague {
        pub id: ColleagueId,
        #[staffdb(max_chars = 200)]
        pub name: String,
        #[staffdb(min = 0, max = 150)]
        pub age: i32,
        pub position: String,
        #[staffdb(unique, email)]
        pub email: Option<String>,
        #[staffdb(references = staffdb::Department, titled)]
        pub department_id: Option<DepartmentId>,
        pub hired_on: Option<NaiveDate>,
        #[staffdb(version)]
        pub version: i32,
        #[staffdb(created)]
        pub created_at: NaiveDateTime,
        #[staffdb(updated)]
        pub updated_at: NaiveDateTime,
    }
}

/// A `titled` reference that does not add rows: a name no department has is refused naming the
/// first line that gives it, before anything is written; names that exist are found.
fn a_titled_reference_that_adds_nothing_refuses_an_unknown_title(t: &TestDb) {
    use colleague::Colleague;
    let db = open(t);
    db.transaction(|s| s.add(&staffdb::NewDepartment::new("Sales")).map(drop))
        .expect("Sales");
    let import = |text: &str| -> Result<usize, ImportRowsError> {
        let mut s = db.session().expect("session");
        let imported = import_rows::<Colleague>(&mut s, RecordFormat::Csv, text.as_bytes());
        s.commit().expect("commit");
        imported
    };
    let text =
        "name,age,position,department\nAnn,30,Clerk,Sales\nBob,31,Clerk,Legal\nCy,32,Clerk,Legal\n";
    let refused = import(text)
        .expect_err("Legal is no department")
        .to_string();
    assert_eq!(
        refused,
        "line 3: invalid department: no department is called `Legal`"
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(s.count(&Query::<Employee>::new()).expect("count"), 0);
    assert_eq!(Department::all(&mut s).expect("departments").len(), 1);
    drop(s);
    let text = "name,age,position,department\nAnn,30,Clerk,Sales\nBob,31,Clerk,\n";
    assert_eq!(import(text).expect("Sales exists"), 2);
    let mut s = db.read_session().expect("session");
    let ann = s
        .list(
            &Query::<Employee>::new()
                .filter_text("age=30")
                .expect("filter"),
        )
        .expect("list")
        .items
        .remove(0);
    assert_eq!(
        ann.with_department(&mut s)
            .expect("dept")
            .department
            .as_deref(),
        Some("Sales")
    );
}
