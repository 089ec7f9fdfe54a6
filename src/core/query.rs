//! Lists of any model, from its description: conditions (typed Diesel expressions, or text such
//! as `budget>=100`, `name~apo`, `lead_id=null` checked against the columns), a search over the
//! searchable columns, a sort by any sortable column with ties broken by id, keyset pages over
//! (sort key, id), and the count of what matches.
//!
//! ```
//! use staffdb::{Database, Employee, NewEmployee, Query};
//!
//! let db = Database::open(":memory:")?;
//! let mut s = db.session()?;
//! for (name, age) in [("Ann", 30), ("Bob", 41), ("Cy", 52)] {
//!     s.add(&NewEmployee::new(name, age, "Clerk"))?;
//! }
//! let query = Query::<Employee>::new().filter_text("age>=40")?.sort_by("name", true)?;
//! assert_eq!(s.count(&query)?, 2);
//! let page = s.list(&query.limit(1)?)?;
//! assert_eq!(page.items[0].name, "Cy");
//! let rest = s.list(&Query::<Employee>::new().filter_text("age>=40")?.sort_by("name", true)?
//!     .after(page.next.expect("a next page")))?;
//! assert_eq!(rest.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Bob"]);
//! # Ok::<(), staffdb::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use diesel::expression::BoxableExpression;
use diesel::sql_types::Bool;

use super::error::{Error, Result};
use super::fields::{Column, Describe, Kind, RelatedRow, RelationInfo};
use super::session::Session;
use crate::backend::{AnyConnection, MultiBackend};

/// A condition on the rows of table `T`, for [`AnyConnection`]'s own backend.
pub type Condition<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;

/// Rows per page when a query names no limit.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most rows one page may hold.
pub const MAX_LIMIT: i64 = 1_000;
/// The most conditions (a search counts as one) a query read from text may hold: each is a
/// level of the statement's expression tree, which Diesel walks recursively (thousands of them
/// overflowed a server thread's stack) and SQLite caps at 1,000 levels.
pub const MAX_CONDITIONS: usize = 64;
/// The longest text a search or a `~` condition may look for, in characters: SQLite refuses a
/// `LIKE` pattern of more than 50,000 bytes, and no text column of a staffdb model holds
/// anything near this.
pub const MAX_PATTERN_CHARS: usize = 1_000;

/// A comparison of a column with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` (with `null`: the column is NULL).
    Eq,
    /// `!=` (with `null`: the column is not NULL).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `~`: text that contains the value, ignoring case (`%` and `_` are literal).
    Contains,
}

impl Op {
    /// Every operator, the two-character ones first (as text is read).
    const ALL: [Op; 7] = [Op::Ge, Op::Le, Op::Ne, Op::Eq, Op::Lt, Op::Gt, Op::Contains];

    /// How it is written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
        }
    }

    /// True when a column of `kind` can be compared so.
    pub fn applies_to(self, kind: Kind) -> bool {
        match self {
            Op::Contains => kind == Kind::Text,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => kind != Kind::Bool,
            Op::Eq | Op::Ne => true,
        }
    }
}

/// One condition in words, as a URL's query string or a command line writes it: `budget>=100`,
/// `name~apo`, `lead_id=null`.
///
/// ```
/// use staffdb::{Op, TextFilter};
///
/// let filter: TextFilter = "budget>=100".parse()?;
/// assert_eq!((filter.column.as_str(), filter.op, filter.value.as_str()), ("budget", Op::Ge, "100"));
/// assert!("budget".parse::<TextFilter>().is_err());
/// # Ok::<(), staffdb::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFilter {
    /// The column's name.
    pub column: String,
    /// The comparison.
    pub op: Op,
    /// The value as written; `null` compares with NULL.
    pub value: String,
}

impl FromStr for TextFilter {
    type Err = Error;

    fn from_str(text: &str) -> Result<TextFilter> {
        let found = text.char_indices().find_map(|(at, _)| {
            Op::ALL
                .into_iter()
                .find(|op| text[at..].starts_with(op.symbol()))
                .map(|op| (at, op))
        });
        let Some((at, op)) = found else {
            return Err(Error::validation(
                "filter",
                format!(
                    "`{text}` is not a condition: write COLUMN=VALUE, or with !=, <, <=, >, >= or ~"
                ),
            ));
        };
        let column = text[..at].trim();
        if column.is_empty() {
            return Err(Error::validation(
                "filter",
                format!("`{text}` names no column"),
            ));
        }
        Ok(TextFilter {
            column: column.to_owned(),
            op,
            value: text[at + op.symbol().len()..].trim().to_owned(),
        })
    }
}

