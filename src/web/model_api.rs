//! The JSON API of every model an application registers (`Admin::model::<M>()`), written once
//! against the library's description of a model ([`Describe`], through [`AdminModel`]), as the
//! admin's pages are. staffdb's own employees and departments keep their hand-written routes
//! (`api.rs`, `departments.rs`), whose shapes are their own.
//!
//! | route | success | failures |
//! |---|---|---|
//! | `GET /api/{plural}?budget>=100&q=…&sort=-budget&limit=&cursor=&count=true&include=members` | 200 `{"items": […], "next": cursor-or-null[, "count": n]}` | 400 (an unknown column, an operator or value its column does not take, a bad parameter), 404 (the cursor's row is gone), 422 (`limit` outside 1..=1000) |
//! | `GET /api/{plural}/export?format=csv\|json&…` (the list's conditions, search and sort) | 200 the file, streamed from one snapshot | 400, 503 (every export slot taken) |
//! | `POST /api/{plural}/import[?upsert_on=COLUMN]` (`text/csv` or `application/json`, or `?format=`) | 200 `{"added", "updated"}` | 400 (unreadable; `upsert_on` not a unique column), 409 (a unique value taken, or given twice; a referenced row missing), 413, 415, 422 (a record refused: its line or record and column named) |
//! | `GET /api/{plural}/{id}?include=members,lead` | 200 the row | 400, 404 |
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
//!
//! `include=` names relations of the model ([`Listed::RELATIONS`], comma-separated): each row
//! then has each of them by name, a many-to-many as an array of the related rows, a reference
//! as the row or `null`, each related row written as a row is. Each relation is one more
//! statement for the whole page ([`crate::Session::related_by_name`]), never one per row; an
//! unknown name is a 400 that lists the model's relations.
//!
//! A list's query string is the library's [`Query::from_url_query`], as the admin's list pages
//! read it, so a condition means the same in both; the list takes `count` besides, and answers
//! a `next` that is the last row's id (as a list by id always has), the library finding the
//! sort value of that row when the next page is asked for. Export and import are the library's
//! [`export_rows`], [`import_rows`] and [`upsert_rows`]: the export streamed as the employees'
//! is (`transfer.rs`), the import all or nothing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::acting::Db;
use super::admin::{AdminModel, ApiParameter};
use super::api::{DEFAULT_LIMIT, MAX_LIMIT, whole_number};
use super::errors::ApiError;
use super::handlers::{blocking, remove_refusing};
use super::transfer::{Exports, IMPORT_LIMIT, content_type, export_response, import_body};
use crate::{
    Column, Database, Describe, Error, Kind, Listed, Query, RecordFormat, RelatedRow, RelationInfo,
    WriteField, export_rows, write_fields,
};

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
    /// The relations `include=` may name.
    pub(crate) relations: &'static [RelationInfo],
    /// Whether the model keeps a history (its routes are `history.rs`'s).
    pub(crate) history: bool,
    /// The references each row carries by title ([`AdminModel::API_TITLES`]).
    pub(crate) titles: &'static [&'static str],
    /// Whether its list is every row at once ([`AdminModel::API_UNPAGED`]).
    pub(crate) unpaged: bool,
    /// The list parameters of its own ([`AdminModel::api_parameters`]).
    pub(crate) parameters: Vec<ApiParameter>,
    /// Whether its export and import are served (`routes`' `transfer`).
    pub(crate) transfer: bool,
}

/// One column, as requests write it: the library's [`WriteField`], which the command line's
/// flags read too.
pub(crate) type ApiField = WriteField;

