//! What a URL's scheme says about the backend, and the URL each driver expects.

use super::Backend;

/// The backend a URL's scheme names (no scheme: a plain path, which is SQLite), or
/// `Err(scheme)` for a scheme staffdb does not know.
pub(crate) fn scheme_backend(url: &str) -> Result<Backend, String> {
    let Some((scheme, _)) = url.split_once("://") else {
        return Ok(Backend::Sqlite);
    };
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" | "file" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "mysql" | "mariadb" => Ok(Backend::Mysql),
        other => Err(other.to_owned()),
    }
}

/// The URL as `backend`'s driver wants it: libmysqlclient knows only a lowercase `mysql://`,
/// libpq only `postgres://` or `postgresql://` (any case is accepted here). A SQLite URL stays
/// as written; [`sqlite_path`] gives its file.
pub(crate) fn driver_url(backend: Backend, url: &str) -> String {
    let rest = url.split_once("://").map(|(_, rest)| rest);
    match (backend, rest) {
        (Backend::Mysql, Some(rest)) => format!("mysql://{rest}"),
        (Backend::Postgres, Some(rest)) => format!("postgres://{rest}"),
        _ => url.to_owned(),
    }
}

/// What a URL says, taken apart by its backend's rules: the driver's URL and the password in it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ParsedUrl {
    pub(crate) backend: Backend,
    /// The URL as the driver wants it (see [`driver_url`]).
    pub(crate) driver_url: String,
    /// Every reading of the password, as written in the URL and decoded, for redaction (see
    /// [`passwords`]); SQLite URLs have none.
    pub(crate) passwords: Vec<Password>,
}

/// A URL's password, both as written (percent-encoded) and decoded: a driver may quote either.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Password {
    pub(crate) written: String,
    pub(crate) decoded: String,
}

/// Parses `url` (trimmed, not empty); `Err(reason)` for a URL staffdb refuses, in words a person
/// can act on.
pub(crate) fn parse(url: &str) -> Result<ParsedUrl, String> {
    let backend = scheme_backend(url).map_err(|scheme| {
        // Text before `://` that is no scheme (RFC 3986: a letter, then letters, digits, `+-.`)
        // is not quoted: it may be anything, a password included (found by fuzzing).
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        let what = if is_scheme {
            format!("unknown scheme `{scheme}://`")
        } else {
            "the text before `://` is no URL scheme".to_owned()
        };
        format!("{what}; use sqlite://PATH (or a plain path), postgres://… or mysql://…")
    })?;
    // A refusal may quote the URL: its password goes first.
    refuse_surprises(backend, url).map_err(|reason| redact(&reason, &passwords(url)))?;
    let passwords = match backend {
        Backend::Sqlite => Vec::new(),
        Backend::Postgres | Backend::Mysql => passwords(url),
    };
    Ok(ParsedUrl {
        backend,
        driver_url: driver_url(backend, url),
        passwords,
    })
}

/// Every reading of the password in `url`, as written and decoded: the userinfo's, and the
/// value of every password-bearing query parameter (see [`is_secret_parameter`]). The userinfo
/// ends at the last `@` before the query, as most drivers read it; but a password may hold a
/// `?` itself (libpq reads it so), so the text before every `@` is taken as a reading (found by
/// fuzzing: a display that cut the URL at its query showed the first reading). A URL
/// whose `://` was mistyped (`postgres:/u:pw@h/db`) is read as if it were there: a refusal
/// quotes it.
pub(crate) fn passwords(url: &str) -> Vec<Password> {
    let mut passwords = userinfo_passwords(url);
    passwords.extend(parameter_passwords(url));
    passwords.dedup();
    passwords
}

