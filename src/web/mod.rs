//! # The web front end: `staffdb serve`, an admin and a JSON API ([`Admin`])
//!
//! The library's second front end, beside the CLI and at the same layer: it reads HTTP
//! requests, runs the library's [`Session`](crate::Session) operations and writes HTML pages
//! (the admin) or JSON (the API under `/api/`). It builds no query of its own. Diesel's calls
//! block, so every one runs on tokio's blocking pool (`spawn_blocking`), never on the async
//! workers that serve the sockets.
//!
//! The rooms: `api`, `departments` and `transfer` are the JSON API; `admin` is the pages of any
//! model (written against the library's `Model` trait), `records` says how employees and
//! departments are shown there, `employees`, `stats` and `import` are the pages of their own;
//! `html` is the pages' frame and form pieces; `security` the login, CSRF and headers.
//!
//! Each request is logged as one line on stderr (method, path, status, milliseconds). Ctrl-C or
//! SIGTERM stops accepting connections and lets the requests in flight finish.

mod admin;
mod api;
mod departments;
mod employees;
mod errors;
mod html;
mod import;
mod records;
mod security;
mod stats;
mod transfer;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::{Database, Department, Employee};
use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};

pub use admin::AdminModel;
use errors::ApiError;
use html::Menu;
pub use html::{Field, FieldKind, FormValues};
use security::Login;

/// The password that guards a server, read from a file.
#[derive(Debug)]
pub struct Password(Login);

impl Password {
    /// Reads the file: an argon2 hash in PHC form (`$argon2id$v=19$…`), kept as it is, or the
    /// password itself on the first line, hashed at once; the plain password is not kept.
    pub fn from_file(path: &Path) -> anyhow::Result<Password> {
        Login::from_file(path).map(Password)
    }
}

/// `staffdb serve`'s server — the admin pages and the JSON API over one [`Database`] — with the
/// application's own models registered beside staffdb's, the way Django's admin is given an
/// app's models.
///
/// ```no_run
/// use staffdb::Database;
/// use staffdb::web::Admin;
///
/// let db = Database::open("staffdb.db")?;
/// // .model::<Project>() adds /projects, /projects/new, /projects/{id}, /projects/{id}/delete
/// Admin::new(db).serve("127.0.0.1:8080".parse()?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Admin {
    db: Database,
    quiet: bool,
    password: Option<Password>,
    models: Router<Database>,
    menu: Menu,
}

impl Admin {
    /// The admin of `db`: employees (with their list, search and bulk delete), departments,
    /// statistics, import and export, and the JSON API.
    pub fn new(db: Database) -> Admin {
        let menu = Menu(Vec::new());
        let admin = Admin {
            db,
            quiet: false,
            password: None,
            models: employees::routes().merge(admin::model_routes::<Employee>(false)),
            menu,
        };
        admin.menu_entry::<Employee>().model::<Department>()
    }

    /// Also serves the pages of `M` — list, add, edit, delete — and links them from the menu.
    pub fn model<M: AdminModel>(mut self) -> Admin {
        self.models = self.models.merge(admin::model_routes::<M>(true));
        self.menu_entry::<M>()
    }

    fn menu_entry<M: AdminModel>(mut self) -> Admin {
        let label = admin::capitalized(M::PLURAL);
        self.menu.0.push((format!("/{}", M::PLURAL), label));
        self
    }

    /// Asks for `password` before any page or API call (a login page and a session cookie).
    pub fn password(mut self, password: Option<Password>) -> Admin {
        self.password = password;
        self
    }

    /// Logs no request (by default each is one line on stderr: method, path, status, ms).
    pub fn quiet(mut self, quiet: bool) -> Admin {
        self.quiet = quiet;
        self
    }

    /// The whole app: pages, API, login, static files, and the layers every request passes.
    fn into_router(self) -> Router {
        let login = self.password.map(|p| Arc::new(p.0));
        let pages = self
            .models
            .route("/", get(|| async { Redirect::to("/employees") }))
            .merge(stats::routes())
            .merge(import::routes());
        let routes = api::routes()
            .merge(pages)
            .with_state(self.db)
            .merge(security::routes(login.clone()))
            .merge(html::assets())
            .fallback(not_found)
            .layer(Extension(self.menu))
            .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
            .layer(middleware::from_fn(api::refuse_oversized))
            .layer(middleware::from_fn(security::csrf))
            .layer(middleware::from_fn_with_state(
                login,
                security::require_login,
            ))
            .layer(middleware::from_fn(security::headers));
        if self.quiet {
            routes
        } else {
            routes.layer(middleware::from_fn(api::log))
        }
    }

    /// Serves on `bind` until Ctrl-C or SIGTERM, then lets the requests in flight finish. The
    /// first line on stderr says where (`serving http://127.0.0.1:8080/ (Ctrl-C stops)`), which
    /// tells a script the port when `bind` asked for port 0.
    pub fn serve(self, bind: SocketAddr) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the web server's runtime")?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            let local = listener.local_addr().context("the bound address")?;
            // Always printed, quiet or not: a test or a script reads the port from it.
            eprintln!("serving http://{local}/ (Ctrl-C stops)");
            axum::serve(listener, self.into_router())
                .with_graceful_shutdown(shutdown())
                .await
                .context("the web server failed")
        })
    }
}

/// 404: JSON under `/api/`, a page elsewhere.
async fn not_found(uri: Uri, chrome: html::Chrome) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, "no such route").into_response()
    } else {
        let body = maud::html! { p.error { "There is no page at " code { (uri.path()) } "." } };
        html::respond(StatusCode::NOT_FOUND, chrome.page("Not found", body))
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
