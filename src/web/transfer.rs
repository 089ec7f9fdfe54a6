//! The JSON API's import and export.
//!
//! | route | success | failures |
//! |---|---|---|
//! | `POST /api/import[?upsert=true]` (`text/csv` or `application/json`) | 200 `{"added", "updated"}` | 400, 409, 413, 415, 422 |
//! | `GET /api/export[?format=csv\|json]` (and `/export`, the admin's link) | 200 the file, streamed | 400 |
//!
//! An import is all or nothing (the library's [`import_rows`] and [`upsert_rows`], as every
//! model's import is); its body is held whole, up to [`IMPORT_LIMIT`], so that a transaction
//! the database asks to run again can read it again. An export is never
//! held whole: a blocking task writes it in chunks into a channel that the response streams.
//!
//! An export holds a database connection for as long as it runs, so a client that stops reading
//! would hold one for ever: at most [`Limits::exports`](super::Limits) run at once (a 503 with
//! `Retry-After` past that, so the pages and the API always keep connections), and one whose
//! client reads nothing for [`Limits::stall_timeout`](super::Limits) is abandoned, its
//! connection returned.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use super::acting::Db;
use crate::{
    Database, Employee, Error, ImportRowsError, Listed, RecordFormat, Upserted, import_rows,
    upsert_rows,
};
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::errors::ApiError;
use super::handlers::blocking;

/// The largest import body taken, in bytes (100,000 employees as CSV are about 6 MB).
pub(super) const IMPORT_LIMIT: usize = 64 << 20;
/// How much of an export is sent at a time.
const CHUNK: usize = 64 << 10;
/// The import and export routes.
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .route(
            "/api/import",
            post(import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/api/export", get(export))
        // The admin's download link: the same file.
        .route("/export", get(export))
}

/// The column `?upsert=true` finds employees by.
pub(super) const UPSERT_ON: &str = "email";

/// `?upsert=true` updates the employee with a record's email instead of refusing the import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    upsert: bool,
}

async fn import(
    Db(db): Db,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let body = body?;
    let format = match content_type(&headers) {
        Some("text/csv") => RecordFormat::Csv,
        Some("application/json") => RecordFormat::Json,
        _ => {
            let reason = "an import is text/csv or application/json";
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, reason));
        }
    };
    let upsert_on = query.upsert.then(|| UPSERT_ON.to_owned());
    let imported = import_body::<Employee>(db, body, format, upsert_on).await?;
    let body = serde_json::json!({ "added": imported.added, "updated": imported.updated });
    Ok(Json(body).into_response())
}

/// Adds (or with `upsert_on`, a unique column, adds or updates) every record of a whole CSV or
/// JSON body, all or nothing ([`import_rows`], [`upsert_rows`]), off the async threads; run
/// again when a concurrent writer caused the failure (an upsert's value added meanwhile).
pub(super) async fn import_body<M: Listed>(
    db: Database,
    body: Bytes,
    format: RecordFormat,
    upsert_on: Option<String>,
) -> Result<Upserted, ApiError> {
    blocking(db, move |db| {
        Ok(db.transaction_with(
            |s| match &upsert_on {
                Some(on) => upsert_rows::<M>(s, format, &body[..], on),
                None => import_rows::<M>(s, format, &body[..])
                    .map(|added| Upserted { added, updated: 0 }),
            },
            database_error,
        ))
    })
    .await?
    .map_err(import_refused)
}

/// The database's error in an import's, which decides whether it is run again.
fn database_error(error: &ImportRowsError) -> Option<&Error> {
    match error {
        ImportRowsError::Database(error) => Some(error),
        _ => None,
    }
}

/// The media type of the request, without its parameters (`text/csv; charset=utf-8`).
pub(super) fn content_type(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or(value).trim())
}

/// Why an import wrote nothing, as the API says it: the place and the column named, and that
/// nothing was imported.
fn import_refused(error: ImportRowsError) -> ApiError {
    let error = match error {
        ImportRowsError::Database(Error::ForeignKey(_)) => {
            let reason = "a record names a row that does not exist; nothing was imported";
            return ApiError::new(StatusCode::CONFLICT, reason);
        }
        ImportRowsError::Database(taken @ Error::UniqueViolation { .. }) => {
            return ApiError::from(taken).reworded(|m| format!("{m}; nothing was imported"));
        }
        ImportRowsError::Database(other) => return ApiError::from(other),
        other => other,
    };
    let message = format!("{error}; nothing was imported");
    let (status, field) = match &error {
        ImportRowsError::Read(_) => (StatusCode::BAD_REQUEST, None),
        ImportRowsError::UpsertOn { .. } => (StatusCode::BAD_REQUEST, Some("upsert_on")),
        ImportRowsError::UnknownColumn { name, .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(name.as_str()))
        }
        ImportRowsError::DuplicateColumn(field)
        | ImportRowsError::MissingColumn(field)
        | ImportRowsError::Invalid { field, .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(*field))
        }
        // Two records for one row conflict as they do without `upsert_on`, where the second
        // finds the value taken.
        ImportRowsError::DuplicateKey { field, .. } | ImportRowsError::Taken { field, .. } => {
            (StatusCode::CONFLICT, Some(*field))
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, None),
    };
    let refused = ApiError::new(status, message);
    match field {
        Some(field) => refused.on(field),
        None => refused,
    }
}

