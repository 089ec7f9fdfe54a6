//! Relations between models, declared once on the model and loaded without N+1: one query per
//! relation for any number of rows, as SQLAlchemy's `selectinload` or Diesel's `belonging_to` +
//! `grouped_by` do.
//!
//! `#[derive(Model)]` writes the relations a declaration implies:
//!
//! - a field `#[staffdb(references = Employee)] lead_id` gives [`BelongsTo`] (`Project::lead()`:
//!   each project's lead) and its reverse [`HasMany`] (`Project::by_lead()`: each employee's
//!   projects);
//! - `#[staffdb(many_to_many(members = Employee, through = project_members, from = project_id,
//!   to = employee_id))]` on the struct gives [`ManyToMany`] (`Project::members()`), which
//!   [`Session::set_related`] also edits.
//!
//! [`Session::related`] loads any of them for a slice of rows, in the rows' order. What happens
//! to the related rows when a row is deleted is the foreign key's `ON DELETE`, declared in the
//! migration where the database holds it for every client.

use std::collections::BTreeMap;

use super::error::Result;
use super::fields::{Describe, RelatedRow};
use super::model::{Model, ModelId};
use super::query::Listed;
use super::session::Session;
use crate::backend::AnyConnection;

/// Ids per `IN (…)`: far below every backend's bind-parameter limit.
const IDS_PER_STATEMENT: usize = 1_000;

/// Loads the rows related to any of the ids (one statement).
type LoadFor<I, T> = fn(&mut AnyConnection, &[I]) -> Result<Vec<T>>;
/// Makes one row's related set exactly the ids given.
type ReplaceFor<I, J> = fn(&mut AnyConnection, I, &[J]) -> Result<()>;
/// The id a row holds in a reference column, if any.
type KeyOf<M, I> = fn(&M) -> Option<I>;

/// A relation of `M`'s rows that [`Session::related`] loads for many rows at once.
pub trait Relation<M: Model> {
    /// What each row gets: `Option<R>` for a reference, `Vec<R>` for the other side of one or
    /// for a many-to-many.
    type Out;

    /// The relation's name, as the API's `include=` and the admin name it.
    fn name(&self) -> &'static str;

    /// The related rows of each of `rows`, in order: one statement per thousand distinct ids.
    #[doc(hidden)]
    fn load(&self, conn: &mut AnyConnection, rows: &[M]) -> Result<Vec<Self::Out>>;
}

/// `M`'s reference to one `R` (a foreign key column): each row's `R`, or `None`.
pub struct BelongsTo<M: Model, R: Model> {
    name: &'static str,
    key: KeyOf<M, R::Id>,
}

impl<M: Model, R: Model> BelongsTo<M, R> {
    /// The relation named `name` that follows `key` (what the derive writes).
    #[doc(hidden)]
    pub const fn new(name: &'static str, key: KeyOf<M, R::Id>) -> Self {
        BelongsTo { name, key }
    }
}

impl<M: Model, R: Model + Clone> Relation<M> for BelongsTo<M, R> {
    type Out = Option<R>;

    fn name(&self) -> &'static str {
        self.name
    }

    fn load(&self, conn: &mut AnyConnection, rows: &[M]) -> Result<Vec<Option<R>>> {
        let ids: Vec<R::Id> = distinct(rows.iter().filter_map(self.key));
        let mut found: BTreeMap<R::Id, R> = BTreeMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            found.extend(R::find_many(conn, chunk)?.into_iter().map(|r| (r.id(), r)));
        }
        Ok(rows
            .iter()
            .map(|row| (self.key)(row).and_then(|id| found.get(&id).cloned()))
            .collect())
    }
}

/// The other side of a reference: the `C` rows whose foreign key names each `M`, by `C`'s id.
pub struct HasMany<M: Model, C: Model> {
    name: &'static str,
    children: LoadFor<M::Id, C>,
    parent: KeyOf<C, M::Id>,
}

impl<M: Model, C: Model> HasMany<M, C> {
    /// The relation named `name`: `children` loads the rows that name any of the ids, `parent`
    /// reads the id a row names (what the derive writes).
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        children: LoadFor<M::Id, C>,
        parent: KeyOf<C, M::Id>,
    ) -> Self {
        HasMany {
            name,
            children,
            parent,
        }
    }
}

impl<M: Model, C: Model + Clone> Relation<M> for HasMany<M, C> {
    type Out = Vec<C>;

    fn name(&self) -> &'static str {
        self.name
    }

    fn load(&self, conn: &mut AnyConnection, rows: &[M]) -> Result<Vec<Vec<C>>> {
        let ids = distinct(rows.iter().map(Model::id));
        let mut groups: BTreeMap<M::Id, Vec<C>> = BTreeMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            for child in (self.children)(conn, chunk)? {
                if let Some(parent) = (self.parent)(&child) {
                    groups.entry(parent).or_default().push(child);
                }
            }
        }
        Ok(grouped(rows, groups))
    }
}

/// A many-to-many relation through a join table of (`M`'s id, `R`'s id) pairs.
pub struct ManyToMany<M: Model, R: Model> {
    name: &'static str,
    pairs: LoadFor<M::Id, (M::Id, R)>,
    replace: ReplaceFor<M::Id, R::Id>,
}

