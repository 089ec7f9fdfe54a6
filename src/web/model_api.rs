//! The JSON API of every model an application registers (`Admin::model::<M>()`), written once
//! against the library's description of a model ([`Describe`], through [`AdminModel`]), as the
//! admin's pages are. staffdb's own employees and departments keep their hand-written routes
//! (`api.rs`, `departments.rs`), whose shapes are their own.
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/{plural}?limit=&cursor=` | 200 `{"items": […], "next": cursor-or-null}` | 400 (a bad or unknown parameter), 422 (`limit` outside 1..=1000) |
//! | `GET /api/{plural}/{id}` | 200 the row | 400, 404 |
//! | `POST /api/{plural}` | 201 the stored row | 400, 409 (a unique value taken, a referenced row missing), 413, 415, 422 |
//! | `PATCH /api/{plural}/{id}` | 200 the stored row | 400, 404, 409 (a stale version, with `current_version`; unique; reference), 413, 415, 422 |
//! | `DELETE /api/{plural}/{id}` | 204 | 400, 404, 409 (another row refers to it) |
//!
//! A row is a JSON object of every column by name, each value of its column's kind: ids and
//! whole numbers as numbers, text as strings, dates as `YYYY-MM-DD`, times in RFC 3339 (UTC,
//! microseconds), NULL as `null`. A write body is an object of the columns a write takes (any
//! other key is refused with 422): all that a new row needs for a `POST`, any of them for a
//! `PATCH`, where `null` clears a nullable column and the version column, given, makes the
//! change apply only to that version. Values reach the model as the text its readers take
//! ([`Describe::new_from_texts`]), so validation and its messages are the library's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::admin::AdminModel;
use super::api::{DEFAULT_LIMIT, MAX_LIMIT, cursor_after, whole_number};
use super::errors::ApiError;
use super::handlers::{blocking, remove_refusing};
use crate::{Column, Database, Describe, Error, Kind, WriteField, write_fields};

/// A registered model as its JSON API reads and writes it: its description, and what its own
/// text readers tell that the description does not say.
#[derive(Debug, Clone)]
pub(crate) struct ApiModel {
    /// What a row is called: `project`.
    pub(crate) name: &'static str,
    /// The path under `/api/`: `projects`.
    pub(crate) plural: &'static str,
    /// Every column, in the model's order.
    pub(crate) fields: Vec<ApiField>,
}

/// One column, as requests write it: the library's [`WriteField`], which the command line's
/// flags read too.
pub(crate) type ApiField = WriteField;

impl ApiModel {
    /// `M` as its API serves it: its columns as writes see them ([`write_fields`]).
    pub(crate) fn of<M: AdminModel>() -> ApiModel {
        ApiModel {
            name: M::NAME,
            plural: M::PLURAL,
            fields: write_fields::<M>(),
        }
    }

    /// The model's version column, if it has one.
    pub(crate) fn version(&self) -> Option<&'static Column> {
        self.fields.iter().map(|f| f.column).find(|c| c.version)
    }

    /// The columns a write takes.
    pub(crate) fn written(&self) -> impl Iterator<Item = &ApiField> {
        self.fields.iter().filter(|f| f.written)
    }
}

/// The routes of `M` under `/api/{plural}`, `api` being [`ApiModel::of::<M>`].
pub(crate) fn routes<M: AdminModel>(api: Arc<ApiModel>) -> Router<Database> {
    let all = format!("/api/{}", M::PLURAL);
    let one = format!("{all}/{{id}}");
    Router::new()
        .route(&all, get(list::<M>).post(create::<M>))
        .route(&one, get(show::<M>).patch(change::<M>).delete(delete::<M>))
        .layer(Extension(api))
}

/// What a list request asks for. The parameters of filters, search and sort, which the
/// library's generic query layer will bring, are read here too when it does; until then
/// every parameter but these two is refused, so that no client comes to rely on one being
/// ignored.
#[derive(Debug, Clone, Copy)]
struct ListQuery {
    limit: i64,
    after: Option<i64>,
}

impl ListQuery {
    /// Reads a query string: `limit` (1..=1000, else 422) and `cursor` (a `next` the API gave,
    /// else 400), each at most once; any other parameter is a 400 naming it.
    fn parse(query: &str) -> Result<ListQuery, ApiError> {
        let (mut limit, mut cursor) = (None, None);
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "limit" => &mut limit,
                "cursor" => &mut cursor,
                other => {
                    let reason = format!(
                        "unknown query parameter `{other}`: this list takes `limit` and `cursor`"
                    );
                    return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(other));
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                let reason = format!("the query parameter `{name}` is given twice");
                return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(name));
            }
        }
        Ok(ListQuery {
            limit: page_size(limit.as_deref())?,
            after: cursor_after(cursor.as_deref())?,
        })
    }
}

/// A `limit` parameter: rows per page, [`DEFAULT_LIMIT`] when absent.
fn page_size(limit: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = limit else {
        return Ok(DEFAULT_LIMIT);
    };
    let limit: i64 = text.parse().map_err(|_| {
        let reason = format!("limit `{text}` is not a whole number");
        ApiError::new(StatusCode::BAD_REQUEST, reason).on("limit")
    })?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        let reason = format!("limit must be between 1 and {MAX_LIMIT}");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason).on("limit"));
    }
    Ok(limit)
}

async fn list<M: AdminModel>(
    State(db): State<Database>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page>, ApiError> {
    let query = ListQuery::parse(query.as_deref().unwrap_or_default())?;
    let after = query.after.map(M::id_from);
    // One row more than asked: whether there is a next page, without a count.
    let mut rows = blocking(db, move |db| {
        db.read_session()?
            .run(|conn| M::page_after(conn, after, query.limit + 1))
    })
    .await?;
    let next = if rows.len() as i64 > query.limit {
        rows.truncate(query.limit as usize);
        rows.last()
            .map(|row| Into::<i64>::into(row.id()).to_string())
    } else {
        None
    };
    let items = rows.iter().map(row_json).collect();
    Ok(Json(Page { items, next }))
}

async fn show<M: AdminModel>(
    State(db): State<Database>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Row>, ApiError> {
    let Path(id) = id?;
    let row: M = blocking(db, move |db| db.read_session()?.get_one(M::id_from(id))).await?;
    Ok(Json(row_json(&row)))
}

async fn create<M: AdminModel>(
    State(db): State<Database>,
    Extension(api): Extension<Arc<ApiModel>>,
    body: Result<Json<Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let texts = api.texts(&body)?;
    let new = M::new_from_texts(&|name| texts.get(name).cloned())?;
    let given = api.references(&texts);
    let row = blocking(db, move |db| Ok(db.transaction(|s| s.add(&new))))
        .await?
        .map_err(|error| refused(error, &given))?;
    Ok((StatusCode::CREATED, Json(row_json(&row))).into_response())
}

async fn change<M: AdminModel>(
    State(db): State<Database>,
    Extension(api): Extension<Arc<ApiModel>>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Map<String, Value>>, JsonRejection>,
) -> Result<Json<Row>, ApiError> {
    let (Path(id), Json(mut body)) = (id?, body?);
    let version = api.take_version(&mut body)?;
    let texts = api.texts(&body)?;
    if texts.is_empty() {
        let reason = "nothing to change: give at least one field";
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason));
    }
    let changes = M::changes_from_texts(&|name| texts.get(name).cloned())?;
    let given = api.references(&texts);
    let version_name = api.version().map_or("version", |c| c.name);
    let row = blocking(db, move |db| {
        Ok(db.transaction(|s| M::save(s, M::id_from(id), version, &changes)))
    })
    .await?
    .map_err(|error| refused(error, &given).field_as("version", version_name))?;
    Ok(Json(row_json(&row)))
}

async fn delete<M: AdminModel>(
    State(db): State<Database>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    remove_refusing(db, id, M::id_from, |error| match error {
        Error::ForeignKey(_) => {
            let reason = format!("another row refers to this {}: it was not deleted", M::NAME);
            ApiError::new(StatusCode::CONFLICT, reason)
        }
        other => ApiError::from(other),
    })
    .await
}

/// A write the Session refused, as the API answers it. A missing referenced row is a conflict
/// with what is stored (409), on the column that names it; the database does not say which,
/// so it is the one reference the request gave a value, and none when it gave several.
fn refused(error: Error, given: &[Reference]) -> ApiError {
    match error {
        Error::ForeignKey(_) => match given {
            [(column, model, id)] => {
                let reason = format!("{column}: {model} {id} does not exist");
                ApiError::new(StatusCode::CONFLICT, reason).on(*column)
            }
            _ => ApiError::new(StatusCode::CONFLICT, "a referenced row does not exist"),
        },
        other => ApiError::from(other),
    }
}

/// A reference a write gives: its column, the model it names and the id.
type Reference = (&'static str, &'static str, String);

impl ApiModel {
    /// The text of each column a write body names, as the model's readers take it. A key that
    /// is no column a write takes, or a value of another JSON type than its column's kind, is
    /// refused (422) naming its key.
    fn texts(&self, body: &Map<String, Value>) -> Result<HashMap<&'static str, String>, ApiError> {
        body.iter()
            .map(|(key, value)| {
                let field = self.writable(key)?;
                Ok((field.column.name, value_text(field, value)?))
            })
            .collect()
    }

    /// The written column named `key`; a 422 for any other key.
    fn writable(&self, key: &str) -> Result<&ApiField, ApiError> {
        let refuse =
            |reason: String| Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason).on(key));
        match self.fields.iter().find(|f| f.column.name == key) {
            Some(field) if field.written => Ok(field),
            Some(field) if field.column.version => refuse(format!(
                "`{key}` is the version: give it to a PATCH, to change only that version"
            )),
            Some(_) => refuse(format!("`{key}` is set by the database, not by a request")),
            None => refuse(format!("unknown field `{key}`: a {} has none", self.name)),
        }
    }

    /// Takes the version out of a PATCH body: the one the client read, if it gave one.
    fn take_version(&self, body: &mut Map<String, Value>) -> Result<Option<i32>, ApiError> {
        let Some(column) = self.version() else {
            return Ok(None);
        };
        let Some(value) = body.remove(column.name) else {
            return Ok(None);
        };
        let version = match &value {
            Value::Number(number) => whole_number(number).and_then(|v| i32::try_from(v).ok()),
            _ => None,
        };
        let reason = format!("{value} is not a version (a whole number)");
        version
            .map(Some)
            .ok_or_else(|| Error::validation(column.name, reason).into())
    }

    /// The references a write gives a value (not NULL).
    fn references(&self, texts: &HashMap<&'static str, String>) -> Vec<Reference> {
        self.written()
            .filter_map(|f| Some((f.column.name, f.column.references?)))
            .filter_map(|(name, model)| {
                let id = texts.get(name).filter(|text| !text.is_empty())?;
                Some((name, model, id.clone()))
            })
            .collect()
    }
}

/// A JSON value as the text the model's reader takes for its column (`""` is NULL); refused
/// (422, naming the column) when its JSON type is not its column's kind's.
fn value_text(field: &ApiField, value: &Value) -> Result<String, ApiError> {
    let column = field.column;
    let invalid = |reason: String| Err(Error::validation(column.name, reason).into());
    match (value, column.kind) {
        (Value::Null, _) if column.nullable => Ok(String::new()),
        (Value::Null, _) => invalid("must not be null".to_owned()),
        (Value::Bool(b), Kind::Bool) => Ok(b.to_string()),
        (Value::Number(n), Kind::Integer | Kind::Id) => match whole_number(n) {
            Some(whole) => Ok(whole.to_string()),
            None => invalid(format!("{n} is not a whole number in range")),
        },
        (Value::Number(n), Kind::Float) => match n.as_f64() {
            Some(float) => Ok(float.to_string()),
            None => invalid(format!("{n} is not a number in range")),
        },
        (Value::String(text), Kind::Text) => text_value(column, text),
        (Value::String(text), Kind::Date) => match crate::parse_date(text) {
            Ok(_) => Ok(text.clone()),
            Err(_) => invalid(format!("`{text}` is not a date written YYYY-MM-DD")),
        },
        (Value::String(text), Kind::Timestamp) => timestamp_text(column, text),
        (other, kind) => invalid(format!("{other} is not {}", kind_words(kind))),
    }
}

/// Text for a text column. The reader takes blank text in a nullable column for NULL, so a
/// column that may not be blank refuses it here, as it refuses it in a column that is not
/// nullable.
fn text_value(column: &Column, text: &str) -> Result<String, ApiError> {
    if column.nullable && !column.rules.blank && text.trim().is_empty() {
        return Err(Error::validation(column.name, "must not be empty or blank").into());
    }
    Ok(text.to_owned())
}

/// An RFC 3339 time as the UTC time the reader takes (`YYYY-MM-DDTHH:MM:SS.ffffff`).
fn timestamp_text(column: &Column, text: &str) -> Result<String, ApiError> {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(time) => Ok(time.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Err(_) => Err(Error::validation(
            column.name,
            format!("`{text}` is not a date and time in RFC 3339 (2024-03-01T09:00:00Z)"),
        )
        .into()),
    }
}

/// What a JSON value of `kind` is, in words.
fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "true or false",
        Kind::Integer => "a whole number",
        Kind::Float => "a number",
        Kind::Id => "an id (a whole number from 1)",
        Kind::Date => "a date written YYYY-MM-DD",
        Kind::Timestamp => "a date and time in RFC 3339",
        _ => "text",
    }
}

/// A row as the API shows it: every column by name, in the model's order, each value of its
/// kind (see the module's documentation).
#[derive(Debug)]
struct Row(Vec<(&'static str, Value)>);

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A page of the list, and the cursor of the next (none after the last): the employees' shape.
#[derive(Debug, Serialize)]
struct Page {
    items: Vec<Row>,
    next: Option<String>,
}

fn row_json<M: Describe>(row: &M) -> Row {
    let values = M::COLUMNS
        .iter()
        .zip(row.texts())
        .map(|(column, text)| (column.name, column_json(column, text)));
    Row(values.collect())
}

/// One column's text (as [`Describe::texts`] gives it) as a JSON value of its kind; text the
/// kind cannot read (none that staffdb writes) stays a string.
fn column_json(column: &Column, text: String) -> Value {
    if column.nullable && text.is_empty() {
        return Value::Null;
    }
    let typed = match column.kind {
        Kind::Bool => text.parse::<bool>().ok().map(Value::Bool),
        Kind::Integer | Kind::Id => text.parse::<i64>().ok().map(Value::from),
        Kind::Float => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Kind::Timestamp => chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|time| {
                let utc = time.and_utc();
                Value::from(utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }),
        _ => None,
    };
    typed.unwrap_or(Value::String(text))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Department, Employee, EmployeeId};

    /// A row's JSON has every column in the model's order, as a struct's serialization has.
    #[test]
    fn a_row_keeps_the_models_column_order() {
        let time = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        let alice = Employee {
            id: EmployeeId(1),
            name: "Alice".into(),
            age: 25,
            position: "Manager".into(),
            email: None,
            department_id: None,
            hired_on: None,
            version: 1,
            created_at: time,
            updated_at: time,
        };
        let text = serde_json::to_string(&row_json(&alice)).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"id":1,"name":"Alice","age":25,"position":"Manager","email":null,"department_id":null,"hired_on":null,"version":1,"created_at":"2024-03-01T09:00:00.000000Z","updated_at":"2024-03-01T09:00:00.000000Z"}"#
        );
    }

    /// The readers tell what the description does not: the `created`/`updated` times are not
    /// written, the optional and defaulted columns are not required, `age` is an `i32`.
    #[test]
    fn the_probes_read_the_models_own_readers() {
        let employee = ApiModel::of::<Employee>();
        let written: Vec<&str> = employee.written().map(|f| f.column.name).collect();
        let expected = [
            "name",
            "age",
            "position",
            "email",
            "department_id",
            "hired_on",
        ];
        assert_eq!(written, expected);
        let required: Vec<&str> = employee
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.column.name)
            .collect();
        assert_eq!(required, ["name", "age", "position"]);
        let age = employee.fields.iter().find(|f| f.column.name == "age");
        assert_eq!(
            age.and_then(|f| f.range),
            Some((i32::MIN.into(), i32::MAX.into()))
        );
        assert_eq!(employee.version().map(|c| c.name), Some("version"));
        let department = ApiModel::of::<Department>();
        let written: Vec<&str> = department.written().map(|f| f.column.name).collect();
        assert_eq!(written, ["name"]);
        assert!(department.version().is_none());
    }

    /// A list takes `limit` and `cursor` once each, and names any other parameter it refuses.
    #[test]
    fn a_list_query_takes_limit_and_cursor_only() {
        let query = ListQuery::parse("limit=5&cursor=12").expect("a query");
        assert_eq!((query.limit, query.after), (5, Some(12)));
        let query = ListQuery::parse("cursor=").expect("a query");
        assert_eq!((query.limit, query.after), (DEFAULT_LIMIT, None));
        let refused = |query: &str| ListQuery::parse(query).map(drop).expect_err(query);
        let unknown = refused("limit=5&name=x");
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        assert!(
            unknown.message().contains("`name`"),
            "{}",
            unknown.message()
        );
        assert_eq!(refused("limit=1&limit=2").status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused("limit=x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            refused("limit=0").status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(refused("cursor=-1").status(), StatusCode::BAD_REQUEST);
    }

    /// Values are typed by kind both ways: a row's times in RFC 3339, NULL as null; a body's
    /// numbers whole, its nulls only where the column is nullable.
    #[test]
    fn values_are_typed_by_kind() {
        let columns = Employee::COLUMNS;
        let column = |name: &str| columns.iter().find(|c| c.name == name).expect("a column");
        let created = column_json(column("created_at"), "2024-03-01T09:00:00.5".into());
        assert_eq!(created, json!("2024-03-01T09:00:00.500000Z"));
        assert_eq!(column_json(column("email"), String::new()), Value::Null);
        assert_eq!(column_json(column("age"), "39".into()), json!(39));
        let employee = ApiModel::of::<Employee>();
        let field = |name: &str| {
            *employee
                .fields
                .iter()
                .find(|f| f.column.name == name)
                .expect("a field")
        };
        assert_eq!(
            value_text(&field("age"), &json!(39.0)).ok(),
            Some("39".into())
        );
        assert!(value_text(&field("age"), &json!(39.5)).is_err());
        assert!(value_text(&field("age"), &json!("39")).is_err());
        assert!(value_text(&field("age"), &Value::Null).is_err());
        assert_eq!(
            value_text(&field("email"), &Value::Null).ok(),
            Some("".into())
        );
        assert!(value_text(&field("email"), &json!(" ")).is_err());
        assert!(value_text(&field("hired_on"), &json!(" 2024-03-01")).is_err());
    }
}
