//! The parts of the OpenAPI document that are built from a model's description: the JSON
//! Schemas of its rows and of the bodies that write them, and the paths of the routes
//! `model_api.rs` serves for it; with the small builders the whole document shares (`openapi.rs`
//! puts it together).
//!
//! A body's schema says every rule the server applies, since the contract tests hold the server
//! to it both ways: a value the schema admits must not be refused as invalid (400 or 422), and
//! one it excludes must be. So a text column's schema carries its length and a pattern for
//! "not blank, no control characters"; a whole number the bounds of its rules and of its
//! field's type (`int32`, `int64`, or explicit bounds for an `i16`).

use serde_json::{Map, Value, json};

use super::admin::ApiValues;
use super::model_api::{ApiField, ApiModel};
use crate::{Column, Kind, MAX_EMAIL_CHARS, RelationInfo, Rules};

/// Text with no control character (U+0000–U+001F, U+007F–U+009F) and at least one character
/// that is not white space (Rust's `trim`: U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000): what a text field must be unless it
/// may be blank.
pub(super) const NOT_BLANK: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";
/// [`NOT_BLANK`] for a `multiline` field, which may also hold tabs and line breaks.
const NOT_BLANK_MULTILINE: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";
/// Text with no control character, blank or not.
const NO_CONTROL: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";
/// [`NO_CONTROL`] for a `multiline` field.
const NO_CONTROL_MULTILINE: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";
/// The largest finite `f32`, the bounds of a single-precision column.
const F32_MAX: f64 = f32::MAX as f64;

/// Words for some properties of a schema, by name, replacing the ones made from the column.
pub(super) type Words<'a> = &'a [(&'a str, &'a str)];

fn words_for<'a>(words: Words<'a>, name: &str) -> Option<&'a str> {
    words.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}

// ---- builders every part of the document uses ------------------------------------------------

/// `{"$ref": "#/components/schemas/NAME"}`.
pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `{"$ref": "#/components/responses/NAME"}`.
pub(super) fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// A JSON answer of `schema`.
pub(super) fn answer(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema } },
    })
}

/// A failure's answer: an `Error` body.
pub(super) fn error(description: &str) -> Value {
    answer(description, schema_ref("Error"))
}

/// A failure's answer with an example body.
pub(super) fn error_example(description: &str, example: Value) -> Value {
    json!({
        "description": description,
        "content": {
            "application/json": { "schema": schema_ref("Error"), "example": example },
        },
    })
}

/// A required JSON request body of `schema`.
pub(super) fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// The `{id}` path parameter.
pub(super) fn id_parameter(whose: &str) -> Value {
    json!({
        "name": "id",
        "in": "path",
        "required": true,
        "description": format!("The {whose}'s id."),
        // Digits, as a path writes them: JSON Schema's `integer` admits `1.0`, which a path
        // does not take.
        "schema": { "type": "string", "pattern": "^-?[0-9]{1,18}$" },
    })
}

/// The stateful tests' links from a returned row to `operations` on its id.
pub(super) fn links(operations: &[String]) -> Value {
    let links: Map<String, Value> = operations
        .iter()
        .map(|operation| {
            let link = json!({
                "operationId": operation,
                "parameters": { "id": "$response.body#/id" },
                "description": format!("`{operation}` of the row just returned."),
            });
            (operation.clone(), link)
        })
        .collect();
    Value::Object(links)
}

/// `responses` with the answers every route may give: 401 without a login, 421 to a foreign
/// Host, and for a route that writes, 403 to a foreign origin.
pub(super) fn guarded(mut responses: Value, writes: bool) -> Value {
    if let Some(map) = responses.as_object_mut() {
        map.insert("401".into(), response_ref("Unauthorized"));
        map.insert("421".into(), response_ref("MisdirectedRequest"));
        if writes {
            map.insert("403".into(), response_ref("Forbidden"));
        }
    }
    responses
}

/// The answers of a route that reads a JSON body: 400, 413 and 415.
pub(super) fn body_failures(map: &mut Map<String, Value>, malformed: &str) {
    map.insert("400".into(), error(malformed));
    map.insert(
        "413".into(),
        error("The body is over the limit of 1048576 bytes (1 MiB)."),
    );
    map.insert("415".into(), error("The body is not `application/json`."));
}

/// A list's `limit` parameter.
pub(super) fn limit_parameter() -> Value {
    json!({
        "name": "limit",
        "in": "query",
        "description": "Rows per page, 1..=1000 (otherwise 422).",
        "schema": {
            "type": "integer", "format": "int64", "minimum": 1, "maximum": 1000, "default": 50,
        },
    })
}

/// A list's `cursor` parameter.
pub(super) fn cursor_parameter() -> Value {
    json!({
        "name": "cursor",
        "in": "query",
        "description": "The opaque `next` value of the previous page; empty or absent, the first page. Another value is refused with 400.",
        "schema": { "type": "string", "pattern": "^[0-9]{0,18}$" },
    })
}