impl<M: Model, R: Model> ManyToMany<M, R> {
    /// The relation named `name`: `pairs` loads (id, related row) for any of the ids, in the
    /// related rows' id order; `replace` makes one row's related set exactly the ids given
    /// (what the derive writes).
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        pairs: LoadFor<M::Id, (M::Id, R)>,
        replace: ReplaceFor<M::Id, R::Id>,
    ) -> Self {
        ManyToMany {
            name,
            pairs,
            replace,
        }
    }
}

impl<M: Model, R: Model + Clone> Relation<M> for ManyToMany<M, R> {
    type Out = Vec<R>;

    fn name(&self) -> &'static str {
        self.name
    }

    fn load(&self, conn: &mut AnyConnection, rows: &[M]) -> Result<Vec<Vec<R>>> {
        let ids = distinct(rows.iter().map(Model::id));
        let mut groups: BTreeMap<M::Id, Vec<R>> = BTreeMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            for (id, related) in (self.pairs)(conn, chunk)? {
                groups.entry(id).or_default().push(related);
            }
        }
        Ok(grouped(rows, groups))
    }
}

/// The ids, sorted, each once.
fn distinct<I: ModelId>(ids: impl Iterator<Item = I>) -> Vec<I> {
    let mut ids: Vec<I> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Each row's group, in the rows' order (a row listed twice gets its group twice).
fn grouped<M: Model, R: Clone>(rows: &[M], mut groups: BTreeMap<M::Id, Vec<R>>) -> Vec<Vec<R>> {
    let mut left: BTreeMap<M::Id, usize> = BTreeMap::new();
    for row in rows {
        *left.entry(row.id()).or_default() += 1;
    }
    rows.iter()
        .map(|row| {
            let id = row.id();
            let later = left.get_mut(&id).map_or(0, |n| {
                *n -= 1;
                *n
            });
            // Moved out at its last listing, cloned before.
            if later == 0 {
                groups.remove(&id).unwrap_or_default()
            } else {
                groups.get(&id).cloned().unwrap_or_default()
            }
        })
        .collect()
}

impl Session {
    /// The rows `relation` relates to each of `rows`, in `rows`' order: one statement for the
    /// whole slice (per thousand distinct ids), never one per row.
    ///
    /// ```
    /// use staffdb::{Database, Employee, NewDepartment, NewEmployee, Query};
    ///
    /// # fn main() -> staffdb::Result<()> {
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// let sales = s.add(&NewDepartment::new("Sales"))?;
    /// s.add(&NewEmployee::new("Ann", 30, "Clerk").department_id(sales.id))?;
    /// s.add(&NewEmployee::new("Bob", 41, "Clerk"))?;
    /// let staff = s.list(&Query::<Employee>::new())?.items;
    /// // One statement for every employee's department, however many employees.
    /// let departments = s.related(&staff, &Employee::department())?;
    /// let names: Vec<Option<&str>> =
    ///     departments.iter().map(|d| d.as_ref().map(|d| d.name.as_str())).collect();
    /// assert_eq!(names, [Some("Sales"), None]);
    /// // And the other side: each department's employees.
    /// let sales = s.get_one(sales.id)?;
    /// assert_eq!(s.related(&[sales], &Employee::by_department())?[0].len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn related<M: Model, R: Relation<M>>(
        &mut self,
        rows: &[M],
        relation: &R,
    ) -> Result<Vec<R::Out>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.run(|c| relation.load(c, rows))
    }

    /// Makes the rows related to `id` through `relation` exactly `related` (in one savepoint:
    /// the pairs no longer wanted are deleted, the new ones inserted). An id that names no row
    /// is refused by the join table's foreign key, and nothing changes.
    pub fn set_related<M: Model, R: Model>(
        &mut self,
        id: M::Id,
        relation: &ManyToMany<M, R>,
        related: &[R::Id],
    ) -> Result<()> {
        let related = distinct(related.iter().copied());
        self.savepoint(|s| s.run(|c| (relation.replace)(c, id, &related)))
    }
}

/// Each group of related rows as front ends show them (what the derive's `__related` returns).
#[doc(hidden)]
pub fn shown<R: Describe, G>(groups: Vec<G>) -> Vec<Vec<RelatedRow>>
where
    for<'a> &'a G: IntoIterator<Item = &'a R>,
{
    // Many rows name the same one (fifty employees, five departments): each is written once.
    let mut written: std::collections::HashMap<i64, RelatedRow> = Default::default();
    let mut shown = |row: &R| {
        written
            .entry(row.id().into())
            .or_insert_with(|| RelatedRow::of(row))
            .clone()
    };
    groups
        .iter()
        .map(|group| group.into_iter().map(&mut shown).collect())
        .collect()
}

impl Session {
    /// The rows related to each of `rows` through the relation named `name` (any of
    /// [`Listed::RELATIONS`]), as front ends show them: one statement, as [`Session::related`].
    /// An unknown name is refused naming the model's relations.
    pub fn related_by_name<M: Listed>(
        &mut self,
        name: &str,
        rows: &[M],
    ) -> Result<Vec<Vec<RelatedRow>>> {
        M::__related(name, self, rows)
    }

    /// Makes the related set of the row `id` exactly `related`, through the editable relation
    /// named `name`, with ids as numbers (as a form or a JSON body gives them).
    pub fn set_related_by_name<M: Listed>(
        &mut self,
        name: &str,
        id: i64,
        related: &[i64],
    ) -> Result<()> {
        M::__set_related(name, self, id, related)
    }
}
