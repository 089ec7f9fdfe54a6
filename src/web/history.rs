//! The history of every model declared with history ([`Describe::HISTORY_TABLE`]), in the
//! admin and the API, written once for all of them:
//!
//! | route | what |
//! |---|---|
//! | `GET /{plural}/{id}/history` | the row's changes, newest first: when, who, what each changed from what to what, and a button that restores the row to that version |
//! | `GET /{plural}/deleted` | the deleted rows, each with a button that brings it back under its own id |
//! | `POST /{plural}/{id}/restore` (form: `history_id`) | restores, then shows the row's history, its new version on top |
//! | `GET /api/{plural}/{id}/history` | 200 `{"items": [change…]}` oldest first; 404 for a row that never was |
//! | `GET /api/{plural}/deleted` | 200 `{"items": [change…]}`, the last change (the delete) of each deleted row |
//! | `POST /api/{plural}/{id}/restore` (`{"history_id": N}`) | 200 the row as stored; 404 (no such change of that row), 409 (a unique value taken since) |
//!
//! A change in JSON: `history_id`, `operation` (`baseline`, `insert`, `update`, `delete`), `at`
//! (RFC 3339, UTC), `user` (the staffdb user, or `null`), `database_user`, `changed` (each
//! column it changed: `{"from": …, "to": …}`, `from` absent for a new row) and `row`. Reading
//! needs the view permission; restoring, the change permission — as any other route
//! ([`super::login::required`]). There is no route that changes or deletes a history row.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::acting::Db;
use super::admin::AdminModel;
use super::errors::ApiError;
use super::handlers::blocking;
use super::html::{Chrome, error_page, off_thread, respond};
use super::model_api::{Row, row_json};
use crate::{
    Action, Change, ChangeRecord, Database, Describe, Difference, Error, Session, with_differences,
};

/// The history routes of `M`, pages and API (none for a model without history).
pub(crate) fn routes<M: AdminModel>() -> Router<Database> {
    if M::HISTORY_TABLE.is_none() {
        return Router::new();
    }
    let (pages, api) = (format!("/{}", M::PLURAL), format!("/api/{}", M::PLURAL));
    Router::new()
        .route(&format!("{pages}/{{id}}/history"), get(history_page::<M>))
        .route(&format!("{pages}/deleted"), get(deleted_page::<M>))
        .route(&format!("{pages}/{{id}}/restore"), post(restore_page::<M>))
        .route(&format!("{api}/{{id}}/history"), get(history_json::<M>))
        .route(&format!("{api}/deleted"), get(deleted_json::<M>))
        .route(&format!("{api}/{{id}}/restore"), post(restore_json::<M>))
}

/// The most changes, or deleted rows, a page shows: the newest (the API gives them all).
const SHOWN: usize = 1_000;

/// A list of changes.
#[derive(Debug, Serialize)]
#[serde(bound(serialize = "M: Describe"))]
struct Changes<'a, M: Describe> {
    items: Vec<ChangeRecord<'a, M>>,
}

/// The changes of the row `id`, oldest first; `NotFound` for a row that never was.
fn changes_of<M: AdminModel>(s: &mut Session, id: i64) -> crate::Result<Vec<Change<M>>> {
    let changes = s.history(M::id_from(id))?;
    if changes.is_empty() {
        return Err(Error::NotFound {
            entity: M::NAME,
            id,
        });
    }
    Ok(changes)
}

async fn history_json<M: AdminModel>(
    Db(db): Db,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let changes = blocking(db, move |db| changes_of::<M>(&mut db.read_session()?, id)).await?;
    let items = with_differences(&changes);
    Ok(Json(Changes { items }).into_response())
}

async fn deleted_json<M: AdminModel>(Db(db): Db) -> Result<Response, ApiError> {
    let deleted = blocking(db, |db| db.read_session()?.deleted::<M>()).await?;
    let items = deleted
        .iter()
        .map(|change| ChangeRecord {
            change,
            differences: Vec::new(),
        })
        .collect();
    Ok(Json(Changes { items }).into_response())
}

/// What a restore names: the change whose version the row gets back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreRequest {
    /// Also when written as a float (`7.0`), as JSON Schema's `integer` admits.
    #[serde(deserialize_with = "super::api::whole")]
    history_id: i64,
}

async fn restore_json<M: AdminModel>(
    Db(db): Db,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    body: Result<Json<RestoreRequest>, JsonRejection>,
) -> Result<Json<Row>, ApiError> {
    let (Path(id), Json(request)) = (id?, body?);
    let row = blocking(db, move |db| {
        Ok(db.transaction(|s| s.restore(M::id_from(id), request.history_id)))
    })
    .await?
    .map_err(restore_refused)?;
    Ok(Json(row_json(&row)))
}

/// A restore the database refused, as the API answers it: a row the version refers to that is
/// gone is a conflict with what is stored (409), like a unique value taken since.
fn restore_refused(error: Error) -> ApiError {
    match error {
        Error::ForeignKey(_) => ApiError::new(
            StatusCode::CONFLICT,
            "a row this version refers to is gone: nothing was restored",
        ),
        other => ApiError::from(other),
    }
}