impl fmt::Display for TextFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.column, self.op.symbol(), self.value)
    }
}

/// Where a page starts: after the last row of the page before, known by its sort value (as
/// text; `None` for NULL) and its id. Its text form (`12`, `12:Apollo`, `12!` for NULL) is what
/// a URL's `cursor=` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last row's id.
    pub id: i64,
    /// Its sort value, when the sort is not by id: `Some(None)` for NULL.
    pub value: Option<Option<String>>,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            None => write!(f, "{}", self.id),
            Some(None) => write!(f, "{}!", self.id),
            Some(Some(value)) => write!(f, "{}:{value}", self.id),
        }
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(text: &str) -> Result<Cursor> {
        let bad =
            || Error::validation("cursor", format!("`{text}` is not a cursor this list gave"));
        let (id, value) = match text.split_once(':') {
            Some((id, value)) => (id, Some(Some(value.to_owned()))),
            None => match text.strip_suffix('!') {
                Some(id) => (id, Some(None)),
                None => (text, None),
            },
        };
        let id = id.parse().map_err(|_| bad())?;
        if let Some(Some(value)) = &value {
            no_nul("cursor", value)?;
        }
        Ok(Cursor { id, value })
    }
}

/// The sort and the start of one page, as a model's generated `__page` reads them.
#[doc(hidden)]
pub struct Order<'a> {
    /// The sort column (the key when the query names none).
    pub column: &'static Column,
    /// Largest first.
    pub descending: bool,
    /// Where the page starts.
    pub after: Option<&'a Cursor>,
    /// Which rows of a nullable sort column the page reads.
    pub nulls: Nulls,
}

/// Which rows a page sorted by a nullable column reads. NULLs come after every value, which no
/// backend's index of `(column, key)` gives in one scan (SQLite and MySQL put them first, and
/// PostgreSQL's backward scan too): a page reads the values from the index, then, if that
/// part ends before the page does, the NULLs from the same index (`column IS NULL`, by key).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// Every row, NULLs last, in one statement (sorted by the database: no index serves it).
    Both,
    /// The rows with a value, in the column's order.
    Values,
    /// The rows without one, by key.
    Null,
}

/// A model whose rows can be listed from its description: what `#[derive(Model)]` writes. The
/// methods are the generated per-column code that [`Query`] and [`Session::list`] call.
pub trait Listed: Describe + Sized {
    /// The model's `table!`.
    type Table: diesel::Table + Send + 'static;

