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
    a_list_is_filtered_searched_sorted_and_counted_by_its_url,
    each_kind_of_bad_query_is_a_400_naming_it,
    an_export_is_what_export_rows_writes,
    an_import_is_all_or_nothing_naming_the_bad_line,
    an_upsert_on_name_updates_existing_rows_and_adds_the_rest,
    an_upsert_on_a_column_that_is_not_unique_is_refused,
    include_nests_each_named_relation_in_every_row,
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
        ProjectServer::on(open(t))
    }

    /// The server on a database the test has written through: with reads on a standby, the
    /// same `Database` reads its own writes (a new one would not wait for the standby).
    pub(crate) fn on(db: staffdb::Database) -> ProjectServer {
        let app = Admin::new(db).model::<Project>().quiet(true).router();
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

    /// `GET path`, as text: the status, the Content-Type, the Content-Disposition and the body.
    fn text(&self, path: &str) -> (u16, String, String, String) {
        let sent = ureq::get(&format!("{}{path}", self.base)).call();
        let response = match sent {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("GET {path}: {error}"),
        };
        let header = |name: &str| response.header(name).unwrap_or_default().to_owned();
        let (media, disposition) = (header("Content-Type"), header("Content-Disposition"));
        let status = response.status();
        (
            status,
            media,
            disposition,
            response.into_string().expect("a body"),
        )
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
    let csv = response.content_type() == "text/csv";
    let text = response.into_string().expect("a body");
    let value = if text.is_empty() {
        Value::Null
    } else if csv {
        // An export's file, as it is.
        Value::String(text)
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
        ("/api/projects?sort=created_at", "created_at"),
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
    let pages = every_page(&server, "/api/projects?limit=3");
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

/// Adds projects by the API, in this order; their ids, as the server gave them.
fn add_projects(server: &ProjectServer, projects: &[(&str, i64)]) -> Vec<i64> {
    projects
        .iter()
        .map(|(name, budget)| {
            let body = json!({"name": name, "budget": budget});
            let (status, added) = server.call("POST", "/api/projects", Some(&body));
            assert_eq!(status, 201, "{added}");
            added["id"].as_i64().expect("an id")
        })
        .collect()
}

/// The names of a page's items.
fn page_names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// Every page of a list from `path` (which has a query), following `next`: their names.
fn every_page(server: &ProjectServer, path: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Value::Null;
    loop {
        let cursor = next
            .as_str()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (status, page) = server.call("GET", &format!("{path}{cursor}"), None);
        assert_eq!(status, 200, "{path}{cursor}: {page}");
        pages.push(page_names(&page));
        next = page["next"].clone();
        if next.is_null() {
            return pages;
        }
        assert!(next.is_string(), "a cursor is a string: {next}");
        assert!(pages.len() < 20, "{path}: no end of pages");
    }
}

const SPACE_PROGRAMS: [(&str, i64); 5] = [
    ("Apollo", 300),
    ("Gemini", 100),
    ("Mercury", 200),
    ("Artemis", 300),
    ("Skylab", 0),
];

/// `GET /api/projects` reads the library's `Query` from its URL: conditions (`budget>=200`,
/// percent-encoded or not, `lead_id=null`), `q` over the searchable name, `sort` (ties by
/// id), with cursors that page through each to its last page, and `count` on request.
fn a_list_is_filtered_searched_sorted_and_counted_by_its_url(t: &TestDb) {
    let server = ProjectServer::start(t);
    let ids = add_projects(&server, &SPACE_PROGRAMS);
    let (_, lead) = server.call(
        "POST",
        "/api/employees",
        Some(&json!({"name": "Alice", "age": 30, "position": "Lead"})),
    );
    let apollo = format!("/api/projects/{}", ids[0]);
    let (status, _) = server.call("PATCH", &apollo, Some(&json!({"lead_id": lead["id"]})));
    assert_eq!(status, 200);

    // Ties on the budget are broken by id (largest first, as the sort), and the cursor of a
    // sorted page carries on.
    let by_budget = every_page(&server, "/api/projects?budget>=200&sort=-budget&limit=2");
    assert_eq!(by_budget, [vec!["Artemis", "Apollo"], vec!["Mercury"]]);
    let encoded = every_page(
        &server,
        "/api/projects?budget%3E%3D200&sort=-budget&limit=2",
    );
    assert_eq!(encoded, by_budget, "percent-encoded, the same condition");
    let by_name = every_page(&server, "/api/projects?sort=name&limit=2");
    assert_eq!(
        by_name,
        [
            vec!["Apollo", "Artemis"],
            vec!["Gemini", "Mercury"],
            vec!["Skylab"]
        ]
    );
    let searched = every_page(&server, "/api/projects?q=E&sort=-name&limit=2");
    assert_eq!(searched, [vec!["Mercury", "Gemini"], vec!["Artemis"]]);
    let unled = every_page(&server, "/api/projects?lead_id=null&budget<300&limit=10");
    assert_eq!(unled, [vec!["Gemini", "Mercury", "Skylab"]]);
    let led = every_page(&server, &format!("/api/projects?lead_id={}", lead["id"]));
    assert_eq!(led, [vec!["Apollo"]]);

    let (status, page) = server.call("GET", "/api/projects?budget>=200&count=true&limit=1", None);
    assert_eq!((status, &page["count"]), (200, &json!(3)), "{page}");
    assert_eq!(page_names(&page), ["Apollo"]);
    let (_, page) = server.call("GET", "/api/projects?limit=1", None);
    assert!(
        page.get("count").is_none(),
        "counted only on request: {page}"
    );
    // A next page is an id, as a list by id gives: opaque, and the same for every sort.
    assert_eq!(page["next"], json!(ids[0].to_string()));
}

/// Each kind of bad query is a 400 naming what (an unknown column, an operator its kind does
/// not take, a value not of its type, a column that cannot be filtered or sorted by, a search
/// of nothing but NUL, a parameter given twice), a `limit` out of range a 422; an export that
/// asks for a page is refused; nothing is changed.
/// 65 conditions, one more than a query read from text may hold.
fn too_many_conditions() -> String {
    vec!["budget%3E%3D1"; 65].join("&")
}

fn each_kind_of_bad_query_is_a_400_naming_it(t: &TestDb) {
    let server = ProjectServer::start(t);
    add_projects(&server, &SPACE_PROGRAMS);
    let refused = [
        ("colour=red", "column", "`colour`"),
        ("budget~5", "budget", "`~`"),
        ("budget>=lots", "budget", "`lots`"),
        ("lead_id=0", "lead_id", "`0`"),
        ("name=Apollo", "name", "filtered"),
        ("sort=created_at", "created_at", "sorted"),
        ("sort=-colour", "column", "`colour`"),
        ("q=a%00b", "q", "NUL"),
        ("sort=name&sort=budget", "sort", "twice"),
        ("count=maybe", "count", "maybe"),
        ("cursor=12x", "cursor", "12x"),
        // Bounded: a statement of thousands of conditions overflowed a server thread's stack
        // (and SQLite refuses an expression tree over 1,000 deep, or a LIKE pattern over 50 KB).
        (&*too_many_conditions(), "query", "more than 64"),
        (
            &*format!("q={}", "a".repeat(1_001)),
            "search",
            "longer than 1000",
        ),
        (
            &*format!("name~{}", "a".repeat(1_001)),
            "name",
            "longer than 1000",
        ),
    ];
    for (query, field, words) in refused {
        for route in ["/api/projects", "/api/projects/export"] {
            if route.ends_with("export") && query.starts_with("count") {
                continue;
            }
            let path = format!("{route}?{query}");
            let (status, error) = server.call("GET", &path, None);
            assert_eq!(status, 400, "{path}: {error}");
            assert_eq!(error["field"], json!(field), "{path}: {error}");
            let message = error["error"].as_str().unwrap_or_default();
            assert!(message.contains(words), "{path}: {message}");
        }
    }
    let (status, error) = server.call("GET", "/api/projects?budget>=1&limit=0", None);
    assert_eq!((status, &error["field"]), (422, &json!("limit")), "{error}");
    for query in ["limit=5", "cursor=3", "format=xml"] {
        let (status, error) = server.call("GET", &format!("/api/projects/export?{query}"), None);
        assert_eq!(status, 400, "{query}: {error}");
    }
    assert_eq!(server.names().len(), 5, "nothing changed");
}

/// `GET /api/projects/export` is what the library's `export_rows` writes for the same query,
/// byte for byte, in CSV and JSON, with its media type and a file name.
fn an_export_is_what_export_rows_writes(t: &TestDb) {
    let server = ProjectServer::start(t);
    add_projects(&server, &SPACE_PROGRAMS);
    let db = open(t);
    let library = |query: &str, format: staffdb::RecordFormat| {
        let query = staffdb::Query::<Project>::from_url_query(query).expect("a query");
        let mut out = Vec::new();
        let mut session = db.read_session().expect("a session");
        staffdb::export_rows(&mut session, &query, format, &mut out).expect("an export");
        String::from_utf8(out).expect("UTF-8")
    };
    let cases = [
        ("", "csv", staffdb::RecordFormat::Csv, "text/csv"),
        ("format=csv", "csv", staffdb::RecordFormat::Csv, "text/csv"),
        (
            "format=json",
            "json",
            staffdb::RecordFormat::Json,
            "application/json",
        ),
    ];
    for (format, extension, record_format, media) in cases {
        for query in ["", "budget>=200&sort=-budget", "q=e&sort=name"] {
            let both = [format, query].into_iter().filter(|p| !p.is_empty());
            let path = format!(
                "/api/projects/export?{}",
                both.collect::<Vec<_>>().join("&")
            );
            let (status, served_media, disposition, body) = server.text(&path);
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(served_media, media, "{path}");
            assert_eq!(
                disposition,
                format!("attachment; filename=\"projects.{extension}\""),
                "{path}"
            );
            assert_eq!(body, library(query, record_format), "{path}");
        }
    }
    let (_, _, _, json) = server.text("/api/projects/export?format=json&sort=name");
    assert!(
        json.starts_with("[\n  {\"id\":")
            && json.contains(r#""name":"Apollo","lead_id":null,"budget":300,"created_at":"#),
        "a record's keys in the model's column order: {json}"
    );
    let (_, _, _, csv) = server.text("/api/projects/export?budget>=200&sort=-budget");
    let names: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').nth(1))
        .collect();
    assert_eq!(names, ["Artemis", "Apollo", "Mercury"]);
}

/// `POST /api/projects/import` writes every record or none: a refused value is a 422 naming
/// its line (CSV) or record (JSON) and its column; an unknown column, unreadable input, a
/// name already taken and another body type are refused too; then a good file is counted.
fn an_import_is_all_or_nothing_naming_the_bad_line(t: &TestDb) {
    let server = ProjectServer::start(t);
    let import = "/api/projects/import";
    let csv = "text/csv";
    let (status, error) = server.raw("POST", import, csv, "name,budget\nA,1\nB,-1\nC,2\n");
    assert_eq!(
        (status, &error["field"]),
        (422, &json!("budget")),
        "{error}"
    );
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("line 3: invalid budget"), "{message}");
    assert!(message.ends_with("nothing was imported"), "{message}");
    let json = "application/json";
    let body = r#"[{"name": "A"}, {"name": "B", "budget": "many"}]"#;
    let (status, error) = server.raw("POST", import, json, body);
    assert_eq!(
        (status, &error["field"]),
        (422, &json!("budget")),
        "{error}"
    );
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("record 2: invalid budget"), "{message}");
    let (status, error) = server.raw("POST", import, csv, "name,colour\nA,red\n");
    assert_eq!(
        (status, &error["field"]),
        (422, &json!("colour")),
        "{error}"
    );
    let (status, _) = server.raw("POST", import, json, r#"{"name": "A"}"#);
    assert_eq!(status, 400, "not an array");
    let (status, error) = server.raw("POST", import, csv, "");
    assert_eq!(status, 400, "no header: {error}");
    let (status, _) = server.raw("POST", import, "text/plain", "name\nA\n");
    assert_eq!(status, 415);
    assert_eq!(server.names(), Vec::<String>::new(), "nothing was written");

    let good = "id,name,lead_id,budget,created_at,version\n7,Apollo,,300,2024-03-01T09:00:00Z,4\n8,Gemini,,100,,\n";
    let (status, done) = server.raw("POST", import, csv, good);
    assert_eq!(
        (status, &done),
        (200, &json!({"added": 2, "updated": 0})),
        "an export's columns import as they are"
    );
    let (status, error) = server.raw(
        "POST",
        "/api/projects/import?format=json",
        csv,
        r#"[{"name": "Vostok"}, {"name": "Apollo"}]"#,
    );
    assert_eq!((status, &error["field"]), (409, &json!("name")), "{error}");
    assert_eq!(
        server.names(),
        ["Apollo", "Gemini"],
        "nothing more was written"
    );
}

/// `?upsert_on=name` updates the project of each name already stored (the columns the file
/// gives; the same id, the version bumped) and adds the others; two records with one name are
/// a conflict (409, as without `upsert_on`) naming both lines, and nothing is written.
fn an_upsert_on_name_updates_existing_rows_and_adds_the_rest(t: &TestDb) {
    let server = ProjectServer::start(t);
    let ids = add_projects(&server, &[("Apollo", 1), ("Gemini", 2)]);
    let upsert = "/api/projects/import?upsert_on=name";
    let csv = "name,budget\nVostok,7\nApollo,500\n";
    let (status, done) = server.raw("POST", upsert, "text/csv", csv);
    assert_eq!(
        (status, &done),
        (200, &json!({"added": 1, "updated": 1})),
        "{done}"
    );
    let (_, apollo) = server.call("GET", &format!("/api/projects/{}", ids[0]), None);
    assert_eq!(
        (&apollo["name"], &apollo["budget"], &apollo["version"]),
        (&json!("Apollo"), &json!(500), &json!(2))
    );
    assert_eq!(server.names(), ["Apollo", "Gemini", "Vostok"]);

    let json = r#"[{"name": "Gemini", "budget": 20}, {"name": "Voskhod"}]"#;
    let (status, done) = server.raw("POST", upsert, "application/json", json);
    assert_eq!(
        (status, &done),
        (200, &json!({"added": 1, "updated": 1})),
        "{done}"
    );
    let (_, gemini) = server.call("GET", &format!("/api/projects/{}", ids[1]), None);
    assert_eq!(gemini["budget"], 20);

    let twice = "name,budget\nApollo,1\nMir,1\nApollo,2\n";
    let (status, error) = server.raw("POST", upsert, "text/csv", twice);
    assert_eq!((status, &error["field"]), (409, &json!("name")), "{error}");
    let message = error["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("line 4") && message.contains("line 2"),
        "{message}"
    );
    let bad = "name,budget\nApollo,1\nMir,-1\n";
    let (status, _) = server.raw("POST", upsert, "text/csv", bad);
    assert_eq!(status, 422);
    let (_, apollo) = server.call("GET", &format!("/api/projects/{}", ids[0]), None);
    assert_eq!(
        apollo["budget"], 500,
        "nothing of a refused upsert is written"
    );
    assert_eq!(server.names(), ["Apollo", "Gemini", "Vostok", "Voskhod"]);
}

/// An upsert on a column that is not one of the model's unique ones — unknown, or not unique —
/// is refused (400 on `upsert_on`, naming the column and the unique ones) before any record is
/// read.
fn an_upsert_on_a_column_that_is_not_unique_is_refused(t: &TestDb) {
    let server = ProjectServer::start(t);
    add_projects(&server, &[("Apollo", 1)]);
    for (column, words) in [
        ("colour", "has no such column"),
        ("budget", "not a unique column"),
    ] {
        let path = format!("/api/projects/import?upsert_on={column}");
        let (status, error) = server.raw("POST", &path, "text/csv", "name,budget\nApollo,9\n");
        assert_eq!(
            (status, &error["field"]),
            (400, &json!("upsert_on")),
            "{error}"
        );
        let message = error["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("`{column}`")) && message.contains(words),
            "{message}"
        );
        assert!(
            message.contains("unique columns of projects: name"),
            "{message}"
        );
    }
    let (status, _) = server.raw(
        "POST",
        "/api/projects/import?upsert=true",
        "text/csv",
        "name\n",
    );
    assert_eq!(status, 400, "an unknown parameter");
    assert_eq!(
        server.call("GET", "/api/projects", None).1["items"][0]["budget"],
        1
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
        (
            "POST",
            "/api/projects/import",
            Some(json!([{"name": "Evil"}])),
        ),
        (
            "POST",
            "/api/projects/import?upsert_on=name",
            Some(json!([{"name": "Apollo", "budget": 666}])),
        ),
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
    assert_eq!(
        server.call("GET", &path, None).1["budget"],
        0,
        "nothing upserted"
    );
    let own = server.base.clone();
    let (status, _) = server.send("PATCH", &path, &[("Origin", &own)], writes[1].2.as_ref());
    assert_eq!(status, 200, "the server's own origin goes on");
    let foreign = [("Host", "attacker.example")];
    assert_eq!(server.send("GET", "/api/projects", &foreign, None).0, 421);
    assert_eq!(oversized_post(&server, "/api/projects", 2 << 20), 413);
    assert_eq!(
        oversized_post(&server, &path, 2 << 20),
        413,
        "a PATCH is bounded too"
    );
    assert_eq!(
        oversized_post(&server, "/api/projects/import", 65 << 20),
        413,
        "an import is bounded at 64 MiB"
    );
}

/// The status of a write announcing a JSON body of `length` bytes with `Expect: 100-continue`:
/// the server answers before any of the body is sent (sending it would race the server closing
/// the socket).
fn oversized_post(server: &ProjectServer, path: &str, length: usize) -> u16 {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    let method = if path.ends_with(char::is_numeric) {
        "PATCH"
    } else {
        "POST"
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send the head");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).unwrap_or_default();
    status
        .parse()
        .unwrap_or_else(|_| panic!("answer: {answer}"))
}

/// `?include=members,lead` nests each relation in every row of a list and in a single row: the
/// members as an array of employee rows (as the API writes rows), the lead as a row or null;
/// three projects each get their own; an unknown relation is a 400 naming it and the relations.
fn include_nests_each_named_relation_in_every_row(t: &TestDb) {
    use staffdb::NewEmployee;

    use crate::derived::project::NewProject;

    let db = open(t);
    let (staff, projects) = db
        .transaction(|s| {
            let mut staff = Vec::new();
            for name in ["Ann", "Bo", "Cy"] {
                staff.push(s.add(&NewEmployee::new(name, 30, "Engineer"))?.id);
            }
            let mut projects = Vec::new();
            for (name, members) in [
                ("Apollo", &staff[..2]),
                ("Gemini", &staff[2..]),
                ("Vostok", &[][..]),
            ] {
                let new = NewProject::new(name);
                let new = if name == "Apollo" {
                    new.lead_id(staff[1])
                } else {
                    new
                };
                let project = s.add(&new)?;
                s.set_related(project.id, &Project::members(), members)?;
                projects.push(project.id.get());
            }
            Ok((staff, projects))
        })
        .expect("seed");
    let server = ProjectServer::on(db);
    let (status, page) = server.call("GET", "/api/projects?include=members,lead&sort=name", None);
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().expect("items");
    let names = |row: &Value| -> Vec<String> {
        let members = row["members"].as_array().expect("members");
        members
            .iter()
            .map(|m| m["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], json!(projects[0]));
    assert_eq!(names(&items[0]), ["Ann", "Bo"]);
    assert_eq!(names(&items[1]), ["Cy"]);
    assert_eq!(names(&items[2]), Vec::<String>::new());
    let ann = &items[0]["members"][0];
    assert_eq!(ann["id"], json!(staff[0].get()));
    assert_eq!((&ann["age"], &ann["email"]), (&json!(30), &Value::Null));
    assert!(
        ann["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{ann}"
    );
    assert_eq!(items[0]["lead"]["name"], json!("Bo"));
    assert_eq!(items[1]["lead"], Value::Null);
    // Without include, rows are as they were.
    let (_, plain) = server.call("GET", "/api/projects", None);
    assert!(plain["items"][0].get("members").is_none(), "{plain}");

    let path = format!("/api/projects/{}?include=members", projects[0]);
    let (status, one) = server.call("GET", &path, None);
    assert_eq!(status, 200, "{one}");
    assert_eq!(names(&one), ["Ann", "Bo"]);
    assert!(one.get("lead").is_none(), "only what was asked: {one}");

    for path in [
        "/api/projects?include=sponsors".to_owned(),
        format!("/api/projects/{}?include=members,sponsors", projects[0]),
    ] {
        let (status, error) = server.call("GET", &path, None);
        assert_eq!(
            (status, &error["field"]),
            (400, &json!("include")),
            "{error}"
        );
        let message = error["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("`sponsors`") && message.contains("lead, members"),
            "{message}"
        );
    }
}

/// `METHOD path` sent as written, with this `Content-Type` line (none when empty) and body: the
/// status and the whole answer.
fn sent_raw(server: &ProjectServer, path: &str, content_type: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    let media = if content_type.is_empty() {
        String::new()
    } else {
        format!("Content-Type: {content_type}\r\n")
    };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n{media}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok());
    (
        status.unwrap_or_else(|| panic!("no status in: {answer}")),
        answer,
    )
}

/// A body a page on another site can post without the browser asking first (CORS) — none,
/// `text/plain`, a urlencoded form or multipart — is refused (415) on every write of the API,
/// so that a forged request that names no origin changes nothing: before, an import that said
/// `?format=csv` or `?format=json` took any body type (a `<form enctype="text/plain">` wrote
/// rows).
#[test]
fn a_body_another_site_can_send_unasked_changes_nothing() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (_, apollo) = server.call("POST", "/api/projects", Some(&json!({"name": "Apollo"})));
    assert!(apollo["id"].is_i64(), "{apollo}");
    let csv = "name\nEvil\n";
    let records = r#"[{"name":"Evil"}]"#;
    let writes = [
        ("/api/projects/import?format=csv", csv),
        ("/api/projects/import?format=json", records),
        (
            "/api/projects/import?format=csv&upsert_on=name",
            "name,budget\nApollo,666\n",
        ),
        ("/api/projects", r#"{"name":"Evil"}"#),
        (
            "/api/employees",
            r#"{"name":"Evil","age":30,"position":"Spy"}"#,
        ),
        ("/api/departments", r#"{"name":"Evil"}"#),
        ("/api/import", "name,age,position\nEvil,30,Spy\n"),
    ];
    let simple = [
        "",
        "text/plain",
        "Text/Plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
    ];
    for (path, body) in writes {
        for media in simple {
            let (status, answer) = sent_raw(&server, path, media, body);
            assert_eq!(status, 415, "{path} {media:?}: {answer}");
        }
    }
    assert_eq!(server.names(), ["Apollo"], "nothing added");
    let path = format!("/api/projects/{}", apollo["id"]);
    assert_eq!(
        server.call("GET", &path, None).1["budget"],
        0,
        "nothing upserted"
    );
    let (_, employees) = server.call("GET", "/api/employees", None);
    assert_eq!(employees["items"].as_array().map(Vec::len), Some(0));
    // What a client means still goes on: CSV said by its type, or by `?format=` with a type no
    // browser sends unasked.
    let (status, answer) = sent_raw(
        &server,
        "/api/projects/import",
        "text/csv",
        "name\nHermes\n",
    );
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = sent_raw(
        &server,
        "/api/projects/import?format=csv",
        "application/octet-stream",
        "name\nGemini\n",
    );
    assert_eq!(status, 200, "{answer}");
}

/// An import over its limit sent without a length (chunked) is a 413 in JSON, as every error
/// under `/api/` is — the model's import and the employees' alike (it was axum's plain text).
#[test]
fn an_oversized_chunked_import_is_a_413_in_json() {
    use std::io::{Read, Write};
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let address = server.base.trim_start_matches("http://").to_owned();
    for path in ["/api/projects/import", "/api/import"] {
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/csv\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let mut writer = stream.try_clone().expect("clone");
        let sender = std::thread::spawn(move || {
            let block = [
                format!("{:x}\r\n", 1 << 20).as_bytes(),
                &[b'a'; 1 << 20],
                b"\r\n",
            ]
            .concat();
            let mut sent = writer.write_all(head.as_bytes());
            for _ in 0..70 {
                sent = sent.and_then(|()| writer.write_all(&block));
            }
            // The server may answer and close before all of it is sent.
            let _ = sent.and_then(|()| writer.write_all(b"0\r\n\r\n"));
        });
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let _ = sender.join();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let error: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        assert!(error["error"].is_string(), "{path}: JSON, not {body:?}");
    }
    assert!(server.names().is_empty(), "nothing imported");
}
