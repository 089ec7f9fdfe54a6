//! Listing employees: which ones (a filter), in what order and how many (listing options) —
//! kept apart so that deleting by filter can never be given an order or a limit by mistake — and
//! the keyset pages that stream them.
//!
//! The filter and the sort keys are typed names over the generic [`Query`] that every model
//! is listed by ([`EmployeeFilter::query`], [`ListOptions::query`], [`SortKey::column`]): the
//! counts run through it, and the admin's employees list is that query read from its URL. The
//! streams here are the employees' own because of what they read: the tutorial line's five
//! columns rather than the whole row (the benchmark's load phase), or each row with its
//! department's name in the same statement (the export, the CLI, the JSON API).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{Employee, EmployeeId, EmployeeSummary, EmployeeWithDepartment};
use crate::backend::{self, AnyConnection, with_conn};
use crate::core::query::Nulls;
use crate::schema::{departments, employees};
use crate::{Column, Describe, Error, Query, Result, RowStream, Session};

/// Which employees an operation applies to. Every condition set must hold; an empty filter
/// matches everyone.
///
/// ```
/// use staffdb::EmployeeFilter;
///
/// let seniors = EmployeeFilter::new().position("Developer").min_age(40).name_contains("smith");
/// assert!(!seniors.is_empty());
/// assert!(EmployeeFilter::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmployeeFilter {
    /// Exactly this position.
    pub position: Option<String>,
    /// In the department with exactly this name.
    pub department: Option<String>,
    /// At least this old.
    pub min_age: Option<i32>,
    /// At most this old.
    pub max_age: Option<i32>,
    /// Whose name contains this text, ignoring case; `%` and `_` are literal.
    pub name_contains: Option<String>,
}

impl EmployeeFilter {
    /// A filter that matches everyone.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only employees in this position.
    pub fn position(mut self, position: impl Into<String>) -> Self {
        self.position = Some(position.into());
        self
    }

    /// Only employees of the department with this name.
    pub fn department(mut self, name: impl Into<String>) -> Self {
        self.department = Some(name.into());
        self
    }

    /// Only employees at least this old.
    pub fn min_age(mut self, age: i32) -> Self {
        self.min_age = Some(age);
        self
    }

    /// Only employees at most this old.
    pub fn max_age(mut self, age: i32) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Only employees whose name contains `text`, ignoring case.
    pub fn name_contains(mut self, text: impl Into<String>) -> Self {
        self.name_contains = Some(text.into());
        self
    }

    /// True when no condition is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `LIKE` pattern for `name_contains`: lowercased, with `!`, `%` and `_` escaped by `!`
    /// (not a backslash, which MySQL would read as a string escape).
    pub(crate) fn name_pattern(&self) -> Option<String> {
        self.name_contains.as_ref().map(|text| {
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
        })
    }
}

/// The column a listing is sorted by; ties are broken by id in the sort's direction (the
/// index of `(column, id)` serves either), and NULLs sort last.
///
/// ```
/// use staffdb::SortKey;
///
/// assert_eq!("hired-on".parse::<SortKey>(), Ok(SortKey::HiredOn));
/// assert_eq!(SortKey::Name.to_string(), "name");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// By id (the default).
    #[default]
    Id,
    /// By name.
    Name,
    /// By age.
    Age,
    /// By position.
    Position,
    /// By hiring date; employees without one come last.
    HiredOn,
}

impl SortKey {
    /// Every sort key, in the order a listing of choices shows them.
    pub const ALL: [SortKey; 5] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::Age,
        SortKey::Position,
        SortKey::HiredOn,
    ];

    /// The column it sorts by, as the employees' description has it: what a [`Query`] is
    /// sorted by (`Query::sort_by(key.column().name, descending)`).
    ///
    /// ```
    /// use staffdb::SortKey;
    ///
    /// assert_eq!(SortKey::HiredOn.column().name, "hired_on");
    /// assert!(SortKey::ALL.iter().all(|key| key.column().sortable || key.column().key));
    /// ```
    pub fn column(self) -> &'static Column {
        let name = match self {
            SortKey::HiredOn => "hired_on",
            key => key.name(),
        };
        // Every key names one of the employees' columns (the doc test above checks each).
        Employee::COLUMNS
            .iter()
            .find(|c| c.name == name)
            .unwrap_or(&Employee::COLUMNS[0])
    }

    /// The key's name, as `--sort` and a URL's `sort=` take it.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Age => "age",
            SortKey::Position => "position",
            SortKey::HiredOn => "hired-on",
        }
    }
}

