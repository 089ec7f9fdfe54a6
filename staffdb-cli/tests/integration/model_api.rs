//! The JSON API a registered model gets (`Admin::new(db).model::<Project>()`, the example's
//! `projects`), through a real HTTP client against the admin's router served in this process,
//! on every backend: every route, its statuses and its errors, as the employees' routes have
//! them.

use serde_json::{Value, json};
use staffdb::web::{Admin, AdminModel};

use crate::common::{TestDb, on_every_backend};
use crate::derived::{open, project::Project};

on_every_backend!(
    a_project_goes_through_every_route,
    a_stale_version_is_a_409_naming_the_current_one,
    bad_input_is_refused_in_json_naming_its_field,
    a_taken_name_and_a_missing_lead_are_409s_on_their_fields,
    a_list_pages_by_cursor_to_the_last,
);

/// The projects' pages and API, every method from the description.
impl AdminModel for Project {}

/// The admin with `projects` registered, served in this process on a free port of 127.0.0.1
/// (its runtime, and the server with it, stop when it is dropped).
pub(crate) struct ProjectServer {
    pub(crate) base: String,
    _runtime: tokio::runtime::Runtime,
}

impl ProjectServer {
    pub(crate) fn start(t: &TestDb) -> ProjectServer {
        let app = Admin::new(open(t)).model::<Project>().quiet(true).router();
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        runtime.spawn(async move { axum::serve(listener, app).await });
        ProjectServer {
            base,
            _runtime: runtime,
        }
    }

    /// `METHOD path` with an optional JSON body and extra headers: the status and the JSON
    /// answer (`null` if none).
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = ureq::request(method, &format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let sent = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        answer(method, path, sent)
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.send(method, path, &[], body)
    }

    /// A body sent as it is, with this content type.
    fn raw(&self, method: &str, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let request = ureq::request(method, &format!("{}{path}", self.base))
            .set("Content-Type", content_type);
        answer(method, path, request.send_string(body))
    }

    /// Every project's name, in id order, by the API.
    fn names(&self) -> Vec<String> {
        let (status, page) = self.call("GET", "/api/projects?limit=1000", None);
        assert_eq!(status, 200, "{page}");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["name"].as_str().expect("a name").to_owned())
            .collect()
    }
}