/// A list's `limit` out of range.
pub(super) fn limit_refused() -> Value {
    error_example(
        "`limit` is outside 1..=1000 (`field` is \"limit\").",
        json!({ "error": "limit must be between 1 and 1000", "field": "limit" }),
    )
}

/// A JSON Schema `type`: the kind's, or it and `null`.
fn typed(kind: &str, nullable: bool) -> Value {
    if nullable {
        json!([kind, "null"])
    } else {
        json!(kind)
    }
}

// ---- text rules ------------------------------------------------------------------------------

/// A text field's rules as a schema (`minLength`, `maxLength`, `pattern`), for a field that is
/// not an email address.
pub(super) fn text_rules(rules: &Rules) -> Map<String, Value> {
    let mut schema = Map::new();
    if !rules.blank {
        schema.insert("minLength".into(), json!(1));
    }
    if let Some(max) = rules.max_chars {
        schema.insert("maxLength".into(), json!(max));
    }
    let pattern = match (rules.blank, rules.multiline) {
        (false, false) => NOT_BLANK,
        (false, true) => NOT_BLANK_MULTILINE,
        (true, false) => NO_CONTROL,
        (true, true) => NO_CONTROL_MULTILINE,
    };
    schema.insert("pattern".into(), json!(pattern));
    schema
}

/// The same rules in words, for a description.
pub(super) fn text_rules_words(rules: &Rules) -> String {
    let mut parts = Vec::new();
    if !rules.blank {
        parts.push("not blank (at least one character that is not white space)".to_owned());
    }
    if let Some(max) = rules.max_chars {
        parts.push(format!("at most {max} characters"));
    }
    parts.push(if rules.multiline {
        "no control characters but tabs and line breaks (U+0000–U+001F, U+007F–U+009F)".into()
    } else {
        "no control characters (U+0000–U+001F, U+007F–U+009F)".into()
    });
    let sentence = parts.join(", ");
    let mut chars = sentence.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!(
        "{first}{}: the library's validation, whose refusal is a 422.",
        chars.as_str()
    )
}

// ---- schemas from a description --------------------------------------------------------------

/// What a column is, in words, when nothing better is given.
fn column_words(column: &Column) -> String {
    let label = column.label;
    let mut words = if !column.doc.is_empty() {
        // The field's own doc comment says what it is, and its rules.
        return column.doc.to_owned();
    } else if column.key {
        "Assigned by the database.".to_owned()
    } else if column.version {
        "1 when created, +1 on every update: the optimistic-locking token.".to_owned()
    } else if let Some(model) = column.references {
        format!("{label}: the id of a {model}.")
    } else {
        format!("{label}.")
    };
    if column.unique {
        words.push_str(" Unique.");
    }
    if column.generated {
        words.push_str(" Set by the database.");
    }
    if column.kind == Kind::Timestamp {
        words.push_str(" RFC 3339, UTC.");
    }
    words
}

/// How a row shows a column: its type and format, a whole number's bounds.
fn row_property(field: &ApiField, words: Option<&str>) -> Value {
    let column = field.column;
    let mut schema = kind_schema(field);
    if column.kind == Kind::Integer {
        let rules = &column.rules;
        let minimum = rules.min.or(column.version.then_some(1));
        if let Some(min) = minimum {
            schema.insert("minimum".into(), json!(min));
        }
        if let Some(max) = rules.max {
            schema.insert("maximum".into(), json!(max));
        }
    }
    if column.kind == Kind::Text && column.rules.email {
        schema.insert("format".into(), json!("email"));
    }
    let description = words.map_or_else(|| column_words(column), str::to_owned);
    schema.insert("description".into(), json!(description));
    Value::Object(schema)
}

/// A column's JSON type and format, as rows and bodies both have them.
fn kind_schema(field: &ApiField) -> Map<String, Value> {
    let column = field.column;
    let nullable = column.nullable;
    let integer_format = match field.range {
        Some((min, max)) if min >= i32::MIN.into() && max <= i32::MAX.into() => Some("int32"),
        Some(_) => Some("int64"),
        None if column.version => Some("int32"),
        None => None,
    };
    let (kind, format) = match column.kind {
        Kind::Bool => ("boolean", None),
        Kind::Integer => ("integer", integer_format),
        Kind::Id => ("integer", Some("int64")),
        Kind::Float if field.written => (
            "number",
            Some(if field.single { "float" } else { "double" }),
        ),
        Kind::Float => ("number", None),
        Kind::Date => ("string", Some("date")),
        Kind::Timestamp => ("string", Some("date-time")),
        _ => ("string", None),
    };
    let mut schema = Map::new();
    schema.insert("type".into(), typed(kind, nullable));
    if let Some(format) = format {
        schema.insert("format".into(), json!(format));
    }
    schema
}

