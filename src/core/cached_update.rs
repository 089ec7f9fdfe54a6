//! An `UPDATE` that Diesel keeps prepared.
//!
//! Diesel 2.3 marks every `UpdateStatement` unsafe to cache (its `walk_ast` calls
//! `unsafe_to_cache_prepared`), so each `diesel::update(…).set(…)` is prepared anew: about 15 µs
//! on SQLite and one more round trip on PostgreSQL and MySQL, paid by every single-row update.
//! [`CachedUpdate`] writes the same statement from the same typed parts (a changeset of the
//! table, a boolean filter on it, and an optional `RETURNING` selection) without that mark, so
//! Diesel's statement cache keeps one prepared statement per SQL text: one per set of changed
//! columns, a handful in practice.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression};
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::query_source::QuerySource;
use diesel::sql_types::Bool;
use diesel::{QueryResult, RunQueryDsl, Table};

/// `UPDATE table SET changes WHERE filter [RETURNING selection]`, cacheable as a prepared
/// statement. Built by [`update`]; run with `execute`, or `get_result` after
/// [`CachedUpdate::returning`].
pub struct CachedUpdate<T: QuerySource, Changes, Filter, Returning = NoReturning> {
    from_clause: T::FromClause,
    changes: Changes,
    filter: Filter,
    returning: Returning,
}

/// No `RETURNING` clause.
#[derive(Debug, Clone, Copy)]
pub struct NoReturning;

/// `RETURNING selection`.
#[derive(Debug, Clone, Copy)]
pub struct Returning<S>(S);

/// Updates the rows of `table` that `filter` matches with `changes`: the typed equivalent of
/// `diesel::update(table.filter(filter)).set(changes)`, whose statement Diesel may cache.
///
/// `changes` must set at least one column whatever its options hold: Diesel's own `update`
/// reports an empty changeset as `EmptyChangeset`, but its check is not public, so an empty one
/// here would reach the database as `SET WHERE` and fail there. staffdb's updates always set
/// `version` and `updated_at`.
pub fn update<T, Changes, Filter>(
    table: T,
    changes: Changes,
    filter: Filter,
) -> CachedUpdate<T, Changes::Changeset, Filter>
where
    T: Table,
    Changes: AsChangeset<Target = T>,
    Filter: Expression<SqlType = Bool> + AppearsOnTable<T>,
{
    CachedUpdate {
        from_clause: table.from_clause(),
        changes: changes.as_changeset(),
        filter,
        returning: NoReturning,
    }
}

impl<T: Table, Changes, Filter> CachedUpdate<T, Changes, Filter> {
    /// Returns `selection` from every updated row (SQLite ≥ 3.35 and PostgreSQL).
    pub fn returning<S>(self, selection: S) -> CachedUpdate<T, Changes, Filter, Returning<S>>
    where
        S: SelectableExpression<T>,
    {
        CachedUpdate {
            from_clause: self.from_clause,
            changes: self.changes,
            filter: self.filter,
            returning: Returning(selection),
        }
    }
}

impl<DB, T, Changes, Filter, Ret> QueryFragment<DB> for CachedUpdate<T, Changes, Filter, Ret>
where
    DB: Backend,
    T: Table,
    T::FromClause: QueryFragment<DB>,
    Changes: QueryFragment<DB>,
    Filter: QueryFragment<DB>,
    Ret: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        self.from_clause.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.changes.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        self.returning.walk_ast(out.reborrow())
    }
}

impl<DB: Backend> QueryFragment<DB> for NoReturning {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

impl<DB: Backend, S: QueryFragment<DB>> QueryFragment<DB> for Returning<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" RETURNING ");
        self.0.walk_ast(out)
    }
}

/// Not static: the SQL depends on which of the changeset's optional columns are set, so the
/// cache keys the statement by its SQL text.
impl<T: QuerySource, Changes, Filter, Ret> QueryId for CachedUpdate<T, Changes, Filter, Ret> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T: QuerySource, Changes, Filter, S: Expression> Query
    for CachedUpdate<T, Changes, Filter, Returning<S>>
{
    type SqlType = S::SqlType;
}

impl<T: QuerySource, Changes, Filter, Ret, Conn> RunQueryDsl<Conn>
    for CachedUpdate<T, Changes, Filter, Ret>
{
}