impl ApiModel {
    /// `M` as its API serves it: its columns as writes see them ([`write_fields`]).
    pub(crate) fn of<M: AdminModel>() -> ApiModel {
        // A title is a reference's: caught when the model is registered, in a debug build, rather
        // than as an error on every list.
        debug_assert!(
            M::API_TITLES
                .iter()
                .all(|t| M::RELATIONS.iter().any(|r| r.name == *t && !r.many)),
            "{}: API_TITLES must name references of the model ({:?})",
            M::NAME,
            M::API_TITLES
        );
        ApiModel {
            name: M::NAME,
            plural: M::PLURAL,
            fields: write_fields::<M>(),
            relations: M::RELATIONS,
            history: M::HISTORY_TABLE.is_some(),
            titles: M::API_TITLES,
            unpaged: M::API_UNPAGED,
            parameters: M::api_parameters(),
            transfer: true,
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

/// The routes of `M` under `/api/{plural}`, `api` being [`ApiModel::of::<M>`]; with its
/// `transfer`, its export and import too (staffdb's employees have theirs at `/api/export` and
/// `/api/import`, in a format of their own).
pub(crate) fn routes<M: AdminModel>(api: Arc<ApiModel>) -> Router<Database> {
    let transfer = api.transfer;
    let all = format!("/api/{}", M::PLURAL);
    let one = format!("{all}/{{id}}");
    let mut routes = Router::new()
        .route(&all, get(list::<M>).post(create::<M>))
        .route(&one, get(show::<M>).patch(change::<M>).delete(delete::<M>));
    if transfer {
        routes = routes
            .route(&format!("{all}/export"), get(export::<M>))
            .route(
                &format!("{all}/import"),
                post(import::<M>).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
            );
    }
    routes.layer(Extension(api))
}

/// What a list or an export asks for: a [`Query`] read from the URL by
/// [`AdminModel::api_query`] (by default [`Query::from_url_query`]: conditions such as
/// `budget>=100`, `name~apo`, `lead_id=null`; `q` to search; `sort=budget` or `sort=-budget`;
/// `limit`; `cursor`), and the parameters that are the route's own (`count`, `format`,
/// `upsert_on`), taken out of it first.
struct ListRequest<M: AdminModel> {
    query: Query<M>,
    /// The route's own parameters, by name.
    own: HashMap<&'static str, String>,
}

impl<M: AdminModel> ListRequest<M> {
    /// Reads a query string. Each parameter but a condition is given at most once; `limit` is
    /// 1..=1000 (else 422, as before any query layer) and an empty `cursor` is the first page.
    /// Anything else wrong — an unknown column, an operator its kind does not take, a value not
    /// of its type, a column not filterable or sortable, a cursor this API did not give — is a
    /// 400 that names it, and nothing runs.
    fn parse(raw: &str, own: &[&'static str]) -> Result<ListRequest<M>, ApiError> {
        let mut seen: Vec<String> = Vec::new();
        let mut taken = HashMap::new();
        let mut rest: Vec<&str> = Vec::new();
        for piece in raw.split('&').filter(|piece| !piece.is_empty()) {
            let Some((key, value)) = url::form_urlencoded::parse(piece.as_bytes()).next() else {
                continue;
            };
            // No database's text holds a NUL (PostgreSQL refuses it outright).
            if key.contains('\0') || value.contains('\0') {
                let reason = "a query parameter must not contain NUL (%00)";
                let refused = ApiError::new(StatusCode::BAD_REQUEST, reason);
                return Err(if key.contains('\0') {
                    refused
                } else {
                    refused.on(key)
                });
            }
            let named = piece.contains('=');
            let once = ["limit", "cursor", "sort", "q"].contains(&&*key);
            let mine = own.iter().find(|name| **name == key);
            if named && (once || mine.is_some()) {
                if seen.contains(&key.to_string()) {
                    let reason = format!("the query parameter `{key}` is given twice");
                    return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(key));
                }
                seen.push(key.to_string());
            }
            match (mine, &*key) {
                (Some(name), _) if named => {
                    taken.insert(*name, value.into_owned());
                }
                (None, "limit") if named => {
                    page_size(Some(&value))?;
                    rest.push(piece);
                }
                (None, "cursor") if named && !value.is_empty() => {
                    cursor_digits(&value)?;
                    rest.push(piece);
                }
                // The first page, as an absent cursor.
                (None, "cursor") if named && value.is_empty() => {}
                _ => rest.push(piece),
            }
        }
        let query = M::api_query(&rest.join("&")).map_err(bad_query)?;
        Ok(ListRequest { query, own: taken })
    }

    /// A boolean parameter of the route's own: `true` or `false`, absent false.
    fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.own.get(name).map(String::as_str) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => {
                let reason = format!("{name} `{other}`: give true or false");
                Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(name))
            }
        }
    }
}

/// A query the library refused, before or as it ran: a 400 naming what (a column, `cursor`,
/// `sort`, `search`) for a refused value, else as any error.
fn bad_query(error: Error) -> ApiError {
    let message = error.to_string();
    match error {
        Error::Validation { field, .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, message).on(field)
        }
        other => ApiError::from(other),
    }
}

