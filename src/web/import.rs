//! The import and export page: upload a CSV or JSON file (all or nothing; the first bad record
//! is named with its line and field), or download every employee.

use super::acting::Db;
use crate::{Database, Employee, RecordFormat};
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::html::{Chrome, respond};
use super::security::{forbidden, same, timed_out};
use super::transfer::{IMPORT_LIMIT, UPSERT_ON, import_body};

/// `GET /import` and `POST /import` (multipart: `csrf`, `file`, `upsert`).
pub(crate) fn routes() -> Router<Database> {
    Router::new().route(
        "/import",
        get(page)
            .post(import)
            .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
    )
}

async fn page(chrome: Chrome) -> Response {
    respond(StatusCode::OK, import_page(&chrome, html! {}))
}

fn import_page(chrome: &Chrome, outcome: Markup) -> Markup {
    let body = html! {
        (outcome)
        section {
            h2 { "Import" }
            p { "A CSV file with a header row (name, age, position, email, department, hired_on), or a
                 JSON array of such objects — what Export writes. All or nothing: one bad record and
                 nothing is imported." }
            form #import method="post" action="/import" enctype="multipart/form-data" {
                (chrome.csrf_field())
                div.field {
                    label for="file" { "File (.csv or .json)" }
                    input #file type="file" name="file" accept=".csv,.json,text/csv,application/json" required;
                }
                div.field.check {
                    input #upsert type="checkbox" name="upsert" value="true";
                    label for="upsert" { "Update the employee with the same email instead of refusing" }
                }
                button #import-submit type="submit" { "Import" }
            }
        }
        section {
            h2 { "Export" }
            p {
                a #export-csv.button href="/export?format=csv" download { "Download CSV" }
                " "
                a #export-json.button href="/export?format=json" download { "Download JSON" }
            }
        }
    };
    chrome.page("Import / export", body)
}

/// The parts of an import form.
#[derive(Default)]
struct Upload {
    csrf: String,
    file_name: String,
    file: Bytes,
    upsert: bool,
}

/// The upload's parts; a body that cannot be read is refused with the status it deserves (413
/// over the limit, 400 malformed).
async fn read_upload(mut multipart: Multipart) -> Result<Upload, (StatusCode, String)> {
    let refusal = |e: MultipartError| {
        if timed_out(&e) {
            let reason = "the upload stopped arriving: send it again".to_owned();
            (StatusCode::REQUEST_TIMEOUT, reason)
        } else if e.status().is_server_error() {
            // A body that could not be read (cut off, malformed) is the client's, not ours.
            (StatusCode::BAD_REQUEST, e.body_text())
        } else {
            (e.status(), e.body_text())
        }
    };
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(refusal)? {
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.map_err(refusal)?,
            "upsert" => upload.upsert = field.text().await.map_err(refusal)? == "true",
            "file" => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.file = field.bytes().await.map_err(refusal)?;
            }
            _ => {}
        }
    }
    Ok(upload)
}

async fn import(Db(db): Db, chrome: Chrome, multipart: Multipart) -> Response {
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err((status, reason)) => return refused(&chrome, status, &reason),
    };
    if upload.csrf.is_empty() || !same(&upload.csrf, &chrome.csrf) {
        return forbidden();
    }
    let name = upload.file_name.to_ascii_lowercase();
    let format = if name.ends_with(".json") {
        RecordFormat::Json
    } else if name.ends_with(".csv") {
        RecordFormat::Csv
    } else {
        let reason = format!("`{}`: choose a .csv or .json file", upload.file_name);
        return refused(&chrome, StatusCode::UNSUPPORTED_MEDIA_TYPE, &reason);
    };
    let upsert_on = upload.upsert.then(|| UPSERT_ON.to_owned());
    match import_body::<Employee>(db, upload.file, format, upsert_on).await {
        Ok(done) => {
            let outcome = html! {
                p #message.message { "Imported " (done.added) " added, " (done.updated) " updated" }
            };
            respond(StatusCode::OK, import_page(&chrome, outcome))
        }
        Err(error) => refused(&chrome, error.status(), error.message()),
    }
}

fn refused(chrome: &Chrome, status: StatusCode, reason: &str) -> Response {
    let outcome = html! { p #import-error.error { (reason) } };
    respond(status, import_page(chrome, outcome))
}
