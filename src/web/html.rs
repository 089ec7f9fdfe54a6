//! The admin pages' frame and pieces: the page layout and its menu, form fields with their
//! errors beside them, a submitted form's values, and the error page.
//!
//! Every page is written with maud's `html!`, which escapes every value it is given: a stored
//! name `<script>…</script>` is shown as text. No page has an inline script or style; the one
//! stylesheet and the one script are served from `/static/` (see [`assets`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use maud::{DOCTYPE, Markup, html};

use super::security::CsrfToken;
use crate::{Database, Error};

/// What every page's frame needs from the request: the CSRF token its forms carry, the models
/// the menu links to, and whether there is a login to leave.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub(crate) csrf: String,
    menu: Menu,
    logged_in: bool,
    user: Option<Arc<CurrentUser>>,
}

/// Whether the visitor is logged in (a request extension the login sets; false when there is
/// no login): the frame shows "Log out" then; and who, when the server has users.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoginState {
    pub(crate) logged_in: bool,
    pub(crate) user: Option<Arc<CurrentUser>>,
}

/// The user a request is from, and what their role grants.
#[derive(Debug)]
pub(crate) struct CurrentUser {
    pub(crate) user: crate::User,
    pub(crate) may: crate::Permissions,
}

/// The menu's entries: a path and its label.
#[derive(Debug, Clone, Default)]
pub(crate) struct Menu(pub(crate) Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|token| token.0.clone())
            .unwrap_or_default();
        let menu = parts.extensions.get::<Menu>().cloned().unwrap_or_default();
        let state = parts
            .extensions
            .get::<LoginState>()
            .cloned()
            .unwrap_or_default();
        Ok(Chrome {
            csrf,
            menu,
            logged_in: state.logged_in,
            user: state.user,
        })
    }
}

impl Chrome {
    /// The logged-in user's name, on a server with users.
    pub(crate) fn user_name(&self) -> Option<&str> {
        self.user.as_ref().map(|current| current.user.name.as_str())
    }

    /// Whether the visitor may do `action` to the model `plural`: always, on a server without
    /// users; else as their role grants. Pages show a link or button only when it may be used
    /// (the route refuses it anyway: see `login::authorize`).
    pub(crate) fn may(&self, plural: &str, action: crate::Action) -> bool {
        self.user
            .as_ref()
            .is_none_or(|current| current.may.allows(plural, action))
    }

