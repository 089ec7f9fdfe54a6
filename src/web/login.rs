//! The login: the password kept only as an argon2 hash, sessions in memory, and failed guesses
//! slowed per client address and for the account as a whole.
//!
//! argon2's cost is no rate limit: two checks at once still allow some twenty guesses a second.
//! So after [`ADDRESS_FREE_FAILURES`] wrong passwords from one address, that address must wait
//! before its next try, twice as long after each further failure (up to [`LONGEST_WAIT`]); after
//! [`ACCOUNT_FREE_FAILURES`] from anywhere, every address must (an attacker with many addresses
//! slows the account, but cannot keep guessing at speed). A right password clears its address's
//! count and the account's. A try that comes too early is answered 429 with `Retry-After`,
//! without checking the password, and the log says so.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use argon2::Argon2;
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::html;
use rand_core::OsRng;

use super::errors::ApiError;
use super::html::{Chrome, CurrentUser, FormValues, LoginState, respond};
use super::security::{cookie, set_cookie, token};
use crate::{Action, Database};

const SESSION_COOKIE: &str = "staffdb_session";

/// How long a login lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// How many password checks run at once: argon2 is slow on purpose, and a flood of logins must
/// not take every blocking thread from the pages.
const CHECKS_AT_ONCE: usize = 2;
/// Wrong passwords from one address before it must wait between tries.
pub(crate) const ADDRESS_FREE_FAILURES: u32 = 5;
/// Wrong passwords from all addresses together before every try must wait.
pub(crate) const ACCOUNT_FREE_FAILURES: u32 = 20;
/// The longest wait between tries, however many failed.
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; the quietest are forgotten first.
const ADDRESSES_KEPT: usize = 10_000;

/// Who may log in — one password, or the database's users — with the count of failed guesses
/// and the bound on password checks at once.
#[derive(Debug)]
pub(crate) struct Login {
    mode: Mode,
    checks: tokio::sync::Semaphore,
    failures: Mutex<Failures>,
}

/// The two ways a server asks who is there.
#[derive(Debug)]
enum Mode {
    /// One password (`serve --password-file`): its argon2 hash, and the sessions of those who
    /// gave it (each with when it began), in memory.
    Password {
        hash: String,
        sessions: Mutex<HashMap<String, Instant>>,
    },
    /// The database's users (`staffdb users`), their sessions in the database; with when this
    /// server last noted each session's requests (a write at most once a minute per session).
    Users {
        db: Box<Database>,
        noted: Mutex<HashMap<String, Instant>>,
    },
}

/// How often a session's requests are written down, at most.
const NOTE_EVERY: Duration = Duration::from_secs(60);

