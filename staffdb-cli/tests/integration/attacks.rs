//! `staffdb serve` attacked as an adversary would (issue 22): forged requests of every body
//! type, foreign Hosts and Origins, slow readers, idle and half-open sockets, password guessing,
//! a trickling body at shutdown. Each test failed on the server before these defences.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use staffdb::NewEmployee;

use super::admin::{Visitor, count, sqlite};
use super::web::Server;
use crate::common::{TestDb, on_every_backend};

on_every_backend!(
    a_client_that_stops_reading_an_export_holds_no_connection;
    // SQLite keeps its open file whatever happens to the path.
    servers: a_lost_database_is_a_503_that_names_no_database,
);

/// The server's `host:port`.
fn address(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Sends `request` as written (it should say `Connection: close`) and returns the status and
/// the whole answer.
fn raw(server: &Server, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address(server)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in: {answer}"));
    (status, answer)
}

/// A request with these extra header lines and body, to `path`, naming the server's own Host.
fn request(server: &Server, method: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        address(server),
        body.len()
    )
}

/// How many employees the API lists (up to 1,000).
fn employees(server: &Server) -> usize {
    let answer: Value = ureq::get(&format!("{}/api/employees?limit=1000", server.base))
        .call()
        .expect("list")
        .into_json()
        .expect("json");
    answer["items"].as_array().map_or(0, Vec::len)
}

/// The body of a chunked HTTP answer (`Transfer-Encoding: chunked`), its chunks joined.
fn dechunked(answer: &[u8]) -> Vec<u8> {
    let start = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |at| at + 4);
    let (mut rest, mut body) = (&answer[start..], Vec::new());
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|hex| usize::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || rest.len() < end + 2 + size {
            break;
        }
        body.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[(end + 4 + size).min(rest.len())..];
    }
    body
}

