//! The JSON API's statistics (the departments' own routes are the generic ones of every model,
//! `model_api.rs`).
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/stats?by=position\|department` | 200 one object per group (`average_age` rounded to 2 decimals) | 400 |

use super::acting::Db;
use crate::{Database, Employee, GroupBy};
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::handlers::blocking;

/// The statistics' route.
pub(crate) fn routes() -> Router<Database> {
    Router::new().route("/api/stats", get(stats))
}
/// `?by=position` (the default) or `?by=department`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    by: Option<String>,
}

/// One group's head count and ages.
#[derive(Debug, Serialize)]
struct Group {
    group: Option<String>,
    count: i64,
    /// Rounded to 2 decimals.
    average_age: f64,
    min_age: i32,
    max_age: i32,
}

async fn stats(
    Db(db): Db,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<Vec<Group>>, ApiError> {
    let Query(query) = query?;
    let by = match query.by.as_deref() {
        None | Some("position") => GroupBy::Position,
        Some("department") => GroupBy::Department,
        Some(other) => {
            let reason = format!("by must be position or department, not `{other}`");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("by"));
        }
    };
    let groups = blocking(db, move |db| Employee::stats(&mut db.read_session()?, by)).await?;
    let groups = groups
        .into_iter()
        .map(|g| Group {
            group: g.group,
            count: g.count,
            average_age: (g.average_age * 100.0).round() / 100.0,
            min_age: g.min_age,
            max_age: g.max_age,
        })
        .collect();
    Ok(Json(groups))
}
