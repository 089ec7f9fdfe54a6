//! Database URLs: which backend a URL names, and how to show it without its password.

use std::fmt;

use super::error::{Error, Result};
use crate::backend::{Backend, ParsedUrl, display_url, parse_url, redact_passwords, sqlite_path};

/// The file staffdb uses when no URL is given anywhere.
pub const DEFAULT_DATABASE_URL: &str = "staffdb.db";

/// A parsed database URL.
///
/// Chosen by scheme, never by trying backends in turn: `sqlite://PATH`, a bare path or
/// `:memory:` is SQLite; `postgres://` or `postgresql://` is PostgreSQL; `mysql://` or
/// `mariadb://` is MySQL. `Display` redacts the password.
///
/// ```
/// use staffdb::DatabaseUrl;
///
/// let url = DatabaseUrl::parse("postgres://app:s3cret@db.example/staff")?;
/// assert_eq!(url.backend().name(), "postgres");
/// assert_eq!(url.to_string(), "postgres://app:***@db.example/staff");
/// assert!(DatabaseUrl::parse("staff.db")?.backend().is_embedded());
/// assert!(DatabaseUrl::parse("oracle://x").is_err());
/// # Ok::<(), staffdb::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    parsed: ParsedUrl,
}

impl DatabaseUrl {
    /// Parses `url`, refusing an unknown scheme with a clear message.
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::validation("database URL", "it is empty"));
        }
        let parsed = parse_url(url).map_err(|reason| Error::validation("database URL", reason))?;
        Ok(DatabaseUrl { parsed })
    }

    /// The backend this URL names.
    pub fn backend(&self) -> Backend {
        self.parsed.backend
    }

    /// The URL exactly as the driver needs it, password included: never printed.
    pub(crate) fn expose(&self) -> &str {
        &self.parsed.driver_url
    }

    /// For SQLite: the file path (or `:memory:`) the URL names.
    pub fn sqlite_path(&self) -> Option<&str> {
        self.backend()
            .is_embedded()
            .then(|| sqlite_path(&self.parsed.driver_url))
    }

    /// True for SQLite's `:memory:` database, which lives and dies with one connection.
    pub fn is_memory(&self) -> bool {
        self.sqlite_path()
            .is_some_and(|p| p == ":memory:" || p.contains("mode=memory"))
    }

    /// Replaces every occurrence of this URL's password in `text` with `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        redact_passwords(text, &self.parsed.passwords)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redact(&display_url(&self.parsed)))
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

    /// An unknown scheme is refused by name.
    #[test]
    fn refuses_unknown_schemes() {
        let error = DatabaseUrl::parse("mongodb://x/y")
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("mongodb://")));
    }

    /// The password is hidden in every URL shape a server driver takes, including those a strict
    /// URL parser refuses, and in either of its spellings.
    #[test]
    fn hides_the_password_in_every_url_shape() {
        let cases = [
            ("postgres://u:s3cret@127.0.0.1:99999/db", "s3cret"),
            ("postgres://u:s3cret@127.0.0.1:54x62/db", "s3cret"),
            ("mysql://u:s3cret@[127.0.0.1/db", "s3cret"),
            ("POSTGRES://u:p%40ss%20word@h/db", "p@ss word"),
            ("postgres://u:s3cret@h1:5443,h2:5442/db", "s3cret"),
            ("mysql://u:s3cret@h1:3306,h2:3307/db", "s3cret"),
            ("postgres://u:pass word@h/db", "pass word"),
            // Found by staffdb-cli/tests/integration/properties.rs: libpq reads a raw `?` as the
            // password's.
            ("postgres://u:s3c?ret@h/db", "s3c?ret"),
            (
                "mariadb://root:s3cret@127.0.0.1/db?ssl_mode=required",
                "s3cret",
            ),
        ];
        for (raw, password) in cases {
            let url = DatabaseUrl::parse(raw).expect("accepted");
            let shown = url.to_string();
            assert!(
                !shown.contains(password) && shown.contains("***"),
                "{raw} -> {shown}"
            );
            let written = raw.split_once(':').and_then(|(_, r)| r.split_once(':'));
            let written = written
                .and_then(|(_, r)| r.rsplit_once('@'))
                .map(|(p, _)| p);
            let message = format!("login {password} failed for {}", written.unwrap_or(""));
            let redacted = url.redact(&message);
            assert!(!redacted.contains(password), "{raw}: {redacted}");
        }
    }

    /// A password given as a query parameter (`password`, libpq's `sslpassword`, any case, its
    /// name or value percent-encoded or not) is `***` in the URL shown and in redacted text.
    #[test]
    fn hides_query_parameter_passwords() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:1/db?password=QuerySecret77",
                "QuerySecret77",
                "postgres://postgres@127.0.0.1:1/db?password=***",
            ),
            (
                "postgres://u@h/db?sslmode=require&sslpassword=Key%20Pass&application_name=x",
                "Key Pass",
                "postgres://u@h/db?sslmode=require&sslpassword=***&application_name=x",
            ),
            (
                "postgres://u@h/db?pass%77ord=Enc%40oded",
                "Enc@oded",
                "postgres://u@h/db?pass%77ord=***",
            ),
            (
                "postgres://u:first@h/db?PASSWORD=second+one",
                "second one",
                "postgres://u:***@h/db?PASSWORD=***",
            ),
        ];
        for (raw, password, shown) in cases {
            let url = DatabaseUrl::parse(raw).expect("accepted");
            assert_eq!(url.to_string(), shown, "{raw}");
            assert!(!format!("{url:?}").contains(password), "{raw}");
            let redacted = url.redact(&format!("no login with {password} for {raw}"));
            assert!(!redacted.contains(password), "{raw}: {redacted}");
        }
    }

    /// Diesel's MySQL driver ignores a `?password=` (it would log in with none, unseen): such a
    /// URL is refused, and the refusal does not quote the password.
    #[test]
    fn refuses_a_mysql_query_password_without_quoting_it() {
        for raw in [
            "mysql://root@127.0.0.1/db?password=QuerySecret77",
            "mariadb://root@127.0.0.1/db?ssl_mode=required&Password=QuerySecret77",
        ] {
            let error = DatabaseUrl::parse(raw).err().map(|e| e.to_string());
            assert!(
                error.as_ref().is_some_and(|e| !e.contains("QuerySecret77")
                    && e.contains("reads no password from the URL's query")),
                "{raw}: {error:?}"
            );
        }
    }

    /// A libpq keyword string (or another driver's) is refused, not taken for a SQLite file
    /// named after it, and the refusal quotes nothing of it.
    #[test]
    fn refuses_keyword_strings_without_quoting_them() {
        for raw in [
            "host=127.0.0.1 password=KwSecret77 dbname=staff",
            "dbname = staff password = KwSecret77",
            "Server=db;Database=staff;Pwd=KwSecret77",
            "user=app",
        ] {
            let error = DatabaseUrl::parse(raw).err().map(|e| e.to_string());
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| !e.contains("KwSecret77") && e.contains("keyword string")),
                "{raw}: {error:?}"
            );
        }
        for path in ["a=b.db", "reports/2026=q4.db", "staff.db"] {
            assert!(DatabaseUrl::parse(path).is_ok(), "{path}");
        }
    }

    /// A refusal of a URL whose `://` was mistyped quotes it without its password.
    #[test]
    fn refusals_hide_the_password() {
        for url in ["postgres:/u:s3cret@h/db", "mysql:u:s3cret@h/db"] {
            let error = DatabaseUrl::parse(url).err().map(|e| e.to_string());
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| !e.contains("s3cret") && e.contains("***")),
                "{url}: {error:?}"
            );
        }
    }

    /// Passwords never appear in the displayed URL or in redacted messages.
    #[test]
    fn redacts_passwords() {
        let url = DatabaseUrl::parse("mysql://root:p%40ss@localhost/db").expect("valid URL");
        assert_eq!(url.to_string(), "mysql://root:***@localhost/db");
        assert_eq!(url.redact("login p@ss failed"), "login *** failed");
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db")
                .map(|u| u.sqlite_path().map(str::to_owned))
                .ok(),
            Some(Some("x.db".to_owned()))
        );
    }
}