impl Login {
    /// Reads the password file: an argon2 hash (`$argon2id$…`, as `argon2` prints it), kept as it
    /// is, or the password itself on its first line, hashed here and then forgotten. A hash that
    /// argon2 cannot check a password against is refused here, not at the first login.
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
            check_hash(line).map_err(|e| {
                anyhow::anyhow!(
                    "the password file {} holds no usable argon2 hash ({e}): put the password \
                     itself on its first line, or a hash as `argon2` prints it",
                    path.display()
                )
            })?;
            line.to_owned()
        } else {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(line.as_bytes(), &salt)
                .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
                .to_string()
        };
        Ok(Login::new(Mode::Password {
            hash,
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    /// The login of `db`'s users: a name and a password, each user's role deciding what they
    /// may do.
    pub(crate) fn users(db: Database) -> Login {
        Login::new(Mode::Users {
            db: Box::new(db),
            noted: Mutex::new(HashMap::new()),
        })
    }

    fn new(mode: Mode) -> Login {
        Login {
            mode,
            checks: tokio::sync::Semaphore::new(CHECKS_AT_ONCE),
            failures: Mutex::new(Failures::default()),
        }
    }

    fn has_users(&self) -> bool {
        matches!(self.mode, Mode::Users { .. })
    }

    fn failures(&self) -> MutexGuard<'_, Failures> {
        locked(&self.failures)
    }

    /// Who the request says it is from: with users, the user of an API token
    /// (`Authorization: Bearer SECRET`, on `/api/` routes) or of a live session cookie; with
    /// one password, a live session. `Some` of no user with one password, of the user with
    /// users; `None` when it is no one (a token that is not one is no one, whatever cookie
    /// comes with it).
    async fn knows(&self, headers: &HeaderMap, api: bool) -> Option<Option<Arc<CurrentUser>>> {
        if let (Mode::Users { db, .. }, true) = (&self.mode, api)
            && let Some(secret) = bearer(headers)
        {
            let (reader, secret) = (db.clone(), secret.to_owned());
            let found = tokio::task::spawn_blocking(move || token_user(&reader, &secret));
            return Some(Some(found.await.ok()??));
        }
        let token = cookie(headers, SESSION_COOKIE)?.to_owned();
        match &self.mode {
            Mode::Password { sessions, .. } => locked(sessions)
                .get(&token)
                .is_some_and(|began| began.elapsed() < SESSION_LIFETIME)
                .then_some(None),
            Mode::Users { db, noted } => {
                let reader = db.clone();
                let found = tokio::task::spawn_blocking(move || current_user(&reader, &token))
                    .await
                    .ok()??;
                let due = {
                    let mut noted = locked(noted);
                    let due = noted
                        .get(&found.1)
                        .is_none_or(|at| at.elapsed() >= NOTE_EVERY);
                    if due {
                        if noted.len() >= ADDRESSES_KEPT {
                            noted.retain(|_, at| at.elapsed() < NOTE_EVERY);
                        }
                        noted.insert(found.1.clone(), Instant::now());
                    }
                    due
                };
                if due {
                    let (db, token) = (db.clone(), found.1.clone());
                    // Best effort: a failed note only shortens the session's idle time.
                    let _ = tokio::task::spawn_blocking(move || {
                        db.transaction(|s| crate::User::note_session(s, &token))
                    })
                    .await;
                }
                Some(Some(found.0))
            }
        }
    }
}

/// The user of the live session `token`, with what their role grants; `None` for no such
/// session or a database that cannot say (the visitor is sent to log in).
fn current_user(db: &Database, token: &str) -> Option<(Arc<CurrentUser>, String)> {
    let mut session = db.read_session().ok()?;
    let user = crate::User::by_session(&mut session, token).ok()??;
    let may = crate::User::permissions(&mut session, &user).ok()?;
    Some((Arc::new(CurrentUser { user, may }), token.to_owned()))
}

/// The user an API token's secret acts as, with what their role grants.
fn token_user(db: &Database, secret: &str) -> Option<Arc<CurrentUser>> {
    let mut session = db.read_session().ok()?;
    let user = crate::User::by_token(&mut session, secret).ok()??;
    let may = crate::User::permissions(&mut session, &user).ok()?;
    Some(Arc::new(CurrentUser { user, may }))
}

/// The secret of an `Authorization: Bearer SECRET` header, if the request has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(secret.trim())
}

/// A lock's guard, also after a panic while it was held (the data is still usable).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A hash argon2 can check against: well-formed, with parameters it accepts. A wrong password
/// is the only failure a usable hash gives.
fn check_hash(line: &str) -> Result<(), password_hash::Error> {
    let hash = PasswordHash::new(line)?;
    if hash.hash.is_none() || hash.salt.is_none() {
        return Err(password_hash::Error::PhcStringField);
    }
    match Argon2::default().verify_password(b"staffdb: is this hash usable?", &hash) {
        Ok(()) | Err(password_hash::Error::Password) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Failed guesses: by address, and by account (the one password's, or each user name's).
#[derive(Debug, Default)]
struct Failures {
    by_address: HashMap<IpAddr, Streak>,
    by_account: HashMap<String, Streak>,
}

/// Failures in a row, and when the last one was.
#[derive(Debug, Clone, Copy, Default)]
struct Streak {
    count: u32,
    last: Option<Instant>,
}

impl Streak {
    /// How long is left to wait before the next try, after `free` failures that cost nothing.
    fn wait(&self, free: u32) -> Option<Duration> {
        let over = self.count.checked_sub(free)?;
        let wait = Duration::from_secs(1u64 << over.min(10)).min(LONGEST_WAIT);
        let since = self.last?.elapsed();
        (since < wait).then(|| wait - since)
    }

    fn fail(&mut self) {
        self.count = self.count.saturating_add(1);
        self.last = Some(Instant::now());
    }
}

/// `key`'s streak in `map`, which keeps at most [`ADDRESSES_KEPT`] keys: the one whose last
/// failure is oldest is forgotten to make room.
fn streak_of<'m, K: std::hash::Hash + Eq + Clone>(
    map: &'m mut HashMap<K, Streak>,
    key: &K,
) -> &'m mut Streak {
    if map.len() >= ADDRESSES_KEPT && !map.contains_key(key) {
        let oldest = map
            .iter()
            .min_by_key(|(_, streak)| streak.last)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest {
            map.remove(&oldest);
        }
    }
    map.entry(key.clone()).or_default()
}

