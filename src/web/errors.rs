//! How the API answers a failure: a status and a JSON body naming the field and the reason,
//! never an HTML page or a stack trace.

use crate::Error;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What a client is told when the database cannot be reached.
pub(crate) const UNAVAILABLE: &str =
    "the database is unavailable: try again shortly (the server's log says why)";

/// A failed request: its status, its message, and the field it is about.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    field: Option<String>,
    extra: Option<(&'static str, serde_json::Value)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
            extra: None,
        }
    }

    /// The library names a field as a sentence does ("department name"); a JSON body names it
    /// by its key: this error's `library` field becomes `key`.
    pub(crate) fn field_as(mut self, library: &str, key: &str) -> Self {
        if self.field.as_deref() == Some(library) {
            self.field = Some(key.to_owned());
        }
        self
    }

    /// The same error with its message rewritten by `reword` (to say where, say).
    pub(crate) fn reworded(mut self, reword: impl FnOnce(String) -> String) -> Self {
        self.message = reword(self.message);
        self
    }

    /// What went wrong, as the body says it.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The status the answer has.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The field the error names, as a body names it.
    pub(crate) fn on(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message, "field": self.field });
        if let (Some((key, value)), Some(object)) = (self.extra, body.as_object_mut()) {
            object.insert(key.to_owned(), value);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            Error::Validation { field, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).on(field)
            }
            Error::NotFound { .. } | Error::NoSuchName { .. } | Error::NoHistory { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, message)
            }
            Error::Conflict { actual, .. } => ApiError {
                extra: Some(("current_version", json!(actual))),
                ..ApiError::new(StatusCode::CONFLICT, message).on("version")
            },
            Error::Refused { .. } => ApiError::new(StatusCode::CONFLICT, message),
            Error::UniqueViolation { ref field, .. } => {
                let field = field.clone();
                ApiError::new(StatusCode::CONFLICT, message).on(field)
            }
            Error::ForeignKey(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).on("department_id")
            }
            Error::ReadOnlyServer(_) | Error::ReadOnlyFile(_) | Error::LockTimeout(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
            }
            Error::Connection { .. }
            | Error::NoPrimary { .. }
            | Error::NoSchema { .. }
            | Error::SchemaBehind { .. } => {
                // The log may say which database and why; a client is told neither (its host,
                // user and name are nobody else's business).
                eprintln!("error: {:#}", anyhow::Error::new(error));
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
            }
            other => {
                // The chain goes to the log (the library keeps passwords out of it), not to
                // the client.
                eprintln!("error: {:#}", anyhow::Error::new(other));
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        // 400 malformed JSON, 415 not `application/json`, 413 over the body limit, 422 JSON of
        // the wrong shape: the status axum chose, with its reason in JSON.
        ApiError::new(rejection.status(), rejection.body_text())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        // 413 over the body limit, 400 a body that could not be read (cut off or stalled): in
        // JSON, as every answer under `/api/` is (axum's own rejection is plain text).
        ApiError::new(rejection.status(), rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text()).on("id")
    }
}