    /// `column op value` (the value not `null`), the value read as the column's type.
    #[doc(hidden)]
    fn __compare(column: &'static Column, op: Op, value: &str) -> Result<Condition<Self::Table>>;

    /// `column IS NULL`.
    #[doc(hidden)]
    fn __is_null(column: &'static Column) -> Option<Condition<Self::Table>>;

    /// `lower(column) LIKE pattern ESCAPE '!'`, for a text column.
    #[doc(hidden)]
    fn __like(column: &'static Column, pattern: &str) -> Option<Condition<Self::Table>>;

    /// One page: the rows every condition holds for, in `order`, after its cursor.
    #[doc(hidden)]
    fn __page(
        conn: &mut AnyConnection,
        conditions: Vec<Condition<Self::Table>>,
        order: Order<'_>,
        limit: i64,
    ) -> Result<Vec<Self>>;

    /// The keys of the rows of [`Listed::__page`]: which rows a page that failed on a value
    /// staffdb cannot read holds, to name the one that has it.
    #[doc(hidden)]
    fn __page_ids(
        conn: &mut AnyConnection,
        conditions: Vec<Condition<Self::Table>>,
        order: Order<'_>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let _ = (conn, conditions, order, limit);
        Ok(Vec::new())
    }

    /// How many rows every condition holds for.
    #[doc(hidden)]
    fn __count(conn: &mut AnyConnection, conditions: Vec<Condition<Self::Table>>) -> Result<i64>;

    /// How many rows every condition holds for, counted no further than `limit + 1`: the keys
    /// of at most that many rows are read, so a count over a large table stops early.
    #[doc(hidden)]
    fn __count_up_to(
        conn: &mut AnyConnection,
        conditions: Vec<Condition<Self::Table>>,
        limit: i64,
    ) -> Result<i64>;

    /// The relations the declaration gives (`references`, `many_to_many`), by name.
    const RELATIONS: &'static [RelationInfo] = &[];

    /// The rows related through the relation `name` to each of `rows` (see
    /// [`Session::related_by_name`]).
    #[doc(hidden)]
    fn __related(name: &str, session: &mut Session, rows: &[Self]) -> Result<Vec<Vec<RelatedRow>>> {
        let _ = (session, rows);
        Err(no_relation::<Self>(name))
    }

    /// Sets the related set of `id` through the editable relation `name`.
    #[doc(hidden)]
    fn __set_related(name: &str, session: &mut Session, id: i64, related: &[i64]) -> Result<()> {
        let _ = (session, id, related);
        Err(no_relation::<Self>(name))
    }

    /// The rows the relation `name` may relate to, as (id, title) by title; `None` beyond
    /// [`MAX_LIMIT`] (as [`Listed::__choices`]).
    #[doc(hidden)]
    fn __related_choices(
        name: &str,
        session: &mut Session,
    ) -> Result<Option<Vec<(String, String)>>> {
        let _ = session;
        Err(no_relation::<Self>(name))
    }

    /// The distinct values of a filterable text column, in order, no more than `limit`: what
    /// a list offers as choices when they are few (a small enumeration, as Django's
    /// `AllValuesFieldListFilter`). `None` for any other column. NULL is not among them.
    #[doc(hidden)]
    fn __values(
        column: &'static Column,
        session: &mut Session,
        limit: i64,
    ) -> Result<Option<Vec<String>>> {
        let _ = (column, session, limit);
        Ok(None)
    }

    /// For a column that references another model, the rows it may name, as (id, title) by
    /// title; `None` for any other column, or when there are more than [`MAX_LIMIT`] to choose
    /// from (a form then asks for the id).
    #[doc(hidden)]
    fn __choices(
        column: &'static Column,
        session: &mut Session,
    ) -> Result<Option<Vec<(String, String)>>>;

    /// For a [`titled`](Column::titled) reference: the id of the row each title names, as
    /// [`ids_by_title`] finds (or with `create`, adds) them.
    #[doc(hidden)]
    fn __ids_by_title(
        column: &'static Column,
        session: &mut Session,
        titles: &[String],
        create: bool,
    ) -> Result<HashMap<String, i64>> {
        let _ = (session, titles, create);
        Err(Error::validation(column.name, "is not a titled reference"))
    }

    /// For a [`titled`](Column::titled) reference: refuses a title the referenced model could
    /// not be made from ([`new_from_title`]), naming the referenced model's column.
    #[doc(hidden)]
    fn __check_title(column: &'static Column, title: &str) -> Result<()> {
        let _ = title;
        Err(Error::validation(column.name, "is not a titled reference"))
    }
}

/// Titles looked up per statement by [`ids_by_title`]: a few levels of `OR`.
const TITLES_PER_QUERY: usize = 500;

/// The id of the row of `M` each of `titles` names, by [`Describe::TITLE_COLUMN`], 500 titles
/// to a statement; a title no row has is left out, unless `create`: then a row is added for
/// it, made from the title alone ([`new_from_title`]). A title several rows have is refused: it
/// names no one row. Where the database compares text ignoring case (MySQL's collations), a
/// title names the one row it matches so.
#[doc(hidden)]
pub fn ids_by_title<M: Listed>(
    session: &mut Session,
    titles: &[String],
    create: bool,
) -> Result<HashMap<String, i64>> {
    let column = title_column::<M>()?;
    let mut ids = find_by_title::<M>(session, column, titles)?;
    let missing: Vec<&String> = titles.iter().filter(|t| !ids.contains_key(*t)).collect();
    if !create || missing.is_empty() {
        return Ok(ids);
    }
    let new = missing
        .iter()
        .map(|title| new_from_title::<M>(title))
        .collect::<Result<Vec<_>>>()?;
    session.add_all(new).map_err(|error| match error {
        // Added by a concurrent transaction since it was looked for: run again to find it.
        Error::UniqueViolation { .. } => Error::Contention(format!(
            "a {} was added by a concurrent transaction",
            M::NAME
        )),
        other => other,
    })?;
    let missing: Vec<String> = missing.into_iter().cloned().collect();
    ids.extend(find_by_title::<M>(session, column, &missing)?);
    Ok(ids)
}

/// A new row of `M` made from its title alone, checked: what an import adds for a title of a
/// [`creates_titled`](Column::creates_titled) reference that no row has. Refused, naming the
/// column, when the title breaks its column's rules or `M` needs more than its title.
#[doc(hidden)]
pub fn new_from_title<M: Listed>(title: &str) -> Result<M::New> {
    let column = title_column::<M>()?;
    let mut new = M::new_from_texts(&|name| (name == column.name).then(|| title.to_owned()))?;
    crate::Validate::validate(&mut new)?;
    Ok(new)
}

/// The column `M`'s rows are found by title by.
fn title_column<M: Listed>() -> Result<&'static Column> {
    M::TITLE_COLUMN
        .and_then(M::column)
        .ok_or_else(|| Error::validation(M::NAME, "has no title to find its rows by"))
}

/// The rows of `M` whose `column` is one of `titles`, as title → id; a title two rows have is
/// refused.
fn find_by_title<M: Listed>(
    session: &mut Session,
    column: &'static Column,
    titles: &[String],
) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    for chunk in titles.chunks(TITLES_PER_QUERY) {
        let query = Query::<M>::new()
            .any_of(column, chunk.to_vec())?
            .limit(MAX_LIMIT)?;
        let rows: Vec<(String, i64)> = session
            .list(&query)?
            .items
            .iter()
            .map(|row| (row.title(), row.id().into()))
            .collect();
        for title in chunk {
            let exact = rows.iter().filter(|(t, _)| t == title);
            let folded = || {
                let title = title.to_lowercase();
                rows.iter().filter(move |(t, _)| t.to_lowercase() == title)
            };
            let found: Vec<i64> = match exact.clone().count() {
                0 => folded().map(|(_, id)| *id).collect(),
                _ => exact.map(|(_, id)| *id).collect(),
            };
            match found.as_slice() {
                [] => {}
                [id] => {
                    ids.insert(title.clone(), *id);
                }
                _ => {
                    let reason = format!(
                        "{} rows of {} are called `{title}`: it names no one row",
                        found.len(),
                        M::NAME
                    );
                    return Err(Error::validation(column.name, reason));
                }
            }
        }
    }
    Ok(ids)
}

/// The rows of `M` a reference may name, as (id, title) by title; `None` beyond [`MAX_LIMIT`].
#[doc(hidden)]
pub fn choices<M: Listed>(session: &mut Session) -> Result<Option<Vec<(String, String)>>> {
    let page = session.list(&Query::<M>::new().limit(MAX_LIMIT)?)?;
    if page.next.is_some() {
        return Ok(None);
    }
    let mut choices: Vec<(String, String)> = page
        .items
        .iter()
        .map(|row| (Into::<i64>::into(row.id()).to_string(), row.title()))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Some(choices))
}

