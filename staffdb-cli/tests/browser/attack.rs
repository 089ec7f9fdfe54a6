//! A page on another origin attacks the admin through the visitor's browser: forms it submits by
//! script (`text/plain`, urlencoded with a forged token, multipart) and a `no-cors` fetch, aimed
//! at the per-row delete routes and `/logout` — on a password-less server, and on one the
//! visitor is logged in to, from 127.0.0.1 on another port (same-site, so SameSite=Strict
//! cookies go with it). Before issue 22's fix, the `text/plain` form deleted a row in both.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use crate::contract as c;
use crate::harness;
use crate::page::Page;
use crate::staffdb::{Db, Server};

/// The attacks, by path on the attacker's site: each page submits one forged request to
/// `TARGET` as soon as it loads.
fn attack_page(path: &str, target: &str) -> String {
    let form = |enctype: &str, fields: &str| {
        format!(
            r#"<form id="attack" method="post" enctype="{enctype}" action="{target}">{fields}</form>
               <script>document.getElementById("attack").submit()</script>"#
        )
    };
    let body = match path {
        "/plain" => form("text/plain", r#"<input name="x" value="1">"#),
        "/urlencoded" => form(
            "application/x-www-form-urlencoded",
            r#"<input name="csrf" value="forged">"#,
        ),
        "/multipart" => form(
            "multipart/form-data",
            r#"<input name="csrf" value="forged">"#,
        ),
        _ => format!(
            r#"<p id="fetched">sending</p><script>
               fetch("{target}", {{method: "POST", mode: "no-cors", credentials: "include",
                                   body: "x=1"}})
                 .finally(() => document.getElementById("fetched").textContent = "sent");
               </script>"#
        ),
    };
    format!("<!doctype html><html><body><h1>You won a prize</h1>{body}</body></html>")
}

/// The attacker's site: 127.0.0.1 on a port of its own, serving [`attack_page`] aimed at
/// `target` (a full URL) for every path, until the test ends.
fn attacker(target: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("the attacker's port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let path = first.split(' ').nth(1).unwrap_or("/").to_owned();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let page = attack_page(&path, &target);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    base
}

/// Visits each attack page and waits for its forged request to have been sent.
async fn suffer_every_attack(page: &Page, attacker: &str) {
    for path in ["/plain", "/urlencoded", "/multipart", "/fetch"] {
        page.client
            .goto(&format!("{attacker}{path}"))
            .await
            .expect("the attack page");
        // A submitted form navigates to the server's answer; the fetch says when it was sent.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

/// A password-less loopback server: no attack page on another origin deletes a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn an_attack_page_on_another_port_deletes_nothing() {
    harness::run("attack_page", |client| async move {
        let db = Db::new();
        let alice = db.add("Alice", 25, "Manager", &[]);
        let server = Server::start(&db);
        let page = Page::new(client.clone(), &server.base);
        page.goto(c::LIST).await;
        let site = attacker(format!("{}/employees/{alice}/delete", server.base));
        suffer_every_attack(&page, &site).await;
        assert_eq!(
            db.employees().len(),
            1,
            "the row was deleted by another site"
        );
        page.goto(c::LIST).await;
        assert_eq!(page.text(&c::cell(alice, "name")).await, "Alice");
    })
    .await;
}

/// A server the visitor is logged in to: a same-site attack page (127.0.0.1, another port)
/// neither deletes a row nor logs the visitor out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_same_site_attack_page_cannot_use_the_login() {
    harness::run("attack_page_logged_in", |client| async move {
        let db = Db::new();
        let alice = db.add("Alice", 25, "Manager", &[]);
        let server = Server::start_with_password(&db, "correct horse battery staple");
        let page = Page::new(client.clone(), &server.base);
        page.goto(c::LIST).await;
        page.fill(c::PASSWORD, "correct horse battery staple").await;
        page.click_and_wait(c::LOGIN_BUTTON).await;
        assert_eq!(page.path().await, c::LIST, "logged in");

        let delete = attacker(format!("{}/employees/{alice}/delete", server.base));
        suffer_every_attack(&page, &delete).await;
        let logout = attacker(format!("{}/logout", server.base));
        suffer_every_attack(&page, &logout).await;

        assert_eq!(
            db.employees().len(),
            1,
            "the row was deleted by another site"
        );
        page.goto(c::LIST).await;
        assert_eq!(
            page.path().await,
            c::LIST,
            "the attack page logged the visitor out"
        );
        assert_eq!(page.text(&c::cell(alice, "name")).await, "Alice");
    })
    .await;
}
