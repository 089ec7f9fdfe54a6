//! The JSON API's routes for departments and statistics.
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/departments` | 200 every department, by id | |
//! | `GET /api/departments/{id}` | 200 the row | 400, 404 |
//! | `POST /api/departments` `{"name": …}` | 201 the stored row | 400, 409 name taken, 413, 415, 422 |
//! | `PATCH /api/departments/{id}` `{"name": …}` | 200 the renamed row | 400, 404, 409, 413, 415, 422 |
//! | `DELETE /api/departments/{id}` | 204 (its employees keep no department) | 400, 404 |
//! | `GET /api/stats?by=position\|department` | 200 one object per group (`average_age` rounded to 2 decimals) | 400 |

use super::acting::Db;
use crate::{
    Database, Department, DepartmentChanges, DepartmentId, Employee, GroupBy, NewDepartment,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::handlers::{blocking, remove};

/// The departments' and the statistics' routes.
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .route("/api/departments", get(list).post(create))
        .route(
            "/api/departments/{id}",
            get(show)
                .patch(rename)
                .delete(|Db(db): Db, id: Result<Path<i64>, PathRejection>| {
                    remove(db, id, DepartmentId)
                }),
        )
        .route("/api/stats", get(stats))
}

async fn list(Db(db): Db) -> Result<Json<Vec<Department>>, ApiError> {
    let all = blocking(db, |db| Department::all(&mut db.read_session()?)).await?;
    Ok(Json(all))
}

async fn show(
    Db(db): Db,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Department>, ApiError> {
    let Path(id) = id?;
    let row = blocking(db, move |db| db.read_session()?.get_one(DepartmentId(id))).await?;
    Ok(Json(row))
}

/// A department's body: its name, and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    name: String,
}

async fn create(
    Db(db): Db,
    body: Result<Json<Named>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(Named { name }) = body?;
    let new = NewDepartment::new(name);
    let row = blocking(db, move |db| db.transaction(|s| s.add(&new)))
        .await
        .map_err(|e| e.field_as("department name", "name"))?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

async fn rename(
    Db(db): Db,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Named>, JsonRejection>,
) -> Result<Json<Department>, ApiError> {
    let (Path(id), Json(Named { name })) = (id?, body?);
    let changes = DepartmentChanges { name: Some(name) };
    let row = blocking(db, move |db| {
        db.transaction(|s| s.update(DepartmentId(id), &changes))
    })
    .await
    .map_err(|e| e.field_as("department name", "name"))?;
    Ok(Json(row))
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