/// Refuses a value with a NUL character, naming `field`: no stored text holds one (staffdb's
/// values are readable), and PostgreSQL refuses it in a statement outright — the asker's
/// mistake, a 400 and not a database error.
fn no_nul(field: &'static str, value: &str) -> Result<()> {
    match value.contains('\0') {
        true => Err(Error::validation(field, "must not contain NUL (%00)")),
        false => Ok(()),
    }
}

/// Refuses a text to look for that is longer than [`MAX_PATTERN_CHARS`], naming `field`.
fn not_too_long(field: &'static str, text: &str) -> Result<()> {
    match text.chars().count() <= MAX_PATTERN_CHARS {
        true => Ok(()),
        false => Err(Error::validation(
            field,
            format!("is longer than {MAX_PATTERN_CHARS} characters"),
        )),
    }
}

/// Makes a condition anew for every statement (a query is counted and paged).
type MakeCondition<T> = Arc<dyn Fn() -> Result<Condition<T>> + Send + Sync>;

/// Which rows of `M` to list, in what order, from where, and how many: built from typed Diesel
/// conditions, from text, or both. Every condition must hold.
pub struct Query<M: Listed> {
    conditions: Vec<MakeCondition<M::Table>>,
    sort: Option<(&'static Column, bool)>,
    after: Option<Cursor>,
    limit: i64,
}

impl<M: Listed> Clone for Query<M> {
    fn clone(&self) -> Self {
        Query {
            conditions: self.conditions.clone(),
            sort: self.sort,
            after: self.after.clone(),
            limit: self.limit,
        }
    }
}

impl<M: Listed> Default for Query<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Listed> fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("conditions", &self.conditions.len())
            .field("sort", &self.sort.map(|(c, desc)| (c.name, desc)))
            .field("after", &self.after)
            .field("limit", &self.limit)
            .finish()
    }
}

