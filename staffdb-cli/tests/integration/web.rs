//! The JSON API of `staffdb serve`, through a real HTTP client against the real binary, on every
//! backend.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::common::{TestDb, on_every_backend};

on_every_backend!(
    the_api_adds_shows_changes_and_deletes,
    the_api_pages_with_a_cursor_and_filters,
    the_api_pages_a_sorted_list_by_its_cursor,
    the_api_refuses_bad_input_in_json,
    a_stale_version_is_a_409_with_the_current_one,
    departments_and_stats_through_the_api,
    an_import_is_all_or_nothing_and_names_the_bad_line,
    the_export_streams_what_staffdb_export_writes,
    the_openapi_document_and_the_router_name_the_same_routes,
    eight_clients_patching_one_row_win_once_per_version,
    an_integral_float_is_taken_where_the_document_says_integer,
    an_empty_cursor_is_the_first_page_and_a_foreign_one_a_400,
    a_patch_needs_a_field_and_refuses_null_for_required_ones,
    rows_carry_their_department_name_and_stats_round_the_average,
    an_unknown_department_id_is_a_409_on_its_field,
    an_import_takes_an_integral_float_age,
    the_employees_list_takes_the_generic_query_beside_its_own,
    the_departments_list_is_every_department_and_refuses_a_page,
);

/// `staffdb serve` on a free port of 127.0.0.1, stopped (SIGTERM) when dropped.
pub(crate) struct Server {
    child: Child,
    /// The folder of its password file, if it has one (removed with the server).
    _password: Option<tempfile::TempDir>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub(crate) fn start(db: &TestDb) -> Server {
        Server::start_with(db, &[])
    }

    /// `staffdb serve` with more options (`--password-file F`).
    pub(crate) fn start_with(db: &TestDb, options: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_staffdb"));
        command.args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"]);
        Server::spawn(command.args(options))
    }

    /// `staffdb serve --password-file F` with `password` in F, and more options.
    pub(crate) fn start_guarded(db: &TestDb, password: &str, options: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("password");
        std::fs::write(&file, format!("{password}\n")).expect("password file");
        let path = file.to_str().expect("path").to_owned();
        let mut all = vec!["--password-file", path.as_str()];
        all.extend_from_slice(options);
        let mut server = Server::start_with(db, &all);
        server._password = Some(dir);
        server
    }

    /// Any program that serves like `staffdb serve` (the own-table example's `serve`).
    pub(crate) fn spawn(command: &mut Command) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start staffdb serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let base = first
            .strip_prefix("serving ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("serve said: {first}"))
            .trim_end_matches('/')
            .to_owned();
        // The request log goes on; kept (so that the pipe never fills) for `log`.
        let log = std::sync::Arc::new(std::sync::Mutex::new(vec![first]));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("the log").push(line);
            }
        });
        Server {
            child,
            _password: None,
            base,
            log,
        }
    }

    /// Sends SIGTERM and waits up to `bound` for the server to exit successfully; false if it
    /// is still running then (it is killed).
    pub(crate) fn stop_within(&mut self, bound: std::time::Duration) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + bound;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        false
    }

    /// Every line the server has written on stderr so far.
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().expect("the log").clone()
    }

    /// `METHOD path` with an optional JSON body: the status and the JSON answer (`null` if none).
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let request = ureq::request(method, &format!("{}{path}", self.base));
        let sent = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        let response = match sent {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path}: {error}"),
        };
        let status = response.status();
        let text = response.into_string().expect("a body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, value)
    }

    /// A body sent as-is with this content type.
    fn send_raw(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        let request = ureq::request(method, &format!("{}{path}", self.base))
            .set("Content-Type", content_type);
        let response = match request.send_bytes(body) {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path}: {error}"),
        };
        let status = response.status();
        let text = response.into_string().expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Server {
    /// A POST announcing a 2 MiB JSON body with `Expect: 100-continue`: the server answers
    /// before any of the body is sent (sending it would race the server closing the socket).
    fn status_of_an_oversized_post(&self) -> u16 {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect");
        let request = format!(
            "POST /api/employees HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
            2 << 20
        );
        stream.write_all(request.as_bytes()).expect("send the head");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer.split(' ').nth(1).unwrap_or_default();
        status
            .parse()
            .unwrap_or_else(|_| panic!("answer: {answer}"))
    }
}

impl Server {
    /// A GET whose answer is not JSON: the status, the body, and the content type and
    /// disposition headers.
    fn download(&self, path: &str) -> (u16, String, String, String) {
        let response = match ureq::get(&format!("{}{path}", self.base)).call() {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("GET {path}: {error}"),
        };
        let status = response.status();
        let header = |name| response.header(name).unwrap_or_default().to_owned();
        let (media, disposition) = (header("Content-Type"), header("Content-Disposition"));
        let body = response.into_string().expect("a body");
        (status, body, media, disposition)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let stopped = self.child.wait().expect("wait for serve");
        if !std::thread::panicking() {
            assert!(stopped.success(), "serve exited {stopped:?} on SIGTERM");
        }
    }
}

