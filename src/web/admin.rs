//! The admin's pages for any model — list, add, edit, delete — written once against the
//! library's [`Model`] trait, the way Django's admin serves every registered model. A model
//! gets them by implementing [`AdminModel`] — every method defaults to what its description
//! says: its form's fields, how a row is shown, how a submitted form becomes its insert and
//! update forms — and being registered with [`model_routes`].
//!
//! | route | what |
//! |---|---|
//! | `GET /{plural}?q=…&sort=…&cursor=…&COLUMN=VALUE` | a page of rows: searched, sorted, filtered (a [`crate::Query`] from the URL, or a choice in its filter bar), counted, with a link to the next |
//! | `POST /{plural}/bulk-delete`, `POST …/confirm` | the rows ticked in the list, named for a confirmation, then deleted all or none (`bulk`) |
//! | `GET /{plural}/new`, `POST /{plural}/new` | the add form; saved, it leads back to the list |
//! | `GET /{plural}/{id}`, `POST /{plural}/{id}` | the edit form, with the row's version if it has one |
//! | `GET /{plural}/{id}/delete`, `POST …` | the confirmation, then the delete |

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};

use super::counts::Counts;
use maud::{Markup, html};

use super::html::{
    Chrome, Field, FieldKind, FormValues, error_page, field_of, fields, off_thread, respond,
    status_of,
};
use crate::{Column, Database, Describe, Error, Kind, Listed, Result, Session};

/// How far a list page counts the rows its query matches: beyond it, the page says "more than
/// 10,000" rather than count every row of a large table on every page (as large admins do).
pub(crate) const COUNT_LIMIT: i64 = 10_000;

/// What a list's total says of its age ([`Counts`]), on hover.
pub(crate) const COUNTED: &str =
    "counted up to 10,000, at most 10 s ago (at once after a change made here)";