impl<M: Listed> Query<M> {
    /// Every row, by id, [`DEFAULT_LIMIT`] to a page.
    pub fn new() -> Self {
        Query {
            conditions: Vec::new(),
            sort: None,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Only rows for which `condition` holds: any Diesel boolean expression on the model's own
    /// table (one on another table does not compile), such as `projects::budget.ge(100)`.
    pub fn filter<E>(mut self, condition: E) -> Self
    where
        E: BoxableExpression<M::Table, MultiBackend, SqlType = Bool>
            + Clone
            + Send
            + Sync
            + 'static,
    {
        self.conditions
            .push(Arc::new(move || Ok(Box::new(condition.clone()))));
        self
    }

    /// Only rows for which the condition in words holds (`budget>=100`): refused, naming the
    /// column, when it is not one of the model's filterable columns (or its key), when the
    /// operator does not apply to its kind, or when the value is not one of its values.
    pub fn filter_text(self, text: &str) -> Result<Self> {
        self.matching(&text.parse()?)
    }

    /// [`Query::filter_text`] of a parsed condition.
    pub fn matching(mut self, filter: &TextFilter) -> Result<Self> {
        self.room_for_a_condition()?;
        let column = described::<M>(&filter.column)?;
        no_nul(column.name, &filter.value)?;
        if filter.op == Op::Contains {
            not_too_long(column.name, &filter.value)?;
        }
        if !(column.filterable || column.key) {
            return Err(Error::validation(
                column.name,
                format!("is not a column {} may be filtered by", M::TABLE),
            ));
        }
        if !filter.op.applies_to(column.kind) {
            return Err(Error::validation(
                column.name,
                format!("`{}` does not apply to its values", filter.op.symbol()),
            ));
        }
        let make = condition::<M>(column, filter.op, &filter.value)?;
        // Made once now, so that a bad value is refused here rather than when the list runs.
        make()?;
        self.conditions.push(make);
        Ok(self)
    }

    /// Only rows whose searchable columns contain `text` (any of them; ignoring case; `%` and
    /// `_` are literal). Blank text searches nothing.
    pub fn search(mut self, text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(self);
        }
        no_nul("search", text)?;
        not_too_long("search", text)?;
        self.room_for_a_condition()?;
        let columns: Vec<&'static Column> = M::COLUMNS.iter().filter(|c| c.searchable).collect();
        if columns.is_empty() {
            return Err(Error::validation(
                "search",
                format!("{} has no searchable column", M::TABLE),
            ));
        }
        let pattern = like_pattern(text);
        self.conditions.push(Arc::new(move || {
            let mut any: Option<Condition<M::Table>> = None;
            for column in &columns {
                let Some(like) = M::__like(column, &pattern) else {
                    continue;
                };
                any = Some(match any {
                    None => like,
                    Some(before) => Box::new(diesel::BoolExpressionMethods::or(before, like)),
                });
            }
            any.ok_or_else(|| Error::validation("search", "no text column to search"))
        }));
        Ok(self)
    }

    /// Sorted by the sortable column named (or the key), largest first when `descending`; ties
    /// are broken by id in the same direction (one index of `(column, key)` serves both), and
    /// NULLs come last.
    pub fn sort_by(mut self, column: &str, descending: bool) -> Result<Self> {
        let column = described::<M>(column)?;
        if !(column.sortable || column.key) {
            return Err(Error::validation(
                column.name,
                format!("is not a column {} may be sorted by", M::TABLE),
            ));
        }
        self.sort = Some((column, descending));
        Ok(self)
    }

    /// Sorted by a column of the description, as [`Query::sort_by`] but without looking it up
    /// by name: for typed names over a model's columns (`SortKey::column`).
    pub(crate) fn sorted(mut self, column: &'static Column, descending: bool) -> Self {
        self.sort = Some((column, descending));
        self
    }

    /// The page after the one that gave `cursor` (its `next`).
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.after = Some(cursor);
        self
    }