impl Failures {
    /// How long `address` must still wait before it may try a password for `account`.
    fn wait(&self, address: Option<IpAddr>, account: &str) -> Option<Duration> {
        let by_address = address
            .and_then(|a| self.by_address.get(&a))
            .and_then(|streak| streak.wait(ADDRESS_FREE_FAILURES));
        let by_account = self
            .by_account
            .get(account)
            .and_then(|streak| streak.wait(ACCOUNT_FREE_FAILURES));
        by_address.max(by_account)
    }

    /// Counts a wrong password from `address` for `account`; returns its count there and the
    /// account's.
    fn fail(&mut self, address: Option<IpAddr>, account: &str) -> (u32, u32) {
        let on_account = streak_of(&mut self.by_account, &account.to_owned());
        on_account.fail();
        let all = on_account.count;
        let Some(address) = address else {
            return (0, all);
        };
        let streak = streak_of(&mut self.by_address, &address);
        streak.fail();
        (streak.count, all)
    }

    /// A counted try turned out wrong: its wait runs from now, when its answer is given.
    fn confirm(&mut self, address: Option<IpAddr>, account: &str) {
        let now = Some(Instant::now());
        if let Some(streak) = self.by_account.get_mut(account) {
            streak.last = now;
        }
        if let Some(streak) = address.and_then(|a| self.by_address.get_mut(&a)) {
            streak.last = now;
        }
    }

    fn succeed(&mut self, address: Option<IpAddr>, account: &str) {
        if let Some(address) = address {
            self.by_address.remove(&address);
        }
        self.by_account.remove(account);
    }
}

/// Sends a visitor who has not logged in to `/login` (the API answers 401 instead); the login
/// page and the static files are open to all. With users, a route their role does not grant is
/// refused with 403, whatever the page showed ([`authorize`]).
pub(crate) async fn require_login(
    State(login): State<Option<Arc<Login>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let open = path == "/login" || path.starts_with("/static/");
    let Some(login) = login else {
        request.extensions_mut().insert(LoginState::default());
        return next.run(request).await;
    };
    let api = path.starts_with("/api/");
    let refused = match login.knows(request.headers(), api).await {
        Some(user) => match user.as_deref().and_then(|u| authorize(u, &request)) {
            Some(refused) => refused,
            None => {
                if let Some(current) = &user {
                    let acting = super::acting::Acting(current.user.name.clone());
                    request.extensions_mut().insert(acting);
                }
                let state = LoginState {
                    logged_in: true,
                    user,
                };
                request.extensions_mut().insert(state);
                return next.run(request).await;
            }
        },
        None if open => return next.run(request).await,
        None if api => {
            ApiError::new(StatusCode::UNAUTHORIZED, "log in first: POST /login").into_response()
        }
        None => Redirect::to("/login").into_response(),
    };
    // Read (and drop) what the client is still sending: the connection stays usable for its
    // next request (hyper closes one whose body was left unread, which a client that pools
    // connections finds out only when its next request fails). Up to a form's limit: a larger
    // body, which a refused client has no business sending, costs it the connection instead.
    let _ = axum::body::to_bytes(request.into_body(), super::api::BODY_LIMIT).await;
    refused
}

/// A 403 when `current`'s role does not grant what the request needs ([`required`]), logged
/// with the user and the address; `None` when it does.
fn authorize(current: &CurrentUser, request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let (model, actions) = required(request.method(), path)?;
    let missing = actions
        .iter()
        .find(|action| !current.may.allows(&model, **action))?;
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "an unknown address".to_owned(), |c| c.0.ip().to_string());
    let (name, role) = (&current.user.name, &current.user.role);
    eprintln!(
        "permission: refused {name} ({role}) {} {path} from {address}: no {missing} on {model}",
        request.method()
    );
    let reason = format!("your role ({role}) may not {missing} {model}");
    Some(super::security::refuse(
        request,
        StatusCode::FORBIDDEN,
        &reason,
    ))
}