impl std::fmt::Display for SortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SortKey {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        SortKey::ALL
            .into_iter()
            .find(|key| key.name() == text || (*key == SortKey::HiredOn && text == "hired_on"))
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.name()).collect();
                format!("unknown sort key `{text}`; use one of {}", names.join(", "))
            })
    }
}

/// Order, limit and offset for a listing.
///
/// ```
/// use staffdb::{ListOptions, SortKey};
///
/// let page = ListOptions::new().sort(SortKey::Age).descending().limit(10).offset(20);
/// assert_eq!(page.limit, Some(10));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// The sort column.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Skip this many rows first.
    pub offset: Option<i64>,
}

impl ListOptions {
    /// Everyone, by id.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sort by `key`.
    pub fn sort(mut self, key: SortKey) -> Self {
        self.sort = key;
        self
    }

    /// Largest first.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// At most `limit` rows.
    pub fn limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skip `offset` rows.
    pub fn offset(mut self, offset: i64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// `filter`'s [`Query`] in these options' order (the limit and offset are a listing's,
    /// not a page's: a query's pages are sized by [`Query::limit`]).
    pub fn query(&self, filter: &EmployeeFilter) -> Query<Employee> {
        filter.query().sorted(self.sort.column(), self.descending)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.limit.is_some_and(|l| l < 0) {
            return Err(Error::validation("limit", "must not be negative"));
        }
        if self.offset.is_some_and(|o| o < 0) {
            return Err(Error::validation("offset", "must not be negative"));
        }
        Ok(())
    }
}

/// Applies an [`EmployeeFilter`] to a boxed select or delete statement on `employees`, or to a
/// [`Query`] of employees: anything with a `filter` method that takes each condition.
macro_rules! apply_filter {
    ($query:expr, $filter:expr) => {{
        let filter: &EmployeeFilter = $filter;
        let mut query = $query;
        if let Some(position) = &filter.position {
            query = query.filter(employees::position.eq(position.clone()));
        }
        if let Some(name) = &filter.department {
            // An alias, so the subquery can stand beside a join with `departments`.
            let named = diesel::alias!(departments as department_filter);
            // NULL (no department) is no match, as in any WHERE.
            let in_department = employees::department_id
                .eq_any(
                    named
                        .select(named.field(departments::id).nullable())
                        .filter(named.field(departments::name).eq(name.clone())),
                )
                .assume_not_null();
            query = query.filter(in_department);
        }
        if let Some(min) = filter.min_age {
            query = query.filter(employees::age.ge(min));
        }
        if let Some(max) = filter.max_age {
            query = query.filter(employees::age.le(max));
        }
        if let Some(pattern) = filter.name_pattern() {
            query = query.filter(
                $crate::backend::Lowercase(employees::name)
                    .like(pattern)
                    .escape('!'),
            );
        }
        query
    }};
}

impl EmployeeFilter {
    /// The same conditions as a [`Query`] of employees, each a typed Diesel expression: what
    /// the generic front ends list, count and page by, and what [`Employee::count`] and
    /// [`Employee::count_up_to`] run. (A query's search, text conditions and sort can be added
    /// to it.)
    ///
    /// ```
    /// use staffdb::{Database, EmployeeFilter, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all([("Ann", 40), ("Bob", 20)].map(|(n, a)| NewEmployee::new(n, a, "Clerk")))?;
    /// let query = EmployeeFilter::new().min_age(30).query().sort_by("name", true)?;
    /// let page = s.list(&query)?;
    /// assert_eq!(page.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Ann"]);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn query(&self) -> Query<Employee> {
        apply_filter!(Query::new(), self)
    }
}

