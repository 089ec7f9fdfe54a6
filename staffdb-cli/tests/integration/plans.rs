//! Every page a list sorts or filters is served from an index, as SQLite's own planner says
//! (`EXPLAIN QUERY PLAN` of each statement the page sent): no table scan, and no sort of the
//! rows in a temporary B-tree — for every sortable column of employees and of the example's
//! projects, in both directions, on the first page and after a cursor, by the generic `Query`
//! (the API and the admin of every model) and by the employees' own listing (their page, their
//! API). SQLite only: its planner's choice does not depend on statistics a test cannot pin,
//! where PostgreSQL's and MariaDB's do (a small table is read whole, rightly).

use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::sql_types::Text;
use staffdb::{
    Database, Employee, EmployeeFilter, Error, ListOptions, Listed, NewEmployee, Query, Session,
    SortKey,
};

use crate::common::TestDb;
use crate::derived::{Sent, app_migrations, project, record};
use project::{NewProject, Project};

#[derive(QueryableByName)]
struct Step {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// 3,000 employees (names, ages, positions and hiring dates in orders of their own; every
/// seventh without a date) and 600 projects (every fifth without a lead).
fn seeded(t: &TestDb) -> Database {
    let db = t.open_with(staffdb::OpenOptions::new().app_migrations(app_migrations()));
    db.transaction(|s| {
        let people = (0..3_000i32).map(|i| {
            let position = ["Clerk", "Chef", "Pilot"][(i % 3) as usize];
            let new = NewEmployee::new(format!("E{:04}", i * 7919 % 3_000), 20 + i % 45, position);
            match i % 7 {
                0 => new,
                d => {
                    new.hired_on(chrono::NaiveDate::from_ymd_opt(2020, 1, d as u32).expect("date"))
                }
            }
        });
        s.add_all(people)?;
        let staff = Employee::page_after(s, &EmployeeFilter::new(), None, 600)?;
        let projects = staff.iter().zip(0..600).map(|(lead, i)| {
            let new = NewProject::new(format!("P{:03}", i * 7 % 600)).budget(i % 50);
            if i % 5 == 0 {
                new
            } else {
                new.lead_id(lead.id)
            }
        });
        s.add_all(projects)?;
        Ok(())
    })
    .expect("seed");
    db
}

/// The plan of each SELECT in `sent` that reads `table`, as SQLite's planner gives it.
fn plans(s: &mut Session, sent: &Arc<Mutex<Sent>>, table: &str) -> Vec<(String, Vec<String>)> {
    let statements = std::mem::take(&mut sent.lock().expect("log").statements);
    let mut found = Vec::new();
    for statement in statements {
        // The statement's text before Diesel's ` -- binds: […]`; unbound parameters are NULL,
        // which changes no plan.
        let sql = statement
            .split(" -- binds:")
            .next()
            .unwrap_or_default()
            .to_owned();
        if !sql.starts_with("SELECT") || !sql.contains(&format!("`{table}`")) {
            continue;
        }
        let steps: Vec<Step> = s
            .run(|c| {
                Ok::<_, Error>(diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(c)?)
            })
            .expect("plan");
        found.push((sql, steps.into_iter().map(|s| s.detail).collect()));
    }
    sent.lock().expect("log").statements.clear();
    found
}

/// Fails unless every plan reads `table` in the page's order, from an index of the sort column
/// or from the table itself in key order (which SQLite shows as `SCAN table`), and stops at the
/// page's end: nothing is sorted in a temporary B-tree, which would read every matching row.
fn served_from_an_index(what: &str, table: &str, plans: &[(String, Vec<String>)]) {
    assert!(!plans.is_empty(), "{what}: no statement read {table}");
    for (sql, steps) in plans {
        let sorted = steps.iter().any(|s| s.contains("TEMP B-TREE"));
        let key_order =
            sql.contains(&format!("ORDER BY `{table}`.`id`")) || !sql.contains("ORDER BY");
        let scanned = steps
            .iter()
            .any(|s| s.starts_with(&format!("SCAN {table}")) && !s.contains("INDEX"));
        assert!(
            !sorted && (key_order || !scanned),
            "{what}: {steps:?}\n{sql}"
        );
    }
}

/// Fails unless every plan finds the rows of `table` by an index search.
fn searched(what: &str, table: &str, plans: &[(String, Vec<String>)]) {
    served_from_an_index(what, table, plans);
    for (sql, steps) in plans {
        let search = steps
            .iter()
            .any(|s| s.starts_with(&format!("SEARCH {table}")));
        assert!(search, "{what}: {steps:?}\n{sql}");
    }
}

/// The first page and the page after it of `query`, by the generic list.
fn both_pages<M: Listed>(s: &mut Session, sent: &Arc<Mutex<Sent>>, query: Query<M>, what: &str) {
    let first = s.list(&query).expect("first page");
    served_from_an_index(
        &format!("{what}, first page"),
        M::TABLE,
        &plans(s, sent, M::TABLE),
    );
    let next = first.next.expect("a second page");
    s.list(&query.after(next)).expect("second page");
    served_from_an_index(
        &format!("{what}, next page"),
        M::TABLE,
        &plans(s, sent, M::TABLE),
    );
}

/// Every sortable column of `M`, both ways, pages from an index.
fn every_sort<M: Listed>(s: &mut Session, sent: &Arc<Mutex<Sent>>) {
    for column in M::COLUMNS.iter().filter(|c| c.sortable || c.key) {
        for descending in [false, true] {
            let query = Query::<M>::new()
                .sort_by(column.name, descending)
                .and_then(|q| q.limit(50))
                .expect("query");
            let what = format!("{} by {} (descending {descending})", M::TABLE, column.name);
            both_pages(s, sent, query, &what);
        }
    }
}

#[test]
fn every_sorted_page_of_every_model_is_read_from_an_index() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let db = seeded(&t);
    let mut s = db.read_session().expect("session");
    let sent = record(&mut s);
    every_sort::<Employee>(&mut s, &sent);
    every_sort::<Project>(&mut s, &sent);
}