/// What a request needs: the model it is about (by its plural) and the actions on it, from its
/// method and path alone — so that every route, the generic ones and staffdb's own, is
/// covered without a list to keep: a read needs `view`; `/new` and a `POST` to a collection
/// `add`; a delete (`DELETE`, `…/delete`, `…/bulk-delete…`) `delete`; an import `add` and
/// `change` (it may update); any other write `change`. The statistics, export and import of
/// employees are theirs. `None` for what any logged-in user may reach (the login, the static
/// files, `/`, the OpenAPI document).
pub(crate) fn required(method: &Method, path: &str) -> Option<(String, Vec<Action>)> {
    let open = ["/", "/login", "/logout", "/api/openapi.json"];
    if open.contains(&path) || path.starts_with("/static/") {
        return None;
    }
    let rest = path.strip_prefix("/api").unwrap_or(path);
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let reads = method == Method::GET || method == Method::HEAD;
    let (model, tail) = match segments.as_slice() {
        ["stats"] | ["export"] => ("employees", &["export"][..]),
        ["import"] => ("employees", &["import"][..]),
        [model, tail @ ..] => (*model, tail),
        [] => return None,
    };
    let actions = match tail {
        // `GET /import` is the page that also offers the export.
        _ if tail.last() == Some(&"import") && !reads => vec![Action::Add, Action::Change],
        ["new"] => vec![Action::Add],
        _ if tail.last() == Some(&"delete") || tail.first() == Some(&"bulk-delete") => {
            vec![Action::Delete]
        }
        _ if method == Method::DELETE => vec![Action::Delete],
        _ if reads => vec![Action::View],
        [] => vec![Action::Add],
        _ => vec![Action::Change],
    };
    Some((model.to_owned(), actions))
}

/// `GET /login`, `POST /login` and `POST /logout`.
pub(crate) fn routes(login: Option<Arc<Login>>) -> Router {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
        .with_state(login)
}

async fn login_page(State(login): State<Option<Arc<Login>>>, chrome: Chrome) -> Response {
    let users = login.is_some_and(|l| l.has_users());
    respond(StatusCode::OK, login_form(&chrome, users, None))
}

fn login_form(chrome: &Chrome, users: bool, error: Option<&str>) -> maud::Markup {
    chrome.page(
        "Log in",
        html! {
            form #login method="post" action="/login" {
                (chrome.csrf_field())
                @if let Some(error) = error { p #login-error.error { (error) } }
                @if users {
                    div.field {
                        label for="name" { "User name" }
                        input #name type="text" name="name" autocomplete="username" required
                            autofocus maxlength="150";
                    }
                }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password"
                        required autofocus[!users];
                }
                button #login type="submit" { "Log in" }
            }
        },
    )
}

async fn log_in(
    State(login): State<Option<Arc<Login>>>,
    chrome: Chrome,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(login) = login else {
        return Redirect::to("/employees").into_response();
    };
    let users = login.has_users();
    let address = peer.map(|Extension(ConnectInfo(peer))| peer.ip());
    let shown = address.map_or_else(|| "an unknown address".to_owned(), |a| a.to_string());
    let form = FormValues(form);
    let (name, who) = account(&form, users);
    let (here, all) = match counted_try(&login, address, &name) {
        Ok(counts) => counts,
        Err(wait) => {
            let seconds = wait.as_secs() + 1;
            eprintln!("login: refused a try{who} from {shown} unchecked: {seconds} s to wait");
            let message = format!("too many wrong passwords: try again in {seconds} s");
            return too_many(login_form(&chrome, users, Some(&message)), seconds);
        }
    };
    let token = match login.checked(&name, form.string("password")).await {
        Check::Right(token) => token,
        Check::Failed(reason) => {
            eprintln!("login: could not check a try{who} from {shown}: {reason}");
            let page = login_form(
                &chrome,
                users,
                Some("the login could not be checked: try again"),
            );
            return respond(StatusCode::SERVICE_UNAVAILABLE, page);
        }
        Check::Wrong => {
            login.failures().confirm(address, &name);
            eprintln!(
                "login: wrong password{who} from {shown} ({here} in a row from there, {all} in all)"
            );
            let wrong = ["wrong password", "wrong user name or password"][usize::from(users)];
            let page = login_form(&chrome, users, Some(wrong));
            return respond(StatusCode::UNAUTHORIZED, page);
        }
    };
    login.failures().succeed(address, &name);
    eprintln!("login: logged in{who} from {shown}");
    let lifetime = u32::try_from(SESSION_LIFETIME.as_secs()).ok();
    let cookie = set_cookie(&headers, SESSION_COOKIE, &token, lifetime);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/employees")).into_response()
}

