//! What makes every route safe to serve, whatever its body: the Host a request names, the
//! origin a state-changing request comes from, a CSRF token on every page that changes
//! something, and the headers every response carries (a Content-Security-Policy that runs no
//! inline script, no caching of pages, among others). The login is in `login.rs`.
//!
//! - **Host** (DNS rebinding): a page on `evil.example` whose name is made to resolve to
//!   127.0.0.1 reaches a loopback server with `Host: evil.example`. Every request must name this
//!   server: an IP address it listens on, `localhost`, or a name given with `--allowed-host`
//!   (see [`Hosts`]); any other is answered 421 before it reaches a route.
//! - **Origin**: a request that may change something (any method but GET, HEAD and OPTIONS)
//!   whose `Origin` — or, without one, `Referer` — is another origin than the Host it names is
//!   refused with 403, whatever its body. A page on `http://127.0.0.1:9999` is *same-site* to a
//!   server on `127.0.0.1:8080`, so `SameSite` cookies alone do not stop it; its Origin does. A
//!   request with neither header is no browser's (curl, a script) and goes on to the next check.
//! - **CSRF token**: each browser gets a random token in a cookie (`HttpOnly`,
//!   `SameSite=Strict`), and each form carries it in a hidden `csrf` field. Every POST to a page
//!   route must be a form: `application/x-www-form-urlencoded` with the token (checked here), or
//!   `multipart/form-data` on a route that takes uploads (checked by its handler, which reads the
//!   parts). Any other body — none, `text/plain`, JSON — is refused with 415 before the route
//!   runs, so no route can forget the check by reading no body. The JSON API needs no token: it
//!   takes only `application/json` bodies (or CSV on its import), which a page on another origin
//!   cannot send without the browser asking first (CORS), and this server never says yes; its
//!   origin check above covers what a browser can send without asking, and a POST under
//!   `/api/` whose body is of a type a browser sends unasked (none, `text/plain`, a form,
//!   multipart) is refused with 415 before any route, whatever its query says.

use std::net::IpAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand_core::{OsRng, RngCore};

use super::errors::ApiError;
use super::transfer::IMPORT_LIMIT;

/// The browser's CSRF token, as its cookie holds it (a request extension for the pages).
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub(crate) String);

const CSRF_COOKIE: &str = "staffdb_csrf";
/// The most a form that posts may hold (an import is multipart, checked elsewhere).
const FORM_LIMIT: usize = 1 << 20;
/// The page routes that take a multipart upload; their handlers check its `csrf` part.
const UPLOAD_ROUTES: &[&str] = &["/import"];

/// The names a server answers to: its own addresses, `localhost`, and those it was given.
///
/// A name given with a leading dot (`.example.com`) also admits every name under it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hosts {
    /// The addresses it listens on; `None` when it listens on every address (`0.0.0.0`, `::`),
    /// where any IP address is its own.
    addresses: Option<Vec<IpAddr>>,
    /// Lower-case names, without a trailing dot.
    names: Vec<String>,
    /// The port it listens on, when it knows it (`serve`; a router mounted in an application
    /// does not): a Host naming an address or `localhost` must name this port too (none means
    /// 80). The names it was given are admitted on any port: a proxy in front forwards its own.
    port: Option<u16>,
}

impl Hosts {
    /// The hosts of a server bound to `bound` (on `port`, when known), with the names
    /// `allowed` besides.
    pub(crate) fn new(bound: &[IpAddr], port: Option<u16>, allowed: &[String]) -> Hosts {
        let addresses = if bound.iter().any(IpAddr::is_unspecified) {
            None
        } else {
            Some(bound.to_vec())
        };
        let names = allowed.iter().map(|name| normal_name(name)).collect();
        Hosts {
            addresses,
            names,
            port,
        }
    }

    /// Whether `host` (a Host header's value, port and all) names this server.
    pub(crate) fn admit(&self, host: &str) -> bool {
        let Some((named, port)) = parse_host(host) else {
            return false;
        };
        let own_port = self.port.is_none_or(|own| port.unwrap_or(80) == own);
        match named {
            Host::Address(ip) => {
                own_port && self.addresses.as_ref().is_none_or(|ips| ips.contains(&ip))
            }
            Host::Name(name) => {
                let name = normal_name(name);
                (own_port && name == "localhost")
                    || self.names.iter().any(|allowed| {
                        allowed == &name
                            || allowed.strip_prefix('.').is_some_and(|domain| {
                                name == domain || name.ends_with(allowed.as_str())
                            })
                    })
            }
        }
    }
}