#[test]
fn every_filtered_page_of_every_model_is_read_from_an_index() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let db = seeded(&t);
    let mut s = db.read_session().expect("session");
    let sent = record(&mut s);
    for condition in ["position=Chef", "age>=40", "hired_on>=2020-01-03"] {
        let query = Query::<Employee>::new()
            .filter_text(condition)
            .and_then(|q| q.limit(50))
            .expect("query");
        both_pages(
            &mut s,
            &sent,
            query,
            &format!("employees where {condition}"),
        );
    }
    // Few rows match each: the rows are found by the index, not by reading the table.
    for condition in ["budget=25", "lead_id=null"] {
        let query = Query::<Project>::new()
            .filter_text(condition)
            .expect("query");
        s.list(&query).expect("page");
        let what = format!("projects where {condition}");
        searched(&what, "projects", &plans(&mut s, &sent, "projects"));
    }
    let query = Query::<Employee>::new()
        .filter_text("age=64")
        .expect("query");
    s.list(&query).expect("page");
    searched(
        "employees where age=64",
        "employees",
        &plans(&mut s, &sent, "employees"),
    );
}

/// The employees' own listing (their page and their API): every sort key, both ways, first
/// page and next.
#[test]
fn the_employees_own_pages_are_read_from_an_index() {
    let t = TestDb::create(staffdb::Backend::Sqlite);
    let db = seeded(&t);
    let mut s = db.read_session().expect("session");
    let sent = record(&mut s);
    let filter = EmployeeFilter::new();
    for sort in SortKey::ALL {
        for descending in [false, true] {
            let mut options = ListOptions::new().sort(sort).limit(50);
            options.descending = descending;
            let what = format!("the employees' page by {sort} (descending {descending})");
            let first = Employee::page_with_department_after(&mut s, &filter, &options, None)
                .expect("first page");
            served_from_an_index(&what, "employees", &plans(&mut s, &sent, "employees"));
            let last = first.last().map(|row| row.employee.id);
            Employee::page_with_department_after(&mut s, &filter, &options, last).expect("next");
            served_from_an_index(&what, "employees", &plans(&mut s, &sent, "employees"));
        }
    }
}
