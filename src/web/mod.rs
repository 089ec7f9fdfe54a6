//! # The web front end: `staffdb serve`, an admin and a JSON API ([`Admin`])
//!
//! The library's second front end, beside the CLI and at the same layer: it reads HTTP
//! requests, runs the library's [`Session`](crate::Session) operations and writes HTML pages
//! (the admin) or JSON (the API under `/api/`). It builds no query of its own. Diesel's calls
//! block, so every one runs on tokio's blocking pool (`spawn_blocking`), never on the async
//! workers that serve the sockets.
//!
//! The rooms: `api`, `departments` and `transfer` are the JSON API of staffdb's own tables,
//! `model_api` the JSON API of any registered model (written against the library's `Describe`
//! trait), `openapi` and `openapi_models` the OpenAPI document of them all, built at startup;
//! `admin` is the pages of any model (written against the library's `Model` trait), `changelist`
//! any model's list (search, filters, sort, keyset pages, count), `bulk` the bulk delete from
//! it, `records` says how employees and departments are shown there, `stats` and `import` are
//! the pages of their own; `html` is the pages' frame and form pieces; `security` the login, CSRF and
//! headers.
//!
//! `security` is what every route passes (Host, origin, CSRF, headers), `login` the password
//! and its sessions, `server` the listener with its limits ([`Limits`]).
//!
//! Each request is logged as one line on stderr (method, path, status, milliseconds). Ctrl-C or
//! SIGTERM stops accepting connections and lets the requests in flight finish, for at most
//! [`Limits::shutdown_timeout`].

mod acting;
mod admin;
mod api;
mod api_stats;
mod bulk;
mod changelist;
mod counts;
mod errors;
mod handlers;
mod history;
mod html;
mod import;
mod login;
mod model_api;
mod openapi;
mod openapi_history;
mod openapi_models;
mod records;
mod security;
mod server;
mod stats;
mod transfer;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::{Database, Department, Employee};
use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};