/// What a Host header names.
enum Host<'h> {
    Address(IpAddr),
    Name(&'h str),
}

fn normal_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// What a Host header's value (`name`, `1.2.3.4`, `[::1]`, each with an optional port) names;
/// `None` for a value that is no host at all (a port past 65535, an IPv4 address in brackets, a
/// character no host name has).
fn parse_host(host: &str) -> Option<(Host<'_>, Option<u16>)> {
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, port) = rest.split_once(']')?;
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => None,
            Some(port) => Some(port_of(port)?),
            None => return None,
        };
        let ip = inside.parse::<std::net::Ipv6Addr>().ok()?;
        return Some((Host::Address(ip.into()), port));
    }
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port_of(port)?)),
        None => (host, None),
    };
    if let Ok(ip) = name.parse::<std::net::Ipv4Addr>() {
        return Some((Host::Address(ip.into()), port));
    }
    // Labels of letters, digits, `-` and `_`, none empty (`localhost..` is no name), with at
    // most one trailing dot (`localhost.`, the absolute form).
    let labels = name.strip_suffix('.').unwrap_or(name);
    let label_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    let well_formed = labels
        .split('.')
        .all(|label| !label.is_empty() && label.chars().all(label_char));
    well_formed.then_some((Host::Name(name), port))
}

/// A port as a Host header writes it: digits only, at most 65535.
fn port_of(port: &str) -> Option<u16> {
    port.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| port.parse::<u16>().ok())
        .flatten()
}

/// Answers 421 to a request whose Host is not this server's (or that names none): a page that
/// reached it by DNS rebinding, or a client that meant another server.
pub(crate) async fn check_host(
    State(hosts): State<Hosts>,
    request: Request,
    next: Next,
) -> Response {
    // One Host, as HTTP/1.1 requires; and a request target in absolute form
    // (`GET http://evil.example/…`) names its host too, which must be this server as well.
    let mut hosts_named = request.headers().get_all(header::HOST).iter();
    let (first, second) = (hosts_named.next(), hosts_named.next());
    if second.is_some() {
        return refuse(
            &request,
            StatusCode::BAD_REQUEST,
            "the request names two Hosts",
        );
    }
    let target = request.uri().authority().map(|a| a.as_str().to_owned());
    if target.as_deref().is_some_and(|target| !hosts.admit(target)) {
        return refuse(
            &request,
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer to that host: use its address or localhost, or start \
             it with --allowed-host NAME",
        );
    }
    let host = first
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or(target);
    match host.as_deref() {
        Some(host) if hosts.admit(host) => next.run(request).await,
        Some(_) => refuse(
            &request,
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer to that Host: use its address or localhost, or start \
             it with --allowed-host NAME",
        ),
        None => refuse(
            &request,
            StatusCode::BAD_REQUEST,
            "the request names no Host",
        ),
    }
}

/// True when `error`, or what caused it, is a body that stopped arriving (see `bound_body`).
pub(crate) fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// A refusal as the route's kind of client reads it: JSON under `/api/`, text elsewhere.
pub(crate) fn refuse(request: &Request, status: StatusCode, message: &str) -> Response {
    if request.uri().path().starts_with("/api/") {
        ApiError::new(status, message).into_response()
    } else {
        (status, message.to_owned()).into_response()
    }
}

/// True for the methods that change nothing.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses (403) a request that may change something and that a browser sent from another
/// origin than the one its Host names: its `Origin`, or without one its `Referer`, must be
/// `http(s)://HOST`. A `Sec-Fetch-Site` of `cross-site` or `same-site` is refused as well.
pub(crate) async fn check_origin(request: Request, next: Next) -> Response {
    if is_safe(request.method()) || same_origin(request.headers()) {
        next.run(request).await
    } else {
        refuse(
            &request,
            StatusCode::FORBIDDEN,
            "this request came from another site: a page elsewhere may not change anything here",
        )
    }
}

