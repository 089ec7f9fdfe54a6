//! The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`: built once when the
//! server starts. The routes and schemas of every model — staffdb's employees and departments,
//! and those the application registered — are made from the model's description, with what its
//! `AdminModel` declares of its own (`openapi_models.rs`): the words of a column are its field's
//! doc comment, the employees' list parameters of their own are `Employee::api_parameters`.
//! Written here: the routes that are no model's — statistics, the employees' import and export,
//! the login, this document — and the answers every route shares.
//!
//! `.ci/contract` validates the document and holds the server to it with schemathesis.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::model_api::ApiModel;
use super::openapi_history::{history_paths, history_schemas};
use super::openapi_models::{
    answer, error, error_example, guarded, model_paths, model_schemas, response_ref, schema_ref,
    text_rules, text_rules_words,
};
use crate::{Database, Department, Describe, Employee};

/// The route that serves `document`, written once.
pub(crate) fn routes(document: &Value) -> Router<Database> {
    // A `Value` always serializes; the fallback is never taken.
    let text = Bytes::from(serde_json::to_vec_pretty(document).unwrap_or_default());
    Router::new().route(
        "/api/openapi.json",
        get(move || {
            let text = text.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], text) }
        }),
    )
}

/// The document of staffdb's routes and of `models`' (staffdb's employees and departments, and
/// those `Admin::model` registered), theirs made from their descriptions.
pub(crate) fn document(models: &[Arc<ApiModel>]) -> Value {
    let mut paths = Map::new();
    paths.extend(stats_path());
    paths.extend(transfer_paths());
    paths.extend(login_paths());
    let mut schemas = Map::new();
    schemas.extend(other_schemas());
    for model in models {
        paths.extend(model_paths(model));
        schemas.extend(model_schemas(model));
        paths.extend(history_paths(model));
        schemas.extend(history_schemas(model));
    }
    json!({
        "openapi": "3.1.0",
        "info": info(models),
        "servers": [{
            "url": "http://127.0.0.1:8080",
            "description": "Loopback (the port is the one `staffdb serve` was given).",
        }],
        "tags": tags(models),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": "staffdb_session",
                "description": "Only when the server was started with --password-file: the cookie a successful POST /login sets (HttpOnly, SameSite=Strict).",
            }},
            "responses": shared_responses(),
        },
        "security": [{}, { "session": [] }],
    })
}

/// The title, and what the API is, with the application's own tables named.
/// The models an application registered, beside staffdb's own employees and departments.
fn applications(models: &[Arc<ApiModel>]) -> impl Iterator<Item = &ApiModel> {
    models
        .iter()
        .map(|m| &**m)
        .filter(|m| !OWN.contains(&m.plural))
}

/// staffdb's own models' tables, which have tags of their own.
const OWN: [&str; 2] = ["employees", "departments"];

fn info(models: &[Arc<ApiModel>]) -> Value {
    let mut description = "The JSON API of `staffdb serve`, a small employee-records server: employees, departments, head-count statistics, and bulk import and export. It serves on loopback (127.0.0.1) by default. Started with `--password-file`, it asks for a login: `POST /login` with the form field `password` (application/x-www-form-urlencoded, with the `csrf` field equal to the `staffdb_csrf` cookie that `GET /login` sets) answers with the `staffdb_session` cookie, which every API call then carries; without it the API answers 401. Every error, an unknown route's 404 included, is a JSON body of the `Error` shape ({\"error\": reason, \"field\": name or null}), never an HTML page or a stack trace. Request bodies are limited to 1 MiB (64 MiB for imports).".to_owned();
    let tables: Vec<String> = applications(models)
        .map(|m| format!("`/api/{}`", m.plural))
        .collect();
    if !tables.is_empty() {
        description.push_str(&format!(
            " Beside them, the application's own tables, each with the same routes (list with filters, search, sort and count; add, read, change, delete; export and import as CSV or JSON), made from its model's description: {}.",
            tables.join(", ")
        ));
    }
    json!({ "title": "staffdb", "version": env!("CARGO_PKG_VERSION"), "description": description })
}