/// The account a try is for, and how the log names it: nothing with one password; the user
/// name (`for "ann"`) with users. No name is longer than [`crate::MAX_USER_NAME_CHARS`]: one that
/// is (and is refused) is kept one longer in the failures' memory and the log, whatever a
/// client sends.
fn account(form: &FormValues, users: bool) -> (String, String) {
    if !users {
        return (String::new(), String::new());
    }
    let name: String = form
        .string("name")
        .trim()
        .chars()
        .take(crate::MAX_USER_NAME_CHARS + 1)
        .collect::<String>()
        .to_lowercase();
    let who = format!(" for {name:?}");
    (name, who)
}

/// Counts a try as a failure before it is checked (cleared if it was right: guesses sent all at
/// once are each counted, where a count after each check let a burst through the limit); its
/// counts from the address and for the account, or how long it must wait first.
fn counted_try(login: &Login, address: Option<IpAddr>, name: &str) -> Result<(u32, u32), Duration> {
    let mut failures = login.failures();
    match failures.wait(address, name) {
        Some(wait) => Err(wait),
        None => Ok(failures.fail(address, name)),
    }
}

/// 429 with `page` and `Retry-After: seconds`.
fn too_many(page: maud::Markup, seconds: u64) -> Response {
    let mut response = respond(StatusCode::TOO_MANY_REQUESTS, page);
    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// How a password check ended: a new session's token, a wrong name or password, or a database
/// that could not say.
enum Check {
    Right(String),
    Wrong,
    Failed(String),
}

impl Login {
    /// [`Login::check`] off the async threads, at most [`CHECKS_AT_ONCE`] at a time.
    async fn checked(self: &Arc<Self>, name: &str, password: String) -> Check {
        let (checker, name) = (self.clone(), name.to_owned());
        match self.checks.acquire().await {
            Ok(_permit) => tokio::task::spawn_blocking(move || checker.check(&name, &password))
                .await
                .unwrap_or(Check::Wrong),
            Err(_) => Check::Wrong,
        }
    }

    /// Checks `password` (for the user `name`, with users) and begins a session if it is right.
    fn check(&self, name: &str, password: &str) -> Check {
        match &self.mode {
            Mode::Password { hash, sessions } => {
                let right = PasswordHash::new(hash).is_ok_and(|hash| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &hash)
                        .is_ok()
                });
                if !right {
                    return Check::Wrong;
                }
                let token = token();
                let mut sessions = locked(sessions);
                sessions.retain(|_, began| began.elapsed() < SESSION_LIFETIME);
                sessions.insert(token.clone(), Instant::now());
                Check::Right(token)
            }
            Mode::Users { db, .. } => {
                let begun =
                    db.transaction(|s| match crate::User::authenticate(s, name, password)? {
                        Some(user) => crate::User::begin_session(s, &user).map(Some),
                        None => Ok(None),
                    });
                match begun {
                    Ok(Some(token)) => Check::Right(token),
                    Ok(None) => Check::Wrong,
                    Err(error) => Check::Failed(error.to_string()),
                }
            }
        }
    }
}

