//! The admin pages of `staffdb serve`, through a real HTTP client (cookies, CSRF tokens and
//! forms as a browser sends them) against the real binary, on every backend; the login, the
//! security headers and an application's own model's pages on SQLite. `tests/browser` drives
//! the same pages in Chromium.

use std::process::Command;

use diesel::prelude::*;
use staffdb::{Backend, Describe, Session};

use super::derived::project::{NewProject, Project, ProjectId};
use super::web::Server;
use crate::common::{TestDb, on_every_backend};

on_every_backend!(
    the_forms_add_refuse_edit_and_delete,
    a_form_opened_before_someone_elses_save_shows_their_values,
    the_list_searches_sorts_pages_and_counts,
    a_bulk_delete_asks_first_then_deletes_the_selection,
    the_import_page_is_all_or_nothing_and_names_the_line,
    a_models_list_filters_by_choice_with_links_that_write_its_url_filters,
    a_models_bulk_delete_names_the_rows_then_deletes_exactly_those_or_none,
    every_column_a_list_sorts_or_filters_by_leads_an_index,
    a_projects_members_are_picked_by_name_and_saved_with_the_row,
    a_list_counts_up_to_ten_thousand_and_says_more_beyond,
);

/// A page as the client got it.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) location: String,
    headers: Vec<(String, String)>,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The id a save redirected to (`/employees?saved=12` → `12`).
    fn saved_id(&self) -> String {
        let id = self.location.rsplit('=').next().unwrap_or_default();
        assert!(
            id.parse::<i64>().is_ok(),
            "no saved id in `{}`",
            self.location
        );
        id.to_owned()
    }

    /// The text of the element with this id (its first text run), if any.
    pub(crate) fn text_of(&self, id: &str) -> Option<&str> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let rest = &self.body[at..];
        let start = rest.find('>')? + 1;
        let end = rest[start..].find('<')?;
        Some(&rest[start..start + end])
    }
}

