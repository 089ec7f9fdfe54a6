//! The JSON API's router, and its routes for employees, by the library's `Session` operations
//! (departments and statistics are in `departments.rs`).
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/employees` | 200 `{"items": […], "next": cursor-or-null}` | 400, 422 |
//! | `GET /api/employees/{id}` | 200 the row | 400, 404 |
//! | `POST /api/employees` | 201 the stored row | 400, 409, 413, 415, 422 |
//! | `PATCH /api/employees/{id}` | 200 the stored row | 400, 404, 409, 413, 415, 422 |
//! | `DELETE /api/employees/{id}` | 204 | 400, 404 |

use std::time::Instant;

use crate::{
    Database, DepartmentId, Employee, EmployeeChanges, EmployeeFilter, EmployeeId, ModelId,
    NewEmployee,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::errors::ApiError;

/// The largest request body taken, in bytes; a larger one is refused with 413.
pub(crate) const BODY_LIMIT: usize = 1 << 20;
/// Rows per page when the request names no `limit`, and the most it may name.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1_000;

/// The API's routes (their state, body limits and log are the app's: see `web::app`).
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .route("/api/employees", get(list).post(create))
        .route(
            "/api/employees/{id}",
            get(show).patch(change).delete(
                |State(db): State<Database>, id: Result<Path<i64>, PathRejection>| {
                    remove(db, id, EmployeeId)
                },
            ),
        )
        .merge(super::departments::routes())
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
    let limit = match request.uri().path() {
        "/api/import" | "/import" => super::transfer::IMPORT_LIMIT,
        _ => BODY_LIMIT,
    };
    if announced.is_some_and(|length| length > limit) {
        let reason = format!("the body is over the limit of {limit} bytes");
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, reason).into_response();
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

/// Runs `work` on the blocking pool, where Diesel's calls belong.
pub(super) async fn blocking<T, F>(db: Database, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Database) -> crate::Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || work(&db))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?
        .map_err(ApiError::from)
}

/// The list's query parameters: the CLI's filters, a page size and the cursor `next` gave.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    position: Option<String>,
    department: Option<String>,
    min_age: Option<i32>,
    max_age: Option<i32>,
    name: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// A page of the list, and the cursor of the next (none after the last).
#[derive(Debug, Serialize)]
struct Page {
    items: Vec<Employee>,
    next: Option<String>,
}

async fn list(
    State(db): State<Database>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let reason = format!("limit must be between 1 and {MAX_LIMIT}");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason).on("limit"));
    }
    let after = match query.cursor.as_deref() {
        None => None,
        Some(cursor) => Some(cursor.parse().map(EmployeeId).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "not a cursor this API gave").on("cursor")
        })?),
    };
    let filter = EmployeeFilter {
        position: query.position,
        department: query.department,
        min_age: query.min_age,
        max_age: query.max_age,
        name_contains: query.name,
    };
    // One row more than asked: whether there is a next page, without a count.
    let mut items = blocking(db, move |db| {
        Employee::page_after(&mut db.read_session()?, &filter, after, limit + 1)
    })
    .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|e| e.id.get().to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next }))
}

async fn show(
    State(db): State<Database>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Employee>, ApiError> {
    let Path(id) = id?;
    let row = blocking(db, move |db| db.read_session()?.get_one(EmployeeId(id))).await?;
    Ok(Json(row))
}

async fn create(
    State(db): State<Database>,
    body: Result<Json<NewEmployee>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(new) = body?;
    let row = blocking(db, move |db| db.transaction(|s| s.add(&new))).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// A PATCH body: any subset of the fields (`null` clears an optional one), and the `version`
/// the client read, which makes the change conditional (a stale one is refused with 409).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    name: Option<String>,
    age: Option<i32>,
    position: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "present")]
    hired_on: Option<Option<NaiveDate>>,
    version: Option<i32>,
}

/// A field that is present, `null` included: `Some(None)` clears it; an absent one is `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

async fn change(
    State(db): State<Database>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Patch>, JsonRejection>,
) -> Result<Json<Employee>, ApiError> {
    let (Path(id), Json(patch)) = (id?, body?);
    let changes = EmployeeChanges {
        name: patch.name,
        age: patch.age,
        position: patch.position,
        email: patch.email,
        department_id: patch.department_id,
        hired_on: patch.hired_on,
    };
    if changes.is_empty() {
        let reason = "nothing to change: give at least one field";
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason));
    }
    let (id, version) = (EmployeeId(id), patch.version);
    let row = blocking(db, move |db| {
        db.transaction(|s| match version {
            Some(version) => s.update_if_version(id, version, &changes),
            None => s.update(id, &changes),
        })
    })
    .await?;
    Ok(Json(row))
}

/// `DELETE` of one row of any model, its id made by `id_of`: 204, or 404 for an unknown id.
pub(super) async fn remove<I: ModelId + Send + 'static>(
    db: Database,
    id: Result<Path<i64>, PathRejection>,
    id_of: fn(i64) -> I,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    blocking(db, move |db| db.transaction(|s| s.delete(id_of(id)))).await?;
    Ok(StatusCode::NO_CONTENT)
}