/// Whether the server logs a line that `matches` within 10 s (its log is read by a thread of
/// its own, a moment after the answer).
fn logged(server: &Server, matches: impl Fn(&str) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if server.log().iter().any(|line| matches(line)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn seeded(rows: usize) -> (TestDb, Server) {
    let db = sqlite();
    let new: Vec<NewEmployee> = (0..rows)
        .map(|i| NewEmployee::new(format!("Person {i}"), 30, "Developer"))
        .collect();
    db.open()
        .transaction(|s| s.add_all(new.clone()))
        .expect("seed employees");
    db.open()
        .transaction(|s| s.add(&staffdb::NewDepartment::new("Sales")))
        .expect("seed a department");
    let server = Server::start(&db);
    (db, server)
}

/// A POST to a delete route, to `/logout` or to a form route is refused whatever its body's
/// type — none, `text/plain`, multipart, JSON, or a form without the token — and deletes nothing;
/// before, a route that read no body took any.
#[test]
fn a_post_of_any_body_type_without_the_token_deletes_nothing() {
    let (_db, server) = seeded(3);
    let bodies = [
        ("", ""),
        ("Content-Type: text/plain\r\n", "x=1"),
        ("Content-Type: application/json\r\n", "{}"),
        (
            "Content-Type: multipart/form-data; boundary=b\r\n",
            "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n",
        ),
        ("Content-Type: application/x-www-form-urlencoded\r\n", "x=1"),
    ];
    for path in [
        "/employees/1/delete",
        "/departments/1/delete",
        "/logout",
        "/employees/new",
        "/employees/bulk-delete/confirm",
        "/departments/bulk-delete",
        "/departments/bulk-delete/confirm",
        "/employees/1/restore",
        "/departments/1/restore",
    ] {
        for (header, body) in bodies {
            let (status, answer) = raw(&server, &request(&server, "POST", path, header, body));
            assert!(
                status == 403 || status == 415,
                "{path} {header:?}: {answer}"
            );
        }
    }
    assert_eq!(employees(&server), 3, "no employee deleted or added");
    let departments: Value = ureq::get(&format!("{}/api/departments", server.base))
        .call()
        .expect("departments")
        .into_json()
        .expect("json");
    assert_eq!(departments.as_array().map(Vec::len), Some(1));
}

/// A request naming another Host — a page that reached the loopback server by DNS rebinding —
/// is answered 421 before any route, reads and deletes alike, as is its own address or
/// localhost on another port; `--allowed-host` admits a name (on any port: a proxy's).
#[test]
fn a_foreign_host_is_answered_421_and_changes_nothing() {
    let (db, server) = seeded(2);
    let foreign = |method: &str, path: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n")
    };
    for (method, path) in [
        ("GET", "/api/employees"),
        ("DELETE", "/api/employees/1"),
        ("GET", "/employees"),
        ("GET", "/api/export"),
    ] {
        let (status, answer) = raw(&server, &foreign(method, path));
        assert_eq!(status, 421, "{method} {path}: {answer}");
    }
    let (status, _) = raw(&server, "GET /api/employees HTTP/1.0\r\n\r\n");
    assert_eq!(status, 400, "a request naming no Host");
    // Its own address or localhost on another port is another server's name (`serve` knows
    // the port it listens on); on its own port, it is served.
    let own = address(&server);
    let port: u16 = own
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let other = if port == 9 { 10 } else { 9 };
    for host in [
        format!("127.0.0.1:{other}"),
        format!("localhost:{other}"),
        "localhost".into(),
    ] {
        let ask = format!(
            "DELETE /api/employees/1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        );
        let (status, answer) = raw(&server, &ask);
        assert_eq!(status, 421, "{host}: {answer}");
    }
    let ask = format!(
        "GET /api/employees HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(&server, &ask).0, 200);
    assert_eq!(employees(&server), 2);
    let named = Server::start_with(&db, &["--allowed-host", "staff.example"]);
    let (status, answer) = raw(
        &named,
        "GET /api/employees HTTP/1.1\r\nHost: staff.example:8080\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{answer}");
}

/// A request that would change something, sent by a browser from another origin (its Origin,
/// or its Referer), is refused with 403 — another port of 127.0.0.1 too, which is same-site
/// and so carries SameSite cookies — and nothing changes; the server's own origin is served.
#[test]
fn a_request_from_another_origin_changes_nothing() {
    let (_db, server) = seeded(2);
    let add = r#"{"name":"Mallory","age":30,"position":"Spy"}"#;
    let json = "Content-Type: application/json\r\n";
    let attacks = [
        (
            "POST",
            "/api/employees",
            "Origin: http://evil.example\r\n",
            add,
        ),
        (
            "POST",
            "/api/employees",
            "Origin: http://127.0.0.1:9\r\n",
            add,
        ),
        ("POST", "/api/employees", "Origin: null\r\n", add),
        (
            "POST",
            "/api/employees",
            "Referer: http://evil.example/page\r\n",
            add,
        ),
        (
            "DELETE",
            "/api/employees/1",
            "Origin: http://evil.example\r\n",
            "",
        ),
        (
            "PATCH",
            "/api/employees/2",
            "Origin: http://evil.example\r\n",
            r#"{"age":99}"#,
        ),
        (
            "POST",
            "/api/employees",
            "Sec-Fetch-Site: cross-site\r\n",
            add,
        ),
        (
            "POST",
            "/api/employees/1/restore",
            "Origin: http://evil.example\r\n",
            r#"{"history_id":1}"#,
        ),
    ];
    for (method, path, origin, body) in attacks {
        let headers = format!("{origin}{json}");
        let (status, answer) = raw(&server, &request(&server, method, path, &headers, body));
        assert_eq!(status, 403, "{method} {path} {origin:?}: {answer}");
    }
    // A page's form with the right token but sent from another origin: refused as well.
    let mut visitor = Visitor::new(&server);
    visitor.get("/employees/new");
    let token = visitor
        .cookie("staffdb_csrf")
        .unwrap_or_default()
        .to_owned();
    let sent = visitor
        .request("POST", "/employees/1/delete")
        .set("Origin", "http://127.0.0.1:9")
        .send_form(&[("csrf", &token)]);
    assert_eq!(visitor.receive(sent).status, 403);
    // So is a model's bulk delete, with its token and the department's id.
    let department: Value = ureq::get(&format!("{}/api/departments", server.base))
        .call()
        .expect("departments")
        .into_json()
        .expect("json");
    let id = department[0]["id"].to_string();
    for path in [
        "/departments/bulk-delete",
        "/departments/bulk-delete/confirm",
    ] {
        let sent = visitor
            .request("POST", path)
            .set("Origin", "http://evil.example")
            // Refused unread, the connection is not kept: the next request takes a new one.
            .set("Connection", "close")
            .send_form(&[("csrf", &token), ("id", &id)]);
        assert_eq!(visitor.receive(sent).status, 403, "{path}");
    }
    let departments: Value = ureq::get(&format!("{}/api/departments", server.base))
        .call()
        .expect("departments")
        .into_json()
        .expect("json");
    assert_eq!(
        departments.as_array().map(Vec::len),
        Some(1),
        "no department deleted"
    );
    assert_eq!(employees(&server), 2, "nothing added or deleted");
    let own = format!("Origin: {}\r\n{json}", server.base);
    let (status, answer) = raw(
        &server,
        &request(&server, "POST", "/api/employees", &own, add),
    );
    assert_eq!(status, 201, "the server's own origin: {answer}");
}

/// Twelve clients that start an export, read 100 KB and stop reading hold no more than the
/// export slots: pages, the API and writes still answer at once, and once the stall timeout
/// has passed, the slots are free again (before, every pooled connection stayed taken and
/// everything else answered 503).
fn a_client_that_stops_reading_an_export_holds_no_connection(db: &TestDb) {
    let new: Vec<NewEmployee> = (0..100_000)
        .map(|i| {
            NewEmployee::new(
                format!("Employee number {i} with a longer name"),
                30,
                "Developer",
            )
        })
        .collect();
    db.open()
        .transaction(|s| s.add_all(new.clone()))
        .expect("seed");
    let server = Server::start_with(db, &["--stall-timeout", "3", "--max-exports", "4"]);
    let readers: Vec<(TcpStream, Option<Vec<u8>>)> = (0..12)
        .map(|_| {
            let mut stream = TcpStream::connect(address(&server)).expect("connect");
            let ask = format!(
                "GET /api/export HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                address(&server)
            );
            stream.write_all(ask.as_bytes()).expect("ask");
            let mut first = vec![0u8; 100 << 10];
            let read = stream.read(&mut first).unwrap_or(0);
            first.truncate(read);
            let exporting = first.starts_with(b"HTTP/1.1 200");
            (stream, exporting.then_some(first))
        })
        .collect();
    assert!(
        readers.iter().any(|(_, first)| first.is_some()),
        "some exports started"
    );
    // While they hold on, everything else is served.
    for round in 0..5 {
        assert!(employees(&server) > 0, "round {round}: the API answers");
        let added = ureq::post(&format!("{}/api/employees", server.base)).send_json(
            serde_json::json!({"name": format!("New {round}"), "age": 30, "position": "Dev"}),
        );
        assert_eq!(
            added.map(|r| r.status()).ok(),
            Some(201),
            "round {round}: a write"
        );
        let page = ureq::get(&format!("{}/employees", server.base)).call();
        assert_eq!(
            page.map(|r| r.status()).ok(),
            Some(200),
            "round {round}: a page"
        );
    }
    // Once stalled past the timeout, the exports are abandoned and a new one runs whole.
    let deadline = Instant::now() + Duration::from_secs(60);
    let whole = loop {
        let got = ureq::get(&format!("{}/api/export", server.base)).call();
        match got {
            Ok(response) => {
                let mut text = String::new();
                response
                    .into_reader()
                    .read_to_string(&mut text)
                    .expect("the export");
                break text;
            }
            Err(ureq::Error::Status(503, _)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(error) => panic!("export: {error}"),
        }
    };
    assert_eq!(
        whole.lines().count(),
        100_000 + 5 + 1,
        "every row and the header"
    );
    // An abandoned export ends in an error — the connection cut, no closing chunk — so that its
    // client cannot take the part it got for the whole file.
    // (An export small enough for the socket buffers may have finished whole: then it is.)
    for (mut stream, first) in readers {
        let Some(mut answer) = first else { continue };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let _ = stream.read_to_end(&mut answer);
        if answer.ends_with(b"0\r\n\r\n") {
            let lines = dechunked(&answer)
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            assert_eq!(
                lines,
                100_000 + 1,
                "an export that ended cleanly but is not whole"
            );
        }
    }
    assert!(
        logged(&server, |l| l.contains("read nothing for 3 s")),
        "the log says why: {:?}",
        server.log().iter().rev().take(5).collect::<Vec<_>>()
    );
}

/// Idle sockets and half-open ones (a request head never finished) are closed after the idle
/// timeout; and with more sockets than files allowed, the server still answers once they are.
#[test]
fn idle_and_half_open_connections_are_closed() {
    let db = sqlite();
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!(
            "ulimit -n 256 && exec '{}' --database-url '{}' serve --bind 127.0.0.1:0 \
             --idle-timeout 1",
            env!("CARGO_BIN_EXE_staffdb"),
            db.url
        ),
    ]);
    let server = Server::spawn(&mut command);
    let mut idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(address(&server)).expect("connect"))
        .collect();
    for stream in idle.iter_mut().take(100) {
        let _ = stream.write_all(b"GET /api/employees HTTP/1.1\r\nHo");
    }
    // More sockets than the server may open: it must still answer a real client.
    assert_eq!(employees(&server), 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut closed = 0;
    for stream in &mut idle {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        stream.set_read_timeout(Some(left)).expect("timeout");
        let mut buffer = [0u8; 256];
        // Closed: end of file (after an answer such as a 408, if any), or a reset; never a wait
        // past the deadline.
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break closed += 1,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break closed += 1,
                Err(_) => break,
            }
        }
    }
    assert_eq!(closed, 300, "every idle and half-open socket closed");
}