/// Where a keyset page starts: the sort column's value and the id of the last row returned.
#[derive(Debug, Clone)]
enum Cursor {
    Id(EmployeeId),
    Name(String, EmployeeId),
    Age(i32, EmployeeId),
    Position(String, EmployeeId),
    HiredOn(Option<NaiveDate>, EmployeeId),
}

/// A row a keyset stream can continue after: one that carries the id and every sort column.
trait Keyed {
    /// The employee columns a cursor is made of.
    fn keys(&self) -> (EmployeeId, &str, i32, &str, Option<NaiveDate>);

    /// The cursor that continues a `sort` listing after this row.
    fn cursor(&self, sort: SortKey) -> Cursor {
        let (id, name, age, position, hired_on) = self.keys();
        match sort {
            SortKey::Id => Cursor::Id(id),
            SortKey::Name => Cursor::Name(name.to_owned(), id),
            SortKey::Age => Cursor::Age(age, id),
            SortKey::Position => Cursor::Position(position.to_owned(), id),
            SortKey::HiredOn => Cursor::HiredOn(hired_on, id),
        }
    }
}

impl Keyed for Employee {
    fn keys(&self) -> (EmployeeId, &str, i32, &str, Option<NaiveDate>) {
        (self.id, &self.name, self.age, &self.position, self.hired_on)
    }
}

impl Keyed for EmployeeSummary {
    fn keys(&self) -> (EmployeeId, &str, i32, &str, Option<NaiveDate>) {
        (self.id, &self.name, self.age, &self.position, self.hired_on)
    }
}

impl Keyed for EmployeeWithDepartment {
    fn keys(&self) -> (EmployeeId, &str, i32, &str, Option<NaiveDate>) {
        self.employee.keys()
    }
}

/// Which keyset page to load: the listing, where the last page ended, how many rows to skip
/// first (only before the first page) and how many to load.
#[derive(Clone, Copy)]
struct PageRequest<'a> {
    filter: &'a EmployeeFilter,
    options: &'a ListOptions,
    cursor: Option<&'a Cursor>,
    offset: i64,
    limit: i64,
    /// Which rows of a sort by the nullable hiring date to read (see [`Nulls`]).
    nulls: Nulls,
}

/// `(column > v) OR (column = v AND id > last)` — `<` both when descending: rows after the
/// cursor. Ties are broken by id in the sort's direction, so that the index of `(column, id)`
/// serves the order forwards or backwards.
macro_rules! after {
    ($column:expr, $value:expr, $id:expr, $descending:expr) => {{
        let (value, id) = ($value, $id);
        // The leading `column <= v` (`>=`) is implied by the rest: it is there for the planner,
        // which reads it as a range of the index to walk in order (SQLite answers the bare OR
        // with two index searches and a sort of everything they find).
        if $descending {
            let tie = $column.eq(value.clone()).and(employees::id.lt(id));
            Box::new($column.le(value.clone()).and($column.lt(value).or(tie)))
                as Box<dyn BoxableExpression<_, _, SqlType = _>>
        } else {
            let tie = $column.eq(value.clone()).and(employees::id.gt(id));
            Box::new($column.ge(value.clone()).and($column.gt(value).or(tie)))
        }
    }};
}