pub use admin::{AdminModel, ApiParameter, ApiValues};
use counts::Counts;
use errors::ApiError;
use html::Menu;
pub use html::{Field, FieldKind, FormValues};
use login::Login;
use model_api::ApiModel;
pub use server::Limits;
use transfer::Exports;

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
/// // .model::<Project>() adds /projects, /projects/new, /projects/{id}, /projects/{id}/delete,
/// // /projects/bulk-delete (and …/confirm), and /api/projects, /api/projects/{id} with their
/// // place in /api/openapi.json
/// Admin::new(db).serve("127.0.0.1:8080".parse()?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Admin {
    db: Database,
    quiet: bool,
    password: Option<Password>,
    users: bool,
    models: Router<Database>,
    /// The models whose JSON API `model_api` serves, for the OpenAPI document.
    api_models: Vec<Arc<ApiModel>>,
    menu: Menu,
    allowed_hosts: Vec<String>,
    limits: Limits,
    read_only: bool,
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
            users: false,
            models: Router::new(),
            api_models: Vec::new(),
            menu,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
            read_only: false,
        };
        // Employees and departments are served as any model is, with what their clients rely
        // on declared on their `AdminModel` (`records.rs`); the employees' page links their
        // own export (`/export`), whose format is theirs.
        admin
            .api::<Employee>(false)
            .pages::<Employee>(Some("/export".to_owned()))
            .api::<Department>(false)
            .pages::<Department>(None)
    }

    /// Also serves the pages of `M` — list, add, edit, delete — and links them from the menu;
    /// and its JSON API, `/api/{plural}` and `/api/{plural}/{id}` (list, add, read, change,
    /// delete), which the OpenAPI document at `/api/openapi.json` describes.
    pub fn model<M: AdminModel>(self) -> Admin {
        let export = format!("/api/{}/export", M::PLURAL);
        self.api::<M>(true).pages::<M>(Some(export))
    }

    /// The JSON API of `M` (`model_api`), and its paths in the OpenAPI document; with
    /// `transfer`, its export and import (staffdb's employees have their own, and its
    /// departments none).
    fn api<M: AdminModel>(mut self, transfer: bool) -> Admin {
        let api = Arc::new(ApiModel {
            transfer,
            ..ApiModel::of::<M>()
        });
        self.models = self.models.merge(model_api::routes::<M>(api.clone()));
        self.api_models.push(api);
        self
    }

    /// The pages of `M` (its list with its bulk delete among them, linking its export at
    /// `export`) and its menu entry, without a JSON API.
    fn pages<M: AdminModel>(mut self, export: Option<String>) -> Admin {
        self.models = self
            .models
            .merge(changelist::routes::<M>(export))
            .merge(admin::model_routes::<M>())
            .merge(bulk::routes::<M>())
            .merge(history::routes::<M>());
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

    /// Asks for a user name and a password (`staffdb users`, [`crate::User`]) before any page
    /// or API call, and lets each user do what their role grants: a route it does not grant is
    /// refused with 403, and pages show no link or button to it. Sessions are kept in the
    /// database (a restart keeps people logged in; disabling a user ends theirs at once). It
    /// takes the place of [`Admin::password`].
    pub fn users(mut self, users: bool) -> Admin {
        self.users = users;
        self
    }

    /// Logs no request (by default each is one line on stderr: method, path, status, ms).
    pub fn quiet(mut self, quiet: bool) -> Admin {
        self.quiet = quiet;
        self
    }

    /// Also answers requests whose Host is one of `names` (besides the addresses it listens on
    /// and `localhost`); `.example.com` admits every name under `example.com`. Any other Host is
    /// answered 421: a page that reaches a loopback server by DNS rebinding is turned away.
    pub fn allowed_hosts(mut self, names: Vec<String>) -> Admin {
        self.allowed_hosts = names;
        self
    }

    /// How many connections, for how long, and how many exports at once ([`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Admin {
        self.limits = limits;
        self
    }

    /// Serves reads only: every request that would change something is refused with 403
    /// (logging in and out excepted).
    pub fn read_only(mut self, read_only: bool) -> Admin {
        self.read_only = read_only;
        self
    }

    /// The admin and the API as an axum [`Router`], for an application that serves its own
    /// routes beside them, behind its own middleware:
    ///
    /// ```no_run
    /// use axum::{Router, routing::get};
    /// use staffdb::{Database, web::Admin};
    ///
    /// # async fn app() -> anyhow::Result<()> {
    /// let db = Database::open("staffdb.db")?;
    /// let app = Router::new()
    ///     .route("/health", get(|| async { "ok" }))
    ///     .merge(Admin::new(db).allowed_hosts(vec!["admin.example.com".into()]).router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// axum::serve(listener, app).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Every request to it passes the same checks as under [`Admin::serve`]: its Host must be
    /// `localhost`, a loopback address or one of [`Admin::allowed_hosts`] (the router cannot know
    /// the addresses the application listens on, so name them there), and a state-changing one
    /// must prove its origin. Its pages link to absolute paths (`/employees`, `/api/…`): merge
    /// it at the root rather than nesting it under a prefix. The connection limits of
    /// [`Limits`] are the application's server's; the body and export limits apply.
    pub fn router(self) -> Router {
        let loopback = [
            IpAddr::from(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ];
        self.into_router(&loopback, None)
    }

    /// The whole app for a server listening on `bound` (on `port`, when known): pages, API,
    /// login, static files, and the layers every request passes.
    fn into_router(self, bound: &[IpAddr], port: Option<u16>) -> Router {
        let hosts = security::Hosts::new(bound, port, &self.allowed_hosts);
        let exports = Exports::new(&self.limits);
        let counts = Counts::default();
        let login = if self.users {
            Some(Arc::new(Login::users(self.db.clone())))
        } else {
            self.password.map(|p| Arc::new(p.0))
        };
        let pages = self
            .models
            .route("/", get(|| async { Redirect::to("/employees") }))
            .merge(stats::routes())
            .merge(import::routes());
        let document = openapi::document(&self.api_models);
        let routes = api::routes()
            .merge(openapi::routes(&document))
            .merge(pages)
            .with_state(self.db)
            .merge(login::routes(login.clone()))
            .merge(html::assets())
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(Extension(self.menu))
            .layer(Extension(exports))
            .layer(Extension(counts.clone()))
            .layer(middleware::from_fn_with_state(
                counts,
                counts::forget_after_writes,
            ))
            .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
            .layer(middleware::from_fn_with_state(
                self.read_only,
                refuse_writes,
            ))
            .layer(middleware::from_fn(security::csrf))
            .layer(middleware::from_fn(security::api_body_type))
            .layer(middleware::from_fn_with_state(login, login::require_login))
            .layer(middleware::from_fn(security::check_origin))
            // Bounded before anything reads a body (the CSRF check reads a form's).
            .layer(middleware::from_fn(api::refuse_oversized))
            .layer(middleware::from_fn_with_state(
                self.limits.body_timeout,
                server::bound_body,
            ))
            .layer(middleware::from_fn_with_state(hosts, security::check_host))
            .layer(middleware::from_fn(security::headers));
        if self.quiet {
            routes
        } else {
            routes.layer(middleware::from_fn(api::log))
        }
    }

    /// Serves on `bind` until Ctrl-C or SIGTERM, then lets the requests in flight finish (for
    /// at most [`Limits::shutdown_timeout`]). The first line on stderr says where (`serving
    /// http://127.0.0.1:8080/ (Ctrl-C stops)`), which tells a script the port when `bind` asked
    /// for port 0.
    pub fn serve(self, bind: SocketAddr) -> anyhow::Result<()> {
        let listener = std::net::TcpListener::bind(bind)
            .with_context(|| format!("cannot listen on {bind}"))?;
        self.serve_on(listener)
    }

    /// Serves on a listener already bound (so that a caller can bind before it opens or
    /// migrates anything: a port in use then changes nothing), as [`Admin::serve`] does.
    pub fn serve_on(self, listener: std::net::TcpListener) -> anyhow::Result<()> {
        let local = listener.local_addr().context("the bound address")?;
        listener
            .set_nonblocking(true)
            .context("cannot make the listener non-blocking")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the web server's runtime")?;
        let shutdown_timeout = self.limits.shutdown_timeout;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)
                .context("cannot listen on the bound address")?;
            let limits = self.limits.clone();
            let app = self.into_router(&[local.ip()], Some(local.port()));
            // Ctrl-C and SIGTERM are handled from before the line that says the server is up.
            let stop = server::shutdown_signal();
            // Always printed, quiet or not: a test or a script reads the port from it.
            eprintln!("serving http://{local}/ (Ctrl-C stops)");
            server::run(listener, app, &limits, stop).await;
            anyhow::Ok(())
        })?;
        // Database work still running on the blocking pool gets the rest of the deadline.
        runtime.shutdown_timeout(shutdown_timeout.min(Duration::from_secs(5)));
        Ok(())
    }
}

/// In a read-only server, refuses (403) every request that would change something but logging
/// in and out.
async fn refuse_writes(State(read_only): State<bool>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if read_only && writes && path != "/login" && path != "/logout" {
        let message = "this server is read-only (serve --read-only): nothing can be changed here";
        return if path.starts_with("/api/") {
            ApiError::new(StatusCode::FORBIDDEN, message).into_response()
        } else {
            (StatusCode::FORBIDDEN, message).into_response()
        };
    }
    next.run(request).await
}

/// A route's 405 (JSON under `/api/`; axum adds the `Allow` header), after reading (and
/// dropping) what the client is still sending, up to a form's limit: hyper would otherwise close
/// the connection, and a client that pools connections finds out only when its next request on
/// it fails.
async fn method_not_allowed(request: axum::extract::Request) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let _ = axum::body::to_bytes(request.into_body(), api::BODY_LIMIT).await;
    if api {
        // Every error of the API is JSON, as its document says.
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this route",
        )
        .into_response()
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
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