async fn log_out(
    State(login): State<Option<Arc<Login>>>,
    chrome: Chrome,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    if let (Some(login), Some(session)) = (login, cookie(&headers, SESSION_COOKIE)) {
        match &login.mode {
            Mode::Password { sessions, .. } => {
                locked(sessions).remove(session);
            }
            Mode::Users { db, .. } => {
                let (db, token) = (db.clone(), session.to_owned());
                let ended = tokio::task::spawn_blocking(move || {
                    db.transaction(|s| crate::User::end_session(s, &token))
                })
                .await;
                if !matches!(ended, Ok(Ok(()))) {
                    let page = chrome.page(
                        "Log out",
                        html! { p.error { "The session could not be ended: try again." } },
                    );
                    return respond(StatusCode::SERVICE_UNAVAILABLE, page);
                }
                if let Some(name) = chrome.user_name() {
                    let address = peer.map_or_else(
                        || "an unknown address".to_owned(),
                        |Extension(ConnectInfo(peer))| peer.ip().to_string(),
                    );
                    eprintln!("logout: {name:?} from {address}");
                }
            }
        }
    }
    let expired = set_cookie(&headers, SESSION_COOKIE, "", Some(0));
    ([(header::SET_COOKIE, expired)], Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five wrong passwords from an address cost nothing; the sixth try must wait, longer after
    /// each failure; another address is not slowed until the account's own count is reached.
    #[test]
    fn failures_slow_their_address_then_the_account() {
        let mut failures = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for _ in 0..ADDRESS_FREE_FAILURES {
            assert_eq!(failures.wait(Some(a), ""), None);
            failures.fail(Some(a), "");
        }
        let first = failures
            .wait(Some(a), "")
            .expect("a wait after six failures");
        failures.fail(Some(a), "");
        let second = failures
            .wait(Some(a), "")
            .expect("a longer wait after seven");
        assert!(second > first, "{second:?} after {first:?}");
        assert_eq!(
            failures.wait(Some(b), ""),
            None,
            "another address is not slowed yet"
        );
        for _ in 0..ACCOUNT_FREE_FAILURES {
            failures.fail(Some(b), "");
        }
        assert!(failures.wait(Some([10, 0, 0, 3].into()), "").is_some());
        failures.succeed(Some(a), "");
        assert_eq!(
            failures.wait(Some(a), ""),
            None,
            "a right password clears the count"
        );
    }

    /// What a route needs, read from its method and path, for staffdb's routes and a registered
    /// model's alike.
    #[test]
    fn a_route_needs_what_its_method_and_path_say() {
        use Action::{Add, Change, Delete, View};
        type Case<'a> = (&'a str, &'a str, Option<(&'a str, &'a [Action])>);
        let cases: &[Case<'_>] = &[
            ("GET", "/projects", Some(("projects", &[View]))),
            ("GET", "/projects/new", Some(("projects", &[Add]))),
            ("POST", "/projects/new", Some(("projects", &[Add]))),
            ("GET", "/projects/3", Some(("projects", &[View]))),
            ("POST", "/projects/3", Some(("projects", &[Change]))),
            ("GET", "/projects/3/delete", Some(("projects", &[Delete]))),
            (
                "POST",
                "/projects/bulk-delete",
                Some(("projects", &[Delete])),
            ),
            (
                "POST",
                "/projects/bulk-delete/confirm",
                Some(("projects", &[Delete])),
            ),
            ("GET", "/api/projects", Some(("projects", &[View]))),
            ("POST", "/api/projects", Some(("projects", &[Add]))),
            ("PATCH", "/api/projects/3", Some(("projects", &[Change]))),
            ("DELETE", "/api/projects/3", Some(("projects", &[Delete]))),
            ("GET", "/api/projects/export", Some(("projects", &[View]))),
            (
                "POST",
                "/api/projects/import",
                Some(("projects", &[Add, Change])),
            ),
            ("GET", "/stats", Some(("employees", &[View]))),
            ("GET", "/import", Some(("employees", &[View]))),
            ("POST", "/import", Some(("employees", &[Add, Change]))),
            ("POST", "/api/import", Some(("employees", &[Add, Change]))),
            ("GET", "/api/export", Some(("employees", &[View]))),
            ("PUT", "/api/projects/3", Some(("projects", &[Change]))),
            ("GET", "/", None),
            ("POST", "/login", None),
            ("POST", "/logout", None),
            ("GET", "/static/admin.css", None),
            ("GET", "/api/openapi.json", None),
        ];
        for (method, path, wanted) in cases {
            let method = Method::from_bytes(method.as_bytes()).expect("a method");
            let got = required(&method, path);
            let wanted = wanted.map(|(m, a)| (m.to_owned(), a.to_vec()));
            assert_eq!(got, wanted, "{method} {path}");
        }
    }

    /// A hash in PHC form whose parameters argon2 refuses, or that has no hash part, is refused
    /// when the server starts; a real one is taken.
    #[test]
    fn a_malformed_argon2_hash_is_refused() {
        assert!(check_hash("$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaA").is_err());
        assert!(check_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ").is_err());
        assert!(check_hash("$argon2id$garbage").is_err());
        let salt = SaltString::generate(&mut OsRng);
        let real = Argon2::default()
            .hash_password(b"pw", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default();
        assert!(check_hash(&real).is_ok(), "{real}");
    }
}