/// A `cursor` parameter must be what a `next` gave: an id, in at most 18 digits (no sign).
fn cursor_digits(cursor: &str) -> Result<(), ApiError> {
    let digits = cursor.len() <= 18 && cursor.bytes().all(|b| b.is_ascii_digit());
    match digits {
        true => Ok(()),
        false => {
            let reason = format!("`{cursor}` is not a cursor this API gave");
            Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("cursor"))
        }
    }
}

/// A `limit` parameter: rows per page, [`DEFAULT_LIMIT`] when absent.
fn page_size(limit: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = limit else {
        return Ok(DEFAULT_LIMIT);
    };
    let limit: i64 = crate::whole_number(text).ok_or_else(|| {
        let reason = format!("limit `{text}` is not a whole number");
        ApiError::new(StatusCode::BAD_REQUEST, reason).on("limit")
    })?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        let reason = format!("limit must be between 1 and {MAX_LIMIT}");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason).on("limit"));
    }
    Ok(limit)
}

async fn list<M: AdminModel>(Db(db): Db, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    if M::API_UNPAGED {
        unpaged::<M>(raw.as_deref().unwrap_or_default())?;
    }
    let request =
        ListRequest::<M>::parse(raw.as_deref().unwrap_or_default(), &["count", "include"])?;
    let counted = request.flag("count")?;
    let included = includes::<M>(request.own.get("include").map(String::as_str))?;
    let query = request.query;
    // One read session: the count, the rows and their related rows see the same rows.
    let (count, page, shown) = blocking(db, move |db| {
        let mut session = db.read_session()?;
        let count = if counted {
            Some(session.count(&query)?)
        } else {
            None
        };
        let page = match every_or_a_page(&mut session, &query, M::API_UNPAGED) {
            Ok(page) => page,
            Err(error) => return Ok(Err(error)),
        };
        let shown = Shown::read(&mut session, &included, &page.items)?;
        Ok(Ok((count, page, shown)))
    })
    .await?
    .map_err(bad_query)?;
    let items = shown.rows(&page.items);
    if M::API_UNPAGED {
        return Ok(Json(items).into_response());
    }
    // The id alone, as a list by id has always given: the library reads the sort value of
    // the row it names when the next page is asked for.
    let next = page.next.map(|cursor| cursor.id.to_string());
    Ok(Json(Page { items, next, count }).into_response())
}

/// The most rows an unpaged list ([`AdminModel::API_UNPAGED`]) answers at once.
const UNPAGED_LIMIT: usize = 10_000;

/// An unpaged list is every row its query selects, as one array: a page's parameters (`limit`,
/// `cursor`) and `count` (an array has its length) are refused with 400 rather than ignored.
fn unpaged<M: AdminModel>(raw: &str) -> Result<(), ApiError> {
    let paged = url::form_urlencoded::parse(raw.as_bytes())
        .find(|(key, _)| ["limit", "cursor", "count"].contains(&&**key));
    match paged {
        None => Ok(()),
        Some((key, _)) => {
            let reason = format!(
                "the list of {} is every one at once, not a page: `{key}` is a paged list's",
                M::PLURAL
            );
            Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(key))
        }
    }
}

/// The page `query` asks for; or, `unpaged`, every row it selects (page after page, in one
/// read session), refused beyond [`UNPAGED_LIMIT`] rather than held whole.
fn every_or_a_page<M: AdminModel>(
    session: &mut crate::Session,
    query: &Query<M>,
    unpaged: bool,
) -> crate::Result<crate::Page<M>> {
    if !unpaged {
        return session.list(query);
    }
    let mut every = Vec::new();
    let mut page_query = query.clone().limit(MAX_LIMIT)?;
    loop {
        let page = session.list(&page_query)?;
        every.extend(page.items);
        if every.len() > UNPAGED_LIMIT {
            let reason = format!(
                "selects more than {UNPAGED_LIMIT} {}: narrow it with a condition",
                M::PLURAL
            );
            return Err(Error::validation("query", reason));
        }
        match page.next {
            Some(next) => page_query = page_query.after(next),
            None => {
                return Ok(crate::Page {
                    items: every,
                    next: None,
                });
            }
        }
    }
}