/// How a body writes a column: its type and every rule the server applies.
fn input_property(field: &ApiField, words: Option<&str>) -> Value {
    let column = field.column;
    let mut schema = kind_schema(field);
    let mut description = words.map_or_else(|| column_words(column), str::to_owned);
    match column.kind {
        Kind::Text if column.rules.email => {
            schema.insert("format".into(), json!("email"));
            let max = column.rules.max_chars.unwrap_or(MAX_EMAIL_CHARS);
            schema.insert("maxLength".into(), json!(max.min(MAX_EMAIL_CHARS)));
        }
        Kind::Text => {
            schema.extend(text_rules(&column.rules));
            description = format!("{description} {}", text_rules_words(&column.rules));
        }
        Kind::Integer => schema.extend(integer_bounds(field)),
        Kind::Id => {
            schema.insert("minimum".into(), json!(1));
        }
        Kind::Float if field.single => {
            schema.insert("minimum".into(), json!(-F32_MAX));
            schema.insert("maximum".into(), json!(F32_MAX));
        }
        _ => {}
    }
    schema.insert("description".into(), json!(description));
    Value::Object(schema)
}

/// A written whole number's bounds: its rules', within its type's; an `int32` or `int64`
/// format says the type's own, which a 16-bit column states.
fn integer_bounds(field: &ApiField) -> Map<String, Value> {
    let (low, high) = field.range.unwrap_or((i64::MIN, i64::MAX));
    let sixteen = low >= i16::MIN.into() && high <= i16::MAX.into();
    let rules = &field.column.rules;
    let mut bounds = Map::new();
    let minimum = rules.min.map(|m| m.max(low)).or(sixteen.then_some(low));
    let maximum = rules.max.map(|m| m.min(high)).or(sixteen.then_some(high));
    if let Some(min) = minimum {
        bounds.insert("minimum".into(), json!(min));
    }
    if let Some(max) = maximum {
        bounds.insert("maximum".into(), json!(max));
    }
    bounds
}

/// The schema of a row as the list and the routes of one row answer it: every column, and the
/// title of each reference the model's rows carry by title (`AdminModel::API_TITLES`), each
/// required.
pub(super) fn row_schema(model: &ApiModel, words: Words<'_>) -> Map<String, Value> {
    let mut schema = columns_schema(model, words);
    with_titles(&mut schema, model, words);
    schema
}

/// The schema of a stored row's columns, each required (as a change of its history holds it).
pub(super) fn columns_schema(model: &ApiModel, words: Words<'_>) -> Map<String, Value> {
    let properties: Map<String, Value> = model
        .fields
        .iter()
        .map(|f| {
            let name = f.column.name;
            (name.to_owned(), row_property(f, words_for(words, name)))
        })
        .collect();
    let required: Vec<&str> = model.fields.iter().map(|f| f.column.name).collect();
    object(required, properties)
}

/// Adds to a row's schema the title of each reference its rows carry by title, beside the
/// column that holds the id.
fn with_titles(schema: &mut Map<String, Value>, model: &ApiModel, words: Words<'_>) {
    let mut properties = Map::new();
    let mut required: Vec<Value> = match schema.remove("required") {
        Some(Value::Array(names)) => names,
        _ => Vec::new(),
    };
    for title in model.titles {
        let target = model.relations.iter().find(|r| r.name == *title);
        let description = words_for(words, title).map_or_else(
            || {
                let of = target.map_or(*title, |r| r.target);
                format!("The title of the row of {of} it names, or null.")
            },
            str::to_owned,
        );
        let property = json!({ "type": ["string", "null"], "description": description });
        properties.insert((*title).to_owned(), property);
        // Beside the column that holds the id, as the row has it.
        let column = target.and_then(|r| r.column);
        let at = required.iter().position(|name| name.as_str() == column);
        required.insert(at.map_or(required.len(), |at| at + 1), json!(title));
    }
    if let Some(Value::Object(all)) = schema.get_mut("properties") {
        all.extend(properties);
    }
    schema.insert("required".into(), Value::Array(required));
}

/// The schema of a new row's body: the written columns, those without a default required.
pub(super) fn new_schema(model: &ApiModel, words: Words<'_>) -> Map<String, Value> {
    let required = model
        .written()
        .filter(|f| f.required)
        .map(|f| f.column.name)
        .collect();
    object(required, written_properties(model, words))
}

