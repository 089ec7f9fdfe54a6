//! Stored markup is shown as text, never run; a password keeps the pages behind a login.

use crate::contract as c;
use crate::harness;
use crate::page::Page;
use crate::staffdb::{Db, Server};

/// Names that would run script if the pages pasted them in as HTML, in text or in an attribute.
const HOSTILE_NAMES: [&str; 4] = [
    "<script>alert(1)</script>",
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=2\">",
    "\"><svg onload=\"window.__xss=3\">",
];

/// Markup stored in names (added through the CLI) is shown as text in the list and in the edit
/// form: no alert opens and no injected script sets `window.__xss`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn stored_markup_is_shown_as_text_and_never_run() {
    harness::run("stored_markup", |client| async move {
        let db = Db::new();
        let ids: Vec<i64> = HOSTILE_NAMES
            .iter()
            .map(|name| db.add(name, 30, "Tester", &[]))
            .collect();
        let server = Server::start(&db);
        let page = Page::new(client.clone(), &server.base);

        page.goto(c::LIST).await;
        page.find(c::ROWS_TABLE).await;
        assert_nothing_ran(&page, "the list").await;
        for (id, name) in ids.iter().zip(HOSTILE_NAMES) {
            assert_eq!(page.text(&c::cell(*id, "name")).await, name);
        }
        for (id, name) in ids.iter().zip(HOSTILE_NAMES) {
            page.goto(&c::edit(*id)).await;
            assert_nothing_ran(&page, &format!("the edit page of `{name}`")).await;
            assert_eq!(page.value(c::FIELD_NAME).await, name);
        }
    })
    .await;
}

/// Fails if an alert is open or an injected script set `window.__xss`.
async fn assert_nothing_ran(page: &Page, what: &str) {
    if let Some(ran) = what_ran(page).await {
        panic!("{what}: {ran}");
    }
}

/// What an injected script did on the current page: opened an alert or set `window.__xss`.
async fn what_ran(page: &Page) -> Option<String> {
    if let Ok(text) = page.client.get_alert_text().await {
        return Some(format!("an alert opened: {text:?}"));
    }
    match page.script("return typeof window.__xss;").await.as_str() {
        Some("undefined") => None,
        other => Some(format!("window.__xss was set (typeof: {other:?})")),
    }
}

/// The check above is not blind: it sees an alert, and a `window.__xss` set by a script.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn the_script_check_sees_a_page_that_runs_script() {
    harness::run("script_check", |client| async move {
        let page = Page::new(client.clone(), "");
        for (html, seen) in [
            ("<p>inert</p>", false),
            ("<script>alert(1)</script>", true),
            ("<script>window.__xss=1</script>", true),
            ("<img src=x onerror=\"window.__xss=2\">", true),
        ] {
            let url = format!("data:text/html,{}", url_escape(html));
            client.goto(&url).await.expect("load a data: URL");
            if html.contains("onerror") {
                // The failed image load runs its handler a moment after the page loads.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            let ran = what_ran(&page).await;
            assert_eq!(ran.is_some(), seen, "{html}: {ran:?}");
            if html.contains("alert") {
                client.dismiss_alert().await.expect("dismiss the alert");
            }
        }
    })
    .await;
}