/// `?format=csv` (the default) or `?format=json`: the format, its media type and its file's
/// extension.
fn export_format(
    format: Option<&str>,
) -> Result<(RecordFormat, &'static str, &'static str), ApiError> {
    match format.unwrap_or("csv") {
        "csv" => Ok((RecordFormat::Csv, "text/csv", "csv")),
        "json" => Ok((RecordFormat::Json, "application/json", "json")),
        other => {
            let reason = format!("format `{other}`: give csv or json");
            Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("format"))
        }
    }
}

/// Every row the query's conditions and search select, in its sort, as [`export_rows`] writes
/// them, streamed from one read session (as the employees' export is).
async fn export<M: AdminModel>(
    Db(db): Db,
    Extension(exports): Extension<Exports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = ListRequest::<M>::parse(raw.as_deref().unwrap_or_default(), &["format"])?;
    let raw = raw.unwrap_or_default();
    let paged = url::form_urlencoded::parse(raw.as_bytes())
        .find(|(key, _)| key == "limit" || key == "cursor");
    if let Some((key, _)) = paged {
        let reason = format!("an export has every row the query selects: `{key}` is a list's");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(key));
    }
    let (format, media, extension) = export_format(request.own.get("format").map(String::as_str))?;
    let query = request.query;
    let filename = format!("{}.{extension}", M::PLURAL);
    export_response(db, &exports, media, &filename, move |session, out| {
        export_rows(session, &query, format, out).map(drop)
    })
    .await
}

/// Adds (or with `?upsert_on=COLUMN` adds or updates) every record of a CSV or JSON body: all
/// or nothing ([`import_rows`], [`upsert_rows`]).
async fn import<M: AdminModel>(
    Db(db): Db,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportCounts>, ApiError> {
    let body = body?;
    let (mut format, mut upsert_on) = (None, None);
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let slot = match &*key {
            "format" => &mut format,
            "upsert_on" => &mut upsert_on,
            other => {
                let reason = format!(
                    "unknown query parameter `{other}`: an import takes `format` and `upsert_on`"
                );
                return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(other));
            }
        };
        if slot.replace(value.into_owned()).is_some() {
            let reason = format!("the query parameter `{key}` is given twice");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on(key));
        }
    }
    let format = match (format.as_deref(), content_type(&headers)) {
        (Some(format), _) => export_format(Some(format))?.0,
        (None, Some("text/csv")) => RecordFormat::Csv,
        (None, Some("application/json")) => RecordFormat::Json,
        _ => {
            let reason = "an import is text/csv or application/json (or says ?format=csv|json)";
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, reason));
        }
    };
    let imported = import_body::<M>(db, body, format, upsert_on).await?;
    Ok(Json(ImportCounts {
        added: imported.added,
        updated: imported.updated,
    }))
}

/// What an import did.
#[derive(Debug, Serialize)]
struct ImportCounts {
    added: usize,
    updated: usize,
}

async fn show<M: AdminModel>(
    Db(db): Db,
    id: Result<Path<i64>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Row>, ApiError> {
    let Path(id) = id?;
    let raw = raw.unwrap_or_default();
    let mut include = None;
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        if key == "include" && include.replace(value.into_owned()).is_some() {
            let reason = "the query parameter `include` is given twice";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("include"));
        }
    }
    let included = includes::<M>(include.as_deref())?;
    let (row, shown) = blocking(db, move |db| {
        let mut session = db.read_session()?;
        let row: M = session.get_one(M::id_from(id))?;
        let shown = Shown::read(&mut session, &included, std::slice::from_ref(&row))?;
        Ok((row, shown))
    })
    .await?;
    Ok(Json(shown.row(&row, 0)))
}

/// The relations an `include=` names (comma-separated, each once), in the order named; an
/// unknown one is a 400 that lists the model's relations.
fn includes<M: AdminModel>(include: Option<&str>) -> Result<Vec<&'static RelationInfo>, ApiError> {
    let mut relations: Vec<&'static RelationInfo> = Vec::new();
    let names = include.unwrap_or_default().split(',').map(str::trim);
    for name in names.filter(|name| !name.is_empty()) {
        if M::API_TITLES.contains(&name) {
            let reason = format!("`{name}` is in every row already, by its title");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, reason).on("include"));
        }
        let Some(relation) = M::RELATIONS.iter().find(|r| r.name == name) else {
            return Err(bad_query(crate::__private::no_relation::<M>(name)));
        };
        if !relations.iter().any(|r| r.name == name) {
            relations.push(relation);
        }
    }
    Ok(relations)
}