/// `$source`, a boxed select over `employees` (alone or joined), with the filter, the listing's
/// order (ties by id, NULLs last), the cursor and the offset of `$request`. Adding a sort key: a
/// `SortKey` variant, its `Cursor`, and one arm in each `match` below.
macro_rules! ordered_query {
    ($source:expr, $request:expr) => {{
        let PageRequest {
            filter,
            options,
            cursor,
            offset,
            limit: _,
            nulls,
        } = *$request;
        let desc = options.descending;
        let mut query = apply_filter!($source, filter);
        macro_rules! by {
            ($column:expr) => {
                if desc {
                    query.order_by(($column.desc(), employees::id.desc()))
                } else {
                    query.order_by(($column.asc(), employees::id.asc()))
                }
            };
        }
        macro_rules! by_id {
            () => {
                if desc {
                    query.order_by(employees::id.desc())
                } else {
                    query.order_by(employees::id.asc())
                }
            };
        }
        query = match (options.sort, nulls) {
            (SortKey::Id, _) => by_id!(),
            (SortKey::Name, _) => by!(employees::name),
            (SortKey::Age, _) => by!(employees::age),
            (SortKey::Position, _) => by!(employees::position),
            // NULLs after every date: each part read apart from the index, or sorted in one.
            (SortKey::HiredOn, Nulls::Null) => {
                query = query.filter(employees::hired_on.is_null());
                by_id!()
            }
            (SortKey::HiredOn, Nulls::Values) => {
                query = query.filter(employees::hired_on.is_not_null());
                by!(employees::hired_on)
            }
            (SortKey::HiredOn, Nulls::Both) => {
                query = query.order_by(employees::hired_on.is_null().asc());
                if desc {
                    query.then_order_by((employees::hired_on.desc(), employees::id.desc()))
                } else {
                    query.then_order_by((employees::hired_on.asc(), employees::id.asc()))
                }
            }
        };
        query = match cursor.cloned() {
            None => query,
            Some(Cursor::Id(id)) if desc => query.filter(employees::id.lt(id)),
            Some(Cursor::Id(id)) => query.filter(employees::id.gt(id)),
            Some(Cursor::Name(v, id)) => query.filter(after!(employees::name, v, id, desc)),
            Some(Cursor::Age(v, id)) => query.filter(after!(employees::age, v, id, desc)),
            Some(Cursor::Position(v, id)) => query.filter(after!(employees::position, v, id, desc)),
            Some(Cursor::HiredOn(None, id)) if desc => {
                query.filter(employees::hired_on.is_null().and(employees::id.lt(id)))
            }
            Some(Cursor::HiredOn(None, id)) => {
                query.filter(employees::hired_on.is_null().and(employees::id.gt(id)))
            }
            Some(Cursor::HiredOn(Some(v), id)) if nulls == Nulls::Values => {
                query.filter(after!(employees::hired_on.assume_not_null(), v, id, desc))
            }
            Some(Cursor::HiredOn(Some(v), id)) => query.filter(
                after!(employees::hired_on.assume_not_null(), v, id, desc)
                    .or(employees::hired_on.is_null()),
            ),
        };
        if offset > 0 {
            query = query.offset(offset);
        }
        query
    }};
}

/// Loads one keyset page from `$source` (see [`ordered_query!`]): up to `$request.limit` rows.
macro_rules! keyset_page {
    ($c:ident, $source:expr, $request:expr) => {{
        let limit = $request.limit;
        let query = ordered_query!($source, $request);
        // Collected into a page sized up front: `load` grows its Vec from empty, copying the
        // rows several times over per page.
        let mut page = Vec::with_capacity(usize::try_from(limit).unwrap_or_default());
        for row in query
            .limit(limit)
            .load_iter::<_, diesel::connection::DefaultLoadingMode>($c)?
        {
            page.push(row?);
        }
        diesel::QueryResult::Ok(page)
    }};
}