fn answer(method: &str, path: &str, sent: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let response = match sent {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
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

/// 201 with the stored row (every column, typed: the id a number, the time RFC 3339), 200 for
/// a read and a PATCH (`null` clears the lead), 204 for a DELETE, then 404.
fn a_project_goes_through_every_route(t: &TestDb) {
    let server = ProjectServer::start(t);
    let (status, added) = server.call(
        "POST",
        "/api/projects",
        Some(&json!({"name": "Apollo", "budget": 1000})),
    );
    assert_eq!(status, 201, "{added}");
    let keys: Vec<&str> = added
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["budget", "created_at", "id", "lead_id", "name", "version"]
    );
    assert_eq!(
        (
            &added["name"],
            &added["lead_id"],
            &added["budget"],
            &added["version"]
        ),
        (&json!("Apollo"), &Value::Null, &json!(1000), &json!(1))
    );
    let created = added["created_at"].as_str().expect("a time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'),
        "{created}"
    );
    let id = added["id"].as_i64().expect("a numeric id");
    let path = format!("/api/projects/{id}");
    assert_eq!(server.call("GET", &path, None), (200, added.clone()));

    let (_, lead) = server.call(
        "POST",
        "/api/employees",
        Some(&json!({"name": "Alice", "age": 30, "position": "Lead"})),
    );
    let (status, led) = server.call("PATCH", &path, Some(&json!({"lead_id": lead["id"]})));
    assert_eq!(status, 200, "{led}");
    assert_eq!((&led["lead_id"], &led["version"]), (&lead["id"], &json!(2)));
    assert_eq!(led["budget"], 1000, "columns not named are kept");
    let (status, cleared) = server.call("PATCH", &path, Some(&json!({"lead_id": null})));
    assert_eq!(
        (status, &cleared["lead_id"]),
        (200, &Value::Null),
        "{cleared}"
    );
    assert_eq!(server.call("GET", &path, None), (200, cleared));

    assert_eq!(server.call("DELETE", &path, None), (204, Value::Null));
    let (status, error) = server.call("GET", &path, None);
    assert_eq!(
        (status, &error["error"]),
        (404, &json!(format!("project {id} not found")))
    );
    assert_eq!(server.call("DELETE", &path, None).0, 404);
    let (status, _) = server.call("PATCH", &path, Some(&json!({"budget": 1})));
    assert_eq!(status, 404);
}

/// A PATCH with a stale `version` is a 409 naming the current version, and changes nothing;
/// with the current one it applies.
fn a_stale_version_is_a_409_naming_the_current_one(t: &TestDb) {
    let server = ProjectServer::start(t);
    let (_, added) = server.call("POST", "/api/projects", Some(&json!({"name": "Apollo"})));
    let path = format!("/api/projects/{}", added["id"]);
    let (status, changed) = server.call("PATCH", &path, Some(&json!({"budget": 10, "version": 1})));
    assert_eq!((status, &changed["version"]), (200, &json!(2)), "{changed}");
    let (status, error) = server.call("PATCH", &path, Some(&json!({"budget": 20, "version": 1})));
    assert_eq!(status, 409, "{error}");
    assert_eq!(
        (&error["field"], &error["current_version"]),
        (&json!("version"), &json!(2))
    );
    assert_eq!(server.call("GET", &path, None).1["budget"], 10);
    let (status, changed) = server.call("PATCH", &path, Some(&json!({"budget": 20, "version": 2})));
    assert_eq!((status, &changed["budget"]), (200, &json!(20)), "{changed}");
}

/// Bad input is answered in JSON naming its field, with the employees' statuses: 422 for a
/// refused value, a wrong JSON type, a `null` where the column is not nullable, an unknown or
/// read-only key; 400 for malformed JSON, a bad id or query parameter; 415 for another body
/// type; and nothing is written.
fn bad_input_is_refused_in_json_naming_its_field(t: &TestDb) {
    let server = ProjectServer::start(t);
    let refused = [
        (json!({"name": "X", "budget": -5}), "budget"),
        (json!({"budget": 1}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "X", "salary": 1}), "salary"),
        (json!({"name": "X", "id": 5}), "id"),
        (json!({"name": "X", "version": 3}), "version"),
        (
            json!({"name": "X", "created_at": "2024-03-01T09:00:00Z"}),
            "created_at",
        ),
        (json!({"name": "X", "budget": "5"}), "budget"),
        (json!({"name": "X", "budget": 1.5}), "budget"),
        (json!({"name": "X", "budget": null}), "budget"),
        (json!({"name": "X", "budget": 2_147_483_648_i64}), "budget"),
        (json!({"name": 7}), "name"),
        (json!({"name": "X", "lead_id": 0}), "lead_id"),
    ];
    for (body, field) in refused {
        let (status, error) = server.call("POST", "/api/projects", Some(&body));
        assert_eq!(
            (status, &error["field"]),
            (422, &json!(field)),
            "{body}: {error}"
        );
        assert!(error["error"].is_string(), "{error}");
    }
    let (status, _) = server.raw("POST", "/api/projects", "application/json", "{\"name\": ");
    assert_eq!(status, 400, "malformed JSON");
    let (status, _) = server.raw("POST", "/api/projects", "application/json", "[1]");
    assert_eq!(status, 422, "not an object");
    let (status, _) = server.raw("POST", "/api/projects", "text/plain", r#"{"name":"X"}"#);
    assert_eq!(status, 415, "a cross-site text/plain POST");
    assert_eq!(server.names(), Vec::<String>::new(), "nothing was written");

    // A whole number written as a float is taken, as JSON Schema's `integer` admits it.
    let (status, added) = server.call(
        "POST",
        "/api/projects",
        Some(&json!({"name": "X", "budget": 2.0})),
    );
    assert_eq!((status, &added["budget"]), (201, &json!(2)), "{added}");
    let path = format!("/api/projects/{}", added["id"]);
    for (body, field) in [
        (json!({}), Value::Null),
        (json!({"version": 1}), Value::Null),
        (json!({"name": null}), json!("name")),
        (json!({"version": "1", "budget": 3}), json!("version")),
        (json!({"budget": -1}), json!("budget")),
    ] {
        let (status, error) = server.call("PATCH", &path, Some(&body));
        assert_eq!((status, &error["field"]), (422, &field), "{body}: {error}");
    }
    let queries = [
        ("/api/projects/abc", "id"),
        ("/api/projects?limit=x", "limit"),
        ("/api/projects?sort=name", "sort"),
        ("/api/projects?cursor=abc", "cursor"),
        ("/api/projects?limit=2&limit=3", "limit"),
    ];
    for (path, field) in queries {
        let (status, error) = server.call("GET", path, None);
        assert_eq!(
            (status, &error["field"]),
            (400, &json!(field)),
            "{path}: {error}"
        );
    }
    let (status, error) = server.call("GET", "/api/projects?limit=1001", None);
    assert_eq!((status, &error["field"]), (422, &json!("limit")), "{error}");
    assert_eq!(server.call("GET", &path, None).1["version"], 1, "unchanged");
}

/// A name already taken is a 409 on `name`; a lead that does not exist a 409 on `lead_id`.
fn a_taken_name_and_a_missing_lead_are_409s_on_their_fields(t: &TestDb) {
    let server = ProjectServer::start(t);
    let apollo = json!({"name": "Apollo"});
    assert_eq!(server.call("POST", "/api/projects", Some(&apollo)).0, 201);
    let (status, error) = server.call("POST", "/api/projects", Some(&apollo));
    assert_eq!((status, &error["field"]), (409, &json!("name")), "{error}");
    let (_, gemini) = server.call("POST", "/api/projects", Some(&json!({"name": "Gemini"})));
    let path = format!("/api/projects/{}", gemini["id"]);
    let (status, error) = server.call("PATCH", &path, Some(&apollo));
    assert_eq!((status, &error["field"]), (409, &json!("name")), "{error}");
    let no_lead = json!({"name": "Mercury", "lead_id": 999_999});
    let (status, error) = server.call("POST", "/api/projects", Some(&no_lead));
    assert_eq!(
        (status, &error["field"]),
        (409, &json!("lead_id")),
        "{error}"
    );
    assert_eq!(error["error"], "lead_id: employee 999999 does not exist");
    let (status, error) = server.call("PATCH", &path, Some(&json!({"lead_id": 999_999})));
    assert_eq!(
        (status, &error["field"]),
        (409, &json!("lead_id")),
        "{error}"
    );
    assert_eq!(server.names(), ["Apollo", "Gemini"]);
}

/// Pages of `limit` rows in id order, each `next` the cursor of the following one, to the last
/// (`next: null`); without a limit, the default page holds them all.
fn a_list_pages_by_cursor_to_the_last(t: &TestDb) {
    let server = ProjectServer::start(t);
    for i in 0..7 {
        let body = json!({"name": format!("P{i}"), "budget": i});
        assert_eq!(server.call("POST", "/api/projects", Some(&body)).0, 201);
    }
    let mut pages = Vec::new();
    let mut next = Value::Null;
    loop {
        let cursor = next
            .as_str()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (status, page) = server.call("GET", &format!("/api/projects?limit=3{cursor}"), None);
        assert_eq!(status, 200, "{page}");
        let names: Vec<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["name"].as_str().expect("a name").to_owned())
            .collect();
        pages.push(names);
        next = page["next"].clone();
        if next.is_null() {
            break;
        }
        assert!(next.is_string(), "a cursor is a string: {next}");
    }
    assert_eq!(
        pages,
        [vec!["P0", "P1", "P2"], vec!["P3", "P4", "P5"], vec!["P6"]]
    );
    let (_, all) = server.call("GET", "/api/projects", None);
    assert_eq!(
        (all["items"].as_array().map(Vec::len), &all["next"]),
        (Some(7), &Value::Null)
    );
    let (_, empty) = server.call("GET", "/api/projects?cursor=", None);
    assert_eq!(
        empty["items"][0]["name"], "P0",
        "an empty cursor is the first page"
    );
}

