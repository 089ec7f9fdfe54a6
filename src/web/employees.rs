//! The employees' list page: search by name, filters by position, department and age, sorting
//! by any column, keyset pages with the total count, and a bulk delete of the selected rows
//! behind a confirmation. (Their add, edit and delete pages are [`admin`](super::admin)'s.)
//!
//! | route | what |
//! |---|---|
//! | `GET /employees?name=&position=&department=&min_age=&max_age=&sort=&desc=1&after=ID` | the list |
//! | `POST /employees/bulk-delete` (`id`, repeated) | the confirmation, naming each row |
//! | `POST /employees/bulk-delete/confirm` (`id`, repeated) | the delete, all or nothing |

use crate::{
    Counted, Database, Department, Employee, EmployeeFilter, EmployeeId, EmployeeWithDepartment,
    ListOptions, SortKey,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{Markup, html};

use super::admin::{COUNT_LIMIT, COUNTED, saved_message};
use super::counts::{self, Counts};
use super::html::{Chrome, FormValues, error_page, off_thread, respond};

/// Rows per page when the URL names no `limit`, and the most it may name.
const PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// The list and the bulk delete.
pub(crate) fn routes() -> Router<Database> {
    Router::new()
        .route("/employees", get(list))
        .route("/employees/bulk-delete", post(confirm_bulk_delete))
        .route("/employees/bulk-delete/confirm", post(bulk_delete))
}

/// What the list's URL asks for, read leniently: a value that cannot be read is named on the
/// page, and the list is shown without it.
struct Listing {
    filter: EmployeeFilter,
    options: ListOptions,
    after: Option<EmployeeId>,
    problems: Vec<String>,
    query: FormValues,
}

impl Listing {
    fn from_query(query: FormValues) -> Listing {
        let mut problems = Vec::new();
        let mut read = |name: &'static str| match query.number::<i64>(name) {
            Ok(value) => value,
            Err(error) => {
                problems.push(error.to_string());
                None
            }
        };
        let (min_age, max_age, after, limit) = (
            read("min_age"),
            read("max_age"),
            read("after"),
            read("limit"),
        );
        let sort = query.text("sort").and_then(|s| match s.parse::<SortKey>() {
            Ok(key) => Some(key),
            Err(message) => {
                problems.push(message);
                None
            }
        });
        let age = |value: Option<i64>| value.and_then(|v| i32::try_from(v).ok());
        let filter = EmployeeFilter {
            position: query.text("position"),
            department: query.text("department"),
            min_age: age(min_age),
            max_age: age(max_age),
            name_contains: query.text("name"),
        };
        let mut options = ListOptions::new()
            .sort(sort.unwrap_or_default())
            .limit(limit.unwrap_or(PAGE).clamp(1, MAX_PAGE));
        options.descending = query.raw("desc") == "1";
        Listing {
            filter,
            options,
            after: after.map(EmployeeId),
            problems,
            query,
        }
    }

    /// This listing's URL with `changes` made: each `(name, Some(value))` set, `None` removed.
    fn link(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query.0 {
            let changed = changes.iter().any(|(n, _)| n == name);
            let noise = ["saved", "deleted"].contains(&name.as_str()) || value.is_empty();
            if !changed && !noise {
                url.append_pair(name, value);
            }
        }
        for (name, value) in changes {
            if let Some(value) = value {
                url.append_pair(name, value);
            }
        }
        format!("/employees?{}", url.finish())
    }
}

/// One page of the list, the total the filter matches and every department (for the filter).
type Found = (Vec<EmployeeWithDepartment>, Counted, Vec<Department>);

async fn list(
    State(db): State<Database>,
    Extension(counts): Extension<Counts>,
    chrome: Chrome,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let raw = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&query)
        .finish();
    let listing = Listing::from_query(FormValues(query));
    let (filter, mut options, after) = (listing.filter.clone(), listing.options, listing.after);
    let limit = options.limit.unwrap_or(PAGE);
    options.limit = Some(limit + 1);
    let found = off_thread(db, move |db| {
        let mut session = db.read_session()?;
        let page = Employee::page_with_department_after(&mut session, &filter, &options, after)?;
        let key = counts::key("employees", &raw);
        let total = counts.get_or(key, || {
            Employee::count_up_to(&mut session, &filter, COUNT_LIMIT)
        })?;
        Ok((page, total, Department::all(&mut session)?))
    })
    .await;
    match found {
        Ok((mut rows, total, departments)) => {
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let found: Found = (rows, total, departments);
            let body = list_body(&chrome, &listing, &found, more);
            respond(StatusCode::OK, chrome.page("Employees", body))
        }
        Err(error) => error_page(&chrome, error),
    }
}

fn list_body(chrome: &Chrome, listing: &Listing, found: &Found, more: bool) -> Markup {
    let (rows, total, departments) = found;
    let saved = listing.query.number::<i64>("saved").ok().flatten();
    let deleted = listing.query.number::<i64>("deleted").ok().flatten();
    html! {
        (saved_message("employee", saved, deleted))
        @for problem in &listing.problems { p.error { (problem) } }
        (filters(listing, departments))
        p.toolbar {
            a #add.button href="/employees/new" { "Add employee" }
            " "
            a #export-csv href="/export?format=csv" download { "Export CSV" }
            " "
            a #export-json href="/export?format=json" download { "Export JSON" }
        }
        p #count title=(COUNTED) { (total) " employee" @if total.rows != 1 || total.more { "s" } }
        form #bulk method="post" action="/employees/bulk-delete" {
            (chrome.csrf_field())
            (table(listing, rows))
            button #bulk-delete.danger type="submit" { "Delete selected…" }
        }
        @if more {
            @if let Some(last) = rows.last() {
                @let href = listing.link(&[("after", Some(last.employee.id.to_string()))]);
                p { a #next href=(href) { "Next page →" } }
            }
        }
    }
}