/// How the admin shows and edits one model, as Django's `ModelAdmin`: every method has a default
/// read from the model's description ([`Describe`], written by `#[derive(Model)]`), so
/// registering a model is one line, `impl AdminModel for Project {}`, and a model overrides
/// only what it shows its own way (staffdb's employees pick their department by name).
///
/// Every column its list may sort or filter by should lead an index (a sortable one as
/// `(column, id)`, for keyset pages): staffdb's and the example's migrations make them, and a
/// test reads each backend's catalog for every registered model. That is checked by a test
/// rather than at startup: the description and the migrations are both fixed when the program
/// is built, so a test fails before a release, where a check at startup would only hide a
/// header from people in production.
///
/// The defaults: the pages at `/{table}`; the form's fields are the columns an insert writes
/// (the kind of input from each column's kind and rules); the list shows every column but the
/// version; a form's text is read as the description reads values; an edit of a versioned model
/// applies only at the version the form was opened with.
pub trait AdminModel:
    Listed<Id: Send + From<i64> + 'static, New: Send + 'static, Changes: Send + 'static>
    + Send
    + 'static
{
    /// The path of its pages and their title: `projects`.
    const PLURAL: &'static str = <Self as Describe>::TABLE;

    /// The id a path names.
    fn id_from(raw: i64) -> Self::Id {
        Self::Id::from(raw)
    }

    /// The add and edit forms' fields, in order: a reference is picked by its rows' titles
    /// (the id asked for when there are too many to list), and each editable relation
    /// (`members`) after the columns, its rows picked by title (or typed as ids).
    fn fields(session: &mut Session) -> Result<Vec<Field>> {
        let mut fields = Vec::new();
        for column in Self::COLUMNS.iter().filter(|c| c.is_written()) {
            let choices = match column.references {
                Some(_) => Self::__choices(column, session)?,
                None => None,
            };
            fields.push(match choices {
                Some(options) => required_unless_nullable(
                    Field::new(column.name, column.label, FieldKind::Choice(options)),
                    column,
                ),
                None => form_field(column),
            });
        }
        for relation in Self::RELATIONS.iter().filter(|r| r.editable) {
            let kind = match Self::__related_choices(relation.name, session)? {
                Some(choices) => FieldKind::Many(choices),
                None => FieldKind::Ids,
            };
            fields.push(Field::new(relation.name, relation.label, kind));
        }
        Ok(fields)
    }

    /// The columns the list offers filters by choice for, as Django's `list_filter`: by default
    /// every filterable column whose values can be named — a reference (its rows, by title) or
    /// a yes/no. Other filters are still read from the URL (`?budget>=100`).
    fn list_filters() -> Vec<&'static Column> {
        Self::COLUMNS
            .iter()
            .filter(|c| c.filterable && (c.references.is_some() || c.kind == Kind::Bool))
            .collect()
    }

    /// The list's column headers.
    fn columns() -> Vec<&'static str> {
        Self::COLUMNS
            .iter()
            .filter(|c| !c.version)
            .map(|c| c.label)
            .collect()
    }

    /// This row's cells, one per column.
    fn cells(&self) -> Vec<String> {
        Self::COLUMNS
            .iter()
            .zip(self.texts())
            .filter(|(c, _)| !c.version)
            .map(|(_, text)| text)
            .collect()
    }

    /// This row's values by field name, to fill its edit form.
    fn values(&self) -> FormValues {
        FormValues(
            Self::COLUMNS
                .iter()
                .zip(self.texts())
                .filter(|(c, _)| c.is_written())
                .map(|(c, text)| (c.name.to_owned(), text))
                .collect(),
        )
    }

    /// The insert form a submitted add form makes; a value that cannot be read is refused with
    /// [`Error::Validation`] naming its field.
    fn new_from(form: &FormValues) -> Result<Self::New> {
        Self::new_from_texts(&|name| Some(form.raw(name).trim().to_owned()))
    }

    /// The changes a submitted edit form makes.
    fn changes_from(form: &FormValues) -> Result<Self::Changes> {
        Self::changes_from_texts(&|name| Some(form.raw(name).trim().to_owned()))
    }

    /// The row's optimistic-locking version, for a model that has one: the edit form carries it,
    /// and [`AdminModel::save`] refuses to overwrite a row changed since.
    fn version(&self) -> Option<i32> {
        self.row_version()
    }

    /// Saves an edit form's changes: applied only if the row still has the `version` the form
    /// was opened with (a model without one overwrites).
    fn save(
        session: &mut Session,
        id: Self::Id,
        version: Option<i32>,
        changes: &Self::Changes,
    ) -> Result<Self> {
        Self::update_expecting(session, id, version, changes)
    }
}

/// A described column as a form field.
fn form_field(column: &Column) -> Field {
    let number = |min: i64, max: i64| FieldKind::Number {
        min: column.rules.min.unwrap_or(min),
        max: column.rules.max.unwrap_or(max),
    };
    let kind = match column.kind {
        Kind::Text if column.rules.email => FieldKind::Email,
        Kind::Integer => number(i64::MIN, i64::MAX),
        Kind::Id => number(1, i64::MAX),
        Kind::Date => FieldKind::Date,
        Kind::Bool => FieldKind::Choice(vec![
            ("true".into(), "yes".into()),
            ("false".into(), "no".into()),
        ]),
        _ => FieldKind::Text,
    };
    required_unless_nullable(Field::new(column.name, column.label, kind), column)
}

/// A field the form requires unless its column may be NULL (or is a yes/no choice).
fn required_unless_nullable(field: Field, column: &Column) -> Field {
    if column.nullable || column.kind == Kind::Bool {
        field
    } else {
        field.required()
    }
}

/// The pages of `M` (its list too, unless `with_list` is false: employees have their own).
pub fn model_routes<M: AdminModel>(with_list: bool) -> Router<Database> {
    let base = format!("/{}", M::PLURAL);
    let mut routes = Router::new()
        .route(&format!("{base}/new"), get(add_page::<M>).post(add::<M>))
        .route(
            &format!("{base}/{{id}}"),
            get(edit_page::<M>).post(edit::<M>),
        )
        .route(
            &format!("{base}/{{id}}/delete"),
            get(delete_page::<M>).post(delete::<M>),
        );
    if with_list {
        routes = routes.route(&base, get(list::<M>));
    }
    routes
}