    /// A whole page: the menu, the title, then `body`.
    pub(crate) fn page(&self, title: &str, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · staffdb" }
                    link rel="stylesheet" href="/static/admin.css";
                    script src="/static/admin.js" defer {}
                }
                body {
                    nav #menu {
                        a.brand href="/employees" { "staffdb" }
                        @for (path, label) in &self.menu.0 {
                            a href=(path) { (label) }
                        }
                        a href="/stats" { "Stats" }
                        a href="/import" { "Import / export" }
                        @if let Some(current) = &self.user {
                            span #who { (current.user.name) " (" (current.user.role) ")" }
                        }
                        @if self.logged_in {
                            form.logout method="post" action="/logout" {
                                (self.csrf_field())
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                    main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
    }

    /// The hidden field every form that posts carries.
    pub(crate) fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// Runs `work` on the blocking pool, where Diesel's calls belong, for a page (which shows the
/// library's error itself).
pub(crate) async fn off_thread<T, F>(db: Database, work: F) -> crate::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Database) -> crate::Result<T> + Send + 'static,
{
    db.blocking(work).await
}

/// An HTML page with a status.
pub(crate) fn respond(status: StatusCode, page: Markup) -> Response {
    (status, page).into_response()
}

/// The page for a failure: the library's message, with the status it deserves. Errors that are
/// not the visitor's (a lost database, a bug) are logged and shown without their details.
pub(crate) fn error_page(chrome: &Chrome, error: Error) -> Response {
    let status = status_of(&error);
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        eprintln!("error: {:#}", anyhow::Error::new(error));
        "internal error: the server's log says more".to_owned()
    } else if matches!(
        error,
        Error::Connection { .. }
            | Error::NoPrimary { .. }
            | Error::NoSchema { .. }
            | Error::SchemaBehind { .. }
    ) {
        eprintln!("error: {:#}", anyhow::Error::new(error));
        super::errors::UNAVAILABLE.to_owned()
    } else {
        error.to_string()
    };
    let title = status.canonical_reason().unwrap_or("Error");
    respond(
        status,
        chrome.page(title, html! { p #error.error { (message) } }),
    )
}

/// The status that an error of the library deserves on a page.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::Validation { .. } | Error::ForeignKey(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound { .. } | Error::NoSuchName { .. } => StatusCode::NOT_FOUND,
        Error::Conflict { .. } | Error::UniqueViolation { .. } => StatusCode::CONFLICT,
        Error::ReadOnlyServer(_)
        | Error::ReadOnlyFile(_)
        | Error::Connection { .. }
        | Error::NoSchema { .. }
        | Error::SchemaBehind { .. }
        | Error::LockTimeout(_)
        | Error::NoPrimary { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The field a library error is about, as a form names it, if it names one.
pub(crate) fn field_of(error: &Error) -> Option<&str> {
    match error {
        Error::Validation { field, .. } => Some(match *field {
            "department name" => "name",
            other => other,
        }),
        Error::UniqueViolation { field, .. } => Some(field.as_str()),
        Error::ForeignKey(_) => Some("department_id"),
        _ => None,
    }
}

/// What a form field holds and how it is typed in.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// An email address.
    Email,
    /// A whole number between the two bounds.
    Number {
        /// The smallest number taken.
        min: i64,
        /// The largest number taken.
        max: i64,
    },
    /// A date (`YYYY-MM-DD`).
    Date,
    /// One of these `(value, label)` pairs; the value `""` means none.
    Choice(Vec<(String, String)>),
    /// Any number of these `(value, label)` pairs (a many-to-many relation's rows), sent as
    /// the field's name repeated.
    Many(Vec<(String, String)>),
    /// Any number of ids, typed comma-separated: a many-to-many relation with too many rows to
    /// list.
    Ids,
}

/// One field of a model's add and edit forms.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name in the form, and the name the library's errors give it.
    pub name: &'static str,
    /// What the form calls it.
    pub label: &'static str,
    /// How it is typed in.
    pub kind: FieldKind,
    /// Whether the form insists on a value.
    pub required: bool,
}

impl Field {
    /// A field of `kind`, optional until [`Field::required`].
    pub fn new(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
        Field {
            name,
            label,
            kind,
            required: false,
        }
    }

    /// The same field, which must be filled in.
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// Every value of this field in `values` as a person reads them, joined by commas: a
    /// [`FieldKind::Many`] has several.
    pub(crate) fn shown_all(&self, values: &FormValues) -> String {
        let shown: Vec<&str> = values
            .all(self.name)
            .filter(|value| !value.is_empty())
            .map(|value| self.shown(value))
            .collect();
        shown.join(", ")
    }

    /// A value of this field as a person reads it: a choice by its label, not its value.
    pub(crate) fn shown<'v>(&'v self, value: &'v str) -> &'v str {
        match &self.kind {
            FieldKind::Choice(choices) | FieldKind::Many(choices) => choices
                .iter()
                .find(|(option, _)| option == value)
                .map_or(value, |(_, label)| label.as_str()),
            _ => value,
        }
    }
}

/// A form's fields, filled with `values`, with `error` (a field and a reason) shown beside its
/// field.
pub(crate) fn fields(fields: &[Field], values: &FormValues, error: Option<(&str, &str)>) -> Markup {
    html! {
        @for field in fields {
            @let value = values.raw(field.name);
            @let id = format!("field-{}", field.name);
            @let wrong = error.filter(|(name, _)| *name == field.name);
            div.field.invalid[wrong.is_some()] {
                label for=(id) { (field.label) @if field.required { " *" } }
                (input(field, &id, value, values))
                @if let Some((_, reason)) = wrong {
                    span.error id=(format!("error-{}", field.name)) { (reason) }
                }
            }
        }
    }
}

/// The input for one field (`values` for a field of several).
fn input(field: &Field, id: &str, value: &str, values: &FormValues) -> Markup {
    let (name, required) = (field.name, field.required);
    match &field.kind {
        // The hidden empty value says the form had the field, so that a form sent with none
        // selected empties the set, while a form without the field leaves it as it is.
        FieldKind::Many(choices) => html! {
            input type="hidden" name=(name) value="";
            select id=(id) name=(name) multiple size=(choices.len().clamp(2, 10)) {
                @for (option, label) in choices {
                    option value=(option) selected[values.all(name).any(|v| v == option)] {
                        (label)
                    }
                }
            }
        },
        FieldKind::Choice(choices) => html! {
            select id=(id) name=(name) required[required] {
                @if !required { option value="" { "—" } }
                @for (option, label) in choices {
                    option value=(option) selected[option == value] { (label) }
                }
            }
        },
        FieldKind::Ids => {
            let ids: Vec<&str> = values.all(name).filter(|v| !v.is_empty()).collect();
            html! {
                input id=(id) name=(name) type="text" value=(ids.join(", "))
                    placeholder="ids, comma-separated" inputmode="numeric";
            }
        }
        FieldKind::Number { min, max } => html! {
            input id=(id) name=(name) type="number" min=(min) max=(max) value=(value)
                required[required];
        },
        kind => {
            let kind = match kind {
                FieldKind::Email => "email",
                FieldKind::Date => "date",
                _ => "text",
            };
            html! { input id=(id) name=(name) type=(kind) value=(value) required[required]; }
        }
    }
}

/// A submitted form's values, in the order sent (a checkbox list repeats its name).
#[derive(Debug, Clone, Default)]
pub struct FormValues(pub Vec<(String, String)>);

impl FormValues {
    /// The value as sent, `""` when absent.
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value sent under `name`.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value trimmed, `None` when blank.
    pub fn text(&self, name: &str) -> Option<String> {
        let value = self.raw(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The value as typed (the library decides what is blank), `""` when absent.
    pub fn string(&self, name: &str) -> String {
        self.raw(name).to_owned()
    }

    /// A whole number, `None` when blank; anything else is refused, naming the field.
    pub fn number<T: std::str::FromStr>(&self, name: &'static str) -> crate::Result<Option<T>> {
        self.parsed(name, "a whole number")
    }

    /// A required whole number.
    pub fn required_number<T: std::str::FromStr>(&self, name: &'static str) -> crate::Result<T> {
        self.number(name)?
            .ok_or_else(|| Error::validation(name, "must not be blank"))
    }

    /// A date (`YYYY-MM-DD`), `None` when blank.
    pub fn date(&self, name: &'static str) -> crate::Result<Option<NaiveDate>> {
        self.parsed(name, "a date like 2024-03-01")
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        what: &str,
    ) -> crate::Result<Option<T>> {
        match self.text(name) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| Error::validation(name, format!("must be {what} (got `{text}`)"))),
        }
    }
}

/// `/static/admin.css` and `/static/admin.js`, compiled into the binary: no build step, no CDN.
pub(crate) fn assets() -> Router {
    Router::new()
        .route(
            "/static/admin.css",
            get(|| async {
                (
                    [("content-type", "text/css")],
                    include_str!("static/admin.css"),
                )
            }),
        )
        .route(
            "/static/admin.js",
            get(|| async {
                let js = include_str!("static/admin.js");
                ([("content-type", "text/javascript")], js)
            }),
        )
}
