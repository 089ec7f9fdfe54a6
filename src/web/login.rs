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
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::html;
use rand_core::OsRng;

use super::errors::ApiError;
use super::html::{Chrome, FormValues, LoginState, respond};
use super::security::{cookie, set_cookie, token};

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

/// The password's argon2 hash, the sessions of those who gave it (each with when it began), and
/// the count of failed guesses.
#[derive(Debug)]
pub(crate) struct Login {
    hash: String,
    sessions: Mutex<HashMap<String, Instant>>,
    checks: tokio::sync::Semaphore,
    failures: Mutex<Failures>,
}

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
        Ok(Login {
            hash,
            sessions: Mutex::new(HashMap::new()),
            checks: tokio::sync::Semaphore::new(CHECKS_AT_ONCE),
            failures: Mutex::new(Failures::default()),
        })
    }

    fn verify(&self, password: &str) -> bool {
        PasswordHash::new(&self.hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        // A panic while holding the lock leaves the map as it was: still usable.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn failures(&self) -> MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
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

/// Failed guesses: by address, and for the account.
#[derive(Debug, Default)]
struct Failures {
    by_address: HashMap<IpAddr, Streak>,
    account: Streak,
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

impl Failures {
    /// How long `address` must still wait before it may try a password.
    fn wait(&self, address: Option<IpAddr>) -> Option<Duration> {
        let by_address = address
            .and_then(|a| self.by_address.get(&a))
            .and_then(|streak| streak.wait(ADDRESS_FREE_FAILURES));
        let account = self.account.wait(ACCOUNT_FREE_FAILURES);
        by_address.max(account)
    }

    /// Counts a wrong password from `address`; returns its count there and the account's.
    fn fail(&mut self, address: Option<IpAddr>) -> (u32, u32) {
        self.account.fail();
        let Some(address) = address else {
            return (0, self.account.count);
        };
        if self.by_address.len() >= ADDRESSES_KEPT && !self.by_address.contains_key(&address) {
            // Forget the address whose last failure is oldest, so the map stays bounded.
            if let Some(oldest) = self
                .by_address
                .iter()
                .min_by_key(|(_, streak)| streak.last)
                .map(|(address, _)| *address)
            {
                self.by_address.remove(&oldest);
            }
        }
        let streak = self.by_address.entry(address).or_default();
        streak.fail();
        (streak.count, self.account.count)
    }

    /// A counted try turned out wrong: its wait runs from now, when its answer is given.
    fn confirm(&mut self, address: Option<IpAddr>) {
        let now = Some(Instant::now());
        self.account.last = now;
        if let Some(streak) = address.and_then(|a| self.by_address.get_mut(&a)) {
            streak.last = now;
        }
    }

    fn succeed(&mut self, address: Option<IpAddr>) {
        if let Some(address) = address {
            self.by_address.remove(&address);
        }
        self.account = Streak::default();
    }
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
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(login) = login else {
        return Redirect::to("/employees").into_response();
    };
    let address = peer.map(|Extension(ConnectInfo(peer))| peer.ip());
    let shown = address.map_or_else(|| "an unknown address".to_owned(), |a| a.to_string());
    // Counted as a failure before it is checked, and cleared if it was right: guesses sent all
    // at once are each counted, where a count after each check let a burst through the limit.
    let counted = {
        let mut failures = login.failures();
        match failures.wait(address) {
            Some(wait) => Err(wait),
            None => Ok(failures.fail(address)),
        }
    };
    let (here, all) = match counted {
        Ok(counts) => counts,
        Err(wait) => {
            let seconds = wait.as_secs() + 1;
            eprintln!("login: refused a try from {shown} unchecked: {seconds} s to wait");
            let message = format!("too many wrong passwords: try again in {seconds} s");
            let page = login_form(&chrome, Some(&message));
            let mut response = respond(StatusCode::TOO_MANY_REQUESTS, page);
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
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
        login.failures().confirm(address);
        eprintln!("login: wrong password from {shown} ({here} in a row from there, {all} in all)");
        let page = login_form(&chrome, Some("wrong password"));
        return respond(StatusCode::UNAUTHORIZED, page);
    }
    login.failures().succeed(address);
    eprintln!("login: logged in from {shown}");
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
            assert_eq!(failures.wait(Some(a)), None);
            failures.fail(Some(a));
        }
        let first = failures.wait(Some(a)).expect("a wait after six failures");
        failures.fail(Some(a));
        let second = failures.wait(Some(a)).expect("a longer wait after seven");
        assert!(second > first, "{second:?} after {first:?}");
        assert_eq!(
            failures.wait(Some(b)),
            None,
            "another address is not slowed yet"
        );
        for _ in 0..ACCOUNT_FREE_FAILURES {
            failures.fail(Some(b));
        }
        assert!(failures.wait(Some([10, 0, 0, 3].into())).is_some());
        failures.succeed(Some(a));
        assert_eq!(
            failures.wait(Some(a)),
            None,
            "a right password clears the count"
        );
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