fn alice() -> Value {
    json!({"name": "Alice", "age": 25, "position": "Manager", "email": "Alice@Example.COM"})
}

/// 201 with the stored row, 200 for a read and a PATCH, 204 for a DELETE, then 404.
fn the_api_adds_shows_changes_and_deletes(db: &TestDb) {
    let server = Server::start(db);
    let (status, added) = server.call("POST", "/api/employees", Some(&alice()));
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["email"], "alice@example.com");
    assert_eq!(added["version"], 1);
    let id = added["id"].as_i64().expect("an id");
    let path = format!("/api/employees/{id}");
    assert_eq!(server.call("GET", &path, None), (200, added.clone()));
    let (status, changed) = server.call("PATCH", &path, Some(&json!({"age": 26, "email": null})));
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (&changed["age"], &changed["email"], &changed["version"]),
        (&json!(26), &Value::Null, &json!(2))
    );
    assert_eq!(changed["name"], "Alice", "fields not named are kept");
    assert_eq!(server.call("DELETE", &path, None), (204, Value::Null));
    let (status, error) = server.call("GET", &path, None);
    assert_eq!(status, 404);
    assert_eq!(error["error"], format!("employee {id} not found"));
    assert_eq!(server.call("DELETE", &path, None).0, 404);
}

/// The names of every row `GET /api/employees?{query}` lists, page after page by each page's
/// `next` cursor to the last (`next: null`); no page holds more than `limit` rows.
fn every_name(server: &Server, query: &str, limit: usize) -> Vec<String> {
    let (mut names, mut next) = (Vec::new(), Value::Null);
    loop {
        let cursor = next
            .as_str()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (status, page) = server.call("GET", &format!("/api/employees?{query}{cursor}"), None);
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit, "{page}");
        names.extend(
            items
                .iter()
                .map(|e| e["name"].as_str().unwrap_or_default().to_owned()),
        );
        next = page["next"].clone();
        if next.is_null() {
            return names;
        }
    }
}

/// Pages of `limit` rows with `next` as the cursor, to the last (`next: null`), under a filter.
fn the_api_pages_with_a_cursor_and_filters(db: &TestDb) {
    let server = Server::start(db);
    for i in 0..7 {
        let position = if i % 2 == 0 { "Clerk" } else { "Chef" };
        let body = json!({"name": format!("E{i}"), "age": 20 + i, "position": position});
        assert_eq!(server.call("POST", "/api/employees", Some(&body)).0, 201);
    }
    let names = every_name(&server, "position=Clerk&limit=3", 3);
    assert_eq!(names, ["E0", "E2", "E4", "E6"]);
    let (_, older) = server.call("GET", "/api/employees?min_age=25", None);
    assert_eq!(older["items"].as_array().map(Vec::len), Some(2));
}