fn tags(models: &[Arc<ApiModel>]) -> Value {
    let fixed = ["employees", "departments", "stats", "import/export", "meta"];
    let names = fixed
        .into_iter()
        .chain(applications(models).map(|m| m.plural))
        .map(|name| json!({ "name": name }));
    Value::Array(names.collect())
}

/// The answers many routes share, by reference.
fn shared_responses() -> Value {
    json!({
        "Unauthorized": error("The server was started with `--password-file` and the request carries no valid `staffdb_session` cookie: log in first (`POST /login`)."),
        "Forbidden": error("A state-changing request whose `Origin` (or, without one, `Referer`) is another origin than the server's; on `/login`, a `csrf` field that does not match the `staffdb_csrf` cookie."),
        "MisdirectedRequest": error("The `Host` header names neither the server's own address nor `localhost` (nor a name given with `--allowed-host`): a guard against DNS rebinding."),
        "PayloadTooLarge": error("The body is over the limit (1 MiB; 64 MiB for an import)."),
        "UnsupportedMediaType": error("The body is not of a type this route takes."),
        "TooManyRequests": error("Too many failed logins from this client or for this account: wait (the `Retry-After` header says how long) and try again."),
    })
}

// ---- statistics ------------------------------------------------------------------------------

fn stats_path() -> Vec<(String, Value)> {
    vec![("/api/stats".to_owned(), json!({ "get": stats() }))]
}

/// A query parameter.
fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "description": description, "schema": schema })
}

fn stats() -> Value {
    json!({
        "operationId": "stats",
        "tags": ["stats"],
        "summary": "Head count and ages per position or per department",
        "parameters": [query("by", "What to group by.", json!({
            "type": "string", "enum": ["position", "department"], "default": "position",
        }))],
        "responses": guarded(json!({
            "200": answer(
                "One group per position or department, named groups in byte order, the unnamed group (no department) last.",
                json!({ "type": "array", "items": schema_ref("StatsGroup") }),
            ),
            "400": error_example(
                "`by` is neither position nor department (`field` is \"by\"), or an unknown query parameter.",
                json!({ "error": "by must be position or department, not `age`", "field": "by" }),
            ),
        }), false),
    })
}

// ---- import, export, this document, the login ------------------------------------------------

fn transfer_paths() -> Vec<(String, Value)> {
    let openapi = json!({
        "operationId": "openapi",
        "tags": ["meta"],
        "summary": "This document",
        "responses": guarded(json!({
            "200": answer("The OpenAPI 3.1 document describing this API.", json!({ "type": "object" })),
        }), false),
    });
    vec![
        ("/api/import".to_owned(), json!({ "post": import() })),
        ("/api/export".to_owned(), json!({ "get": export() })),
        ("/api/openapi.json".to_owned(), json!({ "get": openapi })),
    ]
}

/// A CSV import as `staffdb export` writes it.
const EXPORTED_CSV: &str = "id,name,age,position,email,department,hired_on,version,created_at,updated_at\n1,Alice,25,Manager,alice@example.com,Sales,2024-03-01,1,2024-03-01T09:00:00.000000Z,2024-03-01T09:00:00.000000Z\n";