    /// At most `limit` rows to a page: 1 to [`MAX_LIMIT`].
    pub fn limit(mut self, limit: i64) -> Result<Self> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("must be between 1 and {MAX_LIMIT} (got {limit})"),
            ));
        }
        self.limit = limit;
        Ok(self)
    }

    /// A query from a URL's query string: `q=` searches, `sort=` sorts (`sort=-name`, largest
    /// first), `cursor=` continues after a page, `limit=` sizes it; every other piece is a
    /// condition (`budget>=100`, `name~apo`, `lead_id=null`, percent-encoded or not). Anything
    /// wrong is refused naming what, before anything runs.
    ///
    /// ```
    /// use staffdb::{Employee, Query};
    ///
    /// assert!(Query::<Employee>::from_url_query("age>=40&position=Clerk&sort=-name&limit=10").is_ok());
    /// let refused = Query::<Employee>::from_url_query("age>=old").unwrap_err();
    /// assert_eq!(refused.to_string(), "invalid age: `old` is not a whole number");
    /// // Bounded: at most 64 conditions, and 1,000 characters to look for.
    /// let many = vec!["age>=1"; 65].join("&");
    /// assert_eq!(Query::<Employee>::from_url_query(&many).unwrap_err().to_string(), "invalid query: has more than 64 conditions");
    /// assert!(Query::<Employee>::from_url_query(&format!("q={}", "a".repeat(1_001))).is_err());
    /// ```
    pub fn from_url_query(raw: &str) -> Result<Self> {
        Self::new().and_url_query(raw)
    }

    /// This query, and what a URL's query string asks for besides (as
    /// [`Query::from_url_query`] reads it): for typed conditions a front end adds to what its
    /// clients write.
    ///
    /// ```
    /// use staffdb::{EmployeeFilter, Query};
    ///
    /// let query = EmployeeFilter::new().min_age(30).query().and_url_query("position=Clerk&sort=-name")?;
    /// # let _: Query<staffdb::Employee> = query;
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn and_url_query(self, raw: &str) -> Result<Self> {
        let mut query = self;
        for piece in raw.split('&').filter(|piece| !piece.is_empty()) {
            let Some((key, value)) = url::form_urlencoded::parse(piece.as_bytes()).next() else {
                continue;
            };
            query = match key.as_ref() {
                "q" if piece.contains('=') => query.search(&value)?,
                "sort" if piece.contains('=') => match value.strip_prefix('-') {
                    Some(column) => query.sort_by(column, true)?,
                    None => query.sort_by(&value, false)?,
                },
                "cursor" if piece.contains('=') => query.after(value.parse()?),
                "limit" if piece.contains('=') => {
                    let limit = crate::whole_number(&value).ok_or_else(|| {
                        Error::validation("limit", format!("`{value}` is not a whole number"))
                    })?;
                    query.limit(limit)?
                }
                _ if piece.contains('=') => query.filter_text(&format!("{key}={value}"))?,
                _ => query.filter_text(&key)?,
            };
        }
        Ok(query)
    }

    /// Only rows whose `column` equals one of `values` (each read as the column's type, at
    /// least one): what an upsert finds its rows by, on any column the model compares (its
    /// filterable and unique columns, and its key). The values are OR-ed as a balanced tree,
    /// so that a statement of hundreds of them nests only a few levels deep.
    pub(crate) fn any_of(mut self, column: &'static Column, values: Vec<String>) -> Result<Self> {
        let make: MakeCondition<M::Table> = Arc::new(move || {
            let mut conditions = values
                .iter()
                .map(|value| M::__compare(column, Op::Eq, value))
                .collect::<Result<Vec<_>>>()?;
            any_of_tree::<M>(&mut conditions)
                .ok_or_else(|| Error::validation(column.name, "no value to look for"))
        });
        make()?;
        self.conditions.push(make);
        Ok(self)
    }

    /// Refuses one more condition from text beyond [`MAX_CONDITIONS`].
    fn room_for_a_condition(&self) -> Result<()> {
        match self.conditions.len() < MAX_CONDITIONS {
            true => Ok(()),
            false => Err(Error::validation(
                "query",
                format!("has more than {MAX_CONDITIONS} conditions"),
            )),
        }
    }

    /// The conditions, made for one statement.
    fn conditions(&self) -> Result<Vec<Condition<M::Table>>> {
        self.conditions.iter().map(|make| make()).collect()
    }

    /// The sort column and direction (the key, ascending, by default).
    fn order(&self) -> (&'static Column, bool) {
        self.sort.unwrap_or_else(|| (key::<M>(), false))
    }
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<M> {
    /// The rows, in the query's order.
    pub items: Vec<M>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<Cursor>,
}

impl Session {
    /// One page of the rows `query` asks for: one statement (the page and one row more, to tell
    /// whether another page follows).
    ///
    /// A cursor of only an id (`12`, what a list by id gives) on a list sorted by another
    /// column continues after that row wherever the sort puts it (its value is read first, one
    /// statement more); [`Error::NotFound`] when there is no such row any more.
    pub fn list<M: Listed>(&mut self, query: &Query<M>) -> Result<Page<M>> {
        let conditions = query.conditions()?;
        let (column, descending) = query.order();
        let after = match &query.after {
            Some(Cursor { id, value: None }) if !column.key => {
                Some(self.cursor_at::<M>(*id, column)?)
            }
            other => other.clone(),
        };
        let limit = query.limit;
        let mut items = self
            .sorted_page(query, conditions, column, descending, after.as_ref())
            .map_err(|error| self.name_the_row(query, column, descending, &after, error))?;
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        let next = match (more, items.last()) {
            (true, Some(last)) => Some(cursor_of(last, column)),
            _ => None,
        };
        Ok(Page { items, next })
    }

