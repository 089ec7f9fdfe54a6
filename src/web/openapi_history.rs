//! The OpenAPI document's part for the history of every model that keeps one
//! ([`crate::Describe::HISTORY_TABLE`]): its changes, its deleted rows and their restore
//! (`history.rs`'s routes), with the schemas of a change and of a list of changes.

use serde_json::{Value, json};

use super::model_api::ApiModel;
use super::openapi_models::{
    a, answer, body_failures, camel, columns_schema, error, guarded, id_parameter, json_body,
    schema_ref,
};

/// The schemas of `model`'s history: `{Camel}Change` and `{Camel}Changes` (none without history).
pub(super) fn history_schemas(model: &ApiModel) -> Vec<(String, Value)> {
    if !model.history {
        return Vec::new();
    }
    let camel = camel(model.name);
    let changes = json!({
        "type": "object",
        "description": "Changes, each with what it changed.",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": schema_ref(&format!("{camel}Change")) },
        },
        "additionalProperties": false,
    });
    vec![
        (format!("{camel}Change"), change_schema(model)),
        (format!("{camel}Changes"), changes),
    ]
}

/// One change of a row of `model`.
fn change_schema(model: &ApiModel) -> Value {
    let value = json!({
        "description": "The column's value: of the column's type, as in the row.",
    });
    json!({
        "type": "object",
        "description": format!(
            "One change of {}: what was done, when, by whom, what it changed, and the row after it (before it, for a delete).",
            a(model.name)
        ),
        "required": ["history_id", "operation", "at", "user", "database_user", "changed", "row"],
        "properties": {
            "history_id": {
                "type": "integer", "format": "int64",
                "description": "The change's own number: `restore` takes it.",
            },
            "operation": {
                "type": "string", "enum": ["baseline", "insert", "update", "delete"],
                "description": "`baseline`: the row as the migration that began its history found it.",
            },
            "at": { "type": "string", "format": "date-time", "description": "When, in UTC." },
            "user": {
                "type": ["string", "null"],
                "description": "The staffdb user a write through staffdb acted for; null for another client.",
            },
            "database_user": {
                "type": ["string", "null"],
                "description": "The database user that wrote it (null on SQLite).",
            },
            "changed": {
                "type": "object",
                "description": "Each column the change changed, by name: `from` (absent for a new row) and `to`.",
                "additionalProperties": {
                    "type": "object",
                    "required": ["to"],
                    "properties": { "from": value, "to": value },
                    "additionalProperties": false,
                },
            },
            // Its columns, as a list has them but without what a model's own API adds (the
            // employees' department name, the relations of `include=`).
            "row": Value::Object(columns_schema(model, &[])),
        },
        "additionalProperties": false,
    })
}

/// The paths of `model`'s history: `/api/{plural}/{id}/history`, `/api/{plural}/deleted` and
/// `/api/{plural}/{id}/restore` (none without history).
pub(super) fn history_paths(model: &ApiModel) -> Vec<(String, Value)> {
    if !model.history {
        return Vec::new();
    }
    let (one, all) = (camel(model.name), camel(model.plural));
    let changes = schema_ref(&format!("{one}Changes"));
    let base = format!("/api/{}", model.plural);
    let history = json!({
        "parameters": [id_parameter(model.name)],
        "get": {
            "operationId": format!("get{one}History"),
            "tags": [model.plural],
            "summary": format!("Every change of {}, oldest first", a(model.name)),
            "responses": guarded(json!({
                "200": answer("The changes, each compared with the one before it.", changes.clone()),
                "400": error("The id is not an integer (`field` is \"id\")."),
                "404": error(&format!("No {} ever had this id.", model.name)),
            }), false),
        },
    });
    let deleted = json!({
        "get": {
            "operationId": format!("listDeleted{all}"),
            "tags": [model.plural],
            "summary": format!("The deleted {}, each as its delete found it, most recently deleted first", model.plural),
            "responses": guarded(json!({
                "200": answer("The delete of each deleted row.", changes),
            }), false),
        },
    });
    vec![
        (format!("{base}/{{id}}/history"), history),
        (format!("{base}/deleted"), deleted),
        (format!("{base}/{{id}}/restore"), restore_path(model)),
    ]
}

/// `POST /api/{plural}/{id}/restore`.
fn restore_path(model: &ApiModel) -> Value {
    let one = camel(model.name);
    let body = json!({
        "type": "object",
        "required": ["history_id"],
        "properties": {
            "history_id": {
                "type": "integer", "format": "int64", "minimum": 1,
                "maximum": 9_007_199_254_740_992_i64,
                "description": "The change whose version the row gets back (`history_id` of its history); written as a float (`7.0`), up to 2^53, which a float holds exactly.",
            },
        },
        "additionalProperties": false,
    });
    let mut responses = json!({
        // Its columns, as a change's `row` has them.
        "200": answer(&format!("The {} as restored: a new version, or a deleted row back under its id.", model.name), Value::Object(columns_schema(model, &[]))),
        "404": error(&format!("No change of this id is one of this {}'s.", model.name)),
        "409": error("A unique value of the version is another row's now, or a row it refers to is gone: nothing changed."),
        "422": error("JSON of the wrong shape (`history_id` missing or not an integer, another key), or a value the model's validation refuses now."),
    });
    if let Some(map) = responses.as_object_mut() {
        body_failures(
            map,
            "The id is not an integer, or the body is malformed JSON.",
        );
    }
    json!({
        "parameters": [id_parameter(model.name)],
        "post": {
            "operationId": format!("restore{one}"),
            "tags": [model.plural],
            "summary": format!("Restore {} to an earlier version", a(model.name)),
            "requestBody": json_body(body),
            "responses": guarded(responses, true),
        },
    })
}