/// Loads one keyset page of rows of type `R`.
type PageFn<R> = fn(&mut AnyConnection, &PageRequest<'_>) -> Result<Vec<R>>;

fn page(conn: &mut AnyConnection, request: &PageRequest<'_>) -> Result<Vec<Employee>> {
    Ok(with_conn!(conn, |c| keyset_page!(
        c,
        employees::table.select(Employee::as_select()).into_boxed(),
        request
    ))?)
}

fn page_summaries(
    conn: &mut AnyConnection,
    request: &PageRequest<'_>,
) -> Result<Vec<EmployeeSummary>> {
    Ok(with_conn!(conn, |c| keyset_page!(
        c,
        employees::table
            .select(EmployeeSummary::as_select())
            .into_boxed(),
        request
    ))?)
}

fn page_with_department(
    conn: &mut AnyConnection,
    request: &PageRequest<'_>,
) -> Result<Vec<EmployeeWithDepartment>> {
    Ok(with_conn!(conn, |c| keyset_page!(
        c,
        employees::table
            .left_join(departments::table)
            .select(EmployeeWithDepartment::as_select())
            .into_boxed(),
        request
    ))?)
}

/// One keyset page by `fetch`, each statement served by an index: sorted by the hiring date
/// (nullable, NULLs last), the dated rows first, then — where they end before the page does —
/// the undated ones, by id ([`Nulls`]). A page that skips rows first (`offset`) is sorted whole
/// by the database.
fn nulls_last<R>(
    conn: &mut AnyConnection,
    request: &PageRequest<'_>,
    fetch: PageFn<R>,
) -> Result<Vec<R>> {
    if request.options.sort != SortKey::HiredOn || request.offset > 0 {
        return fetch(conn, request);
    }
    if let Some(Cursor::HiredOn(None, _)) = request.cursor {
        return fetch(
            conn,
            &PageRequest {
                nulls: Nulls::Null,
                ..*request
            },
        );
    }
    let mut page = fetch(
        conn,
        &PageRequest {
            nulls: Nulls::Values,
            ..*request
        },
    )?;
    let rest = request.limit - page.len() as i64;
    if rest > 0 {
        let undated = PageRequest {
            cursor: None,
            limit: rest,
            nulls: Nulls::Null,
            ..*request
        };
        page.extend(fetch(conn, &undated)?);
    }
    Ok(page)
}

/// The ids of one keyset page: the page `request` asks for, read by id alone.
fn page_ids(conn: &mut AnyConnection, request: &PageRequest<'_>) -> Result<Vec<EmployeeId>> {
    Ok(with_conn!(conn, |c| keyset_page!(
        c,
        employees::table.select(employees::id).into_boxed(),
        request
    ))?)
}

/// When a page failed on a value staffdb cannot read, finds the row it is in (reading the
/// page's rows one by one, which only this error path pays for) and names it.
fn name_the_row(conn: &mut AnyConnection, request: &PageRequest<'_>, error: Error) -> Error {
    if !error.is_unreadable() {
        return error;
    }
    let culprit = page_ids(conn, request).ok().and_then(|ids| {
        ids.into_iter().find_map(|id| {
            <Employee as crate::Model>::find(conn, id)
                .err()
                .filter(Error::is_unreadable)
        })
    });
    culprit.unwrap_or_else(|| error.unreadable_at("employee", None))
}

/// Streams `filter`'s employees in `options`' order, one keyset page of `fetch` at a time.
/// Streams the employees `$filter` matches in `$options`' order: the rows of one query as the
/// server sends them where the backend streams (`backend::streams_rows`), else keyset pages
/// that `$page` loads. `$source` is the boxed select of the streamed query, as `$page` builds
/// its own.
macro_rules! employee_stream {
    ($session:expr, $filter:expr, $options:expr, $page:expr, $source:expr) => {{
        let (session, filter, options): (&mut Session, &EmployeeFilter, &ListOptions) =
            ($session, $filter, $options);
        if backend::streams_rows(session.backend()) {
            options.validate()?;
            let (filter, options) = (filter.clone(), *options);
            session.stream_rows(move |conn| {
                // Read only in the arms of the backends that stream (none in some builds).
                let _ = (&filter, &options);
                Ok(backend::stream_rows!(conn, |c| {
                    let request = PageRequest {
                        filter: &filter,
                        options: &options,
                        cursor: None,
                        offset: options.offset.unwrap_or(0),
                        limit: 0,
                        nulls: Nulls::Both,
                    };
                    let query = ordered_query!($source, &request);
                    match options.limit {
                        Some(limit) => query.limit(limit),
                        None => query,
                    }
                })?)
            })
        } else {
            keyset_stream(session, filter, options, $page)
        }
    }};
}

fn keyset_stream<'s, R: Keyed + 's>(
    session: &'s mut Session,
    filter: &EmployeeFilter,
    options: &ListOptions,
    fetch: PageFn<R>,
) -> Result<RowStream<'s, R>> {
    options.validate()?;
    let (filter, options) = (filter.clone(), *options);
    let mut cursor: Option<Cursor> = None;
    let mut offset = options.offset.unwrap_or(0);
    session.stream_pages(options.limit, move |conn, limit| {
        let request = PageRequest {
            filter: &filter,
            options: &options,
            cursor: cursor.as_ref(),
            offset,
            limit,
            nulls: Nulls::Both,
        };
        let page = nulls_last(conn, &request, fetch)
            .map_err(|error| name_the_row(conn, &request, error))?;
        offset = 0;
        if let Some(last) = page.last() {
            cursor = Some(last.cursor(options.sort));
        }
        Ok(page)
    })
}