/// The schema of a PATCH body: any of the written columns, at least one; and the version, for a
/// versioned model.
pub(super) fn patch_schema(model: &ApiModel, words: Words<'_>) -> Map<String, Value> {
    let mut properties = written_properties(model, words);
    if let Some(version) = model.version() {
        let description = words_for(words, version.name)
            .unwrap_or("The version the client read: makes the change conditional.");
        properties.insert(
            version.name.to_owned(),
            json!({ "type": "integer", "format": "int32", "description": description }),
        );
    }
    let mut schema = object(Vec::new(), properties);
    let any: Vec<Value> = model
        .written()
        .map(|f| json!({ "required": [f.column.name] }))
        .collect();
    schema.insert("anyOf".into(), Value::Array(any));
    schema
}

fn written_properties(model: &ApiModel, words: Words<'_>) -> Map<String, Value> {
    model
        .written()
        .map(|f| {
            let name = f.column.name;
            (name.to_owned(), input_property(f, words_for(words, name)))
        })
        .collect()
}

/// An object schema that takes no other key.
fn object(required: Vec<&str>, properties: Map<String, Value>) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

// ---- a registered model's routes -------------------------------------------------------------

/// `time_entry` → `TimeEntry`: a name as the document's identifiers spell it.
pub(super) fn camel(name: &str) -> String {
    name.split(['_', ' ', '-'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// "a project", "an employee".
pub(super) fn a(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// The schemas of a registered model: its row, its new row, its changes, a page of rows.
pub(super) fn model_schemas(model: &ApiModel) -> Vec<(String, Value)> {
    let (name, camel) = (model.name, camel(model.name));
    let described = |mut schema: Map<String, Value>, words: String| {
        schema.insert("description".into(), json!(words));
        Value::Object(schema)
    };
    let row = described(
        row_schema(model, &[]),
        format!("{}, as stored.", capital(&a(name))),
    );
    let new = described(
        new_schema(model, &[]),
        format!(
            "{} to add: the columns without a default are required.",
            capital(&a(name))
        ),
    );
    let patch_words = match model.version() {
        Some(v) => format!(
            "Any subset of the columns, at least one of them besides `{0}` (otherwise 422); `null` clears a nullable one. With `{0}`, the change applies only if the row still has that version (otherwise 409 with `current_version`).",
            v.name
        ),
        None => {
            "Any subset of the columns, at least one (otherwise 422); `null` clears a nullable one."
                .to_owned()
        }
    };
    let mut row = row;
    if let Some(properties) = row.get_mut("properties").and_then(Value::as_object_mut) {
        properties.extend(relation_properties(model));
    }
    let patch = described(patch_schema(model, &[]), patch_words);
    let mut page = page_schema(
        &camel,
        &format!("A page of {}, in the order asked for", model.plural),
    );
    page["properties"]["count"] = json!({
        "type": "integer",
        "format": "int64",
        "minimum": 0,
        "description": "With `count=true` only: how many rows the conditions and search select, on every page.",
    });
    let mut schemas = vec![
        (camel.clone(), row),
        (format!("New{camel}"), new),
        (format!("{camel}Patch"), patch),
    ];
    // An unpaged list answers an array of rows, never a page.
    if !model.unpaged {
        schemas.push((format!("{camel}Page"), page));
    }
    schemas
}

/// Each relation as a row has it when `include=` names it (never otherwise, so none is
/// required): a many-to-many as an array of the related rows, a reference as the row or null.
fn relation_properties(model: &ApiModel) -> Map<String, Value> {
    included(model)
        .map(|relation| {
            let row = related_schema(relation);
            let schema = if relation.many {
                json!({
                    "type": "array",
                    "items": row,
                    "description": format!("With `include={}` only: the related {}, by id.", relation.name, relation.target),
                })
            } else {
                json!({
                    "anyOf": [row, { "type": "null" }],
                    "description": format!("With `include={}` only: the row of {} it names, or null.", relation.name, relation.target),
                })
            };
            (relation.name.to_owned(), schema)
        })
        .collect()
}

/// A related row: every column of its model, as rows show them.
fn related_schema(relation: &RelationInfo) -> Value {
    let properties: Map<String, Value> = relation
        .columns
        .iter()
        .map(|column| {
            let field = ApiField {
                column,
                written: false,
                required: false,
                range: None,
                single: false,
            };
            (column.name.to_owned(), row_property(&field, None))
        })
        .collect();
    let required: Vec<&str> = relation.columns.iter().map(|c| c.name).collect();
    Value::Object(object(required, properties))
}

/// The `include` parameter of a model's list and get, for a model with relations.
fn include_parameter(model: &ApiModel) -> Option<Value> {
    let mut names: Vec<&str> = included(model).map(|r| r.name).collect();
    (!names.is_empty()).then(|| {
        // An empty name (`include=`, `include=members,`) names nothing and is taken.
        names.push("");
        json!({
            "name": "include",
            "in": "query",
            "description": "Relations to nest in every row, comma-separated: one more statement per relation for the whole page (an empty name is none). An unknown one is a 400 (`field` is \"include\").",
            "style": "form",
            "explode": false,
            "schema": { "type": "array", "items": { "type": "string", "enum": names } },
        })
    })
}

/// The relations `include=` may name: every one but those each row has by title.
fn included(model: &ApiModel) -> impl Iterator<Item = &'static RelationInfo> + '_ {
    model
        .relations
        .iter()
        .filter(|r| !model.titles.contains(&r.name))
}

/// `project` → `Project`.
fn capital(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A page of `row`s: `{"items": […], "next": cursor-or-null}`.
pub(super) fn page_schema(row: &str, what: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("{what}, and the cursor of the next page (null after the last)."),
        "required": ["items", "next"],
        "properties": {
            "items": { "type": "array", "items": schema_ref(row) },
            "next": {
                "type": ["string", "null"],
                "description": "Opaque cursor: pass it as `cursor` to read the next page; null on the last page.",
            },
        },
        "additionalProperties": false,
    })
}

/// The operations' ids of a model: list, create, get, update, delete, export, import.
struct Operations {
    list: String,
    create: String,
    get: String,
    update: String,
    delete: String,
    export: String,
    import: String,
}

impl Operations {
    fn of(model: &ApiModel) -> Operations {
        let (one, all) = (camel(model.name), camel(model.plural));
        Operations {
            list: format!("list{all}"),
            create: format!("create{one}"),
            get: format!("get{one}"),
            update: format!("update{one}"),
            delete: format!("delete{one}"),
            export: format!("export{all}"),
            import: format!("import{all}"),
        }
    }
}

/// The paths of a registered model's routes: `/api/{plural}`, `/api/{plural}/export`,
/// `/api/{plural}/import` and `/api/{plural}/{id}`.
pub(super) fn model_paths(model: &ApiModel) -> Vec<(String, Value)> {
    let ops = Operations::of(model);
    let all = json!({ "get": list_operation(model, &ops), "post": create_operation(model, &ops) });
    let one = json!({
        "parameters": [id_parameter(model.name)],
        "get": get_operation(model, &ops),
        "patch": update_operation(model, &ops),
        "delete": delete_operation(model, &ops),
    });
    let base = format!("/api/{}", model.plural);
    let mut paths = Vec::new();
    if model.transfer {
        paths.push((
            format!("{base}/export"),
            json!({ "get": export_operation(model, &ops) }),
        ));
        paths.push((
            format!("{base}/import"),
            json!({ "post": import_operation(model, &ops) }),
        ));
    }
    paths.extend([(format!("{base}/{{id}}"), one), (base, all)]);
    paths
}

/// What a list's (and an export's) query selects, in words.
fn query_words(model: &ApiModel) -> String {
    let names = |pick: fn(&Column) -> bool| -> String {
        let names: Vec<String> = model
            .fields
            .iter()
            .filter(|f| pick(f.column))
            .map(|f| format!("`{}`", f.column.name))
            .collect();
        names.join(", ")
    };
    format!(
        "Besides the parameters below, each `COLUMN=VALUE`, and each condition written `COLUMN!=VALUE`, `COLUMN<VALUE`, `COLUMN<=VALUE`, `COLUMN>VALUE`, `COLUMN>=VALUE` or (text) `COLUMN~TEXT` (contains, ignoring case), is a condition every row must meet, on the columns {}; `null` compares a nullable column with NULL. An unknown column, an operator its kind does not take, or a value not of its type is refused with 400 naming it, and nothing runs. Sortable: {}.",
        names(|c| c.filterable || c.key),
        names(|c| c.sortable || c.key),
    )
}

/// The parameters of a list's (and an export's) query: `q` where there are searchable
/// columns, `sort`, and one `COLUMN=VALUE` condition per filterable column and the key.
fn query_parameters(model: &ApiModel) -> Vec<Value> {
    let mut parameters = Vec::new();
    let searchable: Vec<&str> = model
        .fields
        .iter()
        .filter(|f| f.column.searchable)
        .map(|f| f.column.name)
        .collect();
    if !searchable.is_empty() {
        parameters.push(json!({
            "name": "q",
            "in": "query",
            "description": format!("Only rows whose {} contain this text (ignoring case; `%` and `_` are literal); blank searches nothing.", searchable.join(" or ")),
            "schema": { "type": "string", "pattern": NO_NUL },
        }));
    }
    let sorts: Vec<String> = model
        .fields
        .iter()
        .filter(|f| f.column.sortable || f.column.key)
        .flat_map(|f| [f.column.name.to_owned(), format!("-{}", f.column.name)])
        .collect();
    parameters.push(json!({
        "name": "sort",
        "in": "query",
        "description": "The column to sort by, largest first after `-`; ties are broken by id in the same direction, NULLs come last. By id when absent.",
        "schema": { "type": "string", "enum": sorts },
    }));
    for field in model
        .fields
        .iter()
        .filter(|f| f.column.filterable || f.column.key)
    {
        let column = field.column;
        let null = if column.nullable {
            " (`null`: the column is NULL)"
        } else {
            ""
        };
        parameters.push(json!({
            "name": column.name,
            "in": "query",
            "description": format!("Only rows whose `{}` is this value{null}; see the operation's description for the other comparisons.", column.name),
            "schema": filter_schema(field),
        }));
    }
    parameters
}

/// The parameters that select a list's (and an export's) rows: the model's own, and the
/// generic ones that none of its own takes the place of.
fn selecting_parameters(model: &ApiModel) -> Vec<Value> {
    let own = |p: &Value| model.parameters.iter().any(|o| p["name"] == o.name);
    let generic = query_parameters(model).into_iter().filter(|p| !own(p));
    own_parameters(model).into_iter().chain(generic).collect()
}

/// The list parameters of the model's own ([`ApiModel::parameters`]).
fn own_parameters(model: &ApiModel) -> Vec<Value> {
    model
        .parameters
        .iter()
        .map(|parameter| {
            let schema = match parameter.values {
                ApiValues::Text => json!({
                    "type": "string",
                    "pattern": NO_NUL,
                    "maxLength": crate::MAX_PATTERN_CHARS,
                }),
                ApiValues::Integer => json!({ "type": "integer", "format": "int32" }),
                ApiValues::OneOf(words) => json!({ "type": "string", "enum": words }),
            };
            json!({
                "name": parameter.name,
                "in": "query",
                "description": parameter.description,
                "schema": schema,
            })
        })
        .collect()
}

/// Text with no NUL (which no database's text holds).
pub(super) const NO_NUL: &str = r"^[^\u0000]*$";

/// The values a `COLUMN=VALUE` condition takes: those of the column's type (a whole number
/// of its width, an id from 1, a date, …), and `null` for a nullable column.
fn filter_schema(field: &ApiField) -> Value {
    let column = field.column;
    let schema = match column.kind {
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Integer => {
            let (low, high) = field.range.unwrap_or((i32::MIN.into(), i32::MAX.into()));
            json!({ "type": "integer", "minimum": low, "maximum": high })
        }
        // Digits: JSON Schema's `integer` admits `1.0`, which an id in a query does not take.
        Kind::Id => json!({ "type": "string", "pattern": "^[1-9][0-9]{0,17}$" }),
        Kind::Float if field.single => {
            json!({ "type": "number", "minimum": -F32_MAX, "maximum": F32_MAX })
        }
        Kind::Float => json!({ "type": "number" }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Timestamp => json!({
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
            "description": "YYYY-MM-DDTHH:MM:SS, UTC.",
        }),
        // `null` is NULL, which a column that is never NULL cannot be compared with.
        _ if column.nullable => json!({ "type": "string", "pattern": NO_NUL }),
        _ => json!({ "type": "string", "pattern": r"^(?![Nn][Uu][Ll][Ll]$)[^\u0000]*$" }),
    };
    if column.nullable && column.kind != Kind::Text {
        json!({ "anyOf": [schema, { "type": "string", "enum": ["null"] }] })
    } else {
        schema
    }
}

fn list_operation(model: &ApiModel, ops: &Operations) -> Value {
    let camel = camel(model.name);
    let listed = if model.unpaged {
        answer(
            &format!(
                "Every one of the {} the query selects (at most 10,000: more is a 400 on `query`), in its order; `limit`, `cursor` and `count` are refused (400).",
                model.plural
            ),
            json!({ "type": "array", "items": schema_ref(&camel) }),
        )
    } else {
        answer(
            &format!("A page of {}.", model.plural),
            schema_ref(&format!("{camel}Page")),
        )
    };
    let mut responses = json!({
        "200": listed,
        "400": error("A malformed or refused query parameter or condition: an unknown column, one that cannot be filtered or sorted by, an operator its kind does not take, a value not of its type, a parameter given twice, more than 64 conditions, a text over 1,000 characters to look for, a cursor this API did not give (`field` names it). Nothing ran."),
    });
    if !model.unpaged {
        responses["404"] = error(
            "The cursor names a row that no longer exists (a sorted list continues after the row its cursor names): start again from the first page.",
        );
        responses["422"] = limit_refused();
    }
    let mut parameters = Vec::new();
    if !model.unpaged {
        parameters.extend([limit_parameter(), cursor_parameter()]);
        parameters.push(json!({
            "name": "count",
            "in": "query",
            "description": "When true, the page also says how many rows the conditions and search select (`count`).",
            "schema": { "type": "boolean", "default": false },
        }));
    }
    parameters.extend(selecting_parameters(model));
    parameters.extend(include_parameter(model));
    json!({
        "operationId": ops.list,
        "tags": [model.plural],
        "summary": format!("List {}: filtered, searched, sorted, a page at a time", model.plural),
        "description": query_words(model),
        "parameters": parameters,
        "responses": guarded(responses, false),
    })
}

fn export_operation(model: &ApiModel, ops: &Operations) -> Value {
    let camel = camel(model.name);
    let columns: Vec<&str> = model.fields.iter().map(|f| f.column.name).collect();
    let ok = json!({
        "description": format!("Every {} the query selects, in its order, streamed from one snapshot, in a form `POST /api/{}/import` reads back.", model.name, model.plural),
        "headers": { "Content-Disposition": {
            "description": format!("`attachment; filename=\"{0}.csv\"` (or `{0}.json`).", model.plural),
            "schema": { "type": "string" },
        }},
        "content": {
            "text/csv": { "schema": {
                "type": "string",
                "description": format!("The header line `{}`, then one row per line (times in RFC 3339, UTC; text that a spreadsheet would take for a formula starts with `'`).", columns.join(",")),
            }},
            "application/json": { "schema": { "type": "array", "items": schema_ref(&camel) } },
        },
    });
    let mut parameters = vec![json!({
        "name": "format",
        "in": "query",
        "description": "The format to write.",
        "schema": { "type": "string", "enum": ["csv", "json"], "default": "csv" },
    })];
    parameters.extend(selecting_parameters(model));
    json!({
        "operationId": ops.export,
        "tags": [model.plural],
        "summary": format!("Every {} the query selects, streamed as CSV or JSON", model.name),
        "description": format!("{} `limit` and `cursor` are a list's: an export refuses them (400).", query_words(model)),
        "parameters": parameters,
        "responses": guarded(json!({
            "200": ok,
            "400": error("`format` is neither csv nor json, or the query is refused as a list's is (`field` names what)."),
            "503": error("Every export slot is taken: try again after `Retry-After` seconds."),
        }), false),
    })
}

fn import_operation(model: &ApiModel, ops: &Operations) -> Value {
    let camel = camel(model.name);
    let written: Vec<&str> = model.written().map(|f| f.column.name).collect();
    let required: Vec<&str> = model
        .written()
        .filter(|f| f.required)
        .map(|f| f.column.name)
        .collect();
    let header = format!("{}\n", required.join(","));
    let csv = json!({ "schema": {
        "type": "string",
        "description": format!("A header line naming columns in any order (of {}; {} required; the others an export writes are ignored), then one {} per line; an empty cell is NULL. JSON Schema cannot say which texts are valid CSV of valid records, so the schema's `enum` lists texts always accepted.", written.join(", "), required.join(", "), model.name),
        "enum": [header],
    }});
    let records = json!({ "schema": {
        "type": "array",
        "description": format!("{}s as `GET /api/{}/export?format=json` writes them (the key, version and times are ignored).", capital(model.name), model.plural),
        "items": schema_ref(&format!("New{camel}")),
    }});
    let mut parameters = Vec::new();
    let unique: Vec<&str> = model
        .written()
        .filter(|f| f.column.unique)
        .map(|f| f.column.name)
        .collect();
    if !unique.is_empty() {
        parameters.push(json!({
            "name": "upsert_on",
            "in": "query",
            "description": "A unique column: a record whose value of it is already a row's updates that row (the columns the record gives) instead of being refused; the others are added. Another column is refused with 400.",
            "schema": { "type": "string", "enum": unique },
        }));
    }
    let mut responses = json!({
        "200": answer("Every record was written.", schema_ref("Imported")),
        "400": error("Unreadable input (malformed CSV or JSON, no header, not an array), or an `upsert_on` that is not a unique column (`field` is \"upsert_on\")."),
        "409": error(&format!("{} Two records with one value of a unique column (with `upsert_on`, of that one) conflict too (`field` names it). Nothing was written.", conflicts(model, false))),
        "413": error("The body is over the limit of 64 MiB."),
        "415": error("The body is neither `text/csv` nor `application/json`."),
        "422": error_example(
            "A record is refused: `error` starts with its place (\"line N\" for CSV, \"record N\" for JSON) and `field` names the column. Nothing was written.",
            json!({ "error": "line 3: invalid budget: must not be negative (got -1); nothing was imported", "field": "budget" }),
        ),
    });
    if let Some(map) = responses.as_object_mut() {
        map.insert(
            "503".into(),
            error("The database is busy or unavailable: try again."),
        );
    }
    json!({
        "operationId": ops.import,
        "tags": [model.plural],
        "summary": format!("Import {} from CSV or JSON, all or nothing", model.plural),
        "description": "Reads and checks every record, then writes them all in one transaction: if any record is refused, nothing is written. The Content-Type says the format (`?format=csv|json` may say it instead). The body may be up to 64 MiB.",
        "parameters": parameters,
        "requestBody": { "required": true, "content": { "text/csv": csv, "application/json": records } },
        "responses": guarded(responses, true),
    })
}

/// What makes a write to `model` a 409, in words. A constraint its description does not name
/// (a UNIQUE of the migration's alone) answers 409 too, so every write documents one.
fn conflicts(model: &ApiModel, stale: bool) -> String {
    let names = |pick: fn(&Column) -> bool| -> Vec<String> {
        model
            .written()
            .filter(|f| pick(f.column))
            .map(|f| format!("`{}`", f.column.name))
            .collect()
    };
    let mut causes = Vec::new();
    if stale && let Some(version) = model.version() {
        causes.push(format!(
            "`{0}` is stale (`field` is \"{0}\", `current_version` gives the row's version)",
            version.name
        ));
    }
    let unique = names(|c| c.unique);
    if !unique.is_empty() {
        causes.push(format!(
            "a value of {} is taken (`field` names it)",
            unique.join(", ")
        ));
    }
    let references = names(|c| c.references.is_some());
    if !references.is_empty() {
        causes.push(format!(
            "{} names no row (`field` names it)",
            references.join(", ")
        ));
    }
    if causes.is_empty() {
        causes.push(
            "a constraint of the table refuses the row (a unique value taken, a referenced \
             row missing; `field` names the column when the database does)"
                .to_owned(),
        );
    }
    format!("{}.", capital(&causes.join("; or ")))
}

fn create_operation(model: &ApiModel, ops: &Operations) -> Value {
    let camel = camel(model.name);
    let created = json!({
        "description": format!("The stored {}.", model.name),
        "content": { "application/json": { "schema": schema_ref(&camel) } },
        "links": links(&[ops.get.clone(), ops.update.clone(), ops.delete.clone()]),
    });
    let mut responses = json!({ "201": created, "422": error("JSON of the wrong shape, an unknown or read-only key, or a value refused by validation (`field` names it).") });
    if let Some(map) = responses.as_object_mut() {
        body_failures(map, "Malformed JSON body.");
        map.insert("409".into(), error(&conflicts(model, false)));
    }
    json!({
        "operationId": ops.create,
        "tags": [model.plural],
        "summary": format!("Add {}", a(model.name)),
        "requestBody": json_body(schema_ref(&format!("New{camel}"))),
        "responses": guarded(responses, true),
    })
}

fn not_found(model: &ApiModel) -> Value {
    error(&format!("No {} has this id.", model.name))
}

fn bad_id() -> Value {
    error("The id is not an integer (`field` is \"id\").")
}

fn get_operation(model: &ApiModel, ops: &Operations) -> Value {
    let responses = json!({
        "200": answer(&format!("The {}.", model.name), schema_ref(&camel(model.name))),
        "400": error("The id is not an integer (`field` is \"id\"), or `include` names no relation of the model (`field` is \"include\")."),
        "404": not_found(model),
    });
    let mut operation = json!({
        "operationId": ops.get,
        "tags": [model.plural],
        "summary": format!("One {}", model.name),
        "responses": guarded(responses, false),
    });
    if let Some(include) = include_parameter(model) {
        operation["parameters"] = json!([include]);
    }
    operation
}

fn update_operation(model: &ApiModel, ops: &Operations) -> Value {
    let camel = camel(model.name);
    let changed = json!({
        "description": format!("The stored {}.", model.name),
        "content": { "application/json": { "schema": schema_ref(&camel) } },
        "links": links(&[ops.get.clone(), ops.delete.clone()]),
    });
    let mut responses = json!({
        "200": changed,
        "404": not_found(model),
        "422": error("JSON of the wrong shape (an unknown or read-only key, a `null` for a column that is not nullable), nothing to change, or a value refused by validation (`field` names it)."),
    });
    if let Some(map) = responses.as_object_mut() {
        body_failures(
            map,
            "The id is not an integer, or the body is malformed JSON.",
        );
        map.insert("409".into(), error(&conflicts(model, true)));
    }
    let summary = match model.version() {
        Some(_) => format!(
            "Change {}, optionally only at a given version",
            a(model.name)
        ),
        None => format!("Change {}", a(model.name)),
    };
    json!({
        "operationId": ops.update,
        "tags": [model.plural],
        "summary": summary,
        "requestBody": json_body(schema_ref(&format!("{camel}Patch"))),
        "responses": guarded(responses, true),
    })
}

fn delete_operation(model: &ApiModel, ops: &Operations) -> Value {
    let responses = json!({
        "204": { "description": "Deleted." },
        "400": bad_id(),
        "404": not_found(model),
        "409": error(&format!("Another row refers to this {} (by a foreign key that neither cascades nor sets null): nothing was deleted.", model.name)),
    });
    json!({
        "operationId": ops.delete,
        "tags": [model.plural],
        "summary": format!("Delete {}", a(model.name)),
        "responses": guarded(responses, true),
    })
}