/// Whether the browser, if a browser sent it, sent it from this server's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    // Two of a header a browser sends once: no browser's request, and no reading of it is safe.
    for name in ["origin", "referer", "sec-fetch-site", "host"] {
        if headers.get_all(name).iter().nth(1).is_some() {
            return false;
        }
    }
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if text("sec-fetch-site").is_some_and(|site| matches!(site, "cross-site" | "same-site")) {
        return false;
    }
    let Some(host) = text("host") else {
        return false;
    };
    let claimed = match (text("origin"), text("referer")) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        // Neither: no browser sent it (every browser names the origin of a POST, PATCH or
        // DELETE); the CSRF token or the API's content type is what checks it then.
        (None, None) => return true,
    };
    let Ok(claimed) = url::Url::parse(claimed) else {
        return false;
    };
    let tls = headers
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let scheme = if tls { "https" } else { "http" };
    let Ok(own) = url::Url::parse(&format!("{scheme}://{host}/")) else {
        return false;
    };
    claimed.origin() == own.origin()
}

/// 32 random bytes from the operating system, in hex.
pub(crate) fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of the cookie `name`, if the request has one.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
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
pub(crate) fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<u32>,
) -> String {
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

/// Gives every browser a CSRF token, and refuses a POST to a page that is not a form carrying
/// that token: a urlencoded form whose `csrf` field differs (403), or a body of any other type
/// (415) — but a multipart upload to a route that takes one, whose handler checks its token.
pub(crate) async fn csrf(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let known = cookie(&parts.headers, CSRF_COOKIE).map(str::to_owned);
    let token = known.clone().unwrap_or_else(token);
    // POST is the only method a page route takes (and, with GET, the only one a form sends);
    // any other reaches the router's 405.
    let page_write = parts.method == Method::POST && !parts.uri.path().starts_with("/api/");
    let body = if page_write {
        let media = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|t| t.to_str().ok())
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let upload = UPLOAD_ROUTES.contains(&parts.uri.path());
        match media.as_str() {
            "application/x-www-form-urlencoded" => {
                let bytes = match to_bytes(body, FORM_LIMIT).await {
                    Ok(bytes) => bytes,
                    Err(error) if timed_out(&error) => {
                        let message = "the form's body stopped arriving: send it again";
                        return (StatusCode::REQUEST_TIMEOUT, message).into_response();
                    }
                    Err(_) => {
                        return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large")
                            .into_response();
                    }
                };
                let sent = url::form_urlencoded::parse(&bytes)
                    .find(|(key, _)| key == "csrf")
                    .map(|(_, value)| value.into_owned());
                if known.is_none() || !sent.is_some_and(|sent| same(&sent, &token)) {
                    return forbidden();
                }
                Body::from(bytes)
            }
            "multipart/form-data" if upload => match whole_upload(body).await {
                Ok(body) => body,
                Err(refusal) => return refusal,
            },
            _ => {
                let expected = if upload {
                    "multipart/form-data"
                } else {
                    "application/x-www-form-urlencoded"
                };
                let message = format!("this page takes a form ({expected}) with its CSRF token");
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response();
            }
        }
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

/// The media types a page on another site can send in a POST without the browser asking this
/// server first (the CORS-safelisted request content types), and no type at all.
const UNASKED_TYPES: &[&str] = &[
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// Refuses (415) a POST to the JSON API whose body is of a type another site can send unasked:
/// the API takes no CSRF token, so its only proof that a request which names no origin was not
/// forged by another site's form is a body type a browser would have asked CORS for (which this
/// server never grants). Checked here, before any route, so that no route — an import that
/// reads its format from `?format=`, a route that reads no body — can take such a body.
pub(crate) async fn api_body_type(request: Request, next: Next) -> Response {
    // A POST without a body carries nothing to write (every write route refuses it by its own
    // reading), and one to a route that takes no POST stays the router's 405.
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    let api_post = request.method() == Method::POST && request.uri().path().starts_with("/api/");
    if !(api_post && has_body) {
        return next.run(request).await;
    }
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let essence = text.split(';').next().unwrap_or_default();
            essence.trim().to_ascii_lowercase()
        })
        .unwrap_or_default();
    if UNASKED_TYPES.contains(&media.as_str()) {
        let message = "the API takes application/json (or text/csv on an import) bodies, which \
                       a page on another site cannot send: this Content-Type is refused";
        return refuse(&request, StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    }
    next.run(request).await
}

/// An upload's whole body, as one chunk. The multipart reader searches the data it holds for
/// the next boundary (or a part's end of headers) again each time a chunk arrives, so a body
/// that never reaches one, sent in small chunks, costs time quadratic in its size (24 MiB,
/// half a minute of CPU). Given at once, it is searched once. The handler keeps the whole file
/// in memory anyway, within the same limit.
async fn whole_upload(body: Body) -> Result<Body, Response> {
    match to_bytes(body, IMPORT_LIMIT).await {
        Ok(bytes) => Ok(Body::from(bytes)),
        Err(error) if timed_out(&error) => {
            let message = "the upload stopped arriving: send it again";
            Err((StatusCode::REQUEST_TIMEOUT, message).into_response())
        }
        Err(_) => {
            let message = format!("the upload is over the limit of {IMPORT_LIMIT} bytes");
            Err((StatusCode::PAYLOAD_TOO_LARGE, message).into_response())
        }
    }
}

/// The answer to a form posted without this browser's token.
pub(crate) fn forbidden() -> Response {
    let message = "this form has expired or came from another site: reload the page and try again";
    (StatusCode::FORBIDDEN, message).into_response()
}

/// The headers every response carries: no inline script may run, no other site may frame a
/// page, the browser must not guess types, and nothing but the static files may be cached (a
/// page or an answer may hold personnel data, and a shared computer's back button must not
/// show it after a logout).
pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let cacheable = request.uri().path().starts_with("/static/");
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
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback router (no port known) admits its address and localhost on any port, and the names it was
    /// given, and nothing else: not a rebinding name, not another address, not garbage.
    #[test]
    fn a_loopback_server_admits_only_its_own_hosts() {
        let hosts = Hosts::new(
            &["127.0.0.1".parse().expect("ip")],
            None,
            &[".corp.example".into()],
        );
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST",
            "a.corp.example",
        ] {
            assert!(hosts.admit(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "127.0.0.2:8080",
            "[::1]:8080",
            "localhost.evil.example",
            "corp.example.evil",
            "localhost..",
            "localhost..:8080",
            ".localhost",
            "127.0.0.1:80x",
            "",
            "a b",
        ] {
            assert!(!hosts.admit(host), "{host}");
        }
        let everywhere = Hosts::new(&["0.0.0.0".parse().expect("ip")], None, &[]);
        assert!(everywhere.admit("192.0.2.7:8080") && everywhere.admit("[::1]:80"));
        assert!(!everywhere.admit("evil.example"));
    }

    /// A server that knows its port (`serve`) admits its address and localhost on that port
    /// only (none means 80), and the names it was given on any port (a proxy forwards its own).
    #[test]
    fn a_served_address_is_admitted_on_its_own_port_only() {
        let hosts = Hosts::new(
            &["127.0.0.1".parse().expect("ip")],
            Some(8080),
            &["admin.example".into()],
        );
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "admin.example",
            "admin.example:443",
        ] {
            assert!(hosts.admit(host), "{host}");
        }
        for host in [
            "127.0.0.1:9999",
            "localhost:1",
            "127.0.0.1",
            "localhost",
            "[::1]:8080",
        ] {
            assert!(!hosts.admit(host), "{host}");
        }
        let on_80 = Hosts::new(&["::1".parse().expect("ip")], Some(80), &[]);
        assert!(on_80.admit("[::1]") && on_80.admit("[::1]:80") && !on_80.admit("[::1]:81"));
    }

    /// An Origin (or Referer) must be the Host's own origin; without either it is no browser.
    #[test]
    fn only_the_servers_own_origin_may_change_things() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("referer", "http://127.0.0.1:8080/x?y")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:9999")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[
            host,
            ("referer", "http://evil.example/")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://127.0.0.1:8080")
        ])));
    }
}