    /// When a page failed on a value staffdb cannot read (another client wrote it), finds the
    /// row it is in — reading the page's keys, then its rows one by one, which only this error
    /// path pays for — and names it ([`Error::Unreadable`]); any other error passes through.
    fn name_the_row<M: Listed>(
        &mut self,
        query: &Query<M>,
        column: &'static Column,
        descending: bool,
        after: &Option<Cursor>,
        error: Error,
    ) -> Error {
        if !error.is_unreadable() {
            return error;
        }
        let order = Order {
            column,
            descending,
            after: after.as_ref(),
            nulls: Nulls::Both,
        };
        let culprit = |s: &mut Session| -> Result<Option<Error>> {
            let conditions = query.conditions()?;
            let ids = s.run(|c| M::__page_ids(c, conditions, order, query.limit + 1))?;
            for id in ids {
                let this_row = M::__compare(key::<M>(), Op::Eq, &id.to_string())?;
                let by_key = Order {
                    column: key::<M>(),
                    descending: false,
                    after: None,
                    nulls: Nulls::Both,
                };
                if let Err(error) = s.run(|c| M::__page(c, vec![this_row], by_key, 1)) {
                    return Ok(Some(error.unreadable_at(M::NAME, Some(id))));
                }
            }
            Ok(None)
        };
        match culprit(self) {
            Ok(Some(named)) => named,
            _ => error.unreadable_at(M::NAME, None),
        }
    }

    /// The page (and one row more) of `query` after `after`, each statement served by the
    /// index of `(column, key)`: by a nullable column, the values first, then, where they end
    /// before the page does, the NULLs ([`Nulls`]).
    fn sorted_page<M: Listed>(
        &mut self,
        query: &Query<M>,
        conditions: Vec<Condition<M::Table>>,
        column: &'static Column,
        descending: bool,
        after: Option<&Cursor>,
    ) -> Result<Vec<M>> {
        let wanted = query.limit + 1;
        let order = |after, nulls| Order {
            column,
            descending,
            after,
            nulls,
        };
        if !column.nullable || column.key {
            return self.run(|c| M::__page(c, conditions, order(after, Nulls::Both), wanted));
        }
        // A cursor on a NULL: the values are all behind it.
        if after.is_some_and(|a| a.value == Some(None)) {
            return self.run(|c| M::__page(c, conditions, order(after, Nulls::Null), wanted));
        }
        let mut items =
            self.run(|c| M::__page(c, conditions, order(after, Nulls::Values), wanted))?;
        let rest = wanted - items.len() as i64;
        if rest > 0 {
            let conditions = query.conditions()?;
            let nulls = self.run(|c| M::__page(c, conditions, order(None, Nulls::Null), rest))?;
            items.extend(nulls);
        }
        Ok(items)
    }

    /// The cursor after the row `id` in a list sorted by `column`.
    fn cursor_at<M: Listed>(&mut self, id: i64, column: &'static Column) -> Result<Cursor> {
        let gone = || Error::NotFound {
            entity: M::NAME,
            id,
        };
        let key = key::<M>();
        // An id no row can have (0, a negative one) is no row's, not a value to refuse.
        let Ok(this_row) = M::__compare(key, Op::Eq, &id.to_string()) else {
            return Err(gone());
        };
        let order = Order {
            column: key,
            descending: false,
            after: None,
            nulls: Nulls::Both,
        };
        let rows = self.run(|c| M::__page(c, vec![this_row], order, 1))?;
        rows.first()
            .map(|row| cursor_of(row, column))
            .ok_or_else(gone)
    }

    /// How many rows `query`'s conditions hold for (its sort, cursor and limit aside).
    pub fn count<M: Listed>(&mut self, query: &Query<M>) -> Result<i64> {
        let conditions = query.conditions()?;
        self.run(|c| M::__count(c, conditions))
    }

    /// How many rows `query`'s conditions hold for, up to `limit`: beyond it, `limit` and
    /// `more` — what a page shows as "more than 10,000" without counting every row of a large
    /// table on every page, as large admins do. One statement, reading at most `limit + 1` keys
    /// (from an index where the conditions have one).
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewEmployee, Query};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all((0..30).map(|i| NewEmployee::new(format!("E{i}"), 20 + i, "Clerk")))?;
    /// let over_thirty = Query::<Employee>::new().filter_text("age>30")?;
    /// assert_eq!(s.count_up_to(&over_thirty, 100)?.to_string(), "19");
    /// assert_eq!(s.count_up_to(&over_thirty, 10)?.to_string(), "more than 10");
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn count_up_to<M: Listed>(&mut self, query: &Query<M>, limit: i64) -> Result<Counted> {
        let limit = limit.max(0);
        let conditions = query.conditions()?;
        let rows = self.run(|c| M::__count_up_to(c, conditions, limit))?;
        Ok(Counted {
            rows: rows.min(limit),
            more: rows > limit,
        })
    }
}

