//! The JSON API's router, and its routes for employees, by the library's `Session` operations
//! (departments and statistics are in `departments.rs`).
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/employees?sort=name&desc=1` | 200 `{"items": […], "next": cursor-or-null}` | 400, 404 (the cursor's row is gone, on a sorted list), 422 |
//! | `GET /api/employees/{id}` | 200 the row | 400, 404 |
//! | `POST /api/employees` | 201 the stored row | 400, 409 (email taken, no such department), 413, 415, 422 |
//! | `PATCH /api/employees/{id}` | 200 the stored row | 400, 404, 409 (stale version, email taken, no such department), 413, 415, 422 |
//! | `DELETE /api/employees/{id}` | 204 | 400, 404 |
//!
//! A row is the stored [`Employee`] with its department's name beside its `department_id` (as
//! the CLI and the export show it). Integer fields take a whole number written as a float
//! (`39.0`), since JSON Schema's `integer`, which the OpenAPI document uses, admits it.

use std::time::Instant;

use super::acting::Db;
use crate::{
    Database, Department, DepartmentId, Employee, EmployeeChanges, EmployeeFilter, EmployeeId,
    EmployeeWithDepartment, ListOptions, NewEmployee, Session, SortKey,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::errors::ApiError;
use super::handlers::{blocking, remove};

/// The largest request body taken, in bytes; a larger one is refused with 413.
pub(crate) const BODY_LIMIT: usize = 1 << 20;
/// Rows per page when the request names no `limit`, and the most it may name.
pub(super) const DEFAULT_LIMIT: i64 = 50;
pub(super) const MAX_LIMIT: i64 = 1_000;

/// The API's routes (their state, body limits and log are the app's: see `web::app`).
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .route("/api/employees", get(list).post(create))
        .route(
            "/api/employees/{id}",
            get(show)
                .patch(change)
                .delete(|Db(db): Db, id: Result<Path<i64>, PathRejection>| {
                    remove(db, id, EmployeeId)
                }),
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

/// The most digits a cursor has: the document's `^[0-9]{0,18}$`.
pub(super) const CURSOR_DIGITS: usize = 18;

/// An employee as the API shows it: the stored row, and its department's name (`null` without
/// a department), which the CLI and the export show in its place.
#[derive(Debug, Serialize)]
pub(super) struct Row {
    #[serde(flatten)]
    employee: Employee,
    department: Option<String>,
}

impl From<EmployeeWithDepartment> for Row {
    fn from(row: EmployeeWithDepartment) -> Row {
        Row {
            employee: row.employee,
            department: row.department,
        }
    }
}

impl Row {
    /// One employee with its department's name, read in `session`.
    fn one(session: &mut Session, employee: Employee) -> crate::Result<Row> {
        let department = match employee.department_id {
            Some(id) => session.get(id)?.map(|d: Department| d.name),
            None => None,
        };
        Ok(Row {
            employee,
            department,
        })
    }
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

/// [`whole`], or `null`.
fn whole_or_null<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    struct Whole<T: TryFrom<i64>>(#[serde(deserialize_with = "whole")] T);
    Ok(Option::<Whole<T>>::deserialize(deserializer)?.map(|Whole(v)| v))
}

/// A present [`whole`] or `null`: `Some(None)` clears the field; an absent one is `None`.
fn present_whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    whole_or_null(deserializer).map(Some)
}

/// The body of `POST /api/employees`: a [`NewEmployee`], its integers read by [`whole`].
#[derive(Debug, Deserialize)]
struct NewEmployeeBody {
    name: String,
    #[serde(deserialize_with = "whole")]
    age: i32,
    position: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, deserialize_with = "whole_or_null")]
    department_id: Option<i64>,
    #[serde(default)]
    hired_on: Option<NaiveDate>,
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
    sort: Option<String>,
    desc: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The list's `sort`: a [`SortKey`] by name (`id` when absent); anything else is a 400 naming
/// `sort` and the keys it takes.
fn sort_key(sort: Option<&str>) -> Result<SortKey, ApiError> {
    sort.filter(|s| !s.is_empty())
        .map_or(Ok(SortKey::Id), str::parse)
        .map_err(|reason| ApiError::new(StatusCode::BAD_REQUEST, reason).on("sort"))
}

/// The list's `desc`: `1` or `true` for largest first, `0`, `false` or absent for smallest first.
fn descending(desc: Option<&str>) -> Result<bool, ApiError> {
    match desc {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => {
            let reason = "desc must be 1, true, 0 or false";
            Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("desc"))
        }
    }
}

/// A page of the list, and the cursor of the next (none after the last).
#[derive(Debug, Serialize)]
struct Page {
    items: Vec<Row>,
    next: Option<String>,
}

/// The id a list's `cursor` names: an empty or absent cursor is the first page (`None`);
/// otherwise it must be the digits a `next` gave (400 naming `cursor` if not).
pub(super) fn cursor_after(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(cursor) => {
            let digits =
                cursor.len() <= CURSOR_DIGITS && cursor.bytes().all(|b| b.is_ascii_digit());
            let parsed = digits.then(|| cursor.parse().ok()).flatten();
            let refused = || {
                ApiError::new(StatusCode::BAD_REQUEST, "not a cursor this API gave").on("cursor")
            };
            parsed.map(Some).ok_or_else(refused)
        }
    }
}

async fn list(
    Db(db): Db,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let reason = format!("limit must be between 1 and {MAX_LIMIT}");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason).on("limit"));
    }
    // PostgreSQL refuses a NUL in text outright: the client's mistake, not a 500.
    let texts = [
        ("position", &query.position),
        ("department", &query.department),
        ("name", &query.name),
    ];
    if let Some((name, _)) = texts
        .iter()
        .find(|(_, text)| text.as_deref().is_some_and(|t| t.contains('\0')))
    {
        let reason = format!("{name} must not contain NUL (%00)");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(*name));
    }
    let after = cursor_after(query.cursor.as_deref())?.map(EmployeeId);
    let mut options = ListOptions::new().sort(sort_key(query.sort.as_deref())?);
    options.descending = descending(query.desc.as_deref())?;
    // One row more than asked: whether there is a next page, without a count.
    options.limit = Some(limit + 1);
    let filter = EmployeeFilter {
        position: query.position,
        department: query.department,
        min_age: query.min_age,
        max_age: query.max_age,
        name_contains: query.name,
    };
    let (items, next) = blocking(db, move |db| {
        let mut session = db.read_session()?;
        let mut items =
            Employee::page_with_department_after(&mut session, &filter, &options, after)?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| e.employee.id.get().to_string())
        } else {
            None
        };
        Ok((items.into_iter().map(Row::from).collect(), next))
    })
    .await?;
    Ok(Json(Page { items, next }))
}

async fn show(Db(db): Db, id: Result<Path<i64>, PathRejection>) -> Result<Json<Row>, ApiError> {
    let Path(id) = id?;
    let row = blocking(db, move |db| {
        let mut session = db.read_session()?;
        let employee = session.get_one(EmployeeId(id))?;
        Row::one(&mut session, employee)
    })
    .await?;
    Ok(Json(row))
}

async fn create(
    Db(db): Db,
    body: Result<Json<NewEmployeeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let new = NewEmployee {
        name: body.name,
        age: body.age,
        position: body.position,
        email: body.email,
        department_id: body.department_id.map(DepartmentId),
        hired_on: body.hired_on,
    };
    let row = blocking(db, move |db| {
        db.transaction(|s| {
            if let Some(missing) = missing_department(s, new.department_id)? {
                return Ok(Err(missing));
            }
            let employee = s.add(&new)?;
            Row::one(s, employee).map(Ok)
        })
    })
    .await?
    .map_err(no_such_department)?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// A PATCH body: any subset of the fields (`null` clears an optional one), and the `version`
/// the client read, which makes the change conditional (a stale one is refused with 409).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    #[serde(default, deserialize_with = "some")]
    name: Option<String>,
    #[serde(default, deserialize_with = "some_whole")]
    age: Option<i32>,
    #[serde(default, deserialize_with = "some")]
    position: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present_whole")]
    department_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    hired_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "some_whole")]
    version: Option<i32>,
}

/// A field that, when present, is not `null` (only the optional columns can be cleared).
fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A present [`whole`] number, not `null`.
fn some_whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    whole(deserializer).map(Some)
}

/// A field that is present, `null` included: `Some(None)` clears it; an absent one is `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