async fn history_page<M: AdminModel>(Db(db): Db, chrome: Chrome, Path(id): Path<i64>) -> Response {
    let (changes, exists) = match off_thread(db, move |db| {
        // One snapshot: the row as its history says it is.
        let mut s = db.read_session()?;
        let changes = changes_of::<M>(&mut s, id)?;
        let exists = s.get(M::id_from(id))?.is_some();
        Ok((changes, exists))
    })
    .await
    {
        Ok(found) => found,
        Err(error) => return error_page(&chrome, error),
    };
    let may_restore = chrome.may(M::PLURAL, Action::Change);
    let latest = changes.last().map(|c| c.history_id);
    let older = changes.len().saturating_sub(SHOWN);
    let rows: Vec<Markup> = with_differences(&changes)
        .into_iter()
        .rev()
        .take(SHOWN)
        .map(|record| {
            // The current version needs no restoring; a deleted row comes back from its delete.
            let change = record.change;
            let offer = may_restore && (Some(change.history_id) != latest || !exists);
            change_row::<M>(&chrome, id, change, &record.differences, offer)
        })
        .collect();
    let title = format!("History of {} {id}", M::NAME);
    let body = html! {
        p { a href=(format!("/{}/{id}", M::PLURAL)) { "Back to " (M::NAME) " " (id) } }
        @if older > 0 {
            p #more { "The " (SHOWN) " latest changes; " (older) " older ones are in the API's "
                code { "/api/" (M::PLURAL) "/" (id) "/history" } "." }
        }
        table #history.list {
            thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "Changes" } th {} } }
            tbody { @for row in &rows { (row) } }
        }
    };
    respond(StatusCode::OK, chrome.page(&title, body))
}

/// One change in the history table.
fn change_row<M: AdminModel>(
    chrome: &Chrome,
    id: i64,
    change: &Change<M>,
    differences: &[Difference],
    offer_restore: bool,
) -> Markup {
    html! {
        tr.change {
            td { (change.at.format("%Y-%m-%d %H:%M:%S")) }
            td.who { (change.actor()) }
            td.operation { (change.operation) }
            td {
                @if differences.is_empty() && change.operation == crate::Operation::Delete {
                    "deleted"
                }
                ul.differences {
                    @for d in differences {
                        li {
                            strong { (d.column.label) } ": "
                            @if let Some(from) = &d.from { del { (shown(from)) } " → " }
                            ins { (shown(&d.to)) }
                        }
                    }
                }
            }
            td {
                @if offer_restore {
                    (restore_form::<M>(chrome, id, change.history_id))
                }
            }
        }
    }
}

/// A value as a person reads it: NULL as an em dash.
fn shown(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}

/// The button that restores the row `id` to the change `history_id`.
fn restore_form<M: AdminModel>(chrome: &Chrome, id: i64, history_id: i64) -> Markup {
    html! {
        form.restore method="post" action=(format!("/{}/{id}/restore", M::PLURAL)) {
            (chrome.csrf_field())
            input type="hidden" name="history_id" value=(history_id);
            button type="submit" { "Restore this version" }
        }
    }
}

async fn deleted_page<M: AdminModel>(Db(db): Db, chrome: Chrome) -> Response {
    let deleted = match off_thread(db, |db| db.read_session()?.deleted::<M>()).await {
        Ok(deleted) => deleted,
        Err(error) => return error_page(&chrome, error),
    };
    let may_restore = chrome.may(M::PLURAL, Action::Change);
    let columns = M::list_display();
    let title = format!("Deleted {}", M::PLURAL);
    let more = deleted.len().saturating_sub(SHOWN);
    let deleted = &deleted[..deleted.len().min(SHOWN)];
    let body = html! {
        @if deleted.is_empty() { p #none { "No " (M::NAME) " has been deleted." } }
        @if more > 0 {
            p #more { "The " (SHOWN) " deleted most recently; " (more) " more are in the API's "
                code { "/api/" (M::PLURAL) "/deleted" } "." }
        }
        @else {
            table #deleted.list {
                thead { tr {
                    @for column in &columns { th { (column.label) } }
                    th { "Deleted (UTC)" } th { "By" } th {}
                } }
                tbody {
                    @for change in deleted {
                        @let id: i64 = change.row.id().into();
                        tr {
                            @for cell in change.row.cells() { td { (cell) } }
                            td { (change.at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (change.actor()) }
                            td {
                                a href=(format!("/{}/{id}/history", M::PLURAL)) { "history" }
                                @if may_restore { (restore_form::<M>(&chrome, id, change.history_id)) }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, chrome.page(&title, body))
}

/// The restore form's fields (the CSRF token is the middleware's).
#[derive(Debug, Deserialize)]
struct RestoreForm {
    history_id: i64,
}

async fn restore_page<M: AdminModel>(
    Db(db): Db,
    chrome: Chrome,
    Path(id): Path<i64>,
    form: Result<Form<RestoreForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let reason = Error::Validation {
            field: "history_id",
            reason: "the form names no change to restore".into(),
            record: None,
        };
        return error_page(&chrome, reason);
    };
    let restored = off_thread(db, move |db| {
        db.transaction(|s| s.restore(M::id_from(id), form.history_id))
    })
    .await;
    match restored {
        Ok(_) => Redirect::to(&format!("/{}/{id}/history", M::PLURAL)).into_response(),
        Err(error) => error_page(&chrome, error),
    }
}