/// The list of `M`, as Django's changelist: a search box over its searchable columns, headers
/// that sort by their column (again: largest first), the count of what matches, and keyset
/// pages. The URL's query string is a [`staffdb::Query`] (`?q=apo&sort=-budget&lead_id=null`),
/// so a filtered, sorted page can be linked to; a bad one is refused with 400 and its reason.
async fn list<M: AdminModel>(
    State(db): State<Database>,
    Extension(counts): Extension<Counts>,
    chrome: Chrome,
    RawQuery(raw): RawQuery,
) -> Response {
    let (messages, raw) = list_messages(raw.as_deref().unwrap_or_default());
    let query = match crate::Query::<M>::from_url_query(&raw) {
        Ok(query) => query,
        Err(error) => {
            let body = html! { p #form-error.error { (error.to_string()) } };
            return respond(StatusCode::BAD_REQUEST, chrome.page("Bad list", body));
        }
    };
    let raw_conditions = raw.clone();
    let listed = off_thread(db, move |db| {
        let mut s = db.read_session()?;
        let filters = choice_filters::<M>(&mut s)?;
        let page = s.list(&query)?;
        let related = listed_relations(&mut s, &page.items)?;
        let key = super::counts::key(M::PLURAL, &raw_conditions);
        let total = counts.get_or(key, || s.count_up_to(&query, COUNT_LIMIT))?;
        Ok((total, page, filters, related))
    })
    .await;
    let (total, page, filters, related) = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(&chrome, error),
    };
    let listing = Listing {
        raw: &raw,
        messages: &messages,
        total,
        filters: &filters,
        related: &related,
    };
    let body = list_body::<M>(&chrome, &listing, &page);
    respond(StatusCode::OK, chrome.page(&capitalized(M::PLURAL), body))
}

/// What a list page shows besides its rows: the query it was asked for, the message of the last
/// save or delete, the count, and the filters by choice.
struct Listing<'a> {
    raw: &'a str,
    messages: &'a ListMessages,
    total: crate::Counted,
    filters: &'a [ChoiceFilter],
    related: &'a [ListedRelation],
}

/// A many-to-many relation the list shows in a column of its own: its label, and each row's
/// related titles.
struct ListedRelation {
    label: &'static str,
    titles: Vec<String>,
}

/// The list's columns of related rows: each many-to-many relation's titles for every row of
/// the page, one statement per relation (never one per row).
fn listed_relations<M: AdminModel>(
    session: &mut Session,
    rows: &[M],
) -> Result<Vec<ListedRelation>> {
    let mut listed = Vec::new();
    for relation in M::RELATIONS.iter().filter(|r| r.many) {
        let groups = session.related_by_name::<M>(relation.name, rows)?;
        let titles = groups
            .iter()
            .map(|group| {
                let titles: Vec<&str> = group.iter().map(|r| r.title.as_str()).collect();
                titles.join(", ")
            })
            .collect();
        listed.push(ListedRelation {
            label: relation.label,
            titles,
        });
    }
    Ok(listed)
}

/// The list page's content: the search box, the filters by choice, the count, the table with
/// its bulk delete, and the next page's link.
fn list_body<M: AdminModel>(
    chrome: &Chrome,
    listing: &Listing<'_>,
    page: &crate::Page<M>,
) -> Markup {
    let (raw, total) = (listing.raw, listing.total);
    let base = format!("/{}", M::PLURAL);
    let searchable = M::COLUMNS.iter().any(|c| c.searchable);
    let search = pieces_of(raw, "q").into_iter().next().unwrap_or_default();
    html! {
        (saved_message(M::NAME, listing.messages.saved, listing.messages.deleted))
        p { a #add.button href=(format!("{base}/new")) { "Add " (M::NAME) } }
        @if searchable {
            form #search method="get" action=(base) {
                input type="search" name="q" value=(search) aria-label="Search";
                button type="submit" { "Search" }
            }
        }
        (filter_bar(&base, raw, listing.filters))
        p #total title=(COUNTED) { (total) " " (M::NAME) @if total.rows != 1 || total.more { "s" } }
        // The rows' boxes post to the bulk delete's confirmation, which deletes nothing yet.
        form #bulk method="post" action=(format!("{base}/bulk-delete")) {
            (chrome.csrf_field())
            (rows_table::<M>(&base, raw, page, listing.related))
            @if !page.items.is_empty() {
                button #bulk-delete.danger type="submit" { "Delete selected…" }
            }
        }
        @if let Some(next) = &page.next {
            @let rest = without(raw, &["cursor"]);
            p { a #next href=(with_piece(&base, &rest, "cursor", &next.to_string())) { "Next page →" } }
        }
    }
}