async fn change(
    Db(db): Db,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Patch>, JsonRejection>,
) -> Result<Json<Row>, ApiError> {
    let (Path(id), Json(patch)) = (id?, body?);
    let changes = EmployeeChanges {
        name: patch.name,
        age: patch.age,
        position: patch.position,
        email: patch.email,
        department_id: patch.department_id.map(|id| id.map(DepartmentId)),
        hired_on: patch.hired_on,
    };
    if changes.is_empty() {
        let reason = "nothing to change: give at least one field";
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason));
    }
    let (id, version) = (EmployeeId(id), patch.version);
    let row = blocking(db, move |db| {
        db.transaction(|s| {
            if let Some(missing) = missing_department(s, changes.department_id.flatten())? {
                return Ok(Err(missing));
            }
            let employee = match version {
                Some(version) => s.update_if_version(id, version, &changes)?,
                None => s.update(id, &changes)?,
            };
            Row::one(s, employee).map(Ok)
        })
    })
    .await?
    .map_err(no_such_department)?;
    Ok(Json(row))
}

/// `department`, when it names no department: checked before the write, so that the answer
/// is a 409 that names the field rather than the database's foreign-key refusal.
fn missing_department(
    session: &mut Session,
    department: Option<DepartmentId>,
) -> crate::Result<Option<DepartmentId>> {
    match department {
        Some(id) if session.get(id)?.is_none() => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// A body naming a department that does not exist: 409, a conflict with what is stored.
fn no_such_department(id: DepartmentId) -> ApiError {
    let reason = format!("department {} does not exist", id.get());
    ApiError::new(StatusCode::CONFLICT, reason).on("department_id")
}
