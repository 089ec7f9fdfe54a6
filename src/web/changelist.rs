//! The list of any registered model, as Django's changelist: a search box over its searchable
//! columns and a filter for each filterable one, filters by choice for references, yes/no
//! columns and small enumerations (their choices kept with the totals, `counts.rs`), headers
//! that sort by their column, keyset pages with the count of what matches, the
//! links to export it, and a bulk delete of the ticked rows. Employees, departments and an
//! application's models are all listed by this one page.
//!
//! The URL's query string is a [`crate::Query`] (`?q=apo&sort=-budget&lead_id=null&age>=30`),
//! so a searched, filtered, sorted page can be linked to; a bad one is refused with 400 and its
//! reason. The filter form writes the same conditions: its inputs are named `position`
//! (equals), `age>` and `age<` (at least, at most: `age%3E=30` is `age>=30`), and a blank input
//! is no condition.

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};

use super::acting::Db;
use super::admin::{AdminModel, COUNT_LIMIT, COUNTED, capitalized, saved_message};
use super::counts::{self, Choices, Counts};
use super::html::{Chrome, error_page, off_thread, respond};
use crate::{Action, Column, Database, Kind, Result, Session, TextFilter};

/// Where a model's list links its export (`?format=csv` or `json` appended), if it has one.
#[derive(Debug, Clone, Default)]
struct ExportLink(Option<String>);

/// The list of `M` at `/{plural}`, linking its export at `export` if it has one.
pub(crate) fn routes<M: AdminModel>(export: Option<String>) -> Router<Database> {
    let list = get(list::<M>).layer(Extension(ExportLink(export)));
    Router::new().route(&format!("/{}", M::PLURAL), list)
}

/// The list of `M`.
async fn list<M: AdminModel>(
    Db(db): Db,
    Extension(counts): Extension<Counts>,
    Extension(export): Extension<ExportLink>,
    chrome: Chrome,
    RawQuery(raw): RawQuery,
) -> Response {
    let (messages, raw) = list_messages(raw.as_deref().unwrap_or_default());
    let query = match crate::Query::<M>::from_url_query(&raw) {
        Ok(query) => query,
        Err(error) => {
            let body = html! {
                p #form-error.error { (error.to_string()) }
                p { a href=(format!("/{}", M::PLURAL)) { "Back to the list" } }
            };
            return respond(StatusCode::BAD_REQUEST, chrome.page("Bad list", body));
        }
    };
    let raw_conditions = raw.clone();
    let listed = off_thread(db, move |db| {
        let mut s = db.read_session()?;
        let filters = choice_filters::<M>(&mut s, &counts)?;
        let page = s.list(&query)?;
        let related = listed_relations(&mut s, &page.items)?;
        let key = counts::key(M::PLURAL, &raw_conditions);
        let total = counts.get_or(key, || s.count_up_to(&query, COUNT_LIMIT))?;
        Ok((total, page, filters, related))
    })
    .await;
    let (total, page, filters, related) = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(&chrome, error),
    };
    let listing = Listing {
        base: format!("/{}", M::PLURAL),
        raw: &raw,
        messages: &messages,
        total,
        filters: &filters,
        related: &related,
        export: export.0.as_deref(),
    };
    let body = list_body::<M>(&chrome, &listing, &page);
    respond(StatusCode::OK, chrome.page(&capitalized(M::PLURAL), body))
}

/// What a list page shows besides its rows: the query it was asked for, the message of the last
/// save or delete, the count, the filters by choice, the related rows' titles, the export.
struct Listing<'a> {
    base: String,
    raw: &'a str,
    messages: &'a ListMessages,
    total: crate::Counted,
    filters: &'a [ChoiceFilter],
    related: &'a [ListedRelation],
    export: Option<&'a str>,
}

/// A relation the list shows: a reference in its column's place (the row it names, by title),
/// or a many-to-many in a column of its own (every related row's title).
struct ListedRelation {
    name: &'static str,
    label: &'static str,
    /// The reference's column; `None` for a many-to-many.
    column: Option<&'static str>,
    /// Each row's related titles, joined by commas.
    titles: Vec<String>,
}

/// The titles of the rows each shown reference names, and of each many-to-many's rows, for
/// every row of the page: one statement per relation (never one per row).
fn listed_relations<M: AdminModel>(
    session: &mut Session,
    rows: &[M],
) -> Result<Vec<ListedRelation>> {
    let shown = M::list_display();
    let mut listed = Vec::new();
    for relation in M::RELATIONS {
        let column_shown = relation
            .column
            .is_some_and(|column| shown.iter().any(|c| c.name == column));
        if !(relation.many || column_shown) {
            continue;
        }
        let groups = session.related_by_name::<M>(relation.name, rows)?;
        let titles = groups
            .iter()
            .map(|group| {
                let titles: Vec<&str> = group.iter().map(|r| r.title.as_str()).collect();
                titles.join(", ")
            })
            .collect();
        listed.push(ListedRelation {
            name: relation.name,
            label: relation.label,
            column: relation.column,
            titles,
        });
    }
    Ok(listed)
}