/// The userinfo's password (see [`passwords`]).
fn userinfo_passwords(url: &str) -> Vec<Password> {
    // Where the userinfo may begin: after `://`; or, with that mistyped, after the first `//`
    // (`postgres//u:pw@h`, the `:` forgotten) and after the first `:` (`postgres:/u:pw@h`, a
    // `/` forgotten) — both readings, since a password may hold `//` itself.
    let starts: Vec<&str> = match url.split_once("://") {
        Some((_, rest)) => vec![rest],
        None => [
            url.split_once("//").map(|(_, rest)| rest),
            url.split_once(':')
                .map(|(_, rest)| rest.trim_start_matches('/')),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    // Every `@` may end the userinfo for some reader (libpq stops at neither `?` nor `&`, a
    // display may cut the URL anywhere): each reading is redacted, the longest first.
    let mut passwords: Vec<Password> = starts
        .into_iter()
        .flat_map(|rest| {
            rest.match_indices('@')
                .filter_map(move |(at, _)| rest[..at].split_once(':').map(|(_, written)| written))
        })
        .filter(|written| !written.is_empty())
        .map(|written| Password {
            decoded: decode_password(written),
            written: written.to_owned(),
        })
        .collect();
    passwords.sort_by(|a, b| a.written.cmp(&b.written));
    passwords.dedup();
    passwords
}

/// True for a query parameter whose value is a secret, whatever its case: libpq reads
/// `password` and `sslpassword` (the client key's passphrase) from a URL's query; Diesel's MySQL
/// driver reads none (it ignores unknown parameters), but a person may still write one there,
/// so any name holding `password`, and `pwd`/`passwd`, is taken for a secret. Hiding a value
/// that was none costs nothing; showing one that was costs the password.
pub(crate) fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name == "pwd" || name == "passwd"
}

/// Every `name=value` of `url` that follows a `?` or a `&`, anywhere in it: a password may hold
/// a raw `?` (libpq then reads the query from a later one), so every reading is taken, and each
/// value runs to the next `&`, as libpq and the `url` crate both end it. Names are read
/// percent-decoded, as libpq decodes them (`pass%77ord` is `password`).
fn parameters(url: &str) -> impl Iterator<Item = (String, &str)> {
    url.match_indices(['?', '&']).filter_map(move |(at, _)| {
        let pair = &url[at + 1..];
        let pair = pair.split('&').next().unwrap_or(pair);
        let (name, value) = pair.split_once('=')?;
        Some((decode_password(name), value))
    })
}

/// The values of `url`'s password-bearing query parameters, as written and decoded — decoded
/// both as libpq does (`%XX` only) and as a form decoder does (`+` is a space, which is how the
/// `url` crate reads a query).
fn parameter_passwords(url: &str) -> Vec<Password> {
    parameters(url)
        .filter(|(name, value)| is_secret_parameter(name) && !value.is_empty())
        .flat_map(|(_, written)| {
            [
                decode_password(written),
                decode_password(&written.replace('+', " ")),
            ]
            .map(|decoded| Password {
                written: written.to_owned(),
                decoded,
            })
        })
        .collect()
}

/// `query` (the text after a URL's `?`) with the value of every password-bearing parameter
/// replaced by `***`, the other parameters as written.
fn masked_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value))
                if is_secret_parameter(&decode_password(name)) && !value.is_empty() =>
            {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` with every spelling of every password replaced by `***`, the longest first, so that
/// a password inside another goes whole.
pub(crate) fn redact(text: &str, passwords: &[Password]) -> String {
    let mut spellings: Vec<&str> = passwords
        .iter()
        .flat_map(|p| [p.written.as_str(), p.decoded.as_str()])
        .filter(|spelling| !spelling.is_empty())
        .collect();
    spellings.sort_by_key(|spelling| std::cmp::Reverse(spelling.len()));
    spellings
        .into_iter()
        .fold(text.to_owned(), |text, spelling| {
            text.replace(spelling, "***")
        })
}

/// Refuses URLs that a driver would take to mean something the person did not: a SQLite "path"
/// that is really a mistyped URL (`sqlite:x.db`, `-`, `x.db?mode=ro`, all of which SQLite would
/// create as files of those names), and a server URL naming no database (libpq then picks one).
fn refuse_surprises(backend: Backend, url: &str) -> Result<(), String> {
    match backend {
        Backend::Sqlite => {
            let path = sqlite_path(url);
            if is_keyword_string(path) {
                // Not quoted: it may hold a password, in any of the spellings libpq takes.
                return Err(
                    "a libpq keyword string (`host=… dbname=…`) is not a URL staffdb \
                     reads, and would be taken for a file name: write \
                     postgres://USER:PASSWORD@HOST/DBNAME"
                        .to_owned(),
                );
            }
            let lowered = path.to_ascii_lowercase();
            let scheme = |name: &str| {
                // `postgres:/…`, and `postgres//…` with its `:` forgotten.
                lowered.starts_with(&format!("{name}:"))
                    || lowered.starts_with(&format!("{name}//"))
            };
            if [
                "sqlite",
                "file",
                "postgres",
                "postgresql",
                "mysql",
                "mariadb",
            ]
            .iter()
            .any(|name| scheme(name))
            {
                return Err(format!(
                    "`{url}` is not a URL staffdb reads: write sqlite://PATH, postgres://… or mysql://…"
                ));
            }
            if path == "-" || path.is_empty() {
                return Err(format!("`{url}` names no database file"));
            }
            if path.contains('?') && !path.contains("mode=memory") {
                return Err(format!(
                    "`{url}`: a SQLite URL takes no parameters; give the file's path"
                ));
            }
            Ok(())
        }
        Backend::Mysql if parameters(url).any(|(name, _)| is_secret_parameter(&name)) => Err(
            // The driver would ignore it and log in with no password, unseen.
            "the MySQL driver reads no password from the URL's query: write it before the \
             host, as in mysql://USER:PASSWORD@HOST/DATABASE"
                .to_owned(),
        ),
        Backend::Postgres | Backend::Mysql => match url::Url::parse(url) {
            // A URL the `url` crate cannot read (libpq's several hosts) is the driver's to judge.
            Ok(parsed) if parsed.path().trim_matches('/').is_empty() => Err(format!(
                "the URL names no database: add it, as in {}://user@host/DATABASE",
                backend.name()
            )),
            _ => Ok(()),
        },
    }
}