impl Employee {
    /// Every employee the filter matches, in the options' order. Prefer [`Employee::stream`]
    /// for large results.
    pub fn list(
        session: &mut Session,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<Vec<Employee>> {
        Self::stream(session, filter, options)?.collect()
    }

    /// One keyset page of the employees the filter matches, in id order: up to `limit` rows
    /// whose ids come after `after` — how an API's cursor pages, at the same cost on the last
    /// page as on the first.
    ///
    /// ```
    /// use staffdb::{Database, Employee, EmployeeFilter, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all((0..5).map(|i| NewEmployee::new(format!("E{i}"), 30, "Clerk")))?;
    /// let first = Employee::page_after(&mut s, &EmployeeFilter::new(), None, 2)?;
    /// let next = Employee::page_after(&mut s, &EmployeeFilter::new(), Some(first[1].id), 2)?;
    /// assert_eq!(next.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["E2", "E3"]);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn page_after(
        session: &mut Session,
        filter: &EmployeeFilter,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> Result<Vec<Employee>> {
        let options = ListOptions::new().limit(limit);
        options.validate()?;
        let cursor = after.map(Cursor::Id);
        let request = PageRequest {
            filter,
            options: &options,
            cursor: cursor.as_ref(),
            offset: 0,
            limit,
            nulls: Nulls::Both,
        };
        session.run(|conn| page(conn, &request))
    }

    /// One keyset page of the employees the filter matches, with their departments, in the
    /// options' order (any [`SortKey`], ascending or descending), of at most `options.limit` rows
    /// (50 if it names none), continuing after the row with id `after` — how a web page's
    /// "next" link pages a sorted listing at the same cost deep in the list as on page one.
    /// `options.offset` is not used. In another order than by id, a cursor row that no longer
    /// exists is a [`NotFound`](Error::NotFound) (its sort value is where the page starts).
    ///
    /// ```
    /// use staffdb::{Database, Employee, EmployeeFilter, ListOptions, NewEmployee, SortKey};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all([("Ann", 40), ("Bo", 20), ("Cy", 30)].map(|(n, a)| NewEmployee::new(n, a, "Clerk")))?;
    /// let by_age = ListOptions::new().sort(SortKey::Age).limit(2);
    /// let first = Employee::page_with_department_after(&mut s, &EmployeeFilter::new(), &by_age, None)?;
    /// let after = Some(first[1].employee.id);
    /// let rest = Employee::page_with_department_after(&mut s, &EmployeeFilter::new(), &by_age, after)?;
    /// assert_eq!(rest.iter().map(|e| e.employee.name.as_str()).collect::<Vec<_>>(), ["Ann"]);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn page_with_department_after(
        session: &mut Session,
        filter: &EmployeeFilter,
        options: &ListOptions,
        after: Option<EmployeeId>,
    ) -> Result<Vec<EmployeeWithDepartment>> {
        options.validate()?;
        let limit = options.limit.unwrap_or(50);
        session.run(|conn| {
            let cursor = match after {
                None => None,
                // In id order the id is the whole cursor: no row to read, none to miss.
                Some(id) if options.sort == SortKey::Id => Some(Cursor::Id(id)),
                Some(id) => match <Employee as crate::Model>::find(conn, id)? {
                    Some(row) => Some(row.cursor(options.sort)),
                    None => {
                        return Err(Error::NotFound {
                            entity: "employee",
                            id: id.get(),
                        });
                    }
                },
            };
            let request = PageRequest {
                filter,
                options,
                cursor: cursor.as_ref(),
                offset: 0,
                limit,
                nulls: Nulls::Both,
            };
            nulls_last(conn, &request, page_with_department)
        })
    }