/// The employees' list is the generic one (`model_api.rs`) with parameters of its own: beside
/// `department` (by name), `min_age` and `name` (contains), it takes any model's conditions
/// (`age>=…`, `position~…`), its search (`q`), its `sort=-column` and `count`; a parameter of
/// its own given twice is a 400 naming it, and `include=department` a 400 (the name is in
/// every row already); nothing runs.
fn the_employees_list_takes_the_generic_query_beside_its_own(db: &TestDb) {
    let server = Server::start(db);
    let (_, sales) = server.call("POST", "/api/departments", Some(&json!({"name": "Sales"})));
    for (name, age, position) in [
        ("Ann", 30, "Clerk"),
        ("Bea", 41, "Chef"),
        ("Cid", 52, "Clerk"),
    ] {
        let mut body = json!({"name": name, "age": age, "position": position});
        if name != "Bea" {
            body["department_id"] = sales["id"].clone();
        }
        assert_eq!(server.call("POST", "/api/employees", Some(&body)).0, 201);
    }
    let names = |query: &str| {
        let (status, page) = server.call("GET", &format!("/api/employees?{query}"), None);
        assert_eq!(status, 200, "{query}: {page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = items
            .iter()
            .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        (names, page["count"].clone())
    };
    assert_eq!(names("department=Sales&min_age=31").0, ["Cid"]);
    assert_eq!(names("age>=35&sort=-name").0, ["Cid", "Bea"]);
    assert_eq!(names("position~cler&name=n").0, ["Ann"]);
    assert_eq!(names("q=BEA").0, ["Bea"]);
    assert_eq!(
        names("department=Sales&count=true&limit=1"),
        (vec!["Ann".to_owned()], json!(2))
    );
    let long = format!("name={}", "a".repeat(1_001));
    let many = vec!["age%3E%3D1"; 65].join("&");
    for (query, field) in [
        (long.as_str(), "name"),
        (many.as_str(), "query"),
        ("min_age=1&min_age=2", "min_age"),
        ("department=Sales&department=Sales", "department"),
        ("include=department", "include"),
        ("age>=old", "age"),
        ("min_age=old", "min_age"),
    ] {
        let (status, error) = server.call("GET", &format!("/api/employees?{query}"), None);
        assert_eq!(
            (status, &error["field"]),
            (400, &json!(field)),
            "{query}: {error}"
        );
    }
}

/// The departments' list is every department at once: a page's `limit` and `cursor`, and
/// `count`, are refused (400) rather than ignored; a condition and a search narrow it.
fn the_departments_list_is_every_department_and_refuses_a_page(db: &TestDb) {
    let server = Server::start(db);
    for name in ["Ops", "Sales", "Support"] {
        let (status, _) = server.call("POST", "/api/departments", Some(&json!({"name": name})));
        assert_eq!(status, 201);
    }
    let names = |query: &str| {
        let (status, all) = server.call("GET", &format!("/api/departments?{query}"), None);
        assert_eq!(status, 200, "{query}: {all}");
        let all = all.as_array().cloned().unwrap_or_default();
        all.iter()
            .map(|d| d["name"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(""), ["Ops", "Sales", "Support"]);
    assert_eq!(names("q=s&sort=-name"), ["Support", "Sales", "Ops"]);
    for key in ["limit=2", "cursor=1", "count=true"] {
        let (status, error) = server.call("GET", &format!("/api/departments?{key}"), None);
        let field = key.split('=').next().unwrap_or_default();
        assert_eq!(
            (status, &error["field"]),
            (400, &json!(field)),
            "{key}: {error}"
        );
    }
}

/// `sort` and `desc` order the list by a column, ties broken by id; `next` continues that
/// order to the last page; an unknown key is a 400 on `sort`, and a sorted list's cursor whose
/// row is gone a 404, where in id order it is still a place to continue from.
fn the_api_pages_a_sorted_list_by_its_cursor(db: &TestDb) {
    let server = Server::start(db);
    let mut ids = Vec::new();
    for (name, age) in [("Cy", 30), ("Al", 40), ("Bo", 30), ("Di", 20), ("Ed", 40)] {
        let body = json!({"name": name, "age": age, "position": "Clerk"});
        let (status, row) = server.call("POST", "/api/employees", Some(&body));
        assert_eq!(status, 201, "{row}");
        ids.push(row["id"].clone());
    }
    let pages = |query: &str| every_name(&server, &format!("{query}&limit=2"), 2);
    assert_eq!(pages("sort=name"), ["Al", "Bo", "Cy", "Di", "Ed"]);
    // Largest first, ties by id largest first too (the index of (age, id) read backwards).
    assert_eq!(pages("sort=age&desc=1"), ["Ed", "Al", "Bo", "Cy", "Di"]);
    assert_eq!(
        pages("sort=age&desc=true&min_age=30"),
        ["Ed", "Al", "Bo", "Cy"]
    );
    let (status, error) = server.call("GET", "/api/employees?sort=salary", None);
    assert_eq!((status, &error["field"]), (400, &json!("sort")), "{error}");
    let (status, error) = server.call("GET", "/api/employees?desc=yes", None);
    assert_eq!((status, &error["field"]), (400, &json!("desc")), "{error}");
    let gone = &ids[0];
    assert_eq!(
        server
            .call("DELETE", &format!("/api/employees/{gone}"), None)
            .0,
        204
    );
    let (status, error) = server.call(
        "GET",
        &format!("/api/employees?sort=name&cursor={gone}"),
        None,
    );
    assert_eq!(status, 404, "{error}");
    let (status, page) = server.call("GET", &format!("/api/employees?cursor={gone}"), None);
    assert_eq!(
        status, 200,
        "in id order the id is the whole cursor: {page}"
    );
}

/// Bad input gets JSON errors with their field: 422 invalid values, 400 malformed JSON or a bad
/// id, 415 a body that is not `application/json`, 413 one over the limit; nothing is written.
fn the_api_refuses_bad_input_in_json(db: &TestDb) {
    let server = Server::start(db);
    let (status, error) = server.call(
        "POST",
        "/api/employees",
        Some(&json!({"name": "Old", "age": 151, "position": "Clerk"})),
    );
    assert_eq!((status, &error["field"]), (422, &json!("age")), "{error}");
    let (status, error) =
        server.send_raw("POST", "/api/employees", "application/json", b"{\"name\": ");
    assert_eq!(status, 400, "{error}");
    assert!(error["error"].is_string());
    let (status, _) = server.send_raw(
        "POST",
        "/api/employees",
        "text/plain",
        br#"{"name":"X","age":1,"position":"P"}"#,
    );
    assert_eq!(status, 415, "a cross-site text/plain POST is refused");
    assert_eq!(server.status_of_an_oversized_post(), 413);
    let (status, error) = server.call("GET", "/api/employees/abc", None);
    assert_eq!((status, &error["field"]), (400, &json!("id")), "{error}");
    let (status, error) = server.call("GET", "/api/employees?limit=0", None);
    assert_eq!((status, &error["field"]), (422, &json!("limit")), "{error}");
    // PostgreSQL refuses a NUL in text: a filter with one is the client's 400, not a 500.
    let (status, error) = server.call("GET", "/api/employees?department=a%00b", None);
    assert_eq!(
        (status, &error["field"]),
        (400, &json!("department")),
        "{error}"
    );
    let (status, error) = server.call("PATCH", "/api/employees/1", Some(&json!({"salary": 1})));
    assert_eq!(status, 422, "an unknown field: {error}");
    let (status, error) = server.call("GET", "/api/nowhere", None);
    assert_eq!((status, &error["error"]), (404, &json!("no such route")));
    // A restore is refused the same ways: another body type, malformed JSON, no whole number,
    // a change that is not this row's.
    let restore = "/api/employees/1/restore";
    let (status, _) = server.send_raw("POST", restore, "text/plain", br#"{"history_id":1}"#);
    assert_eq!(status, 415);
    let (status, _) = server.send_raw("POST", restore, "application/json", b"{\"history_id\": ");
    assert_eq!(status, 400);
    for body in [
        json!({"history_id": 1.5}),
        json!({"history_id": "1"}),
        json!({}),
    ] {
        let (status, error) = server.call("POST", restore, Some(&body));
        assert_eq!(status, 422, "{body}: {error}");
    }
    let (status, error) = server.call("POST", restore, Some(&json!({"history_id": 1})));
    assert_eq!(status, 404, "{error}");
    let (_, all) = server.call("GET", "/api/employees", None);
    assert_eq!(all["items"], json!([]), "nothing was written");
}

/// A PATCH with a stale `version` is a 409 naming the current version, and changes nothing.
fn a_stale_version_is_a_409_with_the_current_one(db: &TestDb) {
    let server = Server::start(db);
    let (_, added) = server.call("POST", "/api/employees", Some(&alice()));
    let path = format!("/api/employees/{}", added["id"]);
    let (status, _) = server.call("PATCH", &path, Some(&json!({"age": 30, "version": 1})));
    assert_eq!(status, 200);
    let (status, error) = server.call("PATCH", &path, Some(&json!({"age": 40, "version": 1})));
    assert_eq!(status, 409, "{error}");
    assert_eq!(
        (&error["field"], &error["current_version"]),
        (&json!("version"), &json!(2))
    );
    assert_eq!(server.call("GET", &path, None).1["age"], 30);
}

/// Departments: 201 on add, 409 for a taken name, 200 on rename, 204 on delete (its employee
/// keeps no department), then 404. Stats by position and by department; a bad `by` is 400.
fn departments_and_stats_through_the_api(db: &TestDb) {
    let server = Server::start(db);
    let (status, sales) = server.call("POST", "/api/departments", Some(&json!({"name": "Sales"})));
    assert_eq!(status, 201, "{sales}");
    let (status, error) = server.call("POST", "/api/departments", Some(&json!({"name": "Sales"})));
    assert_eq!((status, &error["field"]), (409, &json!("name")), "{error}");
    let (status, error) = server.call("POST", "/api/departments", Some(&json!({"name": " "})));
    assert_eq!((status, &error["field"]), (422, &json!("name")), "{error}");
    let path = format!("/api/departments/{}", sales["id"]);
    let (status, renamed) =
        server.call("PATCH", &path, Some(&json!({"name": "Sales & Marketing"})));
    assert_eq!(
        (status, &renamed["name"]),
        (200, &json!("Sales & Marketing")),
        "{renamed}"
    );
    let bob = json!({"name": "Bob", "age": 30, "position": "Clerk", "department_id": sales["id"]});
    let (status, bob) = server.call("POST", "/api/employees", Some(&bob));
    assert_eq!(status, 201, "{bob}");
    let ann = json!({"name": "Ann", "age": 40, "position": "Clerk"});
    assert_eq!(server.call("POST", "/api/employees", Some(&ann)).0, 201);
    let (status, by_position) = server.call("GET", "/api/stats", None);
    assert_eq!(status, 200);
    assert_eq!(
        by_position,
        json!([{"group": "Clerk", "count": 2, "average_age": 35.0, "min_age": 30, "max_age": 40}])
    );
    let (_, by_department) = server.call("GET", "/api/stats?by=department", None);
    let groups: Vec<&Value> = by_department
        .as_array()
        .map(|g| g.iter().map(|g| &g["group"]).collect())
        .unwrap_or_default();
    assert_eq!(groups, [&json!("Sales & Marketing"), &Value::Null]);
    assert_eq!(server.call("GET", "/api/stats?by=age", None).0, 400);
    assert_eq!(
        server
            .call("GET", "/api/departments", None)
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(server.call("DELETE", &path, None).0, 204);
    assert_eq!(server.call("GET", &path, None).0, 404);
    let bob_now = server
        .call("GET", &format!("/api/employees/{}", bob["id"]), None)
        .1;
    assert!(bob_now["department_id"].is_null(), "{bob_now}");
}

/// A CSV with one bad line imports nothing and names the line and the field (422); the same
/// file fixed imports every line; a JSON import works too; another content type is a 415; the
/// same emails again, or twice in one body, are a 409.
fn an_import_is_all_or_nothing_and_names_the_bad_line(db: &TestDb) {
    let server = Server::start(db);
    let bad =
        "name,age,position,email\nAda,36,Engineer,ada@example.com\nBob,151,Clerk,\nCy,40,Clerk,\n";
    let (status, error) = server.send_raw("POST", "/api/import", "text/csv", bad.as_bytes());
    assert_eq!(status, 422, "{error}");
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("line 3:"), "{message}");
    assert!(message.contains("nothing was imported"), "{message}");
    assert_eq!(error["field"], "age");
    let (_, page) = server.call("GET", "/api/employees", None);
    assert_eq!(page["items"], json!([]), "a refused import leaves nothing");

    let good = bad.replace("151", "51");
    let (status, imported) = server.send_raw("POST", "/api/import", "text/csv", good.as_bytes());
    assert_eq!((status, imported), (200, json!({"added": 3, "updated": 0})));
    let records = json!([{"name": "Dee", "age": 29, "position": "Clerk"}]).to_string();
    let (status, imported) = server.send_raw(
        "POST",
        "/api/import",
        "application/json",
        records.as_bytes(),
    );
    assert_eq!((status, imported), (200, json!({"added": 1, "updated": 0})));
    let (status, error) = server.send_raw("POST", "/api/import", "text/plain", good.as_bytes());
    assert_eq!(status, 415, "{error}");
    let (status, error) = server.send_raw("POST", "/api/import", "text/csv", good.as_bytes());
    assert_eq!(status, 409, "the same emails again: {error}");
    assert_eq!(error["field"], "email");
    // Two records of one body with one email: a conflict of unique values too (409, as the
    // generic import answers), naming both records, and nothing written.
    let twice = json!([
        {"name": "Eve", "age": 30, "position": "Clerk", "email": "eve@example.com"},
        {"name": "Eva", "age": 31, "position": "Clerk", "email": "Eve@Example.com"}
    ])
    .to_string();
    let (status, error) =
        server.send_raw("POST", "/api/import", "application/json", twice.as_bytes());
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["field"], "email");
    assert_eq!(
        error["error"],
        "record 2: invalid email: `eve@example.com` appears twice, on record 1 and on record 2; nothing was imported"
    );
    let (_, page) = server.call("GET", "/api/employees", None);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(4));
}

/// `GET /api/export` is an attachment with the same bytes as `staffdb export`, in CSV and
/// JSON; another format is a 400.
fn the_export_streams_what_staffdb_export_writes(db: &TestDb) {
    let server = Server::start(db);
    // More than one chunk of the stream (64 KiB), with a department and a quote to escape.
    let (status, _) = server.call("POST", "/api/departments", Some(&json!({"name": "R&D"})));
    assert_eq!(status, 201);
    let mut csv = String::from("name,age,position,department\n");
    for i in 0..2_000 {
        csv.push_str(&format!("\"Worker, No. {i}\",{},Clerk,R&D\n", 20 + i % 40));
    }
    let (status, _) = server.send_raw("POST", "/api/import", "text/csv", csv.as_bytes());
    assert_eq!(status, 200);
    for format in ["csv", "json"] {
        let (status, body, media, disposition) =
            server.download(&format!("/api/export?format={format}"));
        assert_eq!(status, 200);
        assert!(media.contains(format), "{media}");
        assert_eq!(
            disposition,
            format!("attachment; filename=\"employees.{format}\"")
        );
        let cli = std::process::Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--database-url", &db.url, "export", "--format", format])
            .output()
            .expect("staffdb export");
        assert!(cli.status.success());
        assert!(body.len() > 64 << 10, "{} bytes", body.len());
        assert_eq!(body, String::from_utf8_lossy(&cli.stdout), "{format}");
    }
    let (status, _, _, _) = server.download("/api/export?format=xml");
    assert_eq!(status, 400);
}

/// The OpenAPI document is JSON and it and the router name the same routes: every `/api/`
/// route in the router's source is documented, every documented method is served (never the
/// "no such route" 404 or a 405), and every method a path leaves out is refused with 405.
fn the_openapi_document_and_the_router_name_the_same_routes(db: &TestDb) {
    let server = Server::start(db);
    let (status, document) = server.call("GET", "/api/openapi.json", None);
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("the document's paths");
    let mut in_source = std::collections::BTreeSet::new();
    for file in ["api.rs", "api_stats.rs", "transfer.rs", "openapi.rs"] {
        let source =
            std::fs::read_to_string(format!("{}/../src/web/{file}", env!("CARGO_MANIFEST_DIR")))
                .expect("the web module's source");
        for call in source.split(".route(").skip(1) {
            let literal = call
                .trim_start()
                .strip_prefix('"')
                .and_then(|r| r.split_once('"'));
            if let Some((path, _)) = literal.filter(|(p, _)| p.starts_with("/api/")) {
                in_source.insert(path.to_owned());
            }
        }
    }
    // The models' routes are written once for every model (`model_api.rs`), and their
    // history's for every model with history (`history.rs`).
    for plural in ["employees", "departments"] {
        in_source.insert(format!("/api/{plural}"));
        for path in ["{id}", "{id}/history", "deleted", "{id}/restore"] {
            in_source.insert(format!("/api/{plural}/{path}"));
        }
    }
    let documented: std::collections::BTreeSet<String> = paths
        .keys()
        .filter(|p| p.starts_with("/api/"))
        .cloned()
        .collect();
    assert!(in_source.len() >= 8, "the router's routes: {in_source:?}");
    assert_eq!(
        in_source, documented,
        "the router's /api/ routes and the document's"
    );
    for (path, item) in paths {
        let url = path.replace("{id}", "999999");
        for method in ["get", "post", "patch", "delete", "put"] {
            let sent =
                ureq::request(&method.to_uppercase(), &format!("{}{url}", server.base)).call();
            let response = match sent {
                Ok(response) => response,
                Err(ureq::Error::Status(_, response)) => response,
                Err(error) => panic!("{method} {url}: {error}"),
            };
            let status = response.status();
            let allow = response.header("allow").map(str::to_owned);
            let text = response.into_string().unwrap_or_default();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if item[method].is_object() {
                assert!(
                    status != 405 && body["error"] != "no such route",
                    "{method} {path} is documented but not served: {status} {body}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
                // Every error of the API is JSON, a 405 too, and it names what is allowed.
                let api = path.starts_with("/api/");
                assert!(!api || body["error"].is_string(), "{method} {path}: {text}");
                assert!(allow.is_some(), "{method} {path}: no Allow header");
            }
        }
    }
}

/// 8 clients PATCH one row with the version they read, all at once, round after round: each
/// round exactly one gets 200 and the other 7 a 409 naming the new version; every won change
/// is kept (the row ends at 1 + rounds, with the last winner's age).
fn eight_clients_patching_one_row_win_once_per_version(db: &TestDb) {
    const CLIENTS: i64 = 8;
    const ROUNDS: i64 = 10;
    let server = Server::start(db);
    let (_, row) = server.call("POST", "/api/employees", Some(&alice()));
    let path = format!("/api/employees/{}", row["id"]);
    for round in 1..=ROUNDS {
        let barrier = std::sync::Barrier::new(CLIENTS as usize);
        let answers: Vec<(i64, u16, Value)> = std::thread::scope(|scope| {
            let clients: Vec<_> = (0..CLIENTS)
                .map(|client| {
                    let (server, path, barrier) = (&server, &path, &barrier);
                    scope.spawn(move || {
                        let age = 20 + client;
                        let body = json!({"age": age, "version": round});
                        barrier.wait();
                        let (status, answer) = server.call("PATCH", path, Some(&body));
                        (age, status, answer)
                    })
                })
                .collect();
            clients
                .into_iter()
                .map(|c| c.join().expect("a client"))
                .collect()
        });
        let winners: Vec<_> = answers.iter().filter(|(_, s, _)| *s == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        let (winning_age, _, stored) = winners[0];
        assert_eq!(stored["version"], json!(round + 1));
        assert_eq!(stored["age"], json!(winning_age));
        for (_, status, answer) in answers.iter().filter(|(_, s, _)| *s != 200) {
            assert_eq!(*status, 409, "round {round}: {answer}");
            assert_eq!(answer["current_version"], json!(round + 1), "{answer}");
        }
        let (_, now) = server.call("GET", &path, None);
        assert_eq!(
            (&now["version"], &now["age"]),
            (&json!(round + 1), &json!(winning_age))
        );
    }
}

/// JSON Schema's `integer`, which the document uses, admits `39.0`: the API takes a whole
/// number written as a float for `age`, `department_id` and `version`, and refuses `39.5`.
fn an_integral_float_is_taken_where_the_document_says_integer(db: &TestDb) {
    let server = Server::start(db);
    let (status, sales) = server.call("POST", "/api/departments", Some(&json!({"name": "Sales"})));
    assert_eq!(status, 201, "{sales}");
    let department = sales["id"].as_i64().expect("an id") as f64;
    let body =
        json!({"name": "Ann", "age": 39.0, "position": "Clerk", "department_id": department});
    let (status, row) = server.call("POST", "/api/employees", Some(&body));
    assert_eq!(
        (status, &row["age"], &row["department_id"]),
        (201, &json!(39), &sales["id"]),
        "{row}"
    );
    let path = format!("/api/employees/{}", row["id"]);
    let (status, row) = server.call("PATCH", &path, Some(&json!({"age": 40.0, "version": 1.0})));
    assert_eq!(
        (status, &row["age"], &row["version"]),
        (200, &json!(40), &json!(2)),
        "{row}"
    );
    let half = json!({"name": "Bo", "age": 39.5, "position": "Clerk"});
    let (status, error) = server.call("POST", "/api/employees", Some(&half));
    assert_eq!(status, 422, "{error}");
}

/// `cursor=` (empty) reads the first page, as no cursor does; one that is not the digits
/// `next` gives (a sign, a letter, 19 digits) is a 400 on `cursor`.
fn an_empty_cursor_is_the_first_page_and_a_foreign_one_a_400(db: &TestDb) {
    let server = Server::start(db);
    server.call("POST", "/api/employees", Some(&alice()));
    let (status, page) = server.call("GET", "/api/employees?cursor=", None);
    assert_eq!(
        (status, page["items"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{page}"
    );
    for cursor in ["-1", "%2B1", "x", "1000000000000000000"] {
        let (status, error) = server.call("GET", &format!("/api/employees?cursor={cursor}"), None);
        assert_eq!(
            (status, &error["field"]),
            (400, &json!("cursor")),
            "{cursor}: {error}"
        );
    }
}

/// `PATCH {}` and `{"version": 1}` change nothing and are refused (422), as the document's
/// `anyOf` says; `null` for a field that cannot be cleared (name) is refused too, and so is a
/// body that gives a key twice (a POST's too).
fn a_patch_needs_a_field_and_refuses_null_for_required_ones(db: &TestDb) {
    let server = Server::start(db);
    let (_, row) = server.call("POST", "/api/employees", Some(&alice()));
    let path = format!("/api/employees/{}", row["id"]);
    for body in [json!({}), json!({"version": 1}), json!({"name": null})] {
        let (status, error) = server.call("PATCH", &path, Some(&body));
        assert_eq!(status, 422, "{body}: {error}");
    }
    // A key given twice is refused, not won by its last value.
    let twice = br#"{"name": "Ann", "name": "Bea"}"#;
    let (status, error) = server.send_raw("PATCH", &path, "application/json", twice);
    assert_eq!(status, 422, "{error}");
    let added = br#"{"name": "Cy", "age": 3, "age": 4, "position": "Clerk"}"#;
    let (status, error) = server.send_raw("POST", "/api/employees", "application/json", added);
    assert_eq!(status, 422, "{error}");
    let (_, all) = server.call("GET", "/api/employees", None);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1), "{all}");
    let (_, stored) = server.call("GET", &path, None);
    assert_eq!(
        (&stored["name"], &stored["version"]),
        (&json!("Alice"), &json!(1))
    );
}

/// A row carries its department's name beside `department_id` (null without one), in the
/// list, a read, a create and a PATCH; `average_age` is rounded to 2 decimals.
fn rows_carry_their_department_name_and_stats_round_the_average(db: &TestDb) {
    let server = Server::start(db);
    let (_, sales) = server.call("POST", "/api/departments", Some(&json!({"name": "Sales"})));
    let body = json!({"name": "Ann", "age": 30, "position": "Clerk", "department_id": sales["id"]});
    let (_, ann) = server.call("POST", "/api/employees", Some(&body));
    assert_eq!(ann["department"], "Sales", "{ann}");
    for age in [31, 31] {
        let body = json!({"name": "Bo", "age": age, "position": "Clerk"});
        server.call("POST", "/api/employees", Some(&body));
    }
    let (_, page) = server.call("GET", "/api/employees", None);
    let departments: Vec<&Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| &r["department"])
        .collect();
    assert_eq!(
        departments,
        [&json!("Sales"), &Value::Null, &Value::Null],
        "{page}"
    );
    let path = format!("/api/employees/{}", ann["id"]);
    let (_, read) = server.call("GET", &path, None);
    assert_eq!(read["department"], "Sales");
    let (_, changed) = server.call("PATCH", &path, Some(&json!({"department_id": null})));
    assert_eq!(
        (&changed["department"], &changed["department_id"]),
        (&Value::Null, &Value::Null)
    );
    let (_, stats) = server.call("GET", "/api/stats", None);
    assert_eq!(
        stats[0]["average_age"],
        json!(30.67),
        "(30 + 31 + 31) / 3: {stats}"
    );
}

/// A `department_id` that names no department is a 409 on `department_id` (create and
/// PATCH), and nothing is written.
fn an_unknown_department_id_is_a_409_on_its_field(db: &TestDb) {
    let server = Server::start(db);
    let body = json!({"name": "Ann", "age": 30, "position": "Clerk", "department_id": 4242});
    let (status, error) = server.call("POST", "/api/employees", Some(&body));
    assert_eq!(
        (status, &error["field"]),
        (409, &json!("department_id")),
        "{error}"
    );
    let (_, row) = server.call("POST", "/api/employees", Some(&alice()));
    let path = format!("/api/employees/{}", row["id"]);
    let (status, error) = server.call("PATCH", &path, Some(&json!({"department_id": 4242})));
    assert_eq!(
        (status, &error["field"]),
        (409, &json!("department_id")),
        "{error}"
    );
    let (_, page) = server.call("GET", "/api/employees", None);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["items"][0]["version"], 1);
}

/// A JSON import takes `"age": 39.0` as 39, as the document's `integer` admits.
fn an_import_takes_an_integral_float_age(db: &TestDb) {
    let server = Server::start(db);
    let records = json!([{"name": "Ann", "age": 39.0, "position": "Clerk"}]);
    let (status, imported) = server.call("POST", "/api/import", Some(&records));
    assert_eq!((status, &imported["added"]), (200, &json!(1)), "{imported}");
    let (_, page) = server.call("GET", "/api/employees", None);
    assert_eq!(page["items"][0]["age"], 39, "{page}");
}

/// An application mounts the admin and API as a router beside its own routes, behind its own
/// middleware, served by its own `axum::serve`: both answer, its middleware sees the admin's
/// requests, and the admin's own checks still hold (a foreign Host is 421).
#[test]
fn an_application_mounts_the_admin_router_beside_its_own_routes() {
    use axum::{Router, middleware, routing::get};
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let database = staffdb::Database::open(&db.url).expect("open");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let stamp = |request: axum::extract::Request, next: middleware::Next| async move {
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .insert("x-app", "mine".parse().expect("a header value"));
        response
    };
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(staffdb::web::Admin::new(database).quiet(true).router())
        .layer(middleware::from_fn(stamp));
    runtime.spawn(async move { axum::serve(listener, app).await });

    let health = ureq::get(&format!("{base}/health"))
        .call()
        .expect("/health");
    assert_eq!(health.into_string().expect("a body"), "ok");
    let created = ureq::post(&format!("{base}/api/employees"))
        .send_json(json!({"name": "Ann", "age": 30, "position": "Clerk"}))
        .expect("a create");
    assert_eq!(created.status(), 201);
    assert_eq!(created.header("x-app"), Some("mine"));
    let listed: Value = ureq::get(&format!("{base}/api/employees"))
        .call()
        .expect("a list")
        .into_json()
        .expect("JSON");
    assert_eq!(listed["items"][0]["name"], "Ann");
    let foreign = ureq::get(&format!("{base}/api/employees"))
        .set("Host", "attacker.example")
        .call();
    assert!(
        matches!(foreign, Err(ureq::Error::Status(421, _))),
        "{foreign:?}"
    );
    // A page's form posted from another origin, and a body type no form of the admin sends.
    let cross = ureq::post(&format!("{base}/employees/1/delete"))
        .set("Origin", "http://attacker.example")
        .send_string("");
    assert!(
        matches!(cross, Err(ureq::Error::Status(403, _))),
        "{cross:?}"
    );
    let plain = ureq::post(&format!("{base}/employees/1/delete"))
        .set("Content-Type", "text/plain")
        .send_string("csrf=x");
    assert!(
        matches!(plain, Err(ureq::Error::Status(415, _))),
        "{plain:?}"
    );
    let still: Value = ureq::get(&format!("{base}/api/employees"))
        .call()
        .expect("a list")
        .into_json()
        .expect("JSON");
    assert_eq!(
        still["items"].as_array().map(Vec::len),
        Some(1),
        "nothing deleted"
    );
}
