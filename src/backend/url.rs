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