/// Wrong passwords are answered 401 five times, then every try must wait (429 with
/// Retry-After, the password not even checked — the right one included), and the log says so
/// with the client's address.
#[test]
fn wrong_passwords_are_slowed_and_then_refused_unchecked() {
    let db = sqlite();
    let server = Server::start_guarded(&db, "correct horse", &[]);
    let mut visitor = Visitor::new(&server);
    visitor.get("/login");
    for guess in 0..5 {
        let page = visitor.post("/login", &[("password", &format!("guess {guess}"))]);
        assert_eq!(page.status, 401, "guess {guess}");
    }
    let slowed = visitor.post("/login", &[("password", "correct horse")]);
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    assert!(
        slowed
            .header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1)
    );
    assert!(
        slowed
            .text_of("login-error")
            .is_some_and(|e| e.contains("too many"))
    );
    assert!(visitor.get("/api/employees").status == 401, "not logged in");
    let said = |what: &str| logged(&server, |l| l.contains(what));
    assert!(said("wrong password from 127.0.0.1"), "{:?}", server.log());
    assert!(said("refused a try from 127.0.0.1"), "{:?}", server.log());
    // After the wait, the right password is taken.
    std::thread::sleep(Duration::from_millis(1_100));
    let right = visitor.post("/login", &[("password", "correct horse")]);
    assert_eq!(right.status, 303, "{}", right.body);
}

