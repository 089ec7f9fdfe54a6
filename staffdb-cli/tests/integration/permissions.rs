//! `staffdb serve` on a database with users (issue 26, items 1 and 2): every route, as each
//! built-in role and as nobody, answers as the role's permissions say — refused from the route
//! itself, with nothing changed, not only from a hidden button — and sessions live in the
//! database (a restart keeps them; disabling a user ends them at once).

use staffdb::{Department, Employee, EmployeeFilter, NewDepartment, Password, User};

use super::admin::{Page, Visitor};
use super::web::Server;
use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(
    every_route_answers_each_role_as_its_permissions_say,
    a_session_outlives_a_restart_and_ends_when_its_user_is_disabled,
    an_api_token_acts_as_its_user_until_revoked,
    the_history_names_the_user_and_restores_through_the_admin_and_the_api,
);

const PASSWORD: &str = "correct horse battery";

/// What a route needs of a role: reads are open to viewers; everything else needs an editor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    View,
    Write,
    /// Open to any logged-in user.
    Nothing,
}

/// How a request sends its body.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Form(&'static [(&'static str, &'static str)]),
    Json(&'static str),
    Csv(&'static str),
    Upload,
}

/// Every route of `staffdb serve`: pages, then the JSON API. Writes name rows that do not exist
/// (999) where they can, so that an allowed one changes nothing either and the next role finds
/// the same rows.
const ROUTES: &[(&str, &str, Body, Needs)] = &[
    ("GET", "/employees", Body::None, Needs::View),
    ("GET", "/employees/new", Body::None, Needs::Write),
    (
        "POST",
        "/employees/new",
        Body::Form(&[("name", "")]),
        Needs::Write,
    ),
    ("GET", "/employees/1", Body::None, Needs::View),
    (
        "POST",
        "/employees/999",
        Body::Form(&[("name", "X")]),
        Needs::Write,
    ),
    ("GET", "/employees/1/delete", Body::None, Needs::Write),
    (
        "POST",
        "/employees/999/delete",
        Body::Form(&[]),
        Needs::Write,
    ),
    (
        "POST",
        "/employees/bulk-delete",
        Body::Form(&[("id", "999")]),
        Needs::Write,
    ),
    (
        "POST",
        "/employees/bulk-delete/confirm",
        Body::Form(&[("id", "999")]),
        Needs::Write,
    ),
    ("GET", "/departments", Body::None, Needs::View),
    ("GET", "/departments/new", Body::None, Needs::Write),
    (
        "POST",
        "/departments/new",
        Body::Form(&[("name", "")]),
        Needs::Write,
    ),
    ("GET", "/departments/1", Body::None, Needs::View),
    (
        "POST",
        "/departments/999",
        Body::Form(&[("name", "X")]),
        Needs::Write,
    ),
    (
        "POST",
        "/departments/999/delete",
        Body::Form(&[]),
        Needs::Write,
    ),
    ("GET", "/stats", Body::None, Needs::View),
    ("GET", "/import", Body::None, Needs::View),
    ("POST", "/import", Body::Upload, Needs::Write),
    ("GET", "/export", Body::None, Needs::View),
    ("GET", "/", Body::None, Needs::Nothing),
    ("GET", "/api/employees", Body::None, Needs::View),
    (
        "POST",
        "/api/employees",
        Body::Json(r#"{"name": ""}"#),
        Needs::Write,
    ),
    ("GET", "/api/employees/1", Body::None, Needs::View),
    (
        "PATCH",
        "/api/employees/999",
        Body::Json(r#"{"age": 30}"#),
        Needs::Write,
    ),
    ("DELETE", "/api/employees/999", Body::None, Needs::Write),
    ("GET", "/api/departments", Body::None, Needs::View),
    (
        "POST",
        "/api/departments",
        Body::Json(r#"{"name": ""}"#),
        Needs::Write,
    ),
    ("GET", "/api/departments/1", Body::None, Needs::View),
    (
        "PATCH",
        "/api/departments/999",
        Body::Json(r#"{"name": "X"}"#),
        Needs::Write,
    ),
    ("DELETE", "/api/departments/999", Body::None, Needs::Write),
    ("GET", "/employees/1/history", Body::None, Needs::View),
    ("GET", "/employees/deleted", Body::None, Needs::View),
    (
        "POST",
        "/employees/999/restore",
        Body::Form(&[("history_id", "999")]),
        Needs::Write,
    ),
    ("GET", "/departments/1/history", Body::None, Needs::View),
    ("GET", "/departments/deleted", Body::None, Needs::View),
    ("GET", "/api/employees/1/history", Body::None, Needs::View),
    ("GET", "/api/employees/deleted", Body::None, Needs::View),
    (
        "POST",
        "/api/employees/999/restore",
        Body::Json(r#"{"history_id": 999}"#),
        Needs::Write,
    ),
    ("GET", "/api/departments/1/history", Body::None, Needs::View),
    (
        "POST",
        "/api/departments/999/restore",
        Body::Json(r#"{"history_id": 999}"#),
        Needs::Write,
    ),
    ("GET", "/api/stats", Body::None, Needs::View),
    (
        "POST",
        "/api/import",
        Body::Csv("name,age,position\n,30,Clerk\n"),
        Needs::Write,
    ),
    ("GET", "/api/export", Body::None, Needs::View),
    ("GET", "/api/openapi.json", Body::None, Needs::Nothing),
];

/// The users viewer, editor and admin (each of that role), two departments and two employees.
fn seeded(t: &TestDb) -> staffdb::Database {
    let db = t.open();
    db.transaction(|s| {
        let password = Password::new(PASSWORD)?;
        for role in ["viewer", "editor", "admin"] {
            User::add(s, role, role, &password)?;
        }
        for name in ["Engineering", "Sales"] {
            s.add(&NewDepartment::new(name))?;
        }
        s.add(&employee("Ann").build())?;
        s.add(&employee("Bob").build()).map(drop)
    })
    .expect("users and rows");
    db
}

/// A visitor logged in as `name`.
fn logged_in(server: &Server, name: &str) -> Visitor {
    let mut visitor = Visitor::new(server);
    let page = visitor.get("/login");
    assert!(
        page.body.contains("name=\"name\""),
        "the form asks for a name"
    );
    let page = visitor.post("/login", &[("name", name), ("password", PASSWORD)]);
    assert_eq!(page.status, 303, "{name} logs in: {}", page.body);
    visitor
}

fn send(visitor: &mut Visitor, method: &str, path: &str, body: Body) -> Page {
    match body {
        Body::None => {
            let sent = visitor.request(method, path).call();
            visitor.receive(sent)
        }
        Body::Form(fields) => visitor.post(path, fields),
        Body::Upload => visitor.upload("people.csv", "name,age,position\n,30,Clerk\n"),
        Body::Json(json) | Body::Csv(json) => {
            let media = if matches!(body, Body::Csv(_)) {
                "text/csv"
            } else {
                "application/json"
            };
            let sent = visitor
                .request(method, path)
                .set("Content-Type", media)
                .send_string(json);
            visitor.receive(sent)
        }
    }
}

/// The first line of the server's log that `wanted` picks, waiting up to 2 s for it (the log
/// is read from the server's stderr as it comes).
fn logged(server: &Server, wanted: impl Fn(&str) -> bool) -> Option<String> {
    (0..100).find_map(|_| {
        let line = server.log().into_iter().find(|l| wanted(l));
        if line.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        line
    })
}

/// The rows that a refused request must leave as they were.
fn rows(db: &staffdb::Database) -> (i64, usize) {
    let mut s = db.read_session().expect("read session");
    let employees = Employee::count(&mut s, &EmployeeFilter::new()).expect("count");
    let departments = Department::all(&mut s).expect("departments").len();
    (employees, departments)
}

fn every_route_answers_each_role_as_its_permissions_say(t: &TestDb) {
    let db = seeded(t);
    let server = Server::start(t);
    let before = rows(&db);
    for role in ["anonymous", "viewer", "editor", "admin"] {
        let mut visitor = if role == "anonymous" {
            Visitor::new(&server)
        } else {
            logged_in(&server, role)
        };
        // A form needs the CSRF token a page gave.
        visitor.get("/login");
        for (method, path, body, needs) in ROUTES {
            let page = send(&mut visitor, method, path, *body);
            let what = format!(
                "{role}: {method} {path} answered {}: {}",
                page.status, page.body
            );
            if role == "anonymous" {
                if path.starts_with("/api/") {
                    assert_eq!(page.status, 401, "{what}");
                } else {
                    assert_eq!(
                        (page.status, page.location.as_str()),
                        (303, "/login"),
                        "{what}"
                    );
                }
            } else if role == "viewer" && *needs == Needs::Write {
                assert_eq!(page.status, 403, "{what}");
            } else {
                assert_ne!(page.status, 403, "{what}");
                assert_ne!(page.status, 401, "{what}");
                assert!(page.status < 500, "{what}");
            }
            assert_eq!(rows(&db), before, "{what}: the rows changed");
        }
    }
    let refused = "permission: refused viewer (viewer) POST /employees/new from 127.0.0.1";
    let seen = logged(&server, |line| line.starts_with(refused));
    assert!(seen.is_some(), "{:?}", server.log());

    // A viewer's pages offer nothing it would be refused; an editor's offer it all.
    let (mut viewer, mut editor) = (logged_in(&server, "viewer"), logged_in(&server, "editor"));
    let (seen, full) = (viewer.get("/employees"), editor.get("/employees"));
    for offer in [
        "id=\"add\"",
        "id=\"bulk\"",
        "/delete\"",
        "type=\"checkbox\"",
    ] {
        assert!(!seen.body.contains(offer), "a viewer is offered {offer}");
        assert!(
            full.body.contains(offer),
            "an editor is not offered {offer}"
        );
    }
    assert!(
        seen.body.contains("id=\"who\">viewer (viewer)"),
        "{}",
        seen.body
    );
    // By its id: on a cluster, ids step by the node count.
    let ann = format!("/employees/{}", id_of(&db, "Ann"));
    let form = viewer.get(&ann);
    assert_eq!(form.status, 200);
    assert!(
        !form.body.contains("id=\"save\""),
        "a viewer sees no save button"
    );
    assert!(editor.get(&ann).body.contains("id=\"save\""));
}

fn a_session_outlives_a_restart_and_ends_when_its_user_is_disabled(t: &TestDb) {
    let db = seeded(t);
    let server = Server::start(t);
    let editor = logged_in(&server, "editor");
    let mut wrong = Visitor::new(&server);
    wrong.get("/login");
    let page = wrong.post("/login", &[("name", "editor"), ("password", "not the one")]);
    assert_eq!(page.status, 401);
    assert!(page.body.contains("wrong user name or password"));
    let page = wrong.post("/login", &[("name", "nobody"), ("password", PASSWORD)]);
    assert_eq!(page.status, 401);
    assert!(page.body.contains("wrong user name or password"));
    // A name no user can have is refused like any other, and kept short in the log.
    let long = "x".repeat(10_000);
    let page = wrong.post("/login", &[("name", &long), ("password", PASSWORD)]);
    assert_eq!(page.status, 401);
    let line = logged(&server, |l| l.contains("xxxxx")).expect("the try is logged");
    assert!(line.len() < 300, "{} characters logged", line.len());
    // Guesses are slowed per address and per user name: after five wrong ones from here for
    // `viewer`, the next try waits, the right password unchecked.
    for _ in 0..5 {
        let page = wrong.post("/login", &[("name", "viewer"), ("password", "guess")]);
        assert!(matches!(page.status, 401 | 429), "{}", page.status);
    }
    let page = wrong.post("/login", &[("name", "viewer"), ("password", PASSWORD)]);
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(!page.header("retry-after").is_empty());
    let refused = r#"login: refused a try for "viewer" from 127.0.0.1 unchecked"#;
    let seen = logged(&server, |l| l.starts_with(refused));
    assert!(seen.is_some(), "{:?}", server.log());
    drop(server);

    let server = Server::start(t);
    let mut editor = editor.on(&server);
    assert_eq!(
        editor.get("/employees").status,
        200,
        "logged in after a restart"
    );
    db.transaction(|s| User::set_disabled(s, "editor", true))
        .expect("disable");
    let page = editor.get("/employees");
    assert_eq!(
        (page.status, page.location.as_str()),
        (303, "/login"),
        "disabled at once"
    );
    assert_eq!(editor.get("/api/employees").status, 401);
    let log = server.log();
    assert!(log.iter().all(|line| !line.contains(PASSWORD)), "{log:?}");
}

/// `staffdb tokens create` prints a secret once; sent as `Authorization: Bearer`, it acts as its
/// user with the user's role on the JSON API (no cookie, no CSRF token: a script's way); a
/// wrong one, a revoked one and one whose user is disabled are 401; `tokens list` never shows a
/// secret, and the database keeps only its hash.
fn an_api_token_acts_as_its_user_until_revoked(t: &TestDb) {
    let db = seeded(t);
    let cli = |args: &[&str]| {
        let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
            .env_remove("DATABASE_URL")
            .args(["--database-url", &t.url, "tokens"])
            .args(args)
            .output()
            .expect("run staffdb");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, secret, note) = cli(&["create", "nightly-export", "--user", "viewer"]);
    assert_eq!(code, Some(0), "{note}");
    let secret = secret.trim().to_owned();
    assert!(
        secret.starts_with(staffdb::TOKEN_PREFIX) && secret.len() == 72,
        "{secret}"
    );
    assert!(note.contains("not shown again"), "{note}");
    let (_, editor_secret, _) = cli(&["create", "sync", "--user", "editor"]);
    let editor_secret = editor_secret.trim().to_owned();
    let (code, _, error) = cli(&["create", "sync", "--user", "editor"]);
    assert_eq!(code, Some(1), "{error}");
    assert!(
        error.contains("editor already has a token named `sync`"),
        "{error}"
    );
    let (code, _, error) = cli(&["create", "Bad Name", "--user", "editor"]);
    assert_eq!(code, Some(2), "{error}");
    let (_, listed, _) = cli(&["list"]);
    assert!(
        listed.contains("nightly-export") && listed.contains("sync"),
        "{listed}"
    );
    assert!(!listed.contains(&secret[8..]) && !listed.contains(&editor_secret[8..]));

    let server = Server::start(t);
    let call = |method: &str, path: &str, secret: &str| {
        let request = ureq::request(method, &format!("{}{path}", server.base))
            .set("Authorization", &format!("Bearer {secret}"));
        let sent = if method == "POST" {
            request.send_json(serde_json::json!({"name": "Cy", "age": 30, "position": "Clerk"}))
        } else {
            request.call()
        };
        match sent {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response.status(),
            Err(error) => panic!("{method} {path}: {error}"),
        }
    };
    assert_eq!(call("GET", "/api/employees", &secret), 200);
    assert_eq!(
        call("POST", "/api/employees", &secret),
        403,
        "a viewer's token adds"
    );
    assert_eq!(call("DELETE", "/api/employees/1", &secret), 403);
    assert_eq!(call("POST", "/api/employees", &editor_secret), 201);
    let wrong = format!("{}{}", staffdb::TOKEN_PREFIX, "0".repeat(64));
    for bad in [wrong.as_str(), "", "staffdb_", &secret[..71], &secret[8..]] {
        assert_eq!(call("GET", "/api/employees", bad), 401, "{bad:?}");
    }
    // A token is for the API: the pages take a login.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = agent
        .get(&format!("{}/employees", server.base))
        .set("Authorization", &format!("Bearer {secret}"))
        .call()
        .map(|r| r.status())
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(status, _) => status,
            other => panic!("{other}"),
        });
    assert_eq!(page, 303, "the pages lead to the login");

    let (code, _, _) = cli(&["revoke", "nightly-export", "--user", "viewer"]);
    assert_eq!(code, Some(0));
    assert_eq!(call("GET", "/api/employees", &secret), 401, "revoked");
    let (code, _, error) = cli(&["revoke", "nightly-export", "--user", "viewer"]);
    assert_eq!(code, Some(1), "{error}");
    db.transaction(|s| User::set_disabled(s, "editor", true))
        .expect("disable");
    assert_eq!(
        call("GET", "/api/employees", &editor_secret),
        401,
        "disabled"
    );
    let log = server.log().join("\n");
    assert!(!log.contains(&editor_secret[8..]), "a secret in the log");
}

/// The id of the employee named `name`.
fn id_of(db: &staffdb::Database, name: &str) -> i64 {
    let mut s = db.read_session().expect("read");
    let found = s
        .stream_all::<Employee>()
        .expect("employees")
        .map(|e| e.expect("an employee"))
        .find(|e| e.name == name)
        .expect("seeded");
    found.id.get()
}

/// A JSON request of `visitor`'s, as the API's clients send one.
fn json(visitor: &mut Visitor, method: &str, path: &str, body: &str) -> Page {
    let sent = visitor
        .request(method, path)
        .set("Content-Type", "application/json")
        .send_string(body);
    visitor.receive(sent)
}

/// Writes through `serve` are recorded as the logged-in user's; the history is read, and a row
/// restored, from the API and from the admin's pages; and no route changes a history row.
fn the_history_names_the_user_and_restores_through_the_admin_and_the_api(t: &TestDb) {
    let db = seeded(t);
    let server = Server::start(t);
    let (mut editor, mut viewer) = (logged_in(&server, "editor"), logged_in(&server, "viewer"));
    editor.get("/login");
    let ann = id_of(&db, "Ann");
    let page = json(
        &mut editor,
        "PATCH",
        &format!("/api/employees/{ann}"),
        r#"{"age": 61}"#,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let page = editor.get(&format!("/api/employees/{ann}/history"));
    assert_eq!(page.status, 200, "{}", page.body);
    let history: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{history}");
    assert_eq!(items[0]["operation"], "insert");
    assert_eq!(items[0]["user"], serde_json::Value::Null);
    assert_eq!(items[1]["operation"], "update");
    assert_eq!(items[1]["user"], "editor");
    assert_eq!(items[1]["row"]["age"], 61);
    assert_eq!(
        items[1]["changed"],
        serde_json::json!({"age": {"from": items[0]["row"]["age"], "to": 61}})
    );
    let first = items[0]["history_id"].as_i64().expect("an id");
    assert_eq!(editor.get("/api/employees/999/history").status, 404);

    // No route changes or deletes a history row, whoever asks.
    for method in ["PATCH", "PUT", "DELETE", "POST"] {
        // Refused unread, the connection is not kept: the next request takes a new one.
        let sent = editor
            .request(method, &format!("/api/employees/{ann}/history"))
            .set("Content-Type", "application/json")
            .set("Connection", "close")
            .send_string("{}");
        let page = editor.receive(sent);
        assert_eq!(page.status, 405, "{method}: {}", page.body);
    }
    // A viewer reads the history but is offered no restore, and is refused one.
    let page = viewer.get(&format!("/employees/{ann}/history"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("editor"), "{}", page.body);
    assert!(!page.body.contains("Restore this version"), "{}", page.body);
    viewer.get("/login");
    let body = format!(r#"{{"history_id": {first}}}"#);
    let refused = json(
        &mut viewer,
        "POST",
        &format!("/api/employees/{ann}/restore"),
        &body,
    );
    assert_eq!(refused.status, 403);

    // The editor restores Ann's first version from the API, then deletes and restores Bob
    // from the admin's pages.
    let page = json(
        &mut editor,
        "POST",
        &format!("/api/employees/{ann}/restore"),
        &body,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let restored: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    assert_eq!(restored["age"], items[0]["row"]["age"]);
    assert_eq!(restored["version"], 3);
    let bob = id_of(&db, "Bob");
    assert_eq!(
        editor.post(&format!("/employees/{bob}/delete"), &[]).status,
        303
    );
    let page = editor.get("/employees/deleted");
    assert!(
        page.body.contains("Bob") && page.body.contains("editor"),
        "{}",
        page.body
    );
    let deleted = db
        .read_session()
        .expect("r")
        .deleted::<Employee>()
        .expect("deleted");
    let entry = deleted[0].history_id.to_string();
    let page = editor.post(
        &format!("/employees/{bob}/restore"),
        &[("history_id", &entry)],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location, format!("/employees/{bob}/history"));
    let page = editor.get(&page.location);
    assert!(page.body.contains("Restore this version"), "{}", page.body);
    let mut s = db.read_session().expect("read");
    let back = s.get_one(staffdb::EmployeeId(bob)).expect("Bob is back");
    assert_eq!(back.name, "Bob");
    let users: Vec<Option<String>> = s
        .history(staffdb::EmployeeId(bob))
        .expect("history")
        .into_iter()
        .map(|c| c.user)
        .collect();
    assert_eq!(users, [None, Some("editor".into()), Some("editor".into())]);
}