/// The list's table: a box to select each row (and every row), the sortable headers, the cells.
fn rows_table<M: AdminModel>(
    base: &str,
    raw: &str,
    page: &crate::Page<M>,
    related: &[ListedRelation],
) -> Markup {
    html! {
        table #rows {
            thead { tr {
                th { input #select-all type="checkbox" title="Select every row"; }
                @for header in M::columns() {
                    th { (sort_header::<M>(base, raw, header)) }
                }
                @for relation in related { th { (relation.label) } }
                th {}
            } }
            tbody {
                @for (at, row) in page.items.iter().enumerate() {
                    @let id: i64 = row.id().into();
                    tr data-id=(id) {
                        td.select {
                            input type="checkbox" name="id" value=(id)
                                aria-label=(format!("select {}", row.title()));
                        }
                        @for cell in row.cells() { td { (cell) } }
                        @for relation in related {
                            td.related { (relation.titles.get(at).map_or("", String::as_str)) }
                        }
                        td.actions {
                            a href=(format!("{base}/{id}")) { "edit" }
                            " "
                            a href=(format!("{base}/{id}/delete")) { "delete" }
                        }
                    }
                }
            }
        }
    }
}

/// A filter by choice (Django's `list_filter`): a column of [`AdminModel::list_filters`] and the
/// values it may be filtered by, each as the URL writes it and as it is shown.
struct ChoiceFilter {
    column: &'static Column,
    choices: Vec<(String, String)>,
}

/// The list's filters by choice. A reference with too many rows to list (more than a form
/// lists, `MAX_LIMIT`) is left out: its filter is still read from the URL.
fn choice_filters<M: AdminModel>(session: &mut Session) -> Result<Vec<ChoiceFilter>> {
    let mut filters = Vec::new();
    for column in M::list_filters() {
        let mut choices = if column.references.is_some() {
            match M::__choices(column, session)? {
                Some(choices) => choices,
                None => continue,
            }
        } else if column.kind == Kind::Bool {
            vec![("true".into(), "yes".into()), ("false".into(), "no".into())]
        } else {
            continue;
        };
        if column.nullable {
            choices.push(("null".into(), "(none)".into()));
        }
        filters.push(ChoiceFilter { column, choices });
    }
    Ok(filters)
}

