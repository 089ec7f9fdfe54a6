//! What makes the admin safe to serve: the login (the password kept only as an argon2 hash,
//! sessions in memory), a CSRF token checked on every form that posts, and the headers every
//! response carries (a Content-Security-Policy that runs no inline script, among others).
//!
//! CSRF: each browser gets a random token in a cookie (`HttpOnly`, `SameSite=Strict`), and each
//! form carries it in a hidden `csrf` field; a page POST whose field differs from the cookie is
//! refused with 403. A multipart form (the import) is checked by its handler, which reads the
//! parts. The JSON API needs no token: it takes only `application/json` bodies, which a page on
//! another site cannot send without the browser asking first (CORS), and this server never says
//! yes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use rand_core::{OsRng, RngCore};

use super::errors::ApiError;
use super::html::{Chrome, FormValues, respond};

/// The browser's CSRF token, as its cookie holds it (a request extension for the pages).
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub(crate) String);

/// Whether the visitor is logged in (a request extension; false when there is no login).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoginState(pub(crate) bool);

const CSRF_COOKIE: &str = "staffdb_csrf";
const SESSION_COOKIE: &str = "staffdb_session";
/// The most a form that posts may hold (an import is multipart, checked elsewhere).
const FORM_LIMIT: usize = 1 << 20;

/// How long a login lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// How many password checks run at once: argon2 is slow on purpose, and a flood of logins must
/// not take every blocking thread from the pages.
const CHECKS_AT_ONCE: usize = 2;

/// The password's argon2 hash and the sessions of those who gave it (each with when it began).
#[derive(Debug)]
pub(crate) struct Login {
    hash: String,
    sessions: Mutex<HashMap<String, Instant>>,
    checks: tokio::sync::Semaphore,
}

impl Login {
    /// Reads the password file: an argon2 hash (`$argon2id$…`, as `argon2` prints it), kept as it
    /// is, or the password itself on its first line, hashed here and then forgotten.
    pub(crate) fn from_file(path: &Path) -> anyhow::Result<Login> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        let line = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r');
        anyhow::ensure!(
            !line.is_empty(),
            "the password file {} is empty: put the password on its first line",
            path.display()
        );
        let hash = if line.starts_with("$argon2") {
            PasswordHash::new(line).map_err(|e| {
                anyhow::anyhow!("the password file holds no valid argon2 hash: {e}")
            })?;
            line.to_owned()
        } else {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(line.as_bytes(), &salt)
                .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
                .to_string()
        };
        Ok(Login {
            hash,
            sessions: Mutex::new(HashMap::new()),
            checks: tokio::sync::Semaphore::new(CHECKS_AT_ONCE),
        })
    }

    fn verify(&self, password: &str) -> bool {
        PasswordHash::new(&self.hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // A panic while holding the lock leaves the map as it was: still usable.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the request carries a session that has not expired.
    fn knows(&self, headers: &HeaderMap) -> bool {
        cookie(headers, SESSION_COOKIE).is_some_and(|token| {
            self.sessions()
                .get(token)
                .is_some_and(|began| began.elapsed() < SESSION_LIFETIME)
        })
    }

    /// A new session's token; expired sessions are forgotten.
    fn begin(&self) -> String {
        let token = token();
        let mut sessions = self.sessions();
        sessions.retain(|_, began| began.elapsed() < SESSION_LIFETIME);
        sessions.insert(token.clone(), Instant::now());
        token
    }
}

/// 32 random bytes from the operating system, in hex.
fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of the cookie `name`, if the request has one.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure behind a TLS proxy.
fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age: Option<u32>) -> String {
    let tls = headers
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if tls {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Equal in time that does not depend on where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

/// Gives every browser a CSRF token, and refuses a page's urlencoded POST whose `csrf` field is
/// not that token.
pub(crate) async fn csrf(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let known = cookie(&parts.headers, CSRF_COOKIE).map(str::to_owned);
    let token = known.clone().unwrap_or_else(token);
    let page_post =
        parts.method == axum::http::Method::POST && !parts.uri.path().starts_with("/api/");
    let urlencoded = parts.headers.get(header::CONTENT_TYPE).is_some_and(|t| {
        t.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let body = if page_post && urlencoded {
        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response();
        };
        let sent = url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "csrf")
            .map(|(_, value)| value.into_owned());
        if known.is_none() || !sent.is_some_and(|sent| same(&sent, &token)) {
            return forbidden();
        }
        Body::from(bytes)
    } else {
        body
    };
    parts.extensions.insert(CsrfToken(token.clone()));
    let headers = parts.headers.clone();
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if known.is_none() {
        let cookie = set_cookie(&headers, CSRF_COOKIE, &token, None);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The answer to a form posted without this browser's token.
pub(crate) fn forbidden() -> Response {
    let message = "this form has expired or came from another site: reload the page and try again";
    (StatusCode::FORBIDDEN, message).into_response()
}

/// Sends a visitor who has not logged in to `/login` (the API answers 401 instead); the login
/// page and the static files are open to all.
pub(crate) async fn require_login(
    State(login): State<Option<Arc<Login>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let open = path == "/login" || path.starts_with("/static/");
    let Some(login) = login else {
        request.extensions_mut().insert(LoginState(false));
        return next.run(request).await;
    };
    if login.knows(request.headers()) {
        request.extensions_mut().insert(LoginState(true));
        return next.run(request).await;
    }
    if open {
        next.run(request).await
    } else if path.starts_with("/api/") {
        ApiError::new(StatusCode::UNAUTHORIZED, "log in first: POST /login").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// The headers every response carries: no inline script may run, no other site may frame a
/// page, and the browser must not guess types.
pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                  form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (name, value) in [
        ("content-security-policy", policy),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /login`, `POST /login` and `POST /logout`.
pub(crate) fn routes(login: Option<Arc<Login>>) -> Router {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
        .with_state(login)
}

async fn login_page(chrome: Chrome) -> Response {
    respond(StatusCode::OK, login_form(&chrome, None))
}

fn login_form(chrome: &Chrome, error: Option<&str>) -> maud::Markup {
    chrome.page(
        "Log in",
        html! {
            form #login method="post" action="/login" {
                (chrome.csrf_field())
                @if let Some(error) = error { p #login-error.error { (error) } }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password"
                        required autofocus;
                }
                button #login type="submit" { "Log in" }
            }
        },
    )
}

async fn log_in(
    State(login): State<Option<Arc<Login>>>,
    chrome: Chrome,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(login) = login else {
        return Redirect::to("/employees").into_response();
    };
    let password = FormValues(form).string("password");
    let checker = login.clone();
    let right = match login.checks.acquire().await {
        Ok(_permit) => tokio::task::spawn_blocking(move || checker.verify(&password))
            .await
            .unwrap_or(false),
        Err(_) => false,
    };
    if !right {
        let page = login_form(&chrome, Some("wrong password"));
        return respond(StatusCode::UNAUTHORIZED, page);
    }
    let session = login.begin();
    let lifetime = u32::try_from(SESSION_LIFETIME.as_secs()).ok();
    let cookie = set_cookie(&headers, SESSION_COOKIE, &session, lifetime);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/employees")).into_response()
}

async fn log_out(State(login): State<Option<Arc<Login>>>, headers: HeaderMap) -> Response {
    if let (Some(login), Some(session)) = (login, cookie(&headers, SESSION_COOKIE)) {
        login.sessions().remove(session);
    }
    let expired = set_cookie(&headers, SESSION_COOKIE, "", Some(0));
    ([(header::SET_COOKIE, expired)], Redirect::to("/login")).into_response()
}