/// The list page's content: the toolbar, the filter form, the filters by choice, the count, the
/// table with its bulk delete, and the next page's link.
fn list_body<M: AdminModel>(
    chrome: &Chrome,
    listing: &Listing<'_>,
    page: &crate::Page<M>,
) -> Markup {
    let (base, raw, total) = (listing.base.as_str(), listing.raw, listing.total);
    html! {
        (saved_message(M::NAME, listing.messages.saved, listing.messages.deleted))
        p.toolbar {
            @if chrome.may(M::PLURAL, Action::Add) {
                a #add.button href=(format!("{base}/new")) { "Add " (M::NAME) }
            }
            @if M::HISTORY_TABLE.is_some() {
                " "
                a #deleted-link href=(format!("{base}/deleted")) { "Deleted " (M::PLURAL) }
            }
            @if let Some(export) = listing.export {
                " "
                a #export-csv href=(format!("{export}?format=csv")) download { "Export CSV" }
                " "
                a #export-json href=(format!("{export}?format=json")) download { "Export JSON" }
            }
        }
        (filter_form::<M>(base, raw, listing.filters))
        (filter_bar(base, raw, listing.filters))
        p #total title=(COUNTED) { (total) " " (M::NAME) @if total.rows != 1 || total.more { "s" } }
        // The rows' boxes post to the bulk delete's confirmation, which deletes nothing yet.
        @if chrome.may(M::PLURAL, Action::Delete) {
            form #bulk method="post" action=(format!("{base}/bulk-delete")) {
                (chrome.csrf_field())
                (rows_table::<M>(chrome, base, raw, page, listing.related))
                @if !page.items.is_empty() {
                    button #bulk-delete.danger type="submit" { "Delete selected…" }
                }
            }
        } @else {
            (rows_table::<M>(chrome, base, raw, page, listing.related))
        }
        @if let Some(next) = &page.next {
            @let rest = without(raw, &["cursor"]);
            p { a #next href=(with_piece(base, &rest, "cursor", &next.to_string())) { "Next page →" } }
        }
    }
}