/// Each included relation's rows for each of `rows`: one statement per relation.
type Related = Vec<(&'static RelationInfo, Vec<Vec<RelatedRow>>)>;

fn related<M: Listed>(
    session: &mut crate::Session,
    included: &[&'static RelationInfo],
    rows: &[M],
) -> crate::Result<Related> {
    included
        .iter()
        .map(|relation| {
            Ok((
                *relation,
                session.related_by_name::<M>(relation.name, rows)?,
            ))
        })
        .collect()
}

/// What rows show beside their columns: the title of each reference of
/// [`AdminModel::API_TITLES`], and the rows of each included relation — one statement per
/// reference and per relation, whatever the number of rows.
struct Shown {
    titles: Vec<(&'static str, Vec<Option<String>>)>,
    related: Related,
}

impl Shown {
    /// What `rows` show, read in `session`.
    fn read<M: AdminModel>(
        session: &mut crate::Session,
        included: &[&'static RelationInfo],
        rows: &[M],
    ) -> crate::Result<Shown> {
        let mut titles = Vec::new();
        for name in M::API_TITLES {
            let groups = session.related_by_name::<M>(name, rows)?;
            let each = groups
                .into_iter()
                .map(|group| group.into_iter().next().map(|row| row.title));
            titles.push((*name, each.collect()));
        }
        let related = related::<M>(session, included, rows)?;
        Ok(Shown { titles, related })
    }

    /// The row at `at` of those read, as the API writes it: its columns, its titles (`null`
    /// for no reference), then its included relations.
    fn row<M: Describe>(&self, row: &M, at: usize) -> Row {
        let mut json = row_json(row);
        for (name, titles) in &self.titles {
            let title = titles.get(at).cloned().flatten();
            json.0
                .push((name, title.map_or(Value::Null, Value::String)));
        }
        with_related(json, &self.related, at)
    }

    /// Every row read, in order.
    fn rows<M: Describe>(&self, rows: &[M]) -> Vec<Row> {
        rows.iter()
            .enumerate()
            .map(|(at, row)| self.row(row, at))
            .collect()
    }
}

/// The row at `at` with each included relation nested by name: a many-to-many as an array of
/// rows, a reference as a row or `null`.
fn with_related(mut row: Row, related: &Related, at: usize) -> Row {
    for (relation, groups) in related {
        let group = groups.get(at).map(Vec::as_slice).unwrap_or_default();
        let nested = if relation.many {
            Nested::Many(group.iter().map(related_json).collect())
        } else {
            Nested::One(group.first().map(related_json))
        };
        row.1.push((relation.name, nested));
    }
    row
}

/// A related row as the API writes any row: every column by name, in its model's order.
fn related_json(row: &RelatedRow) -> Row {
    let values = row
        .columns
        .iter()
        .zip(row.texts.iter().cloned())
        .map(|(column, text)| (column.name, column_json(column, text)));
    Row(values.collect(), Vec::new())
}

async fn create<M: AdminModel>(
    Db(db): Db,
    Extension(api): Extension<Arc<ApiModel>>,
    body: Result<Json<Body>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(Body(body)) = body?;
    let texts = api.texts(&body)?;
    let new = M::new_from_texts(&|name| texts.get(name).cloned())?;
    let given = api.references(&texts);
    let (row, shown) = blocking(db, move |db| {
        Ok(db.transaction(|s| {
            let row = s.add(&new)?;
            let shown = Shown::read(s, &[], std::slice::from_ref(&row))?;
            Ok((row, shown))
        }))
    })
    .await?
    .map_err(|error| refused(error, &given))?;
    Ok((StatusCode::CREATED, Json(shown.row(&row, 0))).into_response())
}

async fn change<M: AdminModel>(
    Db(db): Db,
    Extension(api): Extension<Arc<ApiModel>>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Body>, JsonRejection>,
) -> Result<Json<Row>, ApiError> {
    let (Path(id), Json(Body(mut body))) = (id?, body?);
    let version = api.take_version(&mut body)?;
    let texts = api.texts(&body)?;
    if texts.is_empty() {
        let reason = "nothing to change: give at least one field";
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason));
    }
    let changes = M::changes_from_texts(&|name| texts.get(name).cloned())?;
    let given = api.references(&texts);
    let version_name = api.version().map_or("version", |c| c.name);
    let (row, shown) = blocking(db, move |db| {
        Ok(db.transaction(|s| {
            let row = M::save(s, M::id_from(id), version, &changes)?;
            let shown = Shown::read(s, &[], std::slice::from_ref(&row))?;
            Ok((row, shown))
        }))
    })
    .await?
    .map_err(|error| refused(error, &given).field_as("version", version_name))?;
    Ok(Json(shown.row(&row, 0)))
}

async fn delete<M: AdminModel>(
    Db(db): Db,
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

/// A write's JSON body: an object whose keys are each given once. `serde_json`'s own map keeps
/// the last of a repeated key; here `{"age": 3, "age": 4}` is refused (422), as a typed body's
/// "duplicate field" is, rather than one value silently winning.
#[derive(Debug)]
struct Body(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Body, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = Map<String, Value>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut body = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if body.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!(
                            "the key `{key}` is given twice"
                        )));
                    }
                    body.insert(key, value);
                }
                Ok(body)
            }
        }
        deserializer.deserialize_map(Keys).map(Body)
    }
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
pub(crate) struct Row(Vec<(&'static str, Value)>, Vec<(&'static str, Nested)>);

