//! Bulk delete from any registered model's list, as Django's "delete selected" action: the rows
//! ticked in the list are posted to a confirmation that names each one by its title, and a
//! second post deletes them in one transaction — all of them or none — then leads back to the
//! list, which says how many went. Both posts pass the CSRF and origin checks of every form.
//!
//! | route | what |
//! |---|---|
//! | `POST /{plural}/bulk-delete` (`id`, repeated) | the confirmation, naming each row |
//! | `POST /{plural}/bulk-delete/confirm` (`id`, repeated) | the delete, all or nothing |

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use maud::html;

use super::acting::Db;
use super::admin::AdminModel;
use super::html::{Chrome, FormValues, error_page, off_thread, respond};
use crate::{Database, Describe, Error, MAX_LIMIT};

/// The most rows one bulk delete takes: the largest page a list shows (`limit=1000`), so a
/// confirmation stays one page and the delete one short transaction.
const MOST: usize = MAX_LIMIT as usize;

/// The two posts of `M`'s bulk delete.
pub(crate) fn routes<M: AdminModel>() -> Router<Database> {
    let base = format!("/{}/bulk-delete", M::PLURAL);
    Router::new()
        .route(&base, post(confirm::<M>))
        .route(&format!("{base}/confirm"), post(delete::<M>))
}

/// Why a selection is refused, with the status it deserves.
type Refusal = (StatusCode, String);

/// The ids a bulk form selected, each once, in the order sent: refused when one is no id, when
/// there are none, or more than [`MOST`].
fn selected(form: &FormValues, name: &str) -> Result<Vec<i64>, Refusal> {
    let mut ids: Vec<i64> = Vec::new();
    for raw in form.all("id") {
        let id = raw.trim().parse().map_err(|_| {
            let message = format!("`{raw}` is not the id of a {name}: nothing was deleted");
            (StatusCode::BAD_REQUEST, message)
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        let message = format!("Select at least one {name} first.");
        return Err((StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    if ids.len() > MOST {
        let message = format!(
            "At most {MOST} rows are deleted at once ({} were selected): nothing was deleted",
            ids.len()
        );
        return Err((StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    Ok(ids)
}

/// A refusal's page, with the way back to the list.
fn refused<M: AdminModel>(chrome: &Chrome, (status, message): Refusal) -> Response {
    let body = html! {
        p #bulk-error.error { (message) }
        p { a href=(format!("/{}", M::PLURAL)) { "Back to the list" } }
    };
    let title = status.canonical_reason().unwrap_or("Refused");
    respond(status, chrome.page(title, body))
}

/// The confirmation: each selected row by its title, and a form that posts the same ids again.
/// A row that is gone already is said so, and nothing is offered for deletion.
async fn confirm<M: AdminModel>(
    Db(db): Db,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let ids = match selected(&FormValues(form), M::NAME) {
        Ok(ids) => ids,
        Err(refusal) => return refused::<M>(&chrome, refusal),
    };
    let lookup = ids.clone();
    let found = off_thread(db, move |db| {
        // One statement for every selected row, not one per row.
        let typed: Vec<M::Id> = lookup.iter().map(|&id| M::id_from(id)).collect();
        let rows: Vec<M> = db.read_session()?.get_many(&typed)?;
        let title_of = |id: i64| {
            rows.iter()
                .find(|row| Into::<i64>::into(row.id()) == id)
                .map(Describe::title)
        };
        Ok(lookup
            .iter()
            .map(|&id| (id, title_of(id)))
            .collect::<Vec<_>>())
    })
    .await;
    let titles = match found {
        Ok(titles) => titles,
        Err(error) => return error_page(&chrome, error),
    };
    if let Some((gone, _)) = titles.iter().find(|(_, title)| title.is_none()) {
        let message = format!("{} {gone} is gone already: nothing was deleted", M::NAME);
        return refused::<M>(&chrome, (StatusCode::NOT_FOUND, message));
    }
    let plural = if ids.len() == 1 { "" } else { "s" };
    let title = format!("Delete {} {}{plural}?", ids.len(), M::NAME);
    let body = html! {
        ul #doomed {
            @for (id, title) in &titles { li data-id=(id) { (title.as_deref().unwrap_or_default()) } }
        }
        form #confirm method="post" action=(format!("/{}/bulk-delete/confirm", M::PLURAL)) {
            (chrome.csrf_field())
            @for id in &ids { input type="hidden" name="id" value=(id); }
            button #confirm-delete.danger type="submit" { "Yes, delete them all" }
            " "
            a href=(format!("/{}", M::PLURAL)) { "No, keep them" }
        }
    };
    respond(StatusCode::OK, chrome.page(&title, body))
}

/// The delete, in one transaction: every selected row, or — when one is gone already, or other
/// rows refer to one through a foreign key that restricts deletes — none, said so.
async fn delete<M: AdminModel>(
    Db(db): Db,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let ids = match selected(&FormValues(form), M::NAME) {
        Ok(ids) => ids,
        Err(refusal) => return refused::<M>(&chrome, refusal),
    };
    let typed: Vec<M::Id> = ids.into_iter().map(M::id_from).collect();
    let deleted = off_thread(db, move |db| db.transaction(|s| s.delete_many(&typed))).await;
    match deleted {
        Ok(count) => Redirect::to(&format!("/{}?deleted={count}", M::PLURAL)).into_response(),
        Err(Error::NotFound { entity, id }) => {
            let message = format!("{entity} {id} is gone already: nothing was deleted");
            refused::<M>(&chrome, (StatusCode::NOT_FOUND, message))
        }
        Err(Error::ForeignKey(_)) => {
            let message = format!(
                "Other rows refer to a selected {} and their foreign key forbids deleting it: \
                 nothing was deleted",
                M::NAME
            );
            refused::<M>(&chrome, (StatusCode::CONFLICT, message))
        }
        Err(error) => error_page(&chrome, error),
    }
}