/// On SIGTERM the server stops within its shutdown deadline even while a client trickles a
/// body (before, it waited for as long as the client went on).
#[test]
fn sigterm_stops_within_the_deadline_despite_a_trickling_body() {
    let db = sqlite();
    let mut server = Server::start_with(&db, &["--shutdown-timeout", "1", "--stall-timeout", "60"]);
    let mut stream = TcpStream::connect(address(&server)).expect("connect");
    let head = format!(
        "POST /api/employees HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{",
        address(&server)
    );
    stream.write_all(head.as_bytes()).expect("head");
    let trickle = std::thread::spawn(move || {
        for _ in 0..60 {
            std::thread::sleep(Duration::from_millis(500));
            if stream.write_all(b" ").is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(700));
    let stopped = server.stop_within(Duration::from_secs(20));
    assert!(stopped, "serve still running 20 s after SIGTERM");
    let _ = trickle.join();
}

/// Pages and API answers may not be cached (they hold personnel data); static files may.
#[test]
fn pages_and_answers_are_never_cached() {
    let (_db, server) = seeded(1);
    let mut visitor = Visitor::new(&server);
    for path in [
        "/employees",
        "/employees/1",
        "/api/employees",
        "/login",
        "/nowhere",
    ] {
        assert_eq!(
            visitor.get(path).header("cache-control"),
            "no-store",
            "{path}"
        );
    }
    assert_eq!(visitor.get("/static/admin.css").header("cache-control"), "");
}

/// A password file holding an argon2 hash that argon2 cannot use is refused at start (exit 2)
/// instead of starting a server nobody can log in to.
#[test]
fn a_malformed_argon2_hash_is_refused_at_start() {
    let db = sqlite();
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaA\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
        .args(["--password-file", file.path().to_str().expect("path")])
        .output()
        .expect("run serve");
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no usable argon2 hash"), "{said}");
}

/// `--bind localhost:0` serves (on loopback), where it used to be "not an address".
#[test]
fn bind_takes_localhost_by_name() {
    let db = sqlite();
    let mut command = Command::new(env!("CARGO_BIN_EXE_staffdb"));
    command.args(["--database-url", &db.url, "serve", "--bind", "localhost:0"]);
    let server = Server::spawn(&mut command);
    assert!(
        server.base.starts_with("http://127.0.0.1:") || server.base.starts_with("http://[::1]:")
    );
    assert_eq!(employees(&server), 0);
}

/// A `serve` whose port is taken exits 1 and creates nothing: no database file, no schema.
#[test]
fn a_serve_that_cannot_bind_creates_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("never.db");
    let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--database-url", path.to_str().expect("path"), "serve"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .output()
        .expect("run serve");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen"));
    assert!(!path.exists(), "no database file was created");
}

/// `serve --read-only` refuses every change (403) and still serves reads and the login.
#[test]
fn a_read_only_server_changes_nothing() {
    let (db, _server) = seeded(2);
    let server = Server::start_with(&db, &["--read-only"]);
    let add = r#"{"name":"X","age":30,"position":"Dev"}"#;
    let json = "Content-Type: application/json\r\n";
    let (status, answer) = raw(
        &server,
        &request(&server, "POST", "/api/employees", json, add),
    );
    assert_eq!(status, 403, "{answer}");
    let (status, _) = raw(
        &server,
        &request(&server, "DELETE", "/api/employees/1", "", ""),
    );
    assert_eq!(status, 403);
    let mut visitor = Visitor::new(&server);
    visitor.get("/employees/new");
    let form = [("name", "X"), ("age", "30"), ("position", "Dev")];
    assert_eq!(visitor.post("/employees/new", &form).status, 403);
    assert_eq!(count(&mut visitor, ""), "2 employees");
}

/// A database that goes away under a running server (dropped, its connections cut) is an error
/// (503 where the connection is lost) that names none of its host, user, name or password — not in the JSON, not in a page; the
/// log may say which (with the password hidden).
fn a_lost_database_is_a_503_that_names_no_database(db: &TestDb) {
    let secret = "QuerySecret77";
    // libpq takes a password as a query parameter (trust authentication ignores it); a MySQL URL
    // with one is refused, since its driver would not use it.
    let url = if db.backend == staffdb::Backend::Postgres {
        let separator = if db.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}password={secret}", db.url)
    } else {
        db.url.clone()
    };
    db.open();
    let mut command = Command::new(env!("CARGO_BIN_EXE_staffdb"));
    command.args(["--database-url", &url, "serve", "--bind", "127.0.0.1:0"]);
    let server = Server::spawn(&mut command);
    assert_eq!(employees(&server), 0);
    db.vanish();
    let name = db
        .url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default();
    let mut visitor = Visitor::new(&server);
    for path in ["/api/employees", "/api/employees/1", "/employees", "/stats"] {
        let page = visitor.get(path);
        // PostgreSQL's cut connections are a 503; MySQL's stay connected to no database (500).
        assert!(matches!(page.status, 500 | 503), "{path}: {}", page.body);
        for private in [
            secret,
            name,
            "127.0.0.1",
            "root@",
            "postgres@",
            "staffdb_test_",
        ] {
            assert!(
                !page.body.contains(private),
                "{path} shows {private}: {}",
                page.body
            );
        }
    }
    assert!(server.log().iter().all(|line| !line.contains(secret)));
}

