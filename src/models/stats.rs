//! Head count and ages per position or department.

use std::collections::HashMap;

use diesel::dsl::{count_star, max, min, sum};
use diesel::prelude::*;

use super::{Department, Employee};
use crate::backend::with_conn;
use crate::schema::employees;
use crate::{Result, Session};

/// What [`Employee::stats`] groups by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupBy {
    /// By position (the default).
    #[default]
    Position,
    /// By department; employees without one (or whose department no longer exists) form the
    /// group `None`.
    Department,
}

/// Head count and ages of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// The position or department name; `None` for employees without a department.
    pub group: Option<String>,
    /// How many employees.
    pub count: i64,
    /// Their average age.
    pub average_age: f64,
    /// The youngest age.
    pub min_age: i32,
    /// The oldest age.
    pub max_age: i32,
}

/// A group's key, head count, age total, youngest and oldest age, as the database returns them.
type Row<K> = (K, i64, Option<i64>, Option<i32>, Option<i32>);

/// Groups `employees` by `$key` and aggregates the ages, on the session's connection.
macro_rules! grouped_by {
    ($session:expr, $key:expr) => {
        $session.run(|c| {
            with_conn!(c, |c| employees::table
                .group_by($key)
                .select((
                    $key,
                    count_star(),
                    sum(employees::age),
                    min(employees::age),
                    max(employees::age),
                ))
                .load(c))
        })
    };
}

impl Employee {
    /// Head count and age figures per position or per department, named groups in byte order
    /// (the same on every backend), the unnamed one last.
    ///
    /// ```
    /// use staffdb::{Database, Employee, GroupBy, NewEmployee};
    ///
    /// let db = Database::open(":memory:")?;
    /// let mut s = db.session()?;
    /// s.add_all([NewEmployee::new("A", 30, "Dev"), NewEmployee::new("B", 40, "Dev")])?;
    /// let stats = Employee::stats(&mut s, GroupBy::Position)?;
    /// assert_eq!((stats[0].group.as_deref(), stats[0].count, stats[0].average_age), (Some("Dev"), 2, 35.0));
    /// # Ok::<(), staffdb::Error>(())
    /// ```
    pub fn stats(session: &mut Session, by: GroupBy) -> Result<Vec<GroupStats>> {
        let rows: Vec<Row<Option<String>>> = match by {
            GroupBy::Position => {
                let rows: Vec<Row<String>> = grouped_by!(session, employees::position)?;
                rows.into_iter()
                    .map(|(key, n, total, lo, hi)| (Some(key), n, total, lo, hi))
                    .collect()
            }
            GroupBy::Department => {
                // Grouped by id, then named from the (small) departments table; an id with no
                // department left joins the unnamed group.
                let rows: Vec<Row<Option<super::DepartmentId>>> =
                    grouped_by!(session, employees::department_id)?;
                let names: HashMap<_, String> = Department::all(session)?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect();
                rows.into_iter()
                    .map(|(id, n, total, lo, hi)| {
                        (id.and_then(|id| names.get(&id).cloned()), n, total, lo, hi)
                    })
                    .collect()
            }
        };
        Ok(merge_groups(rows))
    }
}

/// One `GroupStats` per distinct group name (dangling departments merge into `None`), sorted.
fn merge_groups(rows: Vec<Row<Option<String>>>) -> Vec<GroupStats> {
    let mut merged: HashMap<Option<String>, (i64, i64, i32, i32)> = HashMap::new();
    for (group, count, total, lo, hi) in rows {
        let entry = merged.entry(group).or_insert((0, 0, i32::MAX, i32::MIN));
        entry.0 += count;
        entry.1 += total.unwrap_or(0);
        entry.2 = entry.2.min(lo.unwrap_or(i32::MAX));
        entry.3 = entry.3.max(hi.unwrap_or(i32::MIN));
    }
    let mut stats: Vec<GroupStats> = merged
        .into_iter()
        .map(|(group, (count, total, min_age, max_age))| GroupStats {
            group,
            count,
            average_age: total as f64 / count.max(1) as f64,
            min_age: if count == 0 { 0 } else { min_age },
            max_age: if count == 0 { 0 } else { max_age },
        })
        .collect();
    stats.sort_by(|a, b| match (&a.group, &b.group) {
        (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
        (a, b) => a.is_none().cmp(&b.is_none()),
    });
    stats
}