/// An included relation in a row: a reference's row or none, a many-to-many's rows.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Nested {
    One(Option<Row>),
    Many(Vec<Row>),
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len() + self.1.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        for (name, nested) in &self.1 {
            map.serialize_entry(name, nested)?;
        }
        map.end()
    }
}

/// A page of the list, and the cursor of the next (none after the last): the employees' shape,
/// with the count of every row the query selects when `?count=true` asks for it.
#[derive(Debug, Serialize)]
struct Page {
    items: Vec<Row>,
    next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
}

pub(crate) fn row_json<M: Describe>(row: &M) -> Row {
    let values = M::COLUMNS
        .iter()
        .zip(row.texts())
        .map(|(column, text)| (column.name, column_json(column, text)));
    Row(values.collect(), Vec::new())
}

/// One column's text as a JSON value of its kind: [`Column::json_value`].
pub(crate) fn column_json(column: &Column, text: String) -> Value {
    column.json_value(text)
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

    /// A list reads its query through the library's `Query`: `limit` (422 out of range) and
    /// `cursor` once each, an empty cursor the first page, the route's own parameters taken
    /// out, and every refusal a 400 naming what.
    #[test]
    fn a_list_query_is_the_librarys_query() {
        let parse = |raw: &str| ListRequest::<Employee>::parse(raw, &["count"]);
        assert!(parse("limit=5&cursor=12").is_ok());
        assert!(parse("cursor=").is_ok());
        // A whole number with a zero fraction is that number, as JSON Schema's `integer` (and
        // so the OpenAPI document, and schemathesis) has it.
        assert!(parse("limit=5.0&age=30.0&id=1.00").is_ok());
        assert_eq!(refused_status(&parse, "limit=5.5"), StatusCode::BAD_REQUEST);
        assert_eq!(refused_status(&parse, "age=30.5"), StatusCode::BAD_REQUEST);
        let request = parse("age>=30&position~dev&sort=-name&q=a&count=true").expect("a query");
        assert_eq!(request.flag("count").ok(), Some(true));
        let refused = |raw: &str| parse(raw).map(drop).expect_err(raw);
        let unknown = refused("limit=5&colour=x");
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        assert!(
            unknown.message().contains("`colour`"),
            "{}",
            unknown.message()
        );
        let operator = refused("hired_on~2024");
        assert_eq!(operator.status(), StatusCode::BAD_REQUEST);
        assert!(
            operator.message().contains("hired_on"),
            "{}",
            operator.message()
        );
        let typed = refused("age>=old");
        assert_eq!(typed.status(), StatusCode::BAD_REQUEST);
        assert!(typed.message().contains("age"), "{}", typed.message());
        assert_eq!(refused("sort=version").status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused("limit=1&limit=2").status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused("count=1&count=1").status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused("limit=x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            refused("limit=0").status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(refused("cursor=x").status(), StatusCode::BAD_REQUEST);
        let maybe = parse("count=maybe").expect("parsed");
        assert_eq!(
            maybe.flag("count").map(drop).expect_err("maybe").status(),
            StatusCode::BAD_REQUEST
        );
    }

    /// The status a list query is refused with.
    fn refused_status(
        parse: &dyn Fn(&str) -> Result<ListRequest<Employee>, ApiError>,
        raw: &str,
    ) -> StatusCode {
        parse(raw).map(drop).expect_err(raw).status()
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