/// An upload to the import page over its 64 MiB limit, sent without a length (chunked), is a
/// 413 as the README promises (it was a 400), and imports nothing.
#[test]
fn an_oversized_upload_to_the_import_page_is_a_413() {
    let (_db, server) = seeded(1);
    let mut visitor = Visitor::new(&server);
    visitor.get("/import");
    let token = visitor
        .cookie("staffdb_csrf")
        .unwrap_or_default()
        .to_owned();
    let mut stream = TcpStream::connect(address(&server)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST /import HTTP/1.1\r\nHost: {}\r\nCookie: staffdb_csrf={token}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        address(&server)
    );
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        let part = format!(
            "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--b\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
        );
        let chunk =
            |data: &[u8]| [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
        let mut sent = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&chunk(part.as_bytes())));
        let block = vec![b'a'; 1 << 20];
        for _ in 0..70 {
            sent = sent.and_then(|()| writer.write_all(&chunk(&block)));
        }
        // The server may answer and close before all of it is sent.
        let _ = sent.and_then(|()| writer.write_all(b"0\r\n\r\n"));
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sender.join();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        answer.lines().next().unwrap_or("")
    );
    assert_eq!(employees(&server), 1, "nothing imported");
}

/// `serve --read-only` on a database without staffdb's schema exits 1 saying so, and creates
/// no table.
#[test]
fn a_read_only_serve_of_a_database_without_the_schema_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").expect("an empty file");
    let output = Command::new(env!("CARGO_BIN_EXE_staffdb"))
        .args(["--database-url", path.to_str().expect("path"), "serve"])
        .args(["--bind", "127.0.0.1:0", "--read-only"])
        .output()
        .expect("run serve");
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no staffdb schema"), "{said}");
    assert_eq!(
        std::fs::metadata(&path).map(|m| m.len()).ok(),
        Some(0),
        "nothing written"
    );
}