    /// How many employees the filter matches ([`Session::count`] of its [`Query`]).
    pub fn count(session: &mut Session, filter: &EmployeeFilter) -> Result<i64> {
        session.count(&filter.query())
    }

    /// How many employees the filter matches, up to `limit` ([`Session::count_up_to`] of its
    /// [`Query`]): the ids of at most `limit + 1` are read, from an index where the filter has
    /// one.
    pub fn count_up_to(
        session: &mut Session,
        filter: &EmployeeFilter,
        limit: i64,
    ) -> Result<crate::Counted> {
        session.count_up_to(&filter.query(), limit.max(0))
    }

    /// Streams the employees the filter matches, in the options' order, a page at a time: memory
    /// stays flat however many rows there are.
    ///
    /// Pages are keyset pages (`(sort key, id) > last … LIMIT n`), which work the same on every
    /// backend and never buffer a whole result.
    ///
    /// ```
    /// use staffdb::{Database, Employee, EmployeeFilter, ListOptions, NewEmployee, SortKey};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all((0..20_000).map(|i| NewEmployee::new(format!("E{i}"), 20 + i % 40, "Clerk")))?;
    /// let oldest_first = ListOptions::new().sort(SortKey::Age).descending();
    /// let mut seen = 0;
    /// for employee in Employee::stream(&mut s, &EmployeeFilter::new().min_age(50), &oldest_first)? {
    ///     assert!(employee?.age >= 50);
    ///     seen += 1;
    /// }
    /// assert_eq!(seen, 5_000);
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn stream<'s>(
        session: &'s mut Session,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<RowStream<'s, Employee>> {
        employee_stream!(
            session,
            filter,
            options,
            page,
            employees::table.select(Employee::as_select()).into_boxed()
        )
    }

    /// Like [`Employee::stream`], reading only the columns of an [`EmployeeSummary`] — all that
    /// printing tutorial lines needs, at about half the cost per row.
    ///
    /// ```
    /// use staffdb::{Database, Employee, EmployeeFilter, ListOptions, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    /// for line in Employee::stream_summaries(&mut s, &EmployeeFilter::new(), &ListOptions::new())? {
    ///     assert_eq!(line?.to_string(), "ID: 1, Name: Alice, Age: 25, Position: Manager");
    /// }
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn stream_summaries<'s>(
        session: &'s mut Session,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<RowStream<'s, EmployeeSummary>> {
        employee_stream!(
            session,
            filter,
            options,
            page_summaries,
            employees::table
                .select(EmployeeSummary::as_select())
                .into_boxed()
        )
    }

    /// Like [`Employee::stream`], with each employee's department name.
    pub fn stream_with_department<'s>(
        session: &'s mut Session,
        filter: &EmployeeFilter,
        options: &ListOptions,
    ) -> Result<RowStream<'s, EmployeeWithDepartment>> {
        employee_stream!(
            session,
            filter,
            options,
            page_with_department,
            employees::table
                .left_join(departments::table)
                .select(EmployeeWithDepartment::as_select())
                .into_boxed()
        )
    }

    /// Deletes every employee the filter matches; returns how many. An empty filter is refused:
    /// deleting everyone takes an explicit filter that matches everyone.
    pub fn delete_where(session: &mut Session, filter: &EmployeeFilter) -> Result<usize> {
        if filter.is_empty() {
            return Err(Error::validation(
                "filter",
                "is empty: refusing to delete every employee",
            ));
        }
        session.run(|c| {
            with_conn!(c, |c| apply_filter!(
                diesel::delete(employees::table).into_boxed(),
                filter
            )
            .execute(c))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `%`, `_` and the escape character itself match literally.
    #[test]
    fn name_pattern_escapes_wildcards() {
        let filter = EmployeeFilter::new().name_contains("50%_Off!");
        assert_eq!(filter.name_pattern().as_deref(), Some("%50!%!_off!!%"));
    }
}