/// The filter bar: for each filter by choice, "All" and its choices as links that make the same
/// URL filters the page reads (`lead_id=12`, `lead_id=null`), keeping the search, the sort and
/// the other filters; the current choice marked. A link starts again from the first page.
fn filter_bar(base: &str, raw: &str, filters: &[ChoiceFilter]) -> Markup {
    html! {
        @if !filters.is_empty() {
            nav #list-filter aria-label="Filters" {
                @for filter in filters {
                    @let name = filter.column.name;
                    @let current = chosen(raw, name);
                    @let rest = without_choice(raw, name);
                    div.filter data-column=(name) {
                        h2 { "By " (filter.column.label.to_lowercase()) }
                        ul {
                            li class=[current.is_none().then_some("selected")] {
                                a href=(with_rest(base, &rest))
                                    aria-current=[current.is_none().then_some("true")] { "All" }
                            }
                            @for (value, title) in &filter.choices {
                                @let selected = current.as_deref() == Some(value.as_str());
                                li class=[selected.then_some("selected")] {
                                    a href=(with_piece(base, &rest, name, value))
                                        aria-current=[selected.then_some("true")] { (title) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each piece of a list's query string with the condition it says, when it says one (not `q`,
/// `sort`, `cursor` or `limit`): read as [`crate::Query::from_url_query`] reads it.
fn conditions_of(raw: &str) -> Vec<(&str, Option<crate::TextFilter>)> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let decoded = url::form_urlencoded::parse(piece.as_bytes()).next();
            let condition = decoded.and_then(|(key, value)| {
                let reserved = ["q", "sort", "cursor", "limit"].contains(&key.as_ref());
                match (piece.contains('='), reserved) {
                    (true, true) => None,
                    (true, false) => format!("{key}={value}").parse().ok(),
                    (false, _) => key.parse().ok(),
                }
            });
            (piece, condition)
        })
        .collect()
}

/// The value the list is filtered to in `column` (`lead_id=12` → `12`), if it is.
fn chosen(raw: &str, column: &str) -> Option<String> {
    conditions_of(raw).into_iter().find_map(|(_, condition)| {
        let condition = condition?;
        let null = condition.value.eq_ignore_ascii_case("null");
        (condition.column == column && condition.op == crate::Op::Eq).then(|| {
            if null {
                "null".to_owned()
            } else {
                condition.value
            }
        })
    })
}

/// The query string without `column`'s choice, and without the cursor (a new choice is a new
/// list).
fn without_choice(raw: &str, column: &str) -> String {
    conditions_of(raw)
        .into_iter()
        .filter(|(piece, condition)| {
            let choice = condition
                .as_ref()
                .is_some_and(|c| c.column == column && c.op == crate::Op::Eq);
            let cursor = piece.split('=').next() == Some("cursor");
            !(choice || cursor)
        })
        .map(|(piece, _)| piece)
        .collect::<Vec<_>>()
        .join("&")
}

/// `base?rest`, or `base` when there is no rest.
fn with_rest(base: &str, rest: &str) -> String {
    match rest.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{rest}"),
    }
}

/// What the last save or delete did (`saved=12`, `deleted=3`), and the rest of the query.
#[derive(Debug, Default)]
struct ListMessages {
    saved: Option<i64>,
    deleted: Option<i64>,
}

fn list_messages(raw: &str) -> (ListMessages, String) {
    let mut messages = ListMessages::default();
    let rest = raw
        .split('&')
        .filter(|piece| {
            let number = |prefix: &str| piece.strip_prefix(prefix).and_then(|n| n.parse().ok());
            if let Some(id) = number("saved=") {
                messages.saved = Some(id);
            } else if let Some(count) = number("deleted=") {
                messages.deleted = Some(count);
            } else {
                return !piece.is_empty();
            }
            false
        })
        .collect::<Vec<_>>()
        .join("&");
    (messages, rest)
}

/// The decoded values of `key=` pieces of a query string.
fn pieces_of(raw: &str, key: &str) -> Vec<String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The query string without the pieces whose key is one of `keys`.
fn without(raw: &str, keys: &[&str]) -> String {
    raw.split('&')
        .filter(|piece| {
            let key = piece.split_once('=').map_or(*piece, |(key, _)| key);
            !piece.is_empty() && !keys.contains(&key)
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `base?rest&key=value`, the value encoded.
fn with_piece(base: &str, rest: &str, key: &str, value: &str) -> String {
    let piece: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish();
    match rest.is_empty() {
        true => format!("{base}?{piece}"),
        false => format!("{base}?{rest}&{piece}"),
    }
}

/// A list header: a link that sorts by its column when the column is sortable (ascending, or
/// descending when the list is sorted by it ascending already), else its text.
fn sort_header<M: AdminModel>(base: &str, raw: &str, header: &str) -> Markup {
    let column = M::COLUMNS
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(header) || c.label.eq_ignore_ascii_case(header));
    let Some(column) = column.filter(|c| c.sortable || c.key) else {
        return html! { (header) };
    };
    let current = pieces_of(raw, "sort")
        .into_iter()
        .next()
        .unwrap_or_default();
    let next = if current == column.name {
        format!("-{}", column.name)
    } else {
        column.name.to_owned()
    };
    let rest = without(raw, &["sort", "cursor"]);
    html! { a.sort href=(with_piece(base, &rest, "sort", &next)) { (header) } }
}

/// "Saved employee 12" or "Deleted 3 employees", after a redirect back to a list.
pub(crate) fn saved_message(name: &str, saved: Option<i64>, deleted: Option<i64>) -> Markup {
    html! {
        @if let Some(id) = saved { p #message.message { "Saved " (name) " " (id) } }
        @if let Some(count) = deleted {
            p #message.message { "Deleted " (count) " " (name) @if count != 1 { "s" } }
        }
    }
}

/// `projects` → `Projects`.
pub(crate) fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a form page shows besides its fields: a refused field, or a row someone else changed.
#[derive(Default)]
struct Outcome<'a> {
    error: Option<(String, String)>,
    general: Option<String>,
    conflict: Option<&'a Markup>,
}

impl Outcome<'_> {
    /// A refusal by the library: beside its field when it names one of the form's, else above.
    fn refused(error: &Error, form: &[Field]) -> Outcome<'static> {
        let message = error.to_string();
        match field_of(error).filter(|name| form.iter().any(|f| f.name == *name)) {
            Some(field) => Outcome {
                error: Some((field.to_owned(), message)),
                ..Outcome::default()
            },
            None => Outcome {
                general: Some(message),
                ..Outcome::default()
            },
        }
    }
}

/// The add or edit form of `M`, posting to `action`.
fn form_page<M: AdminModel>(
    chrome: &Chrome,
    title: &str,
    action: &str,
    form: &[Field],
    values: &FormValues,
    outcome: Outcome<'_>,
) -> Markup {
    let error = outcome
        .error
        .as_ref()
        .map(|(f, m)| (f.as_str(), m.as_str()));
    let version = values.raw("version");
    let body = html! {
        @if let Some(conflict) = outcome.conflict { (conflict) }
        @if let Some(message) = &outcome.general { p #form-error.error { (message) } }
        form #record method="post" action=(action) novalidate {
            (chrome.csrf_field())
            @if !version.is_empty() { input type="hidden" name="version" value=(version); }
            (fields(form, values, error))
            div.buttons {
                button #save type="submit" { "Save" }
                a href=(format!("/{}", M::PLURAL)) { "Cancel" }
            }
        }
    };
    chrome.page(title, body)
}

async fn add_page<M: AdminModel>(State(db): State<Database>, chrome: Chrome) -> Response {
    match off_thread(db, |db| M::fields(&mut db.read_session()?)).await {
        Ok(form) => {
            let title = format!("Add {}", M::NAME);
            let action = format!("/{}/new", M::PLURAL);
            let values = FormValues::default();
            let page = form_page::<M>(&chrome, &title, &action, &form, &values, Outcome::default());
            respond(StatusCode::OK, page)
        }
        Err(error) => error_page(&chrome, error),
    }
}

async fn add<M: AdminModel>(
    State(db): State<Database>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let values = FormValues(form);
    let submitted = values.clone();
    let result = off_thread(db, move |db| {
        let added = M::new_from(&submitted).and_then(|new| {
            let sets = relation_sets::<M>(&submitted)?;
            // The row and its members in one transaction: a bad id adds neither.
            db.transaction(|s| {
                let row = s.add(&new)?;
                set_relations::<M>(s, row.id().into(), &sets)?;
                Ok(row)
            })
        });
        match added {
            Ok(row) => Ok(Ok(row)),
            // The form again: its fields (and their choices) are read only then.
            Err(error) => Ok(Err((error, M::fields(&mut db.read_session()?)?))),
        }
    })
    .await;
    match result {
        Ok(Ok(row)) => saved(M::PLURAL, row.id().into()),
        Ok(Err((error, form))) => {
            let title = format!("Add {}", M::NAME);
            let action = format!("/{}/new", M::PLURAL);
            let outcome = Outcome::refused(&error, &form);
            let page = form_page::<M>(&chrome, &title, &action, &form, &values, outcome);
            respond(status_of(&error), page)
        }
        Err(error) => error_page(&chrome, error),
    }
}

/// Back to the list after a save, which says so.
fn saved(plural: &str, id: i64) -> Response {
    Redirect::to(&format!("/{plural}?saved={id}")).into_response()
}

async fn edit_page<M: AdminModel>(
    State(db): State<Database>,
    chrome: Chrome,
    Path(id): Path<i64>,
) -> Response {
    let found = off_thread(db, move |db| {
        let mut session = db.read_session()?;
        let row: M = session.get_one(M::id_from(id))?;
        let values = current_values(&mut session, &row)?;
        Ok((row, values, M::fields(&mut session)?))
    })
    .await;
    match found {
        Ok((row, values, form)) => {
            let page = edit_form(&chrome, &row, &form, values, Outcome::default());
            respond(StatusCode::OK, page)
        }
        Err(error) => error_page(&chrome, error),
    }
}

/// A row's form values, its version and the ids of its editable relations' rows among them.
fn current_values<M: AdminModel>(session: &mut Session, row: &M) -> Result<FormValues> {
    let mut values = row.values();
    if let Some(version) = row.version() {
        values.0.push(("version".to_owned(), version.to_string()));
    }
    for relation in M::RELATIONS.iter().filter(|r| r.editable) {
        let related = session.related_by_name::<M>(relation.name, std::slice::from_ref(row))?;
        for member in related.into_iter().flatten() {
            values
                .0
                .push((relation.name.to_owned(), member.id.to_string()));
        }
    }
    Ok(values)
}

/// The ids a submitted form gives each editable relation it has a field for (a form without
/// the field leaves the relation as it is). An id that is no whole number is refused, naming
/// the field.
fn relation_sets<M: AdminModel>(form: &FormValues) -> Result<Vec<(&'static str, Vec<i64>)>> {
    let mut sets = Vec::new();
    for relation in M::RELATIONS.iter().filter(|r| r.editable) {
        if !form.0.iter().any(|(key, _)| key == relation.name) {
            continue;
        }
        // A picker sends each id alone; the typed field, ids separated by commas.
        let pieces = form.all(relation.name).flat_map(|value| value.split(','));
        let mut ids = Vec::new();
        for piece in pieces.map(str::trim).filter(|piece| !piece.is_empty()) {
            match piece.parse::<i64>() {
                Ok(id) if id > 0 => ids.push(id),
                _ => {
                    let reason = format!("`{piece}` is not an id (a whole number from 1)");
                    return Err(Error::validation(relation.name, reason));
                }
            }
        }
        sets.push((relation.name, ids));
    }
    Ok(sets)
}

/// Makes each relation of `sets` exactly its ids for the row `id`, inside the caller's
/// transaction. An id that names no row is refused beside the relation's field.
fn set_relations<M: AdminModel>(
    session: &mut Session,
    id: i64,
    sets: &[(&'static str, Vec<i64>)],
) -> Result<()> {
    for (name, ids) in sets {
        session
            .set_related_by_name::<M>(name, id, ids)
            .map_err(|error| match error {
                Error::ForeignKey(_) => {
                    let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
                    let reason = format!(
                        "one of the ids {} names no row that exists",
                        listed.join(", ")
                    );
                    Error::validation(name, reason)
                }
                other => other,
            })?;
    }
    Ok(())
}

fn edit_form<M: AdminModel>(
    chrome: &Chrome,
    row: &M,
    form: &[Field],
    values: FormValues,
    outcome: Outcome<'_>,
) -> Markup {
    let id: i64 = row.id().into();
    let title = format!("Edit {} {id}", M::NAME);
    let action = format!("/{}/{id}", M::PLURAL);
    form_page::<M>(chrome, &title, &action, form, &values, outcome)
}

/// What a refused edit shows: the refusal, the row as it is now with its form values, the
/// form's fields.
type Refused<M> = (Error, Option<(M, FormValues)>, Vec<Field>);

async fn edit<M: AdminModel>(
    State(db): State<Database>,
    chrome: Chrome,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let values = FormValues(form);
    let submitted = values.clone();
    let result = off_thread(db, move |db| -> Result<Result<M, Refused<M>>> {
        let id = M::id_from(id);
        // A version that is no number is refused, never taken as "no version" (an overwrite).
        let saved = submitted.number::<i32>("version").and_then(|version| {
            let changes = M::changes_from(&submitted)?;
            let sets = relation_sets::<M>(&submitted)?;
            // The row and its members in one transaction: a stale version or a bad id changes
            // neither.
            db.transaction(|s| {
                let row = M::save(s, id, version, &changes)?;
                set_relations::<M>(s, row.id().into(), &sets)?;
                Ok(row)
            })
        });
        match saved {
            Ok(row) => Ok(Ok(row)),
            // The row as it is now, from the primary: another writer's change may not have
            // reached a standby yet.
            Err(error) => {
                let mut session = db.session()?;
                let current = match session.get(id)? {
                    Some(row) => {
                        let values = current_values(&mut session, &row)?;
                        Some((row, values))
                    }
                    None => None,
                };
                Ok(Err((error, current, M::fields(&mut session)?)))
            }
        }
    })
    .await;
    match result {
        Ok(Ok(row)) => saved(M::PLURAL, row.id().into()),
        Ok(Err((error, Some((current, theirs)), form))) => {
            refused_edit(&chrome, error, (&current, theirs), &form, values)
        }
        Ok(Err((error, None, _))) | Err(error) => error_page(&chrome, error),
    }
}

/// The edit form again after a refusal: the typed values beside the error; or, when someone
/// else changed the row, their values and version, with what they changed shown above.
fn refused_edit<M: AdminModel>(
    chrome: &Chrome,
    error: Error,
    (current, theirs): (&M, FormValues),
    form: &[Field],
    typed: FormValues,
) -> Response {
    let status = status_of(&error);
    if !matches!(error, Error::Conflict { .. }) {
        let outcome = Outcome::refused(&error, form);
        return respond(status, edit_form(chrome, current, form, typed, outcome));
    }
    let notice = html! {
        div #conflict.conflict {
            p { strong { "This " (M::NAME) " was changed by someone else" }
                " since you opened it. Their values are below; your changes were not saved." }
            table {
                tr { th { "field" } th { "theirs" } th { "yours" } }
                @for field in form {
                    @let (mine, others) = (field.shown_all(&typed), field.shown_all(&theirs));
                    tr.changed[others != mine] {
                        td { (field.label) }
                        td.theirs { (others) }
                        td.yours { (mine) }
                    }
                }
            }
        }
    };
    let outcome = Outcome {
        conflict: Some(&notice),
        ..Outcome::default()
    };
    let page = edit_form(chrome, current, form, theirs, outcome);
    respond(status, page)
}

async fn delete_page<M: AdminModel>(
    State(db): State<Database>,
    chrome: Chrome,
    Path(id): Path<i64>,
) -> Response {
    let found = off_thread(db, move |db| db.read_session()?.get_one(M::id_from(id))).await;
    let row: M = match found {
        Ok(row) => row,
        Err(error) => return error_page(&chrome, error),
    };
    let title = format!("Delete {} {id}?", M::NAME);
    let body = html! {
        table.record {
            @for (column, cell) in M::columns().iter().zip(row.cells()) {
                tr { th { (column) } td { (cell) } }
            }
        }
        form #confirm method="post" action=(format!("/{}/{id}/delete", M::PLURAL)) {
            (chrome.csrf_field())
            button #confirm-delete.danger type="submit" { "Yes, delete it" }
            " "
            a href=(format!("/{}", M::PLURAL)) { "No, keep it" }
        }
    };
    respond(StatusCode::OK, chrome.page(&title, body))
}

async fn delete<M: AdminModel>(
    State(db): State<Database>,
    chrome: Chrome,
    Path(id): Path<i64>,
) -> Response {
    let deleted = off_thread(db, move |db| db.transaction(|s| s.delete(M::id_from(id)))).await;
    match deleted {
        Ok(()) => Redirect::to(&format!("/{}?deleted=1", M::PLURAL)).into_response(),
        Err(error) => error_page(&chrome, error),
    }
}