/// `text` with everything but letters and digits percent-encoded, for a `data:` URL.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// With `--password-file`, the list leads to the login; a wrong password is refused on the
/// page; the right one leads to the list, with an HttpOnly, SameSite=Strict session cookie that
/// page scripts cannot read and that the download needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_password_keeps_the_pages_behind_a_login() {
    harness::run("login", |client| async move {
        let db = Db::new();
        let alice = db.add("Alice", 25, "Manager", &[]);
        let server = Server::start_with_password(&db, "correct horse battery staple");
        let page = Page::new(client.clone(), &server.base);

        page.goto(c::LIST).await;
        assert_eq!(page.path().await, c::LOGIN, "the list leads to the login");
        page.find(c::LOGIN_FORM).await;
        assert!(
            !page.has(c::ROWS_TABLE).await,
            "the rows are shown without a login"
        );

        page.fill(c::PASSWORD, "correct horse").await;
        page.click_and_wait(c::LOGIN_BUTTON).await;
        page.find(c::LOGIN_ERROR).await;
        assert!(
            !page.has(c::ROWS_TABLE).await,
            "a wrong password shows the rows"
        );
        assert!(
            client.get_named_cookie(c::SESSION_COOKIE).await.is_err(),
            "a wrong password got a session cookie"
        );

        page.fill(c::PASSWORD, "correct horse battery staple").await;
        page.click_and_wait(c::LOGIN_BUTTON).await;
        assert_eq!(page.path().await, c::LIST, "the login leads to the list");
        assert_eq!(page.text(&c::cell(alice, "name")).await, "Alice");

        let cookie = client
            .get_named_cookie(c::SESSION_COOKIE)
            .await
            .unwrap_or_else(|e| panic!("no {} cookie after the login: {e}", c::SESSION_COOKIE));
        assert_eq!(
            cookie.http_only(),
            Some(true),
            "the session cookie is HttpOnly"
        );
        assert_eq!(
            cookie.same_site().map(|s| s.to_string()),
            Some("Strict".to_owned()),
            "the session cookie is SameSite=Strict"
        );
        let visible = page.script("return document.cookie;").await;
        assert!(
            !visible
                .as_str()
                .unwrap_or_default()
                .contains(c::SESSION_COOKIE),
            "page scripts can read the session cookie: {visible}"
        );

        // The download is behind the login too: refused without the cookie, served with it.
        let export = format!("{}{}", server.base, c::EXPORT_CSV);
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let status = match agent.get(&export).call() {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(status, _)) => status,
            Err(e) => panic!("GET {export}: {e}"),
        };
        assert_ne!(status, 200, "the export is served without a login");
        let response = agent
            .get(&export)
            .set(
                "Cookie",
                &format!("{}={}", c::SESSION_COOKIE, cookie.value()),
            )
            .call()
            .unwrap_or_else(|e| panic!("GET {export} with the session cookie: {e}"));
        assert_eq!(response.status(), 200);
        let mut downloaded = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut downloaded)
            .expect("the download's bytes");
        assert_eq!(downloaded, db.staffdb(&["export"]));
    })
    .await;
}

/// On a database with users, a viewer logs in by name, reads the list and a row, and is offered
/// nothing to change — a change sent anyway (a same-origin `fetch`) is refused 403 by the route;
/// after "Log out", an editor logs in and changes the row through its form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_viewer_reads_and_an_editor_changes() {
    harness::run("roles", |client| async move {
        let db = Db::new();
        let alice = db.add("Alice", 25, "Manager", &[]);
        let file = db.write_file("pw", "correct horse battery\n");
        let file = file.display().to_string();
        for (name, role) in [("vera", "viewer"), ("eddie", "editor")] {
            db.staffdb(&[
                "users",
                "add",
                name,
                "--role",
                role,
                "--password-file",
                &file,
            ]);
        }
        let server = Server::start_with_users(&db);
        let page = Page::new(client.clone(), &server.base);
        let log_in = |name: &'static str| {
            let page = &page;
            async move {
                page.goto(c::LIST).await;
                assert_eq!(page.path().await, c::LOGIN, "the list leads to the login");
                page.fill(c::USER_NAME, name).await;
                page.fill(c::PASSWORD, "correct horse battery").await;
                page.click_and_wait(c::LOGIN_BUTTON).await;
                assert_eq!(page.path().await, c::LIST, "{name} is logged in");
            }
        };

        log_in("vera").await;
        assert_eq!(page.text(c::WHO).await, "vera (viewer)");
        assert_eq!(page.text(&c::cell(alice, "age")).await, "25");
        assert!(!page.has(c::ADD_LINK).await, "a viewer is offered Add");
        assert!(
            !page.has(c::BULK_FORM).await,
            "a viewer is offered the bulk delete"
        );
        page.goto(&c::edit(alice)).await;
        page.find(c::RECORD).await;
        assert!(!page.has(c::SAVE).await, "a viewer is offered Save");
        let script = format!(
            "return fetch('/api/employees/{alice}', {{method: 'DELETE'}}).then(r => r.status);"
        );
        assert_eq!(
            page.script(&script).await,
            403,
            "the route refuses a viewer's delete"
        );
        page.click_and_wait(c::LOG_OUT).await;
        assert_eq!(page.path().await, c::LOGIN);

        log_in("eddie").await;
        assert_eq!(page.text(c::WHO).await, "eddie (editor)");
        assert!(page.has(c::ADD_LINK).await, "an editor is offered Add");
        page.goto(&c::edit(alice)).await;
        page.fill(c::FIELD_AGE, "26").await;
        page.click_and_wait(c::SAVE).await;
        assert_eq!(page.text(&c::cell(alice, "age")).await, "26");
        assert_eq!(db.json(&["show", &alice.to_string()])["age"], 26);
    })
    .await;
}