/// Guesses sent all at once are each counted: of 30 wrong passwords at once from one address,
/// at most 5 are checked and the rest refused unchecked (429), and the right password sent
/// after them is refused too (before, every guess of a burst was checked, the right one taken).
#[test]
fn a_burst_of_guesses_is_counted_guess_by_guess() {
    let db = sqlite();
    let server = Server::start_guarded(&db, "correct horse", &[]);
    let mut visitor = Visitor::new(&server);
    visitor.get("/login");
    let token = visitor
        .cookie("staffdb_csrf")
        .unwrap_or_default()
        .to_owned();
    let header = format!(
        "Cookie: staffdb_csrf={token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..30)
            .map(|guess| {
                let (server, token, header) = (&server, &token, &header);
                scope.spawn(move || {
                    let body = format!("csrf={token}&password=wrong{guess}");
                    raw(server, &request(server, "POST", "/login", header, &body)).0
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|g| g.join().expect("a guess"))
            .collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5 && checked + refused == 30, "{statuses:?}");
    let right = visitor.post("/login", &[("password", "correct horse")]);
    assert_eq!(right.status, 429, "the right password right after a burst");
}

/// A form body that stops arriving is abandoned after the stall timeout with a 408 — on the
/// login, which needs no login, too — where it used to hold its connection for ever; a stalled
/// upload is a 408 as well, never a 500.
#[test]
fn a_stalled_form_or_upload_is_a_408() {
    let db = sqlite();
    let guarded = Server::start_guarded(&db, "correct horse", &["--stall-timeout", "1"]);
    let open = Server::start_with(&db, &["--stall-timeout", "1"]);
    let cases = [
        (
            &guarded,
            "/login",
            "application/x-www-form-urlencoded",
            "csrf=",
        ),
        (
            &open,
            "/import",
            "multipart/form-data; boundary=zz",
            "--zz\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n",
        ),
    ];
    for (server, path, media, start) in cases {
        let ask = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: staffdb_csrf=t\r\n\
             Content-Type: {media}\r\nContent-Length: 1000\r\n\r\n{start}",
            address(server)
        );
        let mut stream = TcpStream::connect(address(server)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        stream.write_all(ask.as_bytes()).expect("send");
        let mut answer = [0u8; 64];
        let read = stream.read(&mut answer).unwrap_or(0);
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer:?}");
    }
}

/// What no browser sends and a rebinding attack might try is refused too: two Hosts (400), two
/// Origins (403), a foreign host in an absolute-form target (421), and Host values that only
/// look like the server's (a port past 65535, an IPv4 address in brackets).
#[test]
fn ambiguous_hosts_and_origins_are_refused() {
    let (_db, server) = seeded(2);
    let own = address(&server);
    let port = own.rsplit(':').next().unwrap_or_default().to_owned();
    let close = "Connection: close\r\n\r\n";
    let two_hosts = format!("Host: {own}\r\nHost: evil.example\r\n");
    let two_origins =
        format!("Host: {own}\r\nOrigin: http://{own}\r\nOrigin: http://evil.example\r\n");
    let cases = [
        (
            format!("DELETE /api/employees/1 HTTP/1.1\r\n{two_hosts}{close}"),
            400,
        ),
        (
            format!("GET http://evil.example/api/employees HTTP/1.1\r\nHost: {own}\r\n{close}"),
            421,
        ),
        (
            format!("GET /api/employees HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n{close}"),
            421,
        ),
        (
            format!("GET /api/employees HTTP/1.1\r\nHost: [127.0.0.1]:{port}\r\n{close}"),
            421,
        ),
        (
            format!("DELETE /api/employees/1 HTTP/1.1\r\n{two_origins}{close}"),
            403,
        ),
    ];
    for (ask, expected) in cases {
        let (status, answer) = raw(&server, &ask);
        assert_eq!(status, expected, "{ask:?}: {answer}");
    }
    assert_eq!(employees(&server), 2, "nothing deleted");
}

/// A body trickled a byte at a time, each inside the stall timeout, is abandoned once it falls
/// below 1 KiB a second on average (408): before, a byte every 2 s held a login for as long as
/// the client liked.
#[test]
fn a_trickled_body_is_abandoned() {
    let db = sqlite();
    let server = Server::start_guarded(&db, "correct horse", &["--stall-timeout", "2"]);
    let mut stream = TcpStream::connect(address(&server)).expect("connect");
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {}\r\nCookie: staffdb_csrf=t\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ncsrf=",
        address(&server)
    );
    stream.write_all(head.as_bytes()).expect("head");
    let mut writer = stream.try_clone().expect("clone");
    let trickle = std::thread::spawn(move || {
        // 60 s of a byte every half second, unless the server gives up first.
        for _ in 0..120 {
            std::thread::sleep(Duration::from_millis(500));
            if writer.write_all(b"a").is_err() {
                break;
            }
        }
    });
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = [0u8; 64];
    let read = stream.read(&mut answer).unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    drop(stream);
    let _ = trickle.join();
}

/// A multipart upload whose body never reaches its first boundary, or whose part's headers
/// never end, is refused (400) in the time its bytes take to arrive: before, the multipart
/// reader searched its whole growing buffer again at every chunk, so 24 MiB of preamble, sent
/// by anyone with no token, cost the server half a minute of CPU (64 MiB, four minutes).
#[test]
fn a_multipart_body_without_its_framing_costs_no_quadratic_time() {
    let (_db, server) = seeded(1);
    let boundary = "b".repeat(70);
    for (case, start) in [
        ("no boundary", String::new()),
        ("endless part headers", format!("--{boundary}\r\n")),
    ] {
        let mut stream = TcpStream::connect(address(&server)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        let head = format!(
            "POST /import HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            address(&server)
        );
        let mut writer = stream.try_clone().expect("clone");
        let started = Instant::now();
        let sender = std::thread::spawn(move || {
            let chunk =
                |data: &[u8]| [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
            let mut sent = writer
                .write_all(head.as_bytes())
                .and_then(|()| writer.write_all(&chunk(start.as_bytes())));
            // Small chunks, as a slow network delivers them: 24 MiB in 64 KiB pieces.
            let block = vec![b'a'; 64 << 10];
            for _ in 0..(24 * 16) {
                sent = sent.and_then(|()| writer.write_all(&chunk(&block)));
            }
            let _ = sent.and_then(|()| writer.write_all(b"0\r\n\r\n"));
        });
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let _ = sender.join();
        let took = started.elapsed();
        let answer = String::from_utf8_lossy(&answer);
        let status = answer.lines().next().unwrap_or_default().to_owned();
        assert!(status.starts_with("HTTP/1.1 400"), "{case}: {status}");
        assert!(took < Duration::from_secs(8), "{case}: took {took:?}");
    }
    assert_eq!(
        employees(&server),
        1,
        "nothing imported, and the server answers"
    );
}

/// A SIGTERM sent as soon as `serve` says it is serving stops it gracefully (exit 0, as the
/// server's `Drop` here asserts): the handlers are installed before that line is printed, not
/// when the server's loop first looks at them — CI once killed a server in that window.
#[test]
fn a_sigterm_right_after_the_serving_line_stops_serve_gracefully() {
    let (db, server) = seeded(0);
    drop(server);
    for _ in 0..10 {
        drop(Server::start(&db));
    }
}

/// A method a route does not take is a 405 that reads the body first, up to the limit: the
/// connection stays open for the client's next request. (hyper closes a connection whose body
/// was left unread; a client whose body arrives after the answer, as a slow one's does, and that
/// pools connections finds out only when its next request on it fails.)
#[test]
fn a_405_keeps_the_connection_for_the_next_request() {
    let (_db, server) = seeded(1);
    let host = address(&server);
    let body = "{}".repeat(4_000);
    let mut stream = TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let head = format!(
        "PATCH /api/employees/1/history HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send the head");
    // The body comes later, as a slow client's does.
    std::thread::sleep(Duration::from_millis(300));
    let next =
        format!("GET /api/employees/1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let sent = stream
        .write_all(body.as_bytes())
        .and_then(|()| stream.write_all(next.as_bytes()));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        sent.is_ok(),
        "the connection was closed: {sent:?}; {answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("allow: get,head"),
        "{answer}"
    );
    // Each answer's status line (the 405's JSON body ends without a newline).
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .filter_map(|(at, _)| answer[at..].lines().next())
        .collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"],
        "{answer}"
    );
    assert!(
        answer.contains(r#"{"error":"method not allowed on this route""#),
        "{answer}"
    );
}
