//! Which employees (a filter) and in what order and how many (listing options), kept apart so
//! that deleting by filter can never be given an order or a limit by mistake.

use crate::error::{Error, Result};

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

/// The column a listing is sorted by; ties are always broken by id, and NULLs sort last.
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

/// Applies an [`EmployeeFilter`] to a boxed select or delete statement on `employees`.
macro_rules! apply_filter {
    ($query:expr, $filter:expr) => {{
        use $crate::schema::{departments, employees};
        let filter: &$crate::EmployeeFilter = $filter;
        let mut query = $query;
        if let Some(position) = &filter.position {
            query = query.filter(employees::position.eq(position.clone()));
        }
        if let Some(name) = &filter.department {
            // An alias, so the subquery can stand beside a join with `departments`.
            let named = diesel::alias!(departments as department_filter);
            query = query.filter(
                employees::department_id.eq_any(
                    named
                        .select(named.field(departments::id).nullable())
                        .filter(named.field(departments::name).eq(name.clone())),
                ),
            );
        }
        if let Some(min) = filter.min_age {
            query = query.filter(employees::age.ge(min));
        }
        if let Some(max) = filter.max_age {
            query = query.filter(employees::age.le(max));
        }
        if let Some(pattern) = filter.name_pattern() {
            query = query.filter(
                $crate::query::Lowercase(employees::name)
                    .like(pattern)
                    .escape('!'),
            );
        }
        query
    }};
}
pub(crate) use apply_filter;

/// `lower(text)` that folds Unicode case on every backend — the one place where backends differ
/// for `name_contains`:
/// - SQLite's built-in `lower` folds only ASCII, so staffdb replaces it on each connection with
///   Rust's Unicode lowercasing (see [`register_sqlite_functions`]);
/// - PostgreSQL's `lower` follows the column's collation, and the text columns are `COLLATE "C"`
///   (byte-order sorting), which folds only ASCII: the value is lowered in the database's default
///   collation instead;
/// - MySQL's `lower` folds Unicode in utf8mb4.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
pub(crate) struct Lowercase<E>(pub(crate) E);

impl<E: diesel::Expression> diesel::Expression for Lowercase<E> {
    type SqlType = E::SqlType;
}

impl<E, QS> diesel::AppearsOnTable<QS> for Lowercase<E>
where
    E: diesel::AppearsOnTable<QS>,
    Self: diesel::Expression,
{
}

impl<E, QS> diesel::SelectableExpression<QS> for Lowercase<E>
where
    E: diesel::SelectableExpression<QS>,
    Self: diesel::AppearsOnTable<QS>,
{
}

macro_rules! lowercase_sql {
    ($backend:ty, $open:literal, $close:literal) => {
        impl<E: diesel::query_builder::QueryFragment<$backend>>
            diesel::query_builder::QueryFragment<$backend> for Lowercase<E>
        {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, $backend>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($open);
                self.0.walk_ast(out.reborrow())?;
                out.push_sql($close);
                Ok(())
            }
        }
    };
}
lowercase_sql!(diesel::sqlite::Sqlite, "lower(", ")");
#[cfg(feature = "postgres")]
lowercase_sql!(diesel::pg::Pg, "lower((", ") COLLATE \"default\")");
#[cfg(feature = "mysql")]
lowercase_sql!(diesel::mysql::Mysql, "lower(", ")");

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQL `lower(text)`, declared only to register staffdb's own on SQLite.
    #[allow(dead_code)]
    fn lower(
        text: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Replaces SQLite's ASCII-only `lower()` on this connection with Rust's Unicode lowercasing.
pub(crate) fn register_sqlite_functions(
    conn: &mut diesel::SqliteConnection,
) -> diesel::QueryResult<()> {
    lower_utils::register_impl(conn, |text: Option<String>| text.map(|t| t.to_lowercase()))
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