fn import() -> Value {
    let csv = json!({
        "schema": {
            "type": "string",
            "description": "A header line naming the columns in any order (`name`, `age` and `position` required; `email`, `department` and `hired_on` optional; `id`, `version`, `created_at`, `updated_at` ignored), then one employee per line; an empty cell is a missing value. `staffdb export` writes the header `id,name,age,position,email,department,hired_on,version,created_at,updated_at`. JSON Schema cannot say which texts are valid CSV of valid records, so the schema's `enum` lists a few that are always accepted and the rules are these words; an empty body has no header and is refused with 400.",
            "enum": ["name,age,position\n", "name,age,position\nAnn,30,Clerk\n", EXPORTED_CSV],
        },
        "example": EXPORTED_CSV,
    });
    let records = json!({
        "schema": {
            "type": "array",
            "description": "A JSON array of employee records, as `staffdb export --format json` writes (an empty array imports nothing).",
            "items": schema_ref("ImportRecord"),
        },
        "example": [{
            "name": "Bob", "age": 22, "position": "Developer", "email": "bob@example.com",
            "department": "Sales", "hired_on": null,
        }],
    });
    json!({
        "operationId": "importEmployees",
        "tags": ["import/export"],
        "summary": "Import employees from CSV or JSON, all or nothing",
        "description": "Reads every record, then writes them all in one transaction: if any record is refused, nothing is written. Records are those `staffdb export` writes; `id`, `version`, `created_at` and `updated_at` are ignored, and a `department` name is created if it does not exist. The body may be up to 64 MiB.",
        "parameters": [query("upsert", "When true, a record whose email already belongs to an employee updates that employee; when false, such a record is refused with 409.", json!({ "type": "boolean", "default": false }))],
        "requestBody": { "required": true, "content": { "text/csv": csv, "application/json": records } },
        "responses": guarded(import_responses(), true),
    })
}

fn import_responses() -> Value {
    json!({
        "200": answer("Every record was written.", schema_ref("Imported")),
        "400": error("Unreadable input: malformed CSV or JSON, not UTF-8, no header row, not an array."),
        "409": error_example(
            "An email already belongs to an employee and upsert is off, or two records give the same email; `error` names the record's place (\"line N\" for CSV, \"record N\" for JSON).",
            json!({ "error": "line 4: email `bob@example.com` already belongs to an employee", "field": "email" }),
        ),
        "413": error("The body is over the limit of 64 MiB."),
        "415": error("The body is neither `text/csv` nor `application/json`."),
        "422": error_example(
            "A record is invalid: `error` starts with its place and `field` names the field.",
            json!({ "error": "line 3: age: must be between 0 and 150", "field": "age" }),
        ),
    })
}

fn export() -> Value {
    let ok = json!({
        "description": "Every employee, streamed, in a form `POST /api/import` reads back.",
        "headers": { "Content-Disposition": {
            "description": "`attachment; filename=\"employees.csv\"` (or `employees.json`).",
            "schema": { "type": "string", "example": "attachment; filename=\"employees.csv\"" },
        }},
        "content": {
            "text/csv": { "schema": {
                "type": "string",
                "description": "The header line `id,name,age,position,email,department,hired_on,version,created_at,updated_at`, then one employee per line.",
            }},
            "application/json": { "schema": { "type": "array", "items": exported_record() } },
        },
    });
    json!({
        "operationId": "exportEmployees",
        "tags": ["import/export"],
        "summary": "Every employee, by id, streamed as CSV or JSON",
        "parameters": [query("format", "The format to write.", json!({
            "type": "string", "enum": ["csv", "json"], "default": "csv",
        }))],
        "responses": guarded(json!({
            "200": ok,
            "400": error("`format` is neither csv nor json (`field` is \"format\")."),
        }), false),
    })
}

/// A record of a JSON export.
fn exported_record() -> Value {
    let nullable_text = json!({ "type": ["string", "null"] });
    let time = json!({ "type": "string", "format": "date-time" });
    json!({
        "type": "object",
        "description": "An employee as `staffdb export --format json` writes it; `id`, `version`, `created_at` and `updated_at` are ignored on import, and any other unknown key is refused.",
        "required": ["name", "age", "position"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "name": { "type": "string" },
            "age": { "type": "integer", "minimum": 0, "maximum": 150 },
            "position": { "type": "string" },
            "email": nullable_text,
            "department": {
                "type": ["string", "null"],
                "description": "The department's name (created if it does not exist).",
            },
            "hired_on": { "type": ["string", "null"], "format": "date" },
            "version": { "type": "integer" },
            "created_at": time.clone(),
            "updated_at": time,
        },
    })
}

