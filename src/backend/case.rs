//! Case folding, which each backend does its own way: Unicode `lower()` for name searches, and
//! the case-insensitive comparison that emails' unique keys use.

use diesel::backend::Backend as DieselBackend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;

/// `lower(text)` that folds Unicode case on every backend:
/// - SQLite's built-in `lower` folds only ASCII, so staffdb replaces it on each connection with
///   Rust's Unicode lowercasing (`register_unicode_lower`, on every new connection);
/// - PostgreSQL's `lower` follows the column's collation, and the text columns are `COLLATE "C"`
///   (byte-order sorting), which folds only ASCII: the value is lowered in the database's default
///   collation instead;
/// - MySQL's `lower` folds Unicode in utf8mb4.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub struct Lowercase<E>(pub E);

impl<E: Expression> Expression for Lowercase<E> {
    type SqlType = E::SqlType;
}

impl<E: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for Lowercase<E> where Self: Expression {}

impl<E: SelectableExpression<QS>, QS> SelectableExpression<QS> for Lowercase<E> where
    Self: AppearsOnTable<QS>
{
}

/// Writes `open`, the expression, then `close`.
pub(super) fn wrapped<'b, DB: DieselBackend, E: QueryFragment<DB>>(
    inner: &'b E,
    mut out: AstPass<'_, 'b, DB>,
    open: &str,
    close: &str,
) -> QueryResult<()> {
    out.push_sql(open);
    inner.walk_ast(out.reborrow())?;
    out.push_sql(close);
    Ok(())
}

impl<E: QueryFragment<Sqlite>> QueryFragment<Sqlite> for Lowercase<E> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        wrapped(&self.0, out, "lower(", ")")
    }
}

#[cfg(feature = "postgres")]
impl<E: QueryFragment<diesel::pg::Pg>> QueryFragment<diesel::pg::Pg> for Lowercase<E> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        wrapped(&self.0, out, "lower((", ") COLLATE \"default\")")
    }
}

#[cfg(feature = "mysql")]
impl<E: QueryFragment<diesel::mysql::Mysql>> QueryFragment<diesel::mysql::Mysql> for Lowercase<E> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::mysql::Mysql>) -> QueryResult<()> {
        wrapped(&self.0, out, "lower(", ")")
    }
}

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQL `lower(text)`, declared only to register staffdb's own on SQLite.
    #[allow(dead_code)]
    fn lower(
        text: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Replaces SQLite's ASCII-only `lower()` on this connection with Rust's Unicode lowercasing.
pub(super) fn register_unicode_lower(conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
    lower_utils::register_impl(conn, |text: Option<String>| text.map(|t| t.to_lowercase()))
}

/// A text column compared without regard to case, the way its case-insensitive unique key
/// compares it (see the `invariants_for_every_client` migration), so a lookup by it uses that key:
/// `col COLLATE NOCASE` on SQLite, `lower(col)` on PostgreSQL, and the column itself on MySQL,
/// whose collation is already case-insensitive. Compare it with lowercased values.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub(crate) struct CaseFolded<C>(pub(crate) C);

impl<C: Expression> Expression for CaseFolded<C> {
    type SqlType = C::SqlType;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for CaseFolded<C> where Self: Expression {}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for CaseFolded<C> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        wrapped(&self.0, out, "(", " COLLATE NOCASE)")
    }
}

#[cfg(feature = "postgres")]
impl<C: QueryFragment<diesel::pg::Pg>> QueryFragment<diesel::pg::Pg> for CaseFolded<C> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        wrapped(&self.0, out, "lower(", ")")
    }
}

#[cfg(feature = "mysql")]
impl<C: QueryFragment<diesel::mysql::Mysql>> QueryFragment<diesel::mysql::Mysql> for CaseFolded<C> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::mysql::Mysql>) -> QueryResult<()> {
        wrapped(&self.0, out, "", "")
    }
}