/// A browser without a screen: keeps its cookies, follows no redirect, sends forms with the
/// CSRF token its cookie holds.
pub(crate) struct Visitor {
    agent: ureq::Agent,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Visitor {
    pub(crate) fn new(server: &Server) -> Visitor {
        Visitor {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: server.base.clone(),
            cookies: Vec::new(),
        }
    }

    /// This visitor, with its cookies, on another server (the same database restarted).
    pub(crate) fn on(mut self, server: &Server) -> Visitor {
        self.base = server.base.clone();
        self
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn request(&self, method: &str, path: &str) -> ureq::Request {
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let request = self.agent.request(method, &format!("{}{path}", self.base));
        if jar.is_empty() {
            request
        } else {
            request.set("Cookie", &jar.join("; "))
        }
    }

    pub(crate) fn receive(&mut self, sent: Result<ureq::Response, ureq::Error>) -> Page {
        let response = match sent {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("request failed: {error}"),
        };
        for set in response.all("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let headers = response
            .headers_names()
            .into_iter()
            .map(|name| {
                let value = response.all(&name).join("\n");
                (name, value)
            })
            .collect();
        let status = response.status();
        let location = response.header("location").unwrap_or_default().to_owned();
        let body = response.into_string().expect("a body");
        Page {
            status,
            body,
            location,
            headers,
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> Page {
        let sent = self.request("GET", path).call();
        self.receive(sent)
    }

    /// Posts a form with this visitor's CSRF token (from an earlier page's cookie).
    pub(crate) fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.cookie("staffdb_csrf").unwrap_or_default().to_owned();
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields)
    }

    /// Posts exactly these fields.
    pub(crate) fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let sent = self.request("POST", path).send_form(form);
        self.receive(sent)
    }

    /// Posts a file through the import form (multipart), with this visitor's token.
    pub(crate) fn upload(&mut self, name: &str, content: &str) -> Page {
        let token = self.cookie("staffdb_csrf").unwrap_or_default().to_owned();
        let boundary = "----staffdbtestboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        let sent = self
            .request("POST", "/import")
            .set(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send_string(&body);
        self.receive(sent)
    }
}

/// How many employees the list says the filter matches.
pub(crate) fn count(visitor: &mut Visitor, query: &str) -> String {
    let page = visitor.get(&format!("/employees{query}"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.text_of("total").unwrap_or_default().to_owned()
}

/// The names in the list's rows, in order.
fn names(page: &Page) -> Vec<String> {
    page.body
        .split("class=\"c-name\">")
        .skip(1)
        .map(|cell| cell.split('<').next().unwrap_or_default().to_owned())
        .collect()
}

fn add(visitor: &mut Visitor, name: &str, age: &str, position: &str) -> Page {
    visitor.get("/employees/new");
    let form = [
        ("name", name),
        ("age", age),
        ("position", position),
        ("email", ""),
    ];
    visitor.post("/employees/new", &form)
}

/// Adding through the form: a refused age shown beside its field with the typed values kept;
/// a good one saved and shown in the list; edited; deleted after a confirmation.
fn the_forms_add_refuse_edit_and_delete(db: &TestDb) {
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    // The times staffdb stamps are no field of a form (as Django's `auto_now`).
    for form in ["/employees/new", "/departments/new"] {
        let page = visitor.get(form);
        assert_eq!(page.status, 200, "{}", page.body);
        for stamp in ["created_at", "updated_at"] {
            assert!(
                !page.body.contains(&format!("name=\"{stamp}\"")),
                "{form}: {}",
                page.body
            );
        }
    }
    let refused = add(&mut visitor, "Zed", "151", "QA");
    assert_eq!(refused.status, 422, "{}", refused.body);
    let reason = refused.text_of("error-age").unwrap_or_default();
    assert!(reason.contains("between 0 and 150"), "{reason}");
    assert!(
        refused
            .body
            .contains(r#"name="name" type="text" value="Zed""#),
        "typed name kept"
    );
    assert_eq!(
        count(&mut visitor, ""),
        "0 employees",
        "nothing was written"
    );

    let saved = add(&mut visitor, "Zed", "41", "QA");
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list = visitor.get(&saved.location);
    let id = saved.saved_id();
    assert_eq!(
        list.text_of("message"),
        Some(format!("Saved employee {id}").as_str())
    );
    assert_eq!(names(&list), ["Zed"]);

    let form = visitor.get(&format!("/employees/{id}"));
    assert!(
        form.body.contains(r#"name="version" value="1""#),
        "{}",
        form.body
    );
    let edited = visitor.post(
        &format!("/employees/{id}"),
        &[
            ("version", "1"),
            ("name", "Zed Z"),
            ("age", "42"),
            ("position", "QA"),
        ],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(names(&visitor.get("/employees")), ["Zed Z"]);

    let confirm = visitor.get(&format!("/employees/{id}/delete"));
    assert!(
        confirm.body.contains("id=\"confirm-delete\""),
        "{}",
        confirm.body
    );
    assert_eq!(
        count(&mut visitor, ""),
        "1 employee",
        "asking deletes nothing"
    );
    let deleted = visitor.post(&format!("/employees/{id}/delete"), &[]);
    assert_eq!(
        (deleted.status, deleted.location.as_str()),
        (303, "/employees?deleted=1")
    );
    assert_eq!(count(&mut visitor, ""), "0 employees");
}

/// Two forms opened on one row: the second save finds the row changed, shows "changed by
/// someone else" with their values and the new version, and does not overwrite it.
fn a_form_opened_before_someone_elses_save_shows_their_values(db: &TestDb) {
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    let id = add(&mut visitor, "Ann", "30", "Clerk").saved_id();
    let path = format!("/employees/{id}");
    let first = [
        ("version", "1"),
        ("name", "Ann"),
        ("age", "31"),
        ("position", "Clerk"),
    ];
    assert_eq!(visitor.post(&path, &first).status, 303);
    let second = [
        ("version", "1"),
        ("name", "Ann"),
        ("age", "30"),
        ("position", "Boss"),
    ];
    let conflict = visitor.post(&path, &second);
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert!(
        conflict.body.contains("changed by someone else"),
        "{}",
        conflict.body
    );
    assert!(
        conflict.body.contains(r#"<td class="theirs">31</td>"#),
        "{}",
        conflict.body
    );
    assert!(
        conflict.body.contains(r#"name="version" value="2""#),
        "the form has theirs"
    );
    let list = visitor.get("/employees");
    assert!(
        list.body.contains(r#"class="c-age">31<"#),
        "their age kept: {}",
        list.body
    );
    assert!(
        list.body.contains(r#"class="c-position">Clerk<"#),
        "not overwritten"
    );
    let tampered = [
        ("version", "two"),
        ("name", "Ann"),
        ("age", "30"),
        ("position", "Boss"),
    ];
    let refused = visitor.post(&path, &tampered);
    assert_eq!(
        refused.status, 422,
        "a version that is no number: {}",
        refused.body
    );
    assert!(
        refused
            .text_of("form-error")
            .is_some_and(|e| e.contains("version"))
    );
    let list = visitor.get("/employees");
    assert!(
        list.body.contains(r#"class="c-position">Clerk<"#),
        "still not overwritten"
    );
}

/// Search, filters, sorting both ways, keyset pages and the total count.
fn the_list_searches_sorts_pages_and_counts(db: &TestDb) {
    db.open()
        .transaction(|s| {
            let sales = s.add(&staffdb::NewDepartment::new("<i>Sales</i>"))?;
            let rows = (0..7).map(|i| {
                let position = if i % 2 == 0 { "Dev" } else { "Ops" };
                let new = staffdb::NewEmployee::new(format!("Person {i}"), 20 + i, position);
                if i == 0 {
                    new.department_id(sales.id)
                } else {
                    new
                }
            });
            s.add_all(rows)
        })
        .expect("seed");
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    let first = visitor.get("/employees");
    assert!(
        first
            .body
            .contains(r#"<td class="c-department_id">&lt;i&gt;Sales&lt;/i&gt;</td>"#),
        "a department is shown by its name, escaped: {}",
        first.body
    );
    assert_eq!(count(&mut visitor, "?q=person+3"), "1 employee");
    // A NUL is the asker's mistake on every backend (PostgreSQL refuses it in a statement).
    for nul in ["?q=a%00", "?position=a%00b", "?sort=name&cursor=1%3Aa%00"] {
        let page = visitor.get(&format!("/employees{nul}"));
        assert_eq!(page.status, 400, "{nul}: {}", page.body);
        assert!(
            page.body.contains("must not contain NUL"),
            "{nul}: {}",
            page.body
        );
    }
    // The filter form's blank inputs say nothing; `age<` is "age at most".
    assert_eq!(
        count(&mut visitor, "?q=&position=&age%3E=&age%3C=24"),
        "5 employees"
    );
    // Two positions are a small enumeration: a bar of links, the chosen one marked and kept by
    // the filter form, hidden.
    let form = visitor.get("/employees?position=Dev&sort=-age");
    let bar = element(&form, "list-filter", "nav");
    assert!(bar.contains(r#"data-column="position""#), "{bar}");
    assert_eq!(link_to(bar, "Ops"), "/employees?sort=-age&position=Ops");
    assert!(
        bar.contains(r#"aria-current="true">Dev</a>"#),
        "the choice shown: {bar}"
    );
    for input in [
        r#"<input type="number" name="age&gt;""#,
        r#"<input type="date" name="hired_on&lt;""#,
        r#"<input type="hidden" name="sort" value="-age">"#,
        r#"<input type="hidden" name="position" value="Dev">"#,
    ] {
        assert!(form.body.contains(input), "{input}: {}", form.body);
    }
    assert!(
        !form.body.contains(r#"placeholder="Position""#),
        "{}",
        form.body
    );
    assert_eq!(
        count(&mut visitor, "?position=Dev&age%3E=22"),
        "3 employees"
    );
    let oldest_first = visitor.get("/employees?sort=-age&limit=3");
    assert_eq!(names(&oldest_first), ["Person 6", "Person 5", "Person 4"]);
    assert_eq!(oldest_first.text_of("total"), Some("7 employees"));
    let next = oldest_first
        .body
        .split("id=\"next\" href=\"")
        .nth(1)
        .expect("a next link");
    let next = next
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&");
    let page_two = visitor.get(&next);
    assert_eq!(names(&page_two), ["Person 3", "Person 2", "Person 1"]);
    let bad = visitor.get("/employees?age%3E=old");
    assert_eq!(bad.status, 400, "a bad filter runs nothing");
    assert!(
        bad.body.contains("`old` is not a whole number"),
        "{}",
        bad.body
    );
    // 21 positions are too many to offer: the form has an input for it instead.
    db.open()
        .transaction(|s| {
            let rows = (0..21).map(|i| staffdb::NewEmployee::new("Extra", 99, format!("P{i}")));
            s.add_all(rows)
        })
        .expect("more positions");
    // A new server: this one keeps the values it read for 10 s, and the rows came from another
    // client.
    drop(visitor);
    drop(server);
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    let many = visitor.get("/employees?position=P3");
    assert_eq!(many.text_of("total"), Some("1 employee"), "{}", many.body);
    assert!(
        many.body
            .contains(r#"name="position" placeholder="Position" aria-label="Position" value="P3""#),
        "{}",
        many.body
    );
    assert!(
        !many.body.contains(r#"data-column="position""#),
        "{}",
        many.body
    );
}

/// A bulk delete shows the selected rows first; confirmed, it deletes exactly those.
fn a_bulk_delete_asks_first_then_deletes_the_selection(db: &TestDb) {
    let ids: Vec<String> = db
        .open()
        .transaction(|s| {
            s.add_all(["A", "B", "C"].map(|n| staffdb::NewEmployee::new(n, 30, "Clerk")))?;
            staffdb::Employee::list(s, &Default::default(), &Default::default())
        })
        .expect("seed")
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    visitor.get("/employees");
    let selection = [("id", ids[0].as_str()), ("id", ids[2].as_str())];
    let ask = visitor.post("/employees/bulk-delete", &selection);
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(
        ask.body.contains("Delete 2 employees?") && ask.body.contains(">C</li>"),
        "{}",
        ask.body
    );
    assert_eq!(
        count(&mut visitor, ""),
        "3 employees",
        "asking deletes nothing"
    );
    let done = visitor.post("/employees/bulk-delete/confirm", &selection);
    assert_eq!(
        (done.status, done.location.as_str()),
        (303, "/employees?deleted=2")
    );
    assert_eq!(names(&visitor.get("/employees")), ["B"]);
    let none = visitor.post("/employees/bulk-delete", &[]);
    assert_eq!(none.status, 422, "nothing selected");
}

/// An upload with one bad line imports nothing and names the line; a good one imports all.
fn the_import_page_is_all_or_nothing_and_names_the_line(db: &TestDb) {
    let server = Server::start(db);
    let mut visitor = Visitor::new(&server);
    visitor.get("/import");
    let bad = "name,age,position\nAnn,30,Clerk\nBob,151,Clerk\n";
    let refused = visitor.upload("staff.csv", bad);
    assert_eq!(refused.status, 422, "{}", refused.body);
    let error = refused.text_of("import-error").unwrap_or_default();
    assert!(
        error.starts_with("line 3:") && error.contains("age"),
        "{error}"
    );
    assert_eq!(count(&mut visitor, ""), "0 employees");
    let done = visitor.upload("staff.csv", &bad.replace("151", "51"));
    assert_eq!(done.text_of("message"), Some("Imported 2 added, 0 updated"));
    assert_eq!(count(&mut visitor, ""), "2 employees");
    let unknown = visitor.upload("staff.txt", "name,age,position\nCy,40,Clerk\n");
    assert_eq!(
        unknown.status, 415,
        "neither .csv nor .json: {}",
        unknown.body
    );
    assert!(
        unknown
            .text_of("import-error")
            .is_some_and(|e| e.contains(".csv or .json"))
    );
    assert_eq!(count(&mut visitor, ""), "2 employees");
}

/// The database's password appears in no page, header or log line of `serve` (PostgreSQL, whose
/// test server takes any password: trust authentication).
#[test]
#[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
fn no_page_header_or_log_line_shows_the_database_password() {
    let db = TestDb::create(Backend::Postgres);
    let secret = "s3cret-Pa55";
    let (scheme, rest) = db.url.split_once("://").expect("a URL");
    let rest = match rest.split_once('@') {
        Some((user, host)) => format!("{}:{secret}@{host}", user.split(':').next().unwrap_or("")),
        None => format!("postgres:{secret}@{rest}"),
    };
    let url = format!("{scheme}://{rest}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_staffdb"));
    command.args(["--database-url", &url, "serve", "--bind", "127.0.0.1:0"]);
    let server = Server::spawn(&mut command);
    let mut visitor = Visitor::new(&server);
    add(&mut visitor, "Ann", "151", "Clerk");
    let paths = [
        "/employees",
        "/employees/new",
        "/employees/999",
        "/departments",
        "/stats",
        "/import",
        "/export?format=json",
        "/api/employees",
        "/api/employees/999",
        "/api/nowhere",
        "/nowhere",
    ];
    for path in paths {
        let page = visitor.get(path);
        assert!(!page.body.contains(secret), "{path}: {}", page.body);
        assert!(
            page.headers.iter().all(|(_, v)| !v.contains(secret)),
            "{path}"
        );
    }
    // The log is read from the server's stderr as it comes: wait for its lines.
    for _ in 0..100 {
        if server.log().len() > paths.len() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let log = server.log();
    assert!(log.len() > paths.len(), "one line per request: {log:?}");
    assert!(log.iter().all(|line| !line.contains(secret)), "{log:?}");
}

pub(crate) fn sqlite() -> TestDb {
    TestDb::create(Backend::Sqlite)
}

/// A form posted without this browser's CSRF token (or with another's) is refused with 403
/// and changes nothing: a page on another site cannot post on a visitor's behalf.
#[test]
fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let db = sqlite();
    let server = Server::start(&db);
    let mut visitor = Visitor::new(&server);
    let form = [("name", "Mallory"), ("age", "30"), ("position", "Spy")];
    assert_eq!(
        visitor.post_raw("/employees/new", &form).status,
        403,
        "no cookie"
    );
    visitor.get("/employees/new");
    let forged = [
        ("csrf", "0000"),
        ("name", "Mallory"),
        ("age", "30"),
        ("position", "Spy"),
    ];
    assert_eq!(
        visitor.post_raw("/employees/new", &forged).status,
        403,
        "wrong token"
    );
    assert_eq!(
        visitor.upload("x.csv", "name,age,position\nM,1,S\n").status,
        200
    );
    let mut stranger = Visitor::new(&server);
    assert_eq!(
        stranger
            .upload("x.csv", "name,age,position\nN,1,S\n")
            .status,
        403
    );
    assert_eq!(
        count(&mut visitor, ""),
        "1 employee",
        "only the good upload"
    );
}

/// A stored `<script>` is shown as text, and every page forbids inline scripts and framing.
#[test]
fn pages_escape_every_value_and_allow_no_inline_script() {
    let db = sqlite();
    let evil = "<script>alert(1)</script>";
    db.open()
        .transaction(|s| s.add(&staffdb::NewEmployee::new(evil, 30, "\"><img src=x>")))
        .expect("seed");
    let server = Server::start(&db);
    let mut visitor = Visitor::new(&server);
    for path in [
        "/employees",
        "/employees/1",
        "/employees/1/delete",
        "/employees/1/history",
        "/stats",
    ] {
        let page = visitor.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains(evil) && !page.body.contains("<img"),
            "{path}: {}",
            page.body
        );
        let policy = page.header("content-security-policy");
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
        assert_eq!(page.header("x-frame-options"), "DENY");
    }
    assert!(
        visitor
            .get("/employees")
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // Deleted, the row is shown by its history and among the deleted ones: escaped there too.
    db.open()
        .transaction(|s| s.delete(staffdb::EmployeeId(1)))
        .expect("delete");
    for path in ["/employees/deleted", "/employees/1/history"] {
        let page = visitor.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
        assert!(
            !page.body.contains(evil) && !page.body.contains("<img"),
            "{path}: {}",
            page.body
        );
    }
    // What the list echoes of its URL — the search, a chosen position, a condition it keeps
    // hidden, a column it refuses — is escaped too.
    for (path, status) in [
        ("/employees?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 200),
        ("/employees?position=%22%3E%3Cimg%20src%3Dx%3E", 200),
        (
            "/employees?age%3E=1&name%3D%3Cscript%3Ealert(1)%3C%2Fscript%3E=",
            400,
        ),
        ("/employees?%3Cscript%3Ealert(1)%3C%2Fscript%3E=1", 400),
    ] {
        let page = visitor.get(path);
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(
            !page.body.contains(evil) && !page.body.contains("<img"),
            "{path}: {}",
            page.body
        );
    }
    let cookie = visitor
        .get("/employees/new")
        .header("set-cookie")
        .to_owned();
    assert!(cookie.is_empty(), "the token is set once");
    // Failures are pages too, with the menu and the status they deserve.
    for (path, status) in [
        ("/employees/999", 404),
        ("/nowhere", 404),
        ("/stats?by=salary", 400),
    ] {
        let page = visitor.get(path);
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(
            page.body.contains(r#"<nav id="menu">"#),
            "{path}: {}",
            page.body
        );
    }
}

/// With `--password-file`, pages lead to the login and the API answers 401 until the right
/// password is given; the session cookie is HttpOnly and SameSite=Strict; logging out ends it.
#[test]
fn a_password_guards_every_page_and_the_api() {
    let db = sqlite();
    let server = Server::start_guarded(&db, "correct horse", &[]);
    let mut visitor = Visitor::new(&server);
    let page = visitor.get("/employees");
    assert_eq!((page.status, page.location.as_str()), (303, "/login"));
    assert_eq!(visitor.get("/api/employees").status, 401);
    visitor.get("/login");
    let wrong = visitor.post("/login", &[("password", "battery staple")]);
    assert_eq!(wrong.status, 401);
    assert!(
        wrong
            .text_of("login-error")
            .is_some_and(|e| e.contains("wrong password"))
    );
    let right = visitor.post("/login", &[("password", "correct horse")]);
    assert_eq!((right.status, right.location.as_str()), (303, "/employees"));
    let cookie = right.header("set-cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(visitor.get("/employees").status, 200);
    assert_eq!(visitor.get("/api/employees").status, 200);
    visitor.post("/logout", &[]);
    assert_eq!(visitor.get("/employees").status, 303, "logged out");
}

/// `serve` refuses an address other than loopback without a password (exit 2), and an empty
/// password file.
#[test]
fn serving_beyond_loopback_takes_a_password() {
    let db = sqlite();
    let serve = |options: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_staffdb"))
            .args(["--database-url", &db.url, "serve"])
            .args(options)
            .output()
            .expect("run serve")
    };
    let refused = serve(&["--bind", "0.0.0.0:0"]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("without a password"), "{said}");
    let empty = tempfile::NamedTempFile::new().expect("temp file");
    let path = empty.path().to_str().expect("path");
    let refused = serve(&["--bind", "127.0.0.1:0", "--password-file", path]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is empty"));
}

/// An application's own model (the `projects` of `examples/own_table.rs`) gets list, add,
/// edit and delete pages by `Admin::new(db).model::<Project>()`, its validation shown beside
/// its fields.
#[test]
fn an_applications_own_model_gets_admin_pages() {
    let db = sqlite();
    let server = example_server(&db);
    let mut visitor = Visitor::new(&server);
    let menu = visitor.get("/projects");
    assert_eq!(menu.status, 200, "{}", menu.body);
    assert!(
        menu.body.contains(r#"<a href="/projects">Projects</a>"#),
        "in the menu"
    );
    visitor.get("/projects/new");
    let refused = visitor.post("/projects/new", &[("name", "Apollo"), ("budget", "-5")]);
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .text_of("error-budget")
            .is_some_and(|e| e.contains("negative"))
    );
    let saved = visitor.post("/projects/new", &[("name", "Apollo"), ("budget", "1000")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let id = saved.saved_id();
    let edited = visitor.post(
        &format!("/projects/{id}"),
        &[("name", "Apollo"), ("budget", "9")],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert!(
        visitor
            .get("/projects")
            .body
            .contains(r#"<td class="c-budget">9</td>"#)
    );
    let deleted = visitor.post(&format!("/projects/{id}/delete"), &[]);
    assert_eq!(deleted.status, 303);
    assert!(!visitor.get("/projects").body.contains("Apollo"));
    // Its cells are the description's texts, escaped like every other page's.
    let script = "<script>alert(1)</script>";
    let saved = visitor.post("/projects/new", &[("name", script), ("budget", "")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list = visitor.get("/projects").body;
    assert!(!list.contains(script), "{list}");
    assert!(
        list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{list}"
    );
}

/// The list of an application's model reads its description, as Django's changelist: a search
/// over its searchable columns, headers that sort (again: largest first), the count of what
/// matches, filters in the URL, keyset pages whose links keep all of it; a bad filter is a 400
/// naming the column.
#[test]
fn an_applications_model_list_searches_sorts_filters_and_pages() {
    let db = sqlite();
    let server = example_server(&db);
    let mut visitor = Visitor::new(&server);
    // A reference is picked by its rows' titles: the lead among the employees, by name.
    visitor.get("/employees/new");
    let added = visitor.post(
        "/employees/new",
        &[("name", "Zoë Lead"), ("age", "40"), ("position", "Lead")],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let form = visitor.get("/projects/new").body;
    assert!(
        form.contains(r#"name="lead_id""#) && form.contains(">Zoë Lead</option>"),
        "{form}"
    );
    for i in 0..55 {
        let name = if i % 5 == 0 {
            format!("Apollo {i:02}")
        } else {
            format!("Gemini {i:02}")
        };
        let budget = (i % 10 * 100).to_string();
        let saved = visitor.post("/projects/new", &[("name", &name), ("budget", &budget)]);
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
    let first = visitor.get("/projects");
    assert!(first.body.contains("55 projects"), "{}", first.body);
    assert_eq!(first.body.matches("<tr data-id=").count(), 50);
    let next = first
        .body
        .split(r#"id="next" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    let next = next.expect("a next page link").replace("&amp;", "&");
    assert_eq!(visitor.get(&next).body.matches("<tr data-id=").count(), 5);

    let searched = visitor.get("/projects?q=APOLLO");
    assert!(searched.body.contains("11 projects"), "{}", searched.body);
    assert!(!searched.body.contains("Gemini"));
    assert!(
        searched
            .body
            .contains(r#"href="/projects?q=APOLLO&amp;sort=budget""#),
        "{}",
        searched.body
    );

    let sorted = visitor.get("/projects?budget%3E%3D800&sort=-budget");
    assert!(sorted.body.contains("10 projects"), "{}", sorted.body);
    let at = |name: &str| sorted.body.find(name).expect(name);
    assert!(at("Gemini 09") < at("Gemini 08"), "largest budget first");
    assert!(
        at("Gemini 19") < at("Gemini 09"),
        "ties by id, largest first as well"
    );

    // What the URL says is shown back escaped: in the search box, the sort links, the refusal.
    let script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for url in [
        format!("/projects?q={script}"),
        format!("/projects?q=%22onmouseover%3D{script}&sort=-name"),
        format!("/projects?name%3D{script}"),
    ] {
        let page = visitor.get(&url);
        assert!(!page.body.contains("<script>alert"), "{url}: {}", page.body);
        assert!(!page.body.contains("\"onmouseover"), "{url}: {}", page.body);
    }
    let refused = visitor.get("/projects?budget%3E%3Dlots");
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("invalid budget"), "{}", refused.body);
    assert_eq!(visitor.get("/projects?colour=red").status, 400);
}

/// The own-table example's server (`Admin::new(db).model::<Project>()`) on the test's database.
fn example_server(db: &TestDb) -> Server {
    // `cargo test` builds the examples beside the test binary's directory.
    let exe = std::env::current_exe().expect("test binary");
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|target| target.join("examples/own_table"))
        .filter(|path| path.exists())
        .expect("cargo test builds examples/own_table");
    Server::spawn(Command::new(example).args(["serve", &db.url, "127.0.0.1:0"]))
}

/// The HTML of the element with this id, from its opening tag to the first `</tag>` after it.
fn element<'p>(page: &'p Page, id: &str, tag: &str) -> &'p str {
    let start = page
        .body
        .find(&format!("<{tag} id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {tag} #{id} in {}", page.body));
    let rest = &page.body[start..];
    let end = rest
        .find(&format!("</{tag}>"))
        .map_or(rest.len(), |at| at + tag.len() + 3);
    &rest[..end]
}

/// The href of the link whose text is `text`, as a client follows it.
fn link_to(html: &str, text: &str) -> String {
    let at = html
        .find(&format!(">{text}</a>"))
        .unwrap_or_else(|| panic!("no link `{text}` in {html}"));
    let href = html[..at]
        .rsplit("href=\"")
        .next()
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    href.replace("&amp;", "&")
}

/// A model's list filters by choice, as Django's `list_filter`: a bar with "All", every lead by
/// name (escaped) and "(none)", whose links write the very URL conditions the list reads; the
/// chosen one marked, the search and sort kept, "All" clearing only it.
fn a_models_list_filters_by_choice_with_links_that_write_its_url_filters(db: &TestDb) {
    let data = super::derived::open(db);
    let (zoe, evil) = data
        .transaction(|s| {
            let zoe = s.add(&staffdb::NewEmployee::new("Zoë Lead", 40, "Lead"))?;
            let evil = s.add(&staffdb::NewEmployee::new("<b>Bad</b>", 40, "Lead"))?;
            s.add_all([
                NewProject::new("Apollo").lead_id(zoe.id).budget(100),
                NewProject::new("Gemini").lead_id(zoe.id),
                NewProject::new("Mercury").lead_id(evil.id),
                NewProject::new("Vostok"),
            ])?;
            Ok((zoe.id.to_string(), evil.id.to_string()))
        })
        .expect("seed");
    drop(data);
    let server = example_server(db);
    let mut visitor = Visitor::new(&server);
    let list = visitor.get("/projects");
    assert_eq!(list.status, 200, "{}", list.body);
    let bar = element(&list, "list-filter", "nav");
    assert!(bar.contains("By lead"), "{bar}");
    assert!(
        bar.contains(r#"<li class="selected"><a href="/projects" aria-current="true">All</a>"#),
        "{bar}"
    );
    assert_eq!(link_to(bar, "Zoë Lead"), format!("/projects?lead_id={zoe}"));
    assert_eq!(
        link_to(bar, "&lt;b&gt;Bad&lt;/b&gt;"),
        format!("/projects?lead_id={evil}")
    );
    assert!(!list.body.contains("<b>Bad"), "escaped: {}", list.body);
    assert_eq!(link_to(bar, "(none)"), "/projects?lead_id=null");
    // The lead column shows the row it names by title, escaped; no lead, an empty cell.
    for (cell, shown) in [
        ("Apollo", "Zoë Lead"),
        ("Mercury", "&lt;b&gt;Bad&lt;/b&gt;"),
        ("Vostok", ""),
    ] {
        let row = list
            .body
            .split(&format!("aria-label=\"select {cell}\""))
            .nth(1);
        let lead = row.and_then(|row| row.split(r#"<td class="c-lead_id">"#).nth(1));
        let lead = lead.and_then(|lead| lead.split('<').next());
        assert_eq!(lead, Some(shown), "{}", list.body);
    }

    let chosen = visitor.get(&link_to(bar, "Zoë Lead"));
    assert_eq!(
        chosen.text_of("total"),
        Some("2 projects"),
        "{}",
        chosen.body
    );
    assert!(chosen.body.contains("Gemini") && !chosen.body.contains("Mercury"));
    let bar = element(&chosen, "list-filter", "nav");
    assert!(
        bar.contains(&format!(
            r#"<li class="selected"><a href="/projects?lead_id={zoe}" aria-current="true">Zoë Lead</a>"#
        )),
        "{bar}"
    );
    assert!(bar.contains(r#"<li><a href="/projects">All</a>"#), "{bar}");
    let nobody = visitor.get(&link_to(bar, "(none)"));
    assert_eq!(nobody.text_of("total"), Some("1 project"));
    assert!(nobody.body.contains("Vostok"));

    // The search and the sort stay; another choice replaces this one; "All" keeps the rest.
    let searched = visitor.get("/projects?q=o&sort=-name");
    let link = link_to(element(&searched, "list-filter", "nav"), "Zoë Lead");
    assert_eq!(link, format!("/projects?q=o&sort=-name&lead_id={zoe}"));
    let both = visitor.get(&link);
    assert_eq!(
        both.text_of("total"),
        Some("1 project"),
        "Apollo: {}",
        both.body
    );
    let bar = element(&both, "list-filter", "nav");
    assert_eq!(link_to(bar, "All"), "/projects?q=o&sort=-name");
    assert_eq!(
        link_to(bar, "&lt;b&gt;Bad&lt;/b&gt;"),
        format!("/projects?q=o&sort=-name&lead_id={evil}")
    );
}

/// A bulk delete from a model's list: the rows' boxes post their ids to a confirmation that
/// names each row by its title (escaped) and deletes nothing; confirmed, exactly those go and the
/// list says how many. A selection with a row that another table holds by ON DELETE RESTRICT,
/// or with one gone already, deletes none of its rows and says why; so does a bad selection.
fn a_models_bulk_delete_names_the_rows_then_deletes_exactly_those_or_none(db: &TestDb) {
    let data = super::derived::open(db);
    let names = ["Apollo", "<i>Gemini</i>", "Mercury", "Vostok"];
    let ids: Vec<String> = data
        .transaction(|s| {
            names
                .iter()
                .map(|name| s.add(&NewProject::new(*name)).map(|p| p.id.to_string()))
                .collect()
        })
        .expect("seed");
    // An application's table holds Mercury, and its foreign key forbids deleting it.
    let hold = [
        "CREATE TABLE project_notes (id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL, \
         FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE RESTRICT)"
            .to_owned(),
        format!(
            "INSERT INTO project_notes (id, project_id) VALUES (1, {})",
            ids[2]
        ),
    ];
    for sql in &hold {
        data.transaction(|s| s.run(|c| diesel::sql_query(sql).execute(c)))
            .expect(sql);
    }
    drop(data);
    let server = example_server(db);
    let mut visitor = Visitor::new(&server);
    let total = |visitor: &mut Visitor| {
        let list = visitor.get("/projects");
        list.text_of("total").unwrap_or_default().to_owned()
    };
    let list = visitor.get("/projects");
    let row_box = format!(r#"<input type="checkbox" name="id" value="{}""#, ids[0]);
    assert!(list.body.contains(&row_box), "{}", list.body);
    assert!(list.body.contains(r#"action="/projects/bulk-delete""#));

    let selection = [("id", ids[0].as_str()), ("id", ids[1].as_str())];
    let ask = visitor.post("/projects/bulk-delete", &selection);
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.body.contains("Delete 2 projects?"), "{}", ask.body);
    let doomed = element(&ask, "doomed", "ul");
    assert!(doomed.contains(">Apollo</li>"), "{doomed}");
    assert!(
        doomed.contains(">&lt;i&gt;Gemini&lt;/i&gt;</li>"),
        "{doomed}"
    );
    assert!(!ask.body.contains("<i>Gemini"));
    assert_eq!(total(&mut visitor), "4 projects", "asking deletes nothing");
    let done = visitor.post("/projects/bulk-delete/confirm", &selection);
    assert_eq!(
        (done.status, done.location.as_str()),
        (303, "/projects?deleted=2")
    );
    let after = visitor.get(&done.location);
    assert_eq!(after.text_of("message"), Some("Deleted 2 projects"));
    assert_eq!(after.text_of("total"), Some("2 projects"));
    assert!(after.body.contains("Mercury") && !after.body.contains("Apollo"));

    // Vostok with Mercury, which a note holds: neither goes.
    let held = [("id", ids[3].as_str()), ("id", ids[2].as_str())];
    assert_eq!(visitor.post("/projects/bulk-delete", &held).status, 200);
    let refused = visitor.post("/projects/bulk-delete/confirm", &held);
    assert_eq!(refused.status, 409, "{:?}", server.log());
    let why = refused.text_of("bulk-error").unwrap_or_default();
    assert!(
        why.contains("refer to") && why.contains("nothing was deleted"),
        "{why}"
    );
    assert_eq!(total(&mut visitor), "2 projects", "Vostok kept");

    // Vostok with Apollo, gone already: the confirmation and the delete say so.
    let gone = [("id", ids[3].as_str()), ("id", ids[0].as_str())];
    let said = format!("project {} is gone already: nothing was deleted", ids[0]);
    let ask = visitor.post("/projects/bulk-delete", &gone);
    assert_eq!(
        (ask.status, ask.text_of("bulk-error")),
        (404, Some(said.as_str()))
    );
    let refused = visitor.post("/projects/bulk-delete/confirm", &gone);
    assert_eq!(
        (refused.status, refused.text_of("bulk-error")),
        (404, Some(said.as_str()))
    );
    assert_eq!(total(&mut visitor), "2 projects", "Vostok kept");

    // Nothing selected, a value that is no id, more than a page's worth: refused, unread.
    assert_eq!(visitor.post("/projects/bulk-delete", &[]).status, 422);
    let bad = visitor.post("/projects/bulk-delete/confirm", &[("id", "1 OR 1=1")]);
    assert_eq!(bad.status, 400, "{}", bad.body);
    let many: Vec<String> = (1..=1_001).map(|i| i.to_string()).collect();
    let form: Vec<(&str, &str)> = many.iter().map(|id| ("id", id.as_str())).collect();
    let refused = visitor.post("/projects/bulk-delete/confirm", &form);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .text_of("bulk-error")
            .is_some_and(|e| e.contains("At most 1000"))
    );
    assert_eq!(total(&mut visitor), "2 projects");
}

/// One column of one index, as the database's own catalog lists it.
#[derive(QueryableByName)]
struct IndexColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    index_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    uniqueness: String,
}

/// An index of a table: its columns in order, and whether it is unique.
#[derive(Debug)]
struct Index {
    columns: Vec<String>,
    unique: bool,
}

/// The indexes of `table`, read from the catalog (not from what staffdb thinks it made).
fn indexes_of(s: &mut Session, backend: Backend, table: &str) -> Vec<Index> {
    let sql = match backend {
        Backend::Sqlite => format!(
            "SELECT l.name AS index_name, ifnull(i.name, '<expression>') AS column_name,
                    CASE WHEN l.\"unique\" THEN 'unique' ELSE '' END AS uniqueness
             FROM pragma_index_list('{table}') l, pragma_index_info(l.name) i
             ORDER BY l.name, i.seqno"
        ),
        Backend::Postgres => format!(
            "SELECT i.relname::text AS index_name,
                    coalesce(a.attname::text, '<expression>') AS column_name,
                    CASE WHEN x.indisunique THEN 'unique' ELSE '' END AS uniqueness
             FROM pg_index x
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_class i ON i.oid = x.indexrelid
             CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE t.relname = '{table}' AND pg_table_is_visible(t.oid)
             ORDER BY i.relname, k.ord"
        ),
        Backend::Mysql => format!(
            "SELECT INDEX_NAME AS index_name,
                    COALESCE(COLUMN_NAME, '<expression>') AS column_name,
                    CASE WHEN NON_UNIQUE = 0 THEN 'unique' ELSE '' END AS uniqueness
             FROM information_schema.STATISTICS
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'
             ORDER BY INDEX_NAME, SEQ_IN_INDEX"
        ),
    };
    let rows = s
        .run(|c| diesel::sql_query(&sql).load::<IndexColumn>(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut indexes: Vec<(String, Index)> = Vec::new();
    for row in rows {
        match indexes.last_mut() {
            Some((name, index)) if *name == row.index_name => index.columns.push(row.column_name),
            _ => indexes.push((
                row.index_name,
                Index {
                    columns: vec![row.column_name],
                    unique: row.uniqueness == "unique",
                },
            )),
        }
    }
    indexes.into_iter().map(|(_, index)| index).collect()
}

/// What is wrong with `M`'s indexes: each column a list may sort or filter by that leads no
/// index, and each sortable one whose index does not go on with the id (a unique one needs not).
fn unindexed<M: Describe>(s: &mut Session, backend: Backend) -> Vec<String> {
    let indexes = indexes_of(s, backend, M::TABLE);
    let listed = M::COLUMNS
        .iter()
        .filter(|c| !c.key && (c.sortable || c.filterable));
    listed
        .filter_map(|column| {
            let leads = |i: &Index| i.columns.first().is_some_and(|c| c == column.name);
            let keyset = |i: &Index| {
                let then_id = i.columns.get(1).is_some_and(|c| c == "id");
                leads(i) && (then_id || (i.unique && i.columns.len() == 1))
            };
            let at = format!("{}.{}", M::TABLE, column.name);
            if !indexes.iter().any(leads) {
                Some(format!("{at}: no index starts with it ({indexes:?})"))
            } else if column.sortable && !indexes.iter().any(keyset) {
                Some(format!(
                    "{at}: sorted, but no index is ({}, id)",
                    column.name
                ))
            } else {
                None
            }
        })
        .collect()
}

/// Every column a list may sort or filter by, of every registered model — staffdb's employees
/// and departments, the example's projects — leads an index in the database's own catalog, and
/// a sortable one's index goes on with the id (or is unique), for keyset pages: the admin offers
/// no sort or filter that reads the whole table.
fn every_column_a_list_sorts_or_filters_by_leads_an_index(db: &TestDb) {
    let data = super::derived::open(db);
    let mut s = data.read_session().expect("a session");
    let mut wrong = unindexed::<staffdb::Employee>(&mut s, db.backend);
    wrong.extend(unindexed::<staffdb::Department>(&mut s, db.backend));
    wrong.extend(unindexed::<Project>(&mut s, db.backend));
    assert!(wrong.is_empty(), "{wrong:#?}");
    drop(s);
    // And it tells: without the budget's index, the budget is named.
    let drop_index = match db.backend {
        Backend::Mysql => "DROP INDEX projects_budget_id_idx ON projects",
        _ => "DROP INDEX projects_budget_id_idx",
    };
    data.transaction(|s| s.run(|c| diesel::sql_query(drop_index).execute(c)))
        .expect(drop_index);
    let mut s = data.read_session().expect("a session");
    let wrong = unindexed::<Project>(&mut s, db.backend);
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    assert!(
        wrong[0].starts_with("projects.budget: no index"),
        "{wrong:#?}"
    );
}

/// The names of a project's members, by the test's own read.
fn members_of(db: &staffdb::Database, id: &str) -> Vec<String> {
    // From the primary: the server that saved them is another process, so this Database's
    // read sessions would not wait for a standby to replay its commit.
    let mut s = db.session().expect("session");
    let id: i64 = id.parse().expect("an id");
    let project: Project = s.get_one(ProjectId::from(id)).expect("the project");
    let members = s.related(&[project], &Project::members()).expect("members");
    members[0].iter().map(|e| e.name.clone()).collect()
}

/// The member picker: a project's edit page lists every employee by name in a multi-select
/// with its current members selected (the list shows them too); a save sets exactly the
/// members posted, with the row, in
/// one transaction: a stale version changes neither the fields nor the members (and the form
/// shown again keeps the current members), an id that names nobody is refused beside the field,
/// and the add form sets members too.
fn a_projects_members_are_picked_by_name_and_saved_with_the_row(db: &TestDb) {
    let data = super::derived::open(db);
    let (staff, apollo) = data
        .transaction(|s| {
            let mut staff = Vec::new();
            for name in ["Ann", "Bo", "Cy"] {
                staff.push(s.add(&staffdb::NewEmployee::new(name, 30, "Engineer"))?.id);
            }
            let apollo = s.add(&NewProject::new("Apollo").budget(10))?;
            s.set_related(apollo.id, &Project::members(), &staff[..1])?;
            Ok((staff, apollo))
        })
        .expect("seed");
    let ids: Vec<String> = staff.iter().map(ToString::to_string).collect();
    let server = example_server(db);
    let mut visitor = Visitor::new(&server);
    let path = format!("/projects/{}", apollo.id);
    let page = visitor.get(&path);
    assert_eq!(page.status, 200, "{}", page.body);
    let picker = element(&page, "field-members", "select");
    assert!(picker.contains("multiple"), "{picker}");
    assert!(
        page.body
            .contains(r#"<label for="field-members">Members</label>"#)
    );
    for (id, name) in ids.iter().zip(["Ann", "Bo", "Cy"]) {
        let selected = if name == "Ann" { " selected" } else { "" };
        let option = format!(r#"<option value="{id}"{selected}>{name}</option>"#);
        assert!(picker.contains(&option), "{option} in {picker}");
    }

    // Bo and Cy instead of Ann, with a new budget.
    let version = apollo.version.to_string();
    let form = |members: &[&str], budget: &'static str, version: &str| {
        let mut form = vec![
            ("name".to_owned(), "Apollo".to_owned()),
            ("budget".to_owned(), budget.to_owned()),
            ("version".to_owned(), version.to_owned()),
            ("members".to_owned(), String::new()),
        ];
        form.extend(
            members
                .iter()
                .map(|m| ("members".to_owned(), (*m).to_owned())),
        );
        form
    };
    let post = |visitor: &mut Visitor, form: Vec<(String, String)>| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        visitor.post(&path, &form)
    };
    let saved = post(&mut visitor, form(&[&ids[1], &ids[2]], "20", &version));
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(members_of(&data, &apollo.id.to_string()), ["Bo", "Cy"]);
    let list = visitor.get("/projects");
    assert!(list.body.contains("<th>Members</th>"), "{}", list.body);
    assert!(
        list.body
            .contains(r#"<td class="related c-members">Bo, Cy</td>"#),
        "{}",
        list.body
    );
    let again = visitor.get(&path);
    let picker = element(&again, "field-members", "select");
    assert!(picker.contains(&format!(
        r#"<option value="{}" selected>Bo</option>"#,
        ids[1]
    )));
    assert!(picker.contains(&format!(r#"<option value="{}">Ann</option>"#, ids[0])));

    // The version the form was first opened with is stale now: nothing changes.
    let stale = post(&mut visitor, form(&[&ids[0]], "99", &version));
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains(r#"id="conflict""#), "{}", stale.body);
    let picker = element(&stale, "field-members", "select");
    assert!(
        picker.contains(&format!(
            r#"<option value="{}" selected>Cy</option>"#,
            ids[2]
        )),
        "the current members: {picker}"
    );
    assert_eq!(members_of(&data, &apollo.id.to_string()), ["Bo", "Cy"]);
    // From the primary, as `members_of` reads: the server that saved is another process.
    let mut s = data.session().expect("session");
    let now: Project = s.get_one(apollo.id).expect("apollo");
    drop(s);
    assert_eq!(now.budget, 20);

    // An id that names nobody: refused beside the field, the row and its members kept.
    let current = now.version.to_string();
    let bad = post(&mut visitor, form(&[&ids[0], "999999999"], "30", &current));
    assert_eq!(bad.status, 422, "{}", bad.body);
    let why = bad.text_of("error-members").unwrap_or_default();
    assert!(why.contains("999999999"), "{}", bad.body);
    let text = post(&mut visitor, form(&["x"], "30", &current));
    assert_eq!(text.status, 422, "{}", text.body);
    assert!(
        text.text_of("error-members")
            .is_some_and(|e| e.contains("`x`"))
    );
    assert_eq!(members_of(&data, &apollo.id.to_string()), ["Bo", "Cy"]);
    let mut s = data.session().expect("session");
    assert_eq!(s.get_one(apollo.id).expect("apollo").budget, 20);
    drop(s);

    // The add form sets the new row's members; a bad id adds neither.
    let new = visitor.get("/projects/new");
    assert!(element(&new, "field-members", "select").contains("Ann"));
    let refused = visitor.post(
        "/projects/new",
        &[
            ("name", "Gemini"),
            ("members", ""),
            ("members", "999999999"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.text_of("error-members").is_some());
    assert!(!visitor.get("/projects").body.contains("Gemini"));
    let added = visitor.post(
        "/projects/new",
        &[("name", "Gemini"), ("members", ""), ("members", &ids[0])],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(members_of(&data, &added.saved_id()), ["Ann"]);
}

/// Past 10,000 rows a list page says "more than 10,000" instead of counting every row on every
/// page (issue 27: a filtered page's count does not re-scan the table); below it, the exact
/// count of what the filter matches — on a model's generic list and on the employees page.
fn a_list_counts_up_to_ten_thousand_and_says_more_beyond(db: &TestDb) {
    let data = super::derived::open(db);
    data.transaction(|s| {
        s.add_all((0..10_001).map(|i| NewProject::new(format!("P{i:05}")).budget(i % 3)))?;
        s.add_all(
            (0..10_001)
                .map(|i| staffdb::NewEmployee::new(format!("E{i:05}"), 20 + i % 50, "Clerk")),
        )
    })
    .expect("seed");
    drop(data);
    let server = example_server(db);
    let mut visitor = Visitor::new(&server);
    let all = visitor.get("/projects");
    assert_eq!(
        all.text_of("total"),
        Some("more than 10,000 projects"),
        "{}",
        all.body
    );
    let some = visitor.get("/projects?budget%3E%3D1");
    assert_eq!(
        some.text_of("total"),
        Some("6,667 projects"),
        "{}",
        some.body
    );
    let staff = visitor.get("/employees");
    assert_eq!(
        staff.text_of("total"),
        Some("more than 10,000 employees"),
        "{}",
        staff.body
    );
    // Ages 20 + i % 50: 60 to 69 for 10 of every 50 (2,000 rows; the last one is 20).
    let older = visitor.get("/employees?age%3E=60");
    assert_eq!(
        older.text_of("total"),
        Some("2,000 employees"),
        "{}",
        older.body
    );
}