fn login_paths() -> Vec<(String, Value)> {
    let page = json!({
        "operationId": "loginPage",
        "tags": ["meta"],
        "summary": "The login page, and the `staffdb_csrf` cookie a login posts back",
        "security": [{}],
        "responses": {
            "200": {
                "description": "The login form (HTML); `Set-Cookie: staffdb_csrf=…` when the client has none.",
                "content": { "text/html": { "schema": { "type": "string" } } },
            },
            "421": response_ref("MisdirectedRequest"),
        },
    });
    vec![(
        "/login".to_owned(),
        json!({ "get": page, "post": log_in() }),
    )]
}

/// A page's answer in `media`.
fn page_answer(media: &str, description: &str) -> Value {
    json!({ "description": description, "content": { media: { "schema": { "type": "string" } } } })
}

fn log_in() -> Value {
    let form = json!({
        "type": "object",
        "required": ["csrf", "password"],
        "properties": {
            "csrf": { "type": "string", "description": "The value of the `staffdb_csrf` cookie." },
            "password": { "type": "string" },
        },
    });
    let mut throttled = page_answer(
        "text/html",
        "Too many wrong passwords from this address (or in all): try again after `Retry-After` seconds; the password was not checked.",
    );
    if let Some(map) = throttled.as_object_mut() {
        map.insert(
            "headers".into(),
            json!({ "Retry-After": { "schema": { "type": "integer", "minimum": 1 } } }),
        );
    }
    json!({
        "operationId": "logIn",
        "tags": ["meta"],
        "summary": "Log in (only with `--password-file`)",
        "description": "An HTML form's target, which API clients use too: first `GET /login` for the `staffdb_csrf` cookie, then post it back as the `csrf` field with the password. Failed logins are slowed down per client address and per account.",
        "security": [{}],
        "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": form } } },
        "responses": {
            "303": { "description": "Logged in: `Set-Cookie: staffdb_session=…` (HttpOnly, SameSite=Strict), and a redirect to `/employees`. Without `--password-file`, only the redirect." },
            "401": page_answer("text/html", "Wrong password: the login page again, with the error."),
            "403": page_answer("text/plain", "Refused before the password is looked at: the form's `csrf` field is not the `staffdb_csrf` cookie's, or the request came from another origin (its `Origin` or `Referer`). A page route answers in text."),
            "408": page_answer("text/plain", "The form's body stopped arriving (nothing for the stall timeout, or slower than 1,024 bytes a second)."),
            "413": page_answer("text/plain", "The form is over its limit."),
            "415": page_answer("text/plain", "Not a form (`application/x-www-form-urlencoded`): no other body is taken."),
            "421": response_ref("MisdirectedRequest"),
            "429": throttled,
        },
    })
}

// ---- the other schemas -----------------------------------------------------------------------

fn other_schemas() -> Vec<(String, Value)> {
    vec![
        ("StatsGroup".into(), stats_group()),
        (
            "Imported".into(),
            json!({
                "type": "object",
                "description": "What an import did.",
                "required": ["added", "updated"],
                "properties": {
                    "added": { "type": "integer", "minimum": 0, "description": "Employees created." },
                    "updated": { "type": "integer", "minimum": 0, "description": "Existing employees (matched by email) updated; 0 unless upsert is on." },
                },
                "example": { "added": 3, "updated": 1 },
            }),
        ),
        (
            "Error".into(),
            json!({
                "type": "object",
                "description": "Every failure's body (401, 403, 421, 429 and the rest): the reason, the field it is about (or null), and for a version conflict the row's current version.",
                "required": ["error", "field"],
                "properties": {
                    "error": { "type": "string", "description": "What went wrong, in words." },
                    "field": { "type": ["string", "null"], "description": "The field (or parameter) the error is about, if any." },
                    "current_version": { "type": "integer", "format": "int32", "description": "Only on a 409 version conflict: the row's current version." },
                },
                "example": { "error": "age: must be between 0 and 150", "field": "age" },
            }),
        ),
        ("ImportRecord".into(), import_record()),
    ]
}