/// The exports that may run at once, and how long one waits for its client to read.
#[derive(Debug, Clone)]
pub(crate) struct Exports {
    slots: Arc<tokio::sync::Semaphore>,
    stall: Duration,
}

impl Exports {
    pub(super) fn new(limits: &super::Limits) -> Exports {
        Exports {
            slots: Arc::new(tokio::sync::Semaphore::new(limits.exports.max(1))),
            stall: limits.stall_timeout,
        }
    }
}

/// `?format=csv` (the default) or `?format=json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
    Db(db): Db,
    Extension(exports): Extension<Exports>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let (format, media, extension) = match query.format.as_deref().unwrap_or("csv") {
        "csv" => (RecordFormat::Csv, "text/csv", "csv"),
        "json" => (RecordFormat::Json, "application/json", "json"),
        other => {
            let reason = format!("format `{other}`: give csv or json");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("format"));
        }
    };
    let filename = format!("employees.{extension}");
    export_response(db, &exports, media, &filename, move |session, out| {
        Employee::export(session, format, out)
    })
    .await
}

/// The answer of an export: the file `write` makes from one read session (one snapshot),
/// streamed as `media` under `filename`; a 503 with `Retry-After` when every export slot is
/// taken.
pub(super) async fn export_response<E: fmt::Display>(
    db: Database,
    exports: &Exports,
    media: &str,
    filename: &str,
    write: impl FnOnce(&mut crate::Session, ChannelWriter) -> Result<(), E> + Send + 'static,
) -> Result<Response, ApiError> {
    let Ok(slot) = exports.slots.clone().try_acquire_owned() else {
        let reason = "every export slot is taken: try again shortly";
        let busy = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason).into_response();
        return Ok(([(header::RETRY_AFTER, "5")], busy).into_response());
    };
    // Opened before the first byte is sent, so that a database that cannot be read is a status,
    // not a cut-off download.
    let session = blocking(db, |db| db.read_session()).await?;
    let body = stream_export(session, slot, exports.stall, write);
    let disposition = format!("attachment; filename=\"{filename}\"");
    let headers = [
        (header::CONTENT_TYPE, media.to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}

/// The export `write` makes, written by a blocking task and streamed as it comes; it holds
/// `slot` and `session` until it ends. A failed or abandoned export ends the body with an error
/// (the connection cut, no last chunk), so that it never looks complete.
pub(super) fn stream_export<E: fmt::Display>(
    mut session: crate::Session,
    slot: tokio::sync::OwnedSemaphorePermit,
    stall: Duration,
    write: impl FnOnce(&mut crate::Session, ChannelWriter) -> Result<(), E> + Send + 'static,
) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
    let runtime = tokio::runtime::Handle::current();
    // How the export ended, told to the stream once every chunk is sent.
    let (ended, outcome) = tokio::sync::oneshot::channel::<bool>();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let out = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
            runtime,
            stall,
            broken: false,
        };
        let exported = write(&mut session, out);
        if let Err(error) = &exported {
            // The client sees a cut-off body; the log says why.
            eprintln!("error: export failed: {error:#}");
        }
        let _ = ended.send(exported.is_ok());
    });
    let chunks = futures_util::stream::unfold(Some((receiver, outcome)), |state| async move {
        let (mut receiver, outcome) = state?;
        match receiver.recv().await {
            Some(chunk) => Some((chunk, Some((receiver, outcome)))),
            // All sent: the end of a whole export, or an error that cuts the body off.
            None => match outcome.await {
                Ok(true) => None,
                _ => Some((Err(io::Error::other("the export failed")), None)),
            },
        }
    });
    Body::from_stream(chunks)
}

/// Sends what is written in chunks of [`CHUNK`] bytes; a client that went away stops the writer
/// with a broken pipe, and one that reads nothing for `stall` with a time-out.
pub(super) struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
    runtime: tokio::runtime::Handle,
    stall: Duration,
    /// Set by the first failed send: every later write fails at once, without waiting again.
    broken: bool,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.broken {
            self.buffer.clear();
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the export was abandoned",
            ));
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        let sent = self
            .runtime
            .block_on(self.sender.send_timeout(Ok(chunk), self.stall));
        self.broken = sent.is_err();
        match sent {
            Ok(()) => Ok(()),
            Err(tokio::sync::mpsc::error::SendTimeoutError::Closed(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(tokio::sync::mpsc::error::SendTimeoutError::Timeout(_)) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {} s", self.stall.as_secs_f64()),
            )),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}