/// libpq's connection keywords (its documentation's "Parameter Key Words"), and the ones other
/// drivers' keyword strings use (`Server=…;Pwd=…`).
const CONNECTION_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "sslmode",
    "sslpassword",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "server",
    "database",
    "uid",
    "pwd",
];

/// True for a libpq keyword string (`host=h password=pw dbname=db`) or another driver's
/// (`Server=h;Database=db;Pwd=pw`): some word, separated by blanks or `;`, is `KEYWORD=`. Such a
/// string has no scheme, so it would otherwise be taken for a SQLite file's name and created —
/// a file named after the password.
fn is_keyword_string(path: &str) -> bool {
    // libpq allows blanks around the `=`: the key is the word before each `=`.
    path.match_indices('=').any(|(at, _)| {
        let before = path[..at].trim_end();
        let key = before
            .rsplit(|c: char| c.is_whitespace() || c == ';')
            .next()
            .unwrap_or(before);
        CONNECTION_KEYWORDS.contains(&key.to_ascii_lowercase().as_str())
    })
}

/// The user and password of `scheme://user:password@host…`, found by hand rather than by a URL
/// parser: libpq's several hosts (`h1:5442,h2:5443`), a port out of range or a malformed host
/// make a strict parser give up, and the password must be found in those URLs too. The userinfo
/// ends at the last `@` before any query.
fn userinfo(url: &str) -> Option<(&str, Option<&str>)> {
    let (_, rest) = url.split_once("://")?;
    let before_query = rest.split('?').next().unwrap_or(rest);
    let at = before_query.rfind('@')?;
    let info = &rest[..at];
    Some(match info.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (info, None),
    })
}