/// The list's table: a box to select each row (and every row), the headers that sort, the
/// cells (each of class `c-{column}`), the related rows' titles.
fn rows_table<M: AdminModel>(
    chrome: &Chrome,
    base: &str,
    raw: &str,
    page: &crate::Page<M>,
    related: &[ListedRelation],
) -> Markup {
    let shown = M::list_display();
    let many: Vec<&ListedRelation> = related.iter().filter(|r| r.column.is_none()).collect();
    let (changes, deletes) = (
        chrome.may(M::PLURAL, Action::Change),
        chrome.may(M::PLURAL, Action::Delete),
    );
    html! {
        table #rows {
            thead { tr {
                @if deletes { th { input #select-all type="checkbox" title="Select every row"; } }
                @for column in &shown { th { (sort_header(base, raw, column)) } }
                @for relation in &many { th { (relation.label) } }
                th {}
            } }
            tbody {
                @for (at, row) in page.items.iter().enumerate() {
                    @let id: i64 = row.id().into();
                    tr data-id=(id) {
                        @if deletes {
                            td.select {
                                input type="checkbox" name="id" value=(id)
                                    aria-label={"select " (row.title())};
                            }
                        }
                        @for (column, cell) in shown.iter().zip(row.cells()) {
                            td class={"c-" (column.name)} {
                                (reference_title(related, column, at).unwrap_or(&cell))
                            }
                        }
                        @for relation in &many {
                            td class={"related c-" (relation.name)} {
                                (relation.titles.get(at).map_or("", String::as_str))
                            }
                        }
                        td.actions {
                            a href={(base) "/" (id)} { @if changes { "edit" } @else { "view" } }
                            @if deletes {
                                " "
                                a href={(base) "/" (id) "/delete"} { "delete" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The title of the row that row `at`'s reference in `column` names, when `column` is a
/// reference and names one.
fn reference_title<'r>(
    related: &'r [ListedRelation],
    column: &Column,
    at: usize,
) -> Option<&'r str> {
    related
        .iter()
        .find(|r| r.column == Some(column.name))
        .and_then(|r| r.titles.get(at))
        .map(String::as_str)
        .filter(|title| !title.is_empty())
}

/// A list header: a link that sorts by its column when the column is sortable (ascending, or
/// descending when the list is sorted by it ascending already), marked ▲ or ▼ when the list is
/// sorted by it; else its label.
fn sort_header(base: &str, raw: &str, column: &Column) -> Markup {
    if !(column.sortable || column.key) {
        return html! { (column.label) };
    }
    let current = pieces_of(raw, "sort").into_iter().next();
    let (ascending, descending) = match current.as_deref() {
        Some(sort) => (
            sort == column.name,
            sort.strip_prefix('-') == Some(column.name),
        ),
        None => (column.key, false),
    };
    let next = if ascending {
        format!("-{}", column.name)
    } else {
        column.name.to_owned()
    };
    let rest = without(raw, &["sort", "cursor"]);
    html! {
        a.sort data-sort=(column.name) href=(with_piece(base, &rest, "sort", &next)) {
            (column.label)
            @if ascending { " ▲" } @else if descending { " ▼" }
        }
    }
}

/// The filter form (a GET to the list itself): the search over the searchable columns, and for
/// each filterable column that has no filter by choice, inputs of its kind — a text equals,
/// a number or a date from and to. What the form does not show of the current query (the sort,
/// a choice, a condition typed into the URL) it keeps, hidden; a new search starts again from
/// the first page.
fn filter_form<M: AdminModel>(base: &str, raw: &str, choices: &[ChoiceFilter]) -> Markup {
    let searchable = M::COLUMNS.iter().any(|c| c.searchable);
    let fields: Vec<FilterField> = M::COLUMNS
        .iter()
        .filter(|c| c.filterable && !c.key && !choices.iter().any(|f| f.column.name == c.name))
        .filter_map(FilterField::of)
        .collect();
    if !searchable && fields.is_empty() {
        return html! {};
    }
    let own: Vec<String> = ["q".to_owned(), "cursor".to_owned()]
        .into_iter()
        .chain(fields.iter().flat_map(FilterField::names))
        .collect();
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(key, _)| !own.iter().any(|name| name == key))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let value = |name: &str| pieces_of(raw, name).into_iter().next().unwrap_or_default();
    html! {
        form #filters method="get" action=(base) {
            @if searchable {
                input type="search" name="q" placeholder="Search" aria-label="Search"
                    value=(value("q"));
            }
            @for field in &fields {
                @let label = field.column.label;
                @match field.html {
                    None => input type="text" name=(field.column.name) placeholder=(label)
                        aria-label=(label) value=(value(field.column.name));,
                    Some(html) => span.range {
                        (label) " "
                        @let [from, to] = field.range();
                        @let step = (field.column.kind == Kind::Float).then_some("any");
                        input type=(html) name=(from) aria-label=(format!("{label} from"))
                            placeholder="from" step=[step] value=(value(&from));
                        "–"
                        input type=(html) name=(to) aria-label=(format!("{label} to"))
                            placeholder="to" step=[step] value=(value(&to));
                    },
                }
            }
            @for (name, value) in &kept { input type="hidden" name=(name) value=(value); }
            button #apply type="submit" { "Apply" }
            " "
            a #clear href=(base) { "Clear" }
        }
    }
}

/// A column the filter form has inputs for: a text one equals (`position`), any other ordered
/// kind (a number, a date) a range, from (`age>`, read as `age>=`) and to (`age<`, `age<=`).
struct FilterField {
    column: &'static Column,
    /// The HTML input type of a range's two inputs; `None` for a text column's one.
    html: Option<&'static str>,
}

impl FilterField {
    /// The inputs `column` gets, if any (a yes/no gets its filter by choice instead).
    fn of(column: &'static Column) -> Option<FilterField> {
        let html = match column.kind {
            Kind::Text => None,
            Kind::Bool => return None,
            Kind::Date => Some("date"),
            // `YYYY-MM-DDTHH:MM:SS`, as the description reads a time.
            Kind::Timestamp => Some("text"),
            Kind::Integer | Kind::Float | Kind::Id => Some("number"),
        };
        Some(FilterField { column, html })
    }

    /// A range's two input names: `age>` and `age<`.
    fn range(&self) -> [String; 2] {
        [">", "<"].map(|op| format!("{}{op}", self.column.name))
    }

    /// The names of its inputs, as the URL reads them.
    fn names(&self) -> Vec<String> {
        match self.html {
            None => vec![self.column.name.to_owned()],
            Some(_) => self.range().to_vec(),
        }
    }
}

/// A filter by choice (Django's `list_filter`): a column of [`AdminModel::list_filters`] and the
/// values it may be filtered by, each as the URL writes it and as it is shown.
struct ChoiceFilter {
    column: &'static Column,
    choices: Vec<(String, String)>,
}

/// The most distinct values a text column may hold to be offered as choices (a small
/// enumeration: a status, a position); beyond it, the filter form has an input for it.
const FEW_VALUES: usize = 20;

/// The list's filters by choice. A reference with too many rows to list (more than a form
/// lists, `MAX_LIMIT`) and a text column with more than [`FEW_VALUES`] values are left out:
/// the filter form has an input for the latter, and either is still read from the URL. The
/// choices are kept with the list's totals (`Counts`), so reading them costs a page nothing most
/// of the time.
fn choice_filters<M: AdminModel>(
    session: &mut Session,
    counts: &Counts,
) -> Result<Vec<ChoiceFilter>> {
    let mut filters = Vec::new();
    for column in M::list_filters() {
        let key = counts::choices_key(M::PLURAL, column.name);
        let choices = counts.choices_or(key, || choices_of::<M>(column, session))?;
        let Some(mut choices) = choices else {
            continue;
        };
        if column.nullable {
            choices.push(("null".into(), "(none)".into()));
        }
        filters.push(ChoiceFilter { column, choices });
    }
    Ok(filters)
}

/// The choices a filter of `column` offers, if it offers any: a reference's rows by title (up
/// to `MAX_LIMIT`), yes and no, or a text column's values (up to [`FEW_VALUES`]).
fn choices_of<M: AdminModel>(
    column: &'static Column,
    session: &mut Session,
) -> Result<Option<Choices>> {
    Ok(match column.kind {
        _ if column.references.is_some() => M::__choices(column, session)?,
        Kind::Bool => Some(vec![
            ("true".into(), "yes".into()),
            ("false".into(), "no".into()),
        ]),
        Kind::Text => {
            let values = M::__values(column, session, FEW_VALUES as i64 + 1)?.unwrap_or_default();
            let few = !values.is_empty() && values.len() <= FEW_VALUES;
            few.then(|| values.into_iter().map(|v| (v.clone(), v)).collect())
        }
        _ => None,
    })
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

/// What the last save or delete did (`saved=12`, `deleted=3`), and the rest of the query
/// without them and without the pieces that say nothing (`age%3E=`: a blank input of the
/// filter form).
#[derive(Debug, Default)]
struct ListMessages {
    saved: Option<i64>,
    deleted: Option<i64>,
}

fn list_messages(raw: &str) -> (ListMessages, String) {
    let mut messages = ListMessages::default();
    let number = |piece: &str, prefix: &str| piece.strip_prefix(prefix)?.parse().ok();
    let rest = raw
        .split('&')
        .filter_map(|piece| {
            if let Some(id) = number(piece, "saved=") {
                messages.saved = Some(id);
                None
            } else if let Some(count) = number(piece, "deleted=") {
                messages.deleted = Some(count);
                None
            } else if let Some(key) = piece.strip_suffix('=') {
                // A blank input says nothing; a whole condition the form kept as an input's
                // name (`name~apo`, which has no `=` to split at) is that condition.
                let decoded = url::form_urlencoded::parse(key.as_bytes()).next();
                let condition = decoded.and_then(|(key, _)| key.parse::<TextFilter>().ok());
                condition.filter(|c| !c.value.is_empty()).map(|_| key)
            } else {
                Some(piece).filter(|piece| !piece.is_empty())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of the last save or delete are taken out; a blank input of the filter form
    /// says nothing; a whole condition the form kept as an input's name is that condition.
    #[test]
    fn list_messages_keeps_the_conditions_and_drops_the_blanks() {
        let (messages, rest) = list_messages(
            "saved=3&q=&age%3E=&age%3C=40&name%7Eapo=&lead_id=null&&position=&deleted=2",
        );
        assert_eq!((messages.saved, messages.deleted), (Some(3), Some(2)));
        assert_eq!(rest, "age%3C=40&name%7Eapo&lead_id=null");
    }

    /// A header's link sorts by its column, or the other way when the list is sorted by it
    /// already, keeping the rest of the query but the cursor.
    #[test]
    fn a_sort_header_flips_and_keeps_the_filters() {
        use crate::Describe;
        let column = crate::Employee::COLUMNS
            .iter()
            .find(|c| c.name == "age")
            .expect("the employees' age column");
        let ascending = sort_header("/employees", "q=a&sort=age&cursor=7", column).into_string();
        assert!(
            ascending.contains(r#"href="/employees?q=a&amp;sort=-age""#) && ascending.contains('▲'),
            "{ascending}"
        );
        let other = sort_header("/employees", "sort=-name", column).into_string();
        assert!(
            other.contains(r#"href="/employees?sort=age""#) && !other.contains('▲'),
            "{other}"
        );
    }
}