/// The routes pass the checks every route passes: a write that names another origin is refused
/// (403) and changes nothing, one from the server's own origin goes on; a foreign Host is 421.
#[test]
fn a_write_from_another_origin_is_refused_and_changes_nothing() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (_, apollo) = server.call("POST", "/api/projects", Some(&json!({"name": "Apollo"})));
    let path = format!("/api/projects/{}", apollo["id"]);
    let evil = [("Origin", "http://attacker.example")];
    let writes = [
        ("POST", "/api/projects", Some(json!({"name": "Evil"}))),
        ("PATCH", path.as_str(), Some(json!({"name": "Evil"}))),
        ("DELETE", path.as_str(), None),
    ];
    for (method, path, body) in &writes {
        let (status, error) = server.send(method, path, &evil, body.as_ref());
        assert_eq!(status, 403, "{method} {path}: {error}");
        assert!(error["error"].is_string(), "JSON under /api/: {error}");
    }
    let same_site = [("Sec-Fetch-Site", "same-site")];
    let (status, _) = server.send("POST", "/api/projects", &same_site, writes[0].2.as_ref());
    assert_eq!(status, 403, "a same-site page is another origin");
    assert_eq!(server.names(), ["Apollo"], "nothing changed");
    let own = server.base.clone();
    let (status, _) = server.send("PATCH", &path, &[("Origin", &own)], writes[1].2.as_ref());
    assert_eq!(status, 200, "the server's own origin goes on");
    let foreign = [("Host", "attacker.example")];
    assert_eq!(server.send("GET", "/api/projects", &foreign, None).0, 421);
    assert_eq!(oversized_post(&server, "/api/projects"), 413);
    assert_eq!(
        oversized_post(&server, &path),
        413,
        "a PATCH is bounded too"
    );
}

/// The status of a write announcing a 2 MiB JSON body with `Expect: 100-continue`: the server
/// answers before any of the body is sent (sending it would race the server closing the socket).
fn oversized_post(server: &ProjectServer, path: &str) -> u16 {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    let method = if path == "/api/projects" {
        "POST"
    } else {
        "PATCH"
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
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