fn filters(listing: &Listing, departments: &[Department]) -> Markup {
    let query = &listing.query;
    let department = query.raw("department");
    html! {
        form #filters method="get" action="/employees" {
            input type="search" name="name" placeholder="Name contains" value=(query.raw("name"));
            input type="text" name="position" placeholder="Position" value=(query.raw("position"));
            select name="department" {
                option value="" { "Any department" }
                @for d in departments {
                    option value=(d.name) selected[d.name == department] { (d.name) }
                }
            }
            input type="number" name="min_age" placeholder="Min age" min="0" max="150"
                value=(query.raw("min_age"));
            input type="number" name="max_age" placeholder="Max age" min="0" max="150"
                value=(query.raw("max_age"));
            @if let Some(sort) = query.text("sort") { input type="hidden" name="sort" value=(sort); }
            @if query.raw("desc") == "1" { input type="hidden" name="desc" value="1"; }
            button #apply type="submit" { "Apply" }
            " "
            a href="/employees" { "Clear" }
        }
    }
}

/// The columns: a header, the sort key it sorts by (if any), and each cell's class.
const COLUMNS: [(&str, Option<SortKey>, &str); 7] = [
    ("id", Some(SortKey::Id), "c-id"),
    ("name", Some(SortKey::Name), "c-name"),
    ("age", Some(SortKey::Age), "c-age"),
    ("position", Some(SortKey::Position), "c-position"),
    ("email", None, "c-email"),
    ("department", None, "c-department"),
    ("hired on", Some(SortKey::HiredOn), "c-hired_on"),
];

fn table(listing: &Listing, rows: &[EmployeeWithDepartment]) -> Markup {
    let (sort, descending) = (listing.options.sort, listing.options.descending);
    html! {
        table #rows {
            thead { tr {
                th { input #select-all type="checkbox" title="Select every row"; }
                @for (header, key, _) in COLUMNS {
                    th { @match key {
                        Some(key) => {
                            @let flip = key == sort && !descending;
                            @let href = listing.link(&[
                                ("sort", Some(key.name().to_owned())),
                                ("desc", flip.then(|| "1".to_owned())),
                                ("after", None),
                            ]);
                            a.sort data-sort=(key.name()) href=(href) {
                                (header)
                                @if key == sort { @if descending { " ▼" } @else { " ▲" } }
                            }
                        }
                        None => (header),
                    } }
                }
                th {}
            } }
            tbody { @for row in rows { (table_row(row)) } }
        }
    }
}

fn table_row(row: &EmployeeWithDepartment) -> Markup {
    let e = &row.employee;
    let hired_on = e.hired_on.map(|d| d.to_string()).unwrap_or_default();
    let cells = [
        e.id.to_string(),
        e.name.clone(),
        e.age.to_string(),
        e.position.clone(),
        e.email.clone().unwrap_or_default(),
        row.department.clone().unwrap_or_default(),
        hired_on,
    ];
    html! {
        tr data-id=(e.id) {
            td { input type="checkbox" name="id" value=(e.id) aria-label=(format!("select {}", e.name)); }
            @for ((_, _, class), cell) in COLUMNS.iter().zip(cells) { td class=(class) { (cell) } }
            td.actions {
                a href=(format!("/employees/{}", e.id)) { "edit" }
                " "
                a href=(format!("/employees/{}/delete", e.id)) { "delete" }
            }
        }
    }
}

/// The ids a bulk form selected; a value that is no id is refused by the caller.
fn selected(form: &FormValues) -> Option<Vec<EmployeeId>> {
    form.all("id")
        .map(|id| id.parse().ok().map(EmployeeId))
        .collect()
}

async fn confirm_bulk_delete(
    State(db): State<Database>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(ids) = selected(&FormValues(form)).filter(|ids| !ids.is_empty()) else {
        let body = html! { p.error { "Select at least one employee first." }
        p { a href="/employees" { "Back to the list" } } };
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            chrome.page("Nothing selected", body),
        );
    };
    let lookup = ids.clone();
    let rows = off_thread(db, move |db| {
        let mut session = db.read_session()?;
        lookup
            .iter()
            .map(|&id| session.get_one(id))
            .collect::<crate::Result<Vec<_>>>()
    })
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return error_page(&chrome, error),
    };
    let title = format!(
        "Delete {} employee{}?",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    let body = html! {
        ul #doomed { @for e in &rows { li { (e.id) ": " (e.name) " (" (e.position) ")" } } }
        form #confirm method="post" action="/employees/bulk-delete/confirm" {
            (chrome.csrf_field())
            @for id in &ids { input type="hidden" name="id" value=(id); }
            button #confirm-delete.danger type="submit" { "Yes, delete them all" }
            " "
            a href="/employees" { "No, keep them" }
        }
    };
    respond(StatusCode::OK, chrome.page(&title, body))
}

async fn bulk_delete(
    State(db): State<Database>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(ids) = selected(&FormValues(form)) else {
        let body = html! { p.error { "The selection holds something that is no id." } };
        return respond(StatusCode::BAD_REQUEST, chrome.page("Bad request", body));
    };
    match off_thread(db, move |db| db.transaction(|s| s.delete_many(&ids))).await {
        Ok(count) => Redirect::to(&format!("/employees?deleted={count}")).into_response(),
        Err(error) => error_page(&chrome, error),
    }
}