/// A count that may have stopped early: `rows` exactly, or, when `more`, more than `rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The rows counted: all of them, or the limit.
    pub rows: i64,
    /// There are more than `rows`.
    pub more: bool,
}

impl fmt::Display for Counted {
    /// `1,234`, or `more than 10,000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.rows.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if self.rows < 0 { "-" } else { "" };
        match self.more {
            true => write!(f, "more than {sign}{grouped}"),
            false => write!(f, "{sign}{grouped}"),
        }
    }
}

/// The cursor that continues after `row` in a list sorted by `column`.
fn cursor_of<M: Listed>(row: &M, column: &'static Column) -> Cursor {
    let texts = row.texts();
    let text_of = |wanted: &Column| {
        M::COLUMNS
            .iter()
            .position(|c| c.name == wanted.name)
            .and_then(|i| texts.get(i).cloned())
            .unwrap_or_default()
    };
    let id = text_of(key::<M>()).parse().unwrap_or_default();
    let value = (!column.key).then(|| {
        let text = text_of(column);
        (!(column.nullable && text.is_empty())).then_some(text)
    });
    Cursor { id, value }
}

/// The model's column of this name, or an error naming it and the columns there are.
fn described<M: Describe>(name: &str) -> Result<&'static Column> {
    M::column(name).ok_or_else(|| {
        let names: Vec<&str> = M::COLUMNS.iter().map(|c| c.name).collect();
        Error::validation(
            "column",
            format!(
                "{} has no column `{name}`; its columns: {}",
                M::TABLE,
                names.join(", ")
            ),
        )
    })
}

/// The model's key column.
fn key<M: Describe>() -> &'static Column {
    M::COLUMNS.iter().find(|c| c.key).unwrap_or(&M::COLUMNS[0])
}

/// The condition `column op value`, to make for each statement.
fn condition<M: Listed>(
    column: &'static Column,
    op: Op,
    value: &str,
) -> Result<MakeCondition<M::Table>> {
    let is_null = value.eq_ignore_ascii_case("null");
    match (op, is_null) {
        (Op::Eq | Op::Ne, true) if column.nullable => {
            let negate = op == Op::Ne;
            Ok(Arc::new(move || {
                let null = M::__is_null(column)
                    .ok_or_else(|| Error::validation(column.name, "is never NULL"))?;
                Ok(if negate {
                    Box::new(diesel::dsl::not(null))
                } else {
                    null
                })
            }))
        }
        (_, true) => Err(Error::validation(
            column.name,
            format!("cannot be compared with null by `{}`", op.symbol()),
        )),
        (Op::Contains, false) => {
            let pattern = like_pattern(value);
            Ok(Arc::new(move || {
                M::__like(column, &pattern)
                    .ok_or_else(|| Error::validation(column.name, "is not text"))
            }))
        }
        (_, false) => {
            let value = value.to_owned();
            Ok(Arc::new(move || M::__compare(column, op, &value)))
        }
    }
}

/// `a OR b OR …` of `conditions` (taken), as a balanced tree; `None` for none.
fn any_of_tree<M: Listed>(
    conditions: &mut Vec<Condition<M::Table>>,
) -> Option<Condition<M::Table>> {
    if conditions.len() <= 1 {
        return conditions.pop();
    }
    let mut right = conditions.split_off(conditions.len() / 2);
    let left = any_of_tree::<M>(conditions)?;
    let right = any_of_tree::<M>(&mut right)?;
    Some(Box::new(diesel::BoolExpressionMethods::or(left, right)))
}

/// A `LIKE` pattern (escaped by `!`) for text that contains `text`, lowercased.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '!' | '%' | '_') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A filter value read as the column's type; the error names the column.
#[doc(hidden)]
pub fn value_of<T: super::fields::FieldValue>(column: &'static Column, text: &str) -> Result<T> {
    T::from_text(text).map_err(|reason| Error::validation(column.name, reason))
}

/// The error for a relation name `M` does not have, naming the ones it has.
#[doc(hidden)]
pub fn no_relation<M: Listed>(name: &str) -> Error {
    let names: Vec<&str> = M::RELATIONS.iter().map(|r| r.name).collect();
    let reason = match names.as_slice() {
        [] => format!("{} has no relation `{name}`: it has none", M::TABLE),
        _ => format!(
            "{} has no relation `{name}`; its relations: {}",
            M::TABLE,
            names.join(", ")
        ),
    };
    Error::validation("include", reason)
}

/// The error for a comparison the column's code does not have.
#[doc(hidden)]
pub fn not_comparable(column: &'static Column, op: Op) -> Error {
    Error::validation(
        column.name,
        format!("cannot be compared by `{}`", op.symbol()),
    )
}
