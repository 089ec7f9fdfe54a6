//! Database URLs: which backend a URL names, and how to show it without its password.

use std::fmt;

use super::error::{Error, Result};
use crate::backend::{Backend, driver_url, scheme_backend, sqlite_path};

/// The file staffdb uses when no URL is given anywhere.
pub const DEFAULT_DATABASE_URL: &str = "staffdb.db";

/// A parsed database URL.
///
/// Chosen by scheme, never by trying backends in turn: `sqlite://PATH`, a bare path or
/// `:memory:` is SQLite; `postgres://` or `postgresql://` is PostgreSQL; `mysql://` or
/// `mariadb://` is MySQL. `Display` redacts the password.
///
/// ```
/// use staffdb::{Backend, DatabaseUrl};
///
/// let url = DatabaseUrl::parse("postgres://app:s3cret@db.example/staff")?;
/// assert_eq!(url.backend(), Backend::Postgres);
/// assert_eq!(url.to_string(), "postgres://app:***@db.example/staff");
/// assert_eq!(DatabaseUrl::parse("staff.db")?.backend(), Backend::Sqlite);
/// assert!(DatabaseUrl::parse("oracle://x").is_err());
/// # Ok::<(), staffdb::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
    password: Option<String>,
}

impl DatabaseUrl {
    /// Parses `url`, refusing an unknown scheme with a clear message.
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::validation("database URL", "it is empty"));
        }
        let backend = scheme_backend(url).map_err(|scheme| {
            Error::validation(
                "database URL",
                format!(
                    "unknown scheme `{scheme}://`; use sqlite://PATH (or a plain path), postgres://… or mysql://…"
                ),
            )
        })?;
        let password = match backend {
            Backend::Sqlite => None,
            _ => url::Url::parse(url)
                .ok()
                .and_then(|parsed| parsed.password().map(decode_password)),
        };
        Ok(DatabaseUrl {
            raw: driver_url(backend, url),
            backend,
            password,
        })
    }

    /// The backend this URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL exactly as the driver needs it, password included: never printed.
    pub(crate) fn expose(&self) -> &str {
        &self.raw
    }

    /// For SQLite: the file path (or `:memory:`) the URL names.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then(|| sqlite_path(&self.raw))
    }

    /// True for SQLite's `:memory:` database, which lives and dies with one connection.
    pub fn is_memory(&self) -> bool {
        self.sqlite_path()
            .is_some_and(|p| p == ":memory:" || p.contains("mode=memory"))
    }

    /// Replaces every occurrence of this URL's password in `text` with `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.password {
            Some(password) if !password.is_empty() => text.replace(password.as_str(), "***"),
            _ => text.to_owned(),
        }
    }
}

fn decode_password(encoded: &str) -> String {
    url::form_urlencoded::parse(format!("p={encoded}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| encoded.to_owned())
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.backend != Backend::Sqlite
            && let Ok(mut parsed) = url::Url::parse(&self.raw)
        {
            if parsed.password().is_some() {
                // Setting a password fails only for URLs that cannot carry one.
                let _ = parsed.set_password(Some("***"));
            }
            return f.write_str(parsed.as_str());
        }
        f.write_str(&self.redact(&self.raw))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The URL from `DATABASE_URL` (environment or `.env`), else [`DEFAULT_DATABASE_URL`].
pub fn url_from_env() -> String {
    // A missing or unreadable .env is no error: the environment and the default still apply.
    let _ = dotenvy::dotenv();
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
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
            assert_eq!(
                DatabaseUrl::parse(url).map(|u| u.backend()).ok(),
                Some(backend),
                "{url}"
            );
        }
        let error = DatabaseUrl::parse("mongodb://x/y")
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("mongodb://")));
    }

    /// Passwords never appear in the displayed URL or in redacted messages.
    #[test]
    fn redacts_passwords() {
        let url = DatabaseUrl::parse("mysql://root:p%40ss@localhost/db").expect("valid URL");
        assert_eq!(url.to_string(), "mysql://root:***@localhost/db");
        assert_eq!(url.redact("login p@ss failed"), "login *** failed");
        assert_eq!(
            DatabaseUrl::parse("mariadb://root:pw@localhost/db")
                .map(|u| u.expose().to_owned())
                .ok(),
            Some("mysql://root:pw@localhost/db".to_owned())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db")
                .map(|u| u.sqlite_path().map(str::to_owned))
                .ok(),
            Some(Some("x.db".to_owned()))
        );
    }
}
