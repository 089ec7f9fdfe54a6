//! The JSON API's router: the routes of staffdb's own models, employees and departments, are
//! the generic ones of every registered model (`model_api.rs`), with what is their own
//! declared on their [`AdminModel`](super::AdminModel) (`records.rs`): an employee's row
//! carries its department's name, the employees' list takes `min_age`, `department` and
//! `sort=age&desc=1`, and the departments' list is every department at once. Beside them here:
//! the employees' import and export (`transfer.rs`) and the statistics (`api_stats.rs`), and
//! what every API route shares: the body limit, the log line, the whole numbers.

use std::time::Instant;

use crate::Database;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Deserializer};

/// The largest request body taken, in bytes; a larger one is refused with 413.
pub(crate) const BODY_LIMIT: usize = 1 << 20;
/// Rows per page when the request names no `limit`, and the most it may name.
pub(super) const DEFAULT_LIMIT: i64 = 50;
pub(super) const MAX_LIMIT: i64 = 1_000;

/// The API's routes beside the models' own (their state, body limits and log are the app's:
/// see `web::app`).
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .merge(super::api_stats::routes())
        .merge(super::transfer::routes())
}

/// A body announced over the limit is refused before any of it is read: a client that waits
/// (`Expect: 100-continue`, as curl does for large bodies) sends none of it. A body without a
/// length is cut off at the limit by the extractors, with the same 413.
pub(crate) async fn refuse_oversized(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let path = request.uri().path();
    // `/api/import`, the page's `/import`, and a registered model's `/api/{plural}/import`.
    let import = path == "/import" || (path.starts_with("/api/") && path.ends_with("/import"));
    let limit = if import {
        super::transfer::IMPORT_LIMIT
    } else {
        BODY_LIMIT
    };
    if announced.is_some_and(|length| length > limit) {
        let reason = format!("the body is over the limit of {limit} bytes");
        return super::security::refuse(&request, StatusCode::PAYLOAD_TOO_LARGE, &reason);
    }
    next.run(request).await
}

/// One line per request: method, path, status, milliseconds.
pub(crate) async fn log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let ms = started.elapsed().as_millis();
    eprintln!("{method} {path} {} {ms} ms", response.status().as_u16());
    response
}

/// A whole number, also when written as a float (`39.0`), as JSON Schema's `integer` admits;
/// `39.5` and numbers out of `T`'s range are refused.
pub(super) fn whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<T, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    whole_number(&number)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number in range")))
}

/// A JSON number as a whole `i64`, also when written as a float (`39.0`); `None` for a fraction
/// or a number beyond `i64`.
pub(super) fn whole_number(number: &serde_json::Number) -> Option<i64> {
    match number.as_i64() {
        Some(value) => Some(value),
        // Within ±2^53 a float holds every whole number exactly; beyond it, none is taken.
        None => number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
            .map(|f| f as i64),
    }
}
