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

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

use maud::{Markup, html};

use super::acting::Db;
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
    /// every filterable column whose values can be named — a reference (its rows, by title), a
    /// yes/no, or a text column that holds only a few distinct values, 20 at most (a small
    /// enumeration, each value a choice, as Django's `AllValuesFieldListFilter`; its values
    /// read from the column's index, kept 10 s like the list's total). A text column with more
    /// has an input in the filter form instead; any filter is still read from the URL
    /// (`?budget>=100`).
    fn list_filters() -> Vec<&'static Column> {
        Self::COLUMNS
            .iter()
            .filter(|c| {
                let named = c.references.is_some() || matches!(c.kind, Kind::Bool | Kind::Text);
                c.filterable && named
            })
            .collect()
    }

    /// The list's columns, in order, as Django's `list_display`: by default every column but the
    /// version. A reference is shown as the title of the row it names.
    fn list_display() -> Vec<&'static Column> {
        Self::COLUMNS.iter().filter(|c| !c.version).collect()
    }

    /// This row's cells, one per column of [`AdminModel::list_display`]: by default each value
    /// as its description writes it (only the columns shown are written).
    fn cells(&self) -> Vec<String> {
        Self::list_display()
            .iter()
            .map(|column| self.text(column.name).unwrap_or_default())
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

    /// The references each row of its JSON API carries by title, each under its relation's
    /// name beside the column that holds the id — as staffdb's employees carry `"department":
    /// "Sales"` beside `department_id` (DRF's `StringRelatedField`). By default none: a client
    /// asks for related rows with `include=`, which does not name these (the title is there).
    /// Each one is one statement per page of rows, as an `include=` is.
    const API_TITLES: &'static [&'static str] = &[];

    /// Whether `GET /api/{plural}` answers every row the query selects as one array, in the
    /// query's order, rather than a page and a cursor: for a small table whose clients have
    /// always had it whole (staffdb's departments). By default, pages.
    const API_UNPAGED: bool = false;

    /// The query a list (and an export) of its JSON API runs, from the request's query string
    /// once the route's own parameters (`count`, `include`, `format`) are taken out. By default
    /// the library's [`Query::from_url_query`](crate::Query::from_url_query); a model whose
    /// clients send parameters of its own reads them here (staffdb's employees take
    /// `min_age=30`, `department=Sales` and `sort=age&desc=1`). A refusal is a 400 naming its
    /// field ([`Error::Validation`]) and runs nothing.
    fn api_query(raw: &str) -> Result<crate::Query<Self>> {
        crate::Query::from_url_query(raw)
    }

    /// The list parameters of its own that [`AdminModel::api_query`] reads, as the API's
    /// OpenAPI document describes them: each takes the place of the generic parameter of the
    /// same name (`sort`, a column's condition). By default none.
    fn api_parameters() -> Vec<ApiParameter> {
        Vec::new()
    }
}

/// A list parameter of a model's own ([`AdminModel::api_parameters`]), for the OpenAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiParameter {
    /// Its name in the query string: `min_age`.
    pub name: &'static str,
    /// What it does, for the document.
    pub description: &'static str,
    /// The values it takes.
    pub values: ApiValues,
}

/// The values an [`ApiParameter`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiValues {
    /// Text: no NUL, at most [`MAX_PATTERN_CHARS`](crate::MAX_PATTERN_CHARS) characters.
    Text,
    /// A whole number of 32 bits.
    Integer,
    /// One of these words.
    OneOf(&'static [&'static str]),
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

/// The pages of `M` that show or change one row: add, edit and delete (its list is
/// `changelist`'s).
pub(crate) fn model_routes<M: AdminModel>() -> Router<Database> {
    let base = format!("/{}", M::PLURAL);
    Router::new()
        .route(&format!("{base}/new"), get(add_page::<M>).post(add::<M>))
        .route(
            &format!("{base}/{{id}}"),
            get(edit_page::<M>).post(edit::<M>),
        )
        .route(
            &format!("{base}/{{id}}/delete"),
            get(delete_page::<M>).post(delete::<M>),
        )
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
    // A viewer sees the row, without a button its role would be refused.
    let needed = if action.ends_with("/new") {
        crate::Action::Add
    } else {
        crate::Action::Change
    };
    let may_save = chrome.may(M::PLURAL, needed);
    let body = html! {
        @if let Some(conflict) = outcome.conflict { (conflict) }
        @if let Some(message) = &outcome.general { p #form-error.error { (message) } }
        form #record method="post" action=(action) novalidate {
            (chrome.csrf_field())
            @if !version.is_empty() { input type="hidden" name="version" value=(version); }
            (fields(form, values, error))
            div.buttons {
                @if may_save { button #save type="submit" { "Save" } }
                a href=(format!("/{}", M::PLURAL)) { @if may_save { "Cancel" } @else { "Back to the list" } }
                @if M::HISTORY_TABLE.is_some() && needed == crate::Action::Change {
                    " " a #history-link href=(format!("{action}/history")) { "History" }
                }
            }
        }
    };
    chrome.page(title, body)
}

async fn add_page<M: AdminModel>(Db(db): Db, chrome: Chrome) -> Response {
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
    Db(db): Db,
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

async fn edit_page<M: AdminModel>(Db(db): Db, chrome: Chrome, Path(id): Path<i64>) -> Response {
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
    Db(db): Db,
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

async fn delete_page<M: AdminModel>(Db(db): Db, chrome: Chrome, Path(id): Path<i64>) -> Response {
    let found = off_thread(db, move |db| db.read_session()?.get_one(M::id_from(id))).await;
    let row: M = match found {
        Ok(row) => row,
        Err(error) => return error_page(&chrome, error),
    };
    let title = format!("Delete {} {id}?", M::NAME);
    let body = html! {
        table.record {
            @for (column, cell) in M::list_display().iter().zip(row.cells()) {
                tr { th { (column.label) } td { (cell) } }
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

async fn delete<M: AdminModel>(Db(db): Db, chrome: Chrome, Path(id): Path<i64>) -> Response {
    let deleted = off_thread(db, move |db| db.transaction(|s| s.delete(M::id_from(id)))).await;
    match deleted {
        Ok(()) => Redirect::to(&format!("/{}?deleted=1", M::PLURAL)).into_response(),
        Err(error) => error_page(&chrome, error),
    }
}