fn stats_group() -> Value {
    let int32 = |description: &str| json!({ "type": "integer", "format": "int32", "description": description });
    json!({
        "type": "object",
        "description": "One group's head count and ages.",
        "required": ["group", "count", "average_age", "min_age", "max_age"],
        "properties": {
            "group": { "type": ["string", "null"], "description": "The position or department name; null for employees without a department." },
            "count": { "type": "integer", "format": "int64", "description": "How many employees." },
            "average_age": { "type": "number", "format": "double", "description": "Their average age, rounded to 2 decimals." },
            "min_age": int32("The youngest age."),
            "max_age": int32("The oldest age."),
        },
        "additionalProperties": false,
        "example": { "group": "Developer", "count": 2, "average_age": 35.0, "min_age": 30, "max_age": 40 },
    })
}

/// An employee's text column as an import record takes it: its rules, and their words after
/// `words`.
fn employee_text(column: &str, words: &str) -> Value {
    let rules = Employee::column(column)
        .map(|c| c.rules)
        .unwrap_or_default();
    let mut schema = text_rules(&rules);
    schema.insert("type".into(), json!("string"));
    schema.insert(
        "description".into(),
        json!(format!("{words} {}", text_rules_words(&rules))),
    );
    Value::Object(schema)
}

/// A text, or the empty string, or null: an import record's optional cell.
fn or_empty(value: Value) -> Value {
    json!({ "oneOf": [value, { "const": "" }, { "type": "null" }] })
}

fn import_record() -> Value {
    let ignored = json!({ "description": "Ignored." });
    let department = Value::Object(text_rules(
        &Department::column("name")
            .map(|c| c.rules)
            .unwrap_or_default(),
    ));
    let mut department_text = department;
    if let Some(map) = department_text.as_object_mut() {
        map.insert("type".into(), json!("string"));
    }
    let mut department = or_empty(department_text);
    let mut email = or_empty(
        json!({ "type": "string", "format": "email", "maxLength": crate::MAX_EMAIL_CHARS }),
    );
    let mut hired_on = or_empty(json!({ "type": "string", "format": "date" }));
    for (value, words) in [
        (
            &mut email,
            "A unique, well-formed email address; with `upsert=true`, an existing employee with this email is updated.",
        ),
        (
            &mut department,
            "The department's name (created if it does not exist).",
        ),
        (&mut hired_on, "The hiring date (YYYY-MM-DD)."),
    ] {
        if let Some(map) = value.as_object_mut() {
            map.insert("description".into(), json!(words));
        }
    }
    json!({
        "type": "object",
        "description": "An employee as `staffdb export --format json` writes it. `id`, `version`, `created_at` and `updated_at` are ignored whatever they hold; any other unknown key is refused. An empty string is a missing value for `email`, `department` and `hired_on`.",
        "required": ["name", "age", "position"],
        "properties": {
            "id": ignored.clone(),
            "name": employee_text("name", "Full name."),
            "age": record_age(),
            "position": employee_text("position", "Job title."),
            "email": email,
            "department": department,
            "hired_on": hired_on,
            "version": ignored.clone(),
            "created_at": ignored.clone(),
            "updated_at": ignored,
        },
        "additionalProperties": false,
    })
}

/// An import record's age: a whole number (`30.0` is 30), as the generic import reads an
/// integer column of any model.
fn record_age() -> Value {
    json!({
        "type": "integer",
        "minimum": 0,
        "maximum": 150,
        "description": "Age in years, 0..=150 (a whole number, as every model's import reads one).",
    })
}

#[cfg(test)]
mod tests {
    use super::super::openapi_models::NOT_BLANK;
    use super::*;

    /// The text pattern is the one the old document had, and says what `trim` and
    /// `is_control` say.
    #[test]
    fn the_text_pattern_is_the_documents() {
        assert!(NOT_BLANK.starts_with(r"^[^\u0000-\u001f\u007f-\u009f]*"));
        let words = text_rules_words(&crate::Rules {
            max_chars: Some(200),
            ..crate::Rules::default()
        });
        assert_eq!(
            words,
            "Not blank (at least one character that is not white space), at most 200 characters, no control characters (U+0000–U+001F, U+007F–U+009F): the library's validation, whose refusal is a 422."
        );
    }
}