/// The password as the drivers read it: `%XX` decoded, everything else as written — a `+`
/// stays a `+` and a `&` does not end it (a form decoder got both wrong, and a password so
/// written reached a message unredacted: found by the property test of the binary's URLs).
fn decode_password(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The URL for people: a server URL with `***` for its password, in the userinfo and in every
/// password-bearing query parameter; a SQLite path as it is.
pub(crate) fn display(parsed: &ParsedUrl) -> String {
    let url = &parsed.driver_url;
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.clone();
    };
    let shown = match userinfo(url) {
        Some((user, Some(_))) if !parsed.passwords.is_empty() => {
            let at = rest
                .split('?')
                .next()
                .unwrap_or(rest)
                .rfind('@')
                .unwrap_or(0);
            format!("{scheme}://{user}:***{}", &rest[at..])
        }
        _ => url.clone(),
    };
    // After the userinfo, whose password may hold a `?` of its own (then already `***`).
    match shown.split_once('?') {
        Some((base, query)) => format!("{base}?{}", masked_query(query)),
        None => shown,
    }
}

/// The file (or `:memory:`) a SQLite URL names.
pub(crate) fn sqlite_path(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, path))
            if scheme.eq_ignore_ascii_case("sqlite") || scheme.eq_ignore_ascii_case("file") =>
        {
            path
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each scheme picks its backend; an unknown scheme is refused by name.
    #[test]
    fn picks_backend_by_scheme() {
        let cases = [
            ("sqlite://staff.db", Backend::Sqlite),
            ("staff.db", Backend::Sqlite),
            (":memory:", Backend::Sqlite),
            ("postgres://u@h/db", Backend::Postgres),
            ("postgresql://u@h/db", Backend::Postgres),
            ("mysql://root@127.0.0.1/db", Backend::Mysql),
            ("mariadb://root@127.0.0.1/db", Backend::Mysql),
        ];
        for (url, backend) in cases {
            assert_eq!(scheme_backend(url), Ok(backend), "{url}");
        }
        assert_eq!(scheme_backend("mongodb://x/y"), Err("mongodb".to_owned()));
        let garbage = parse(":x\0:S3cret3cpostgres://u:s3cret@h/db").err();
        assert!(garbage.is_some_and(|e| !e.contains("s3cret") && e.contains("no URL scheme")));
    }

    /// Mistyped URLs that a driver would take as a new file or a default database are refused.
    #[test]
    fn refuses_urls_that_mean_something_else() {
        for url in [
            "sqlite:x.db",
            "-",
            "sqlite://x.db?mode=ro",
            "postgres://",
            "postgres://u@h",
            "mysql://root@127.0.0.1/",
            "file:x.db",
        ] {
            assert!(parse(url).is_err(), "{url}");
        }
        for url in [
            "x.db",
            "sqlite://x.db",
            ":memory:",
            "postgres://u@h/db",
            "mysql://h/db",
        ] {
            assert!(parse(url).is_ok(), "{url}");
        }
    }

    /// libmysqlclient gets `mysql://` for a `mariadb://` URL; the password is found decoded.
    #[test]
    fn rewrites_for_the_driver() {
        let parsed = parse("mariadb://root:p%40ss@localhost/db").expect("known scheme");
        assert_eq!(parsed.driver_url, "mysql://root:p%40ss@localhost/db");
        let password = parsed.passwords.first().expect("a password");
        assert_eq!(
            (password.written.as_str(), password.decoded.as_str()),
            ("p%40ss", "p@ss")
        );
        assert_eq!(sqlite_path("sqlite://x.db"), "x.db");
        assert_eq!(decode_password("Pw%40A0+&b=c%"), "Pw@A0+&b=c%");
    }

    /// A URL of several hosts keeps its password out of its display.
    #[test]
    fn several_hosts_are_redacted() {
        let parsed = parse("postgres://u:s3cret@h1:5442,h2:5443/db").expect("several hosts");
        assert_eq!(display(&parsed), "postgres://u:***@h1:5442,h2:5443/db");
        let parsed = parse("mysql://u:s3cret@h1:3311,h2:3312/db").expect("several hosts");
        assert_eq!(display(&parsed), "mysql://u:***@h1:3311,h2:3312/db");
    }
}
