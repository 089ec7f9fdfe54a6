//! Relations declared once (issue 25, item 6): the example's `Project` references its lead
//! (`lead_id`, `references = Employee`) and has members through `project_members`
//! (`many_to_many`), and staffdb's own `Employee` references its department — each loaded for
//! any number of rows in one statement, edited through the session, and kept by the database's
//! `ON DELETE` when a row goes.

use staffdb::{
    Database, Describe, Employee, EmployeeId, Error, Listed, NewDepartment, NewEmployee, Query,
    RelationInfo, Session,
};

use crate::common::{TestDb, on_every_backend};
use crate::derived::project::{NewProject, Project, ProjectId};
use crate::derived::{open, record, take};

on_every_backend!(
    every_project_with_its_lead_and_members_is_three_statements,
    set_related_replaces_the_members_and_refuses_an_unknown_employee,
    deleting_rows_follows_each_relations_on_delete,
    the_other_side_of_a_reference_groups_rows_by_it,
    get_many_reads_the_rows_named_in_one_statement,
    relations_by_name_are_what_front_ends_use,
);

/// Employees named `names`, in order.
fn employees(db: &Database, names: &[&str]) -> Vec<EmployeeId> {
    db.transaction(|s| {
        names
            .iter()
            .map(|name| Ok(s.add(&NewEmployee::new(*name, 30, "Engineer"))?.id))
            .collect()
    })
    .expect("employees")
}

/// The members' names of each project, in the projects' order.
fn member_names(s: &mut Session, projects: &[Project]) -> Vec<Vec<String>> {
    s.related(projects, &Project::members())
        .expect("members")
        .into_iter()
        .map(|members| members.into_iter().map(|e| e.name).collect())
        .collect()
}

/// Forty projects, led by one of three employees or by none, each with a different set of
/// members: listing them, their leads and their members is three statements — one per
/// relation, whatever the number of projects — and each project gets its own.
fn every_project_with_its_lead_and_members_is_three_statements(t: &TestDb) {
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo", "Cy"]);
    let ids: Vec<ProjectId> = db
        .transaction(|s| {
            (0..40)
                .map(|i| {
                    let new = NewProject::new(format!("P{i:02}"));
                    let new = match i % 4 {
                        3 => new,
                        lead => new.lead_id(staff[lead]),
                    };
                    let id = s.add(&new)?.id;
                    // Project i has the employees whose bit is set in i % 8.
                    let members: Vec<EmployeeId> = (0..3)
                        .filter(|bit| i & (1 << bit) != 0)
                        .map(|bit| staff[bit])
                        .collect();
                    s.set_related(id, &Project::members(), &members)?;
                    Ok(id)
                })
                .collect()
        })
        .expect("projects");
    assert_eq!(ids.len(), 40);

    let mut s = db.read_session().expect("session");
    let sent = record(&mut s);
    let projects = s
        .list(&Query::<Project>::new().limit(100).expect("limit"))
        .expect("list")
        .items;
    let leads = s.related(&projects, &Project::lead()).expect("leads");
    let members = member_names(&mut s, &projects);
    let (statements, _) = take(&sent);
    assert_eq!(statements.len(), 3, "{statements:#?}");

    assert_eq!(projects.len(), 40);
    let names = ["Ann", "Bo", "Cy"];
    for (i, project) in projects.iter().enumerate() {
        assert_eq!(project.name, format!("P{i:02}"));
        let lead = leads[i].as_ref().map(|e| e.name.as_str());
        assert_eq!(lead, names.get(i % 4).copied(), "{}", project.name);
        let expected: Vec<&str> = (0..3)
            .filter(|bit| i & (1 << bit) != 0)
            .map(|bit| names[bit])
            .collect();
        assert_eq!(members[i], expected, "{}", project.name);
    }
    assert!(
        s.related(&[], &Project::members())
            .expect("none")
            .is_empty()
    );
}

/// `set_related` makes the set exactly what is given (pairs no longer wanted go, new ones come,
/// duplicates count once); an id that names no employee is refused by the join table's foreign
/// key, and the members stay as they were.
fn set_related_replaces_the_members_and_refuses_an_unknown_employee(t: &TestDb) {
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo", "Cy"]);
    let apollo = db
        .transaction(|s| s.add(&NewProject::new("Apollo")))
        .expect("project");
    let members = Project::members();
    let set = |ids: &[EmployeeId]| db.transaction(|s| s.set_related(apollo.id, &members, ids));
    let read = || {
        let mut s = db.read_session().expect("session");
        member_names(&mut s, std::slice::from_ref(&apollo)).remove(0)
    };

    set(&[staff[0], staff[1], staff[0]]).expect("Ann and Bo");
    assert_eq!(read(), ["Ann", "Bo"]);
    set(&[staff[2], staff[1]]).expect("Bo and Cy");
    assert_eq!(read(), ["Bo", "Cy"]);

    let nobody = EmployeeId(staff[2].get() + 1_000_000);
    let refused = set(&[staff[0], nobody]).expect_err("unknown employee");
    assert!(matches!(refused, Error::ForeignKey(_)), "{refused:?}");
    assert_eq!(read(), ["Bo", "Cy"], "a refused set changes nothing");
    set(&[]).expect("nobody");
    assert!(read().is_empty());
}

/// Deleting an employee deletes their memberships (`ON DELETE CASCADE`) and clears the lead of
/// the projects they led (`ON DELETE SET NULL`); deleting a project deletes its memberships —
/// all kept by the database, as `psql` or any other client would see them.
fn deleting_rows_follows_each_relations_on_delete(t: &TestDb) {
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo"]);
    let (apollo, gemini) = db
        .transaction(|s| {
            let apollo = s.add(&NewProject::new("Apollo").lead_id(staff[0]))?;
            let gemini = s.add(&NewProject::new("Gemini").lead_id(staff[1]))?;
            s.set_related(apollo.id, &Project::members(), &staff)?;
            s.set_related(gemini.id, &Project::members(), &staff)?;
            Ok((apollo.id, gemini.id))
        })
        .expect("seed");

    db.transaction(|s| s.delete(staff[0])).expect("delete Ann");
    let mut s = db.read_session().expect("session");
    let projects = s.get_many(&[apollo, gemini]).expect("projects");
    assert_eq!(projects[0].lead_id, None, "Apollo's lead is cleared");
    assert_eq!(projects[1].lead_id, Some(staff[1]));
    assert_eq!(member_names(&mut s, &projects), [["Bo"], ["Bo"]]);
    drop(s);

    db.transaction(|s| s.delete(apollo)).expect("delete Apollo");
    let mut s = db.read_session().expect("session");
    let bo = s.get_one(staff[1]).expect("Bo");
    let bo_projects = s.related(&[bo], &Project::by_lead()).expect("led");
    assert_eq!(bo_projects[0].len(), 1);
    let pairs: i64 = s
        .run(|c| {
            use diesel::prelude::*;
            crate::derived::members::project_members::table
                .count()
                .get_result(c)
        })
        .expect("pairs");
    assert_eq!(pairs, 1, "only Gemini's membership of Bo is left");
}

/// `Project::by_lead()`, the other side of `lead_id`: each employee's projects in id order, an
/// employee who leads none gets none; `Employee::by_department()` does the same for staffdb's
/// own reference, and `Employee::department()` follows it.
fn the_other_side_of_a_reference_groups_rows_by_it(t: &TestDb) {
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo", "Cy"]);
    db.transaction(|s| {
        for (name, lead) in [("A1", 0), ("B1", 1), ("A2", 0)] {
            s.add(&NewProject::new(name).lead_id(staff[lead]))?;
        }
        let sales = s.add(&NewDepartment::new("Sales"))?;
        for &id in &staff[..2] {
            s.update(
                id,
                &staffdb::EmployeeChanges {
                    department_id: Some(Some(sales.id)),
                    ..Default::default()
                },
            )?;
        }
        Ok(())
    })
    .expect("seed");

    let mut s = db.read_session().expect("session");
    let people: Vec<Employee> = s.get_many(&staff).expect("staff");
    let led = s.related(&people, &Project::by_lead()).expect("led");
    let names: Vec<Vec<&str>> = led
        .iter()
        .map(|projects| projects.iter().map(|p| p.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["A1", "A2"], vec!["B1"], vec![]]);

    let departments = s
        .related(&people, &Employee::department())
        .expect("departments");
    let department_names: Vec<Option<&str>> = departments
        .iter()
        .map(|d| d.as_ref().map(|d| d.name.as_str()))
        .collect();
    assert_eq!(department_names, [Some("Sales"), Some("Sales"), None]);
    let sales = departments[0].clone().expect("Sales");
    let staff_of = s
        .related(&[sales], &Employee::by_department())
        .expect("staff");
    assert_eq!(staff_of[0].len(), 2);
}

/// `get_many`: the rows named, in id order, each once; unknown ids left out; one statement.
fn get_many_reads_the_rows_named_in_one_statement(t: &TestDb) {
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo", "Cy"]);
    let mut s = db.read_session().expect("session");
    let sent = record(&mut s);
    let nobody = EmployeeId(staff[2].get() + 1_000_000);
    let rows = s
        .get_many(&[staff[2], nobody, staff[0], staff[2]])
        .expect("rows");
    assert_eq!(take(&sent).0.len(), 1);
    let names: Vec<&str> = rows.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Ann", "Cy"]);
}

/// What the admin and the API reach relations by: `Listed::RELATIONS` lists the declaration's
/// (the reference first, then the many-to-many), `set_related_by_name` edits the editable one
/// with ids as numbers, `related_by_name` loads either as rows with their id, title and
/// columns; an unknown name or a reference given ids is refused, naming the relations there are.
fn relations_by_name_are_what_front_ends_use(t: &TestDb) {
    assert_eq!(
        Project::RELATIONS,
        [
            RelationInfo {
                name: "lead",
                label: "Lead",
                target: "employees",
                columns: Employee::COLUMNS,
                many: false,
                editable: false,
                column: Some("lead_id"),
            },
            RelationInfo {
                name: "members",
                label: "Members",
                target: "employees",
                columns: Employee::COLUMNS,
                many: true,
                editable: true,
                column: None,
            },
        ]
    );
    let db = open(t);
    let staff = employees(&db, &["Ann", "Bo"]);
    let apollo = db
        .transaction(|s| s.add(&NewProject::new("Apollo").lead_id(staff[1])))
        .expect("project");
    let numbers: Vec<i64> = staff.iter().map(|id| id.get()).collect();
    db.transaction(|s| s.set_related_by_name::<Project>("members", apollo.id.get(), &numbers))
        .expect("members by name");

    let mut s = db.read_session().expect("session");
    let rows = std::slice::from_ref(&apollo);
    let members = s.related_by_name("members", rows).expect("members");
    let titles: Vec<&str> = members[0].iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["Ann", "Bo"]);
    assert_eq!(members[0][0].id, staff[0].get());
    let name_at = members[0][0]
        .columns
        .iter()
        .position(|c| c.name == "name")
        .expect("a name column");
    assert_eq!(members[0][1].texts[name_at], "Bo");
    let lead = s.related_by_name("lead", rows).expect("lead");
    assert_eq!(lead[0].len(), 1);
    assert_eq!(lead[0][0].title, "Bo");

    let unknown = s
        .related_by_name::<Project>("sponsors", rows)
        .expect_err("unknown");
    assert_eq!(
        unknown.to_string(),
        "invalid include: projects has no relation `sponsors`; its relations: lead, members"
    );
    drop(s);
    let refused = db
        .transaction(|s| s.set_related_by_name::<Project>("lead", apollo.id.get(), &numbers))
        .expect_err("a reference is not a set");
    assert_eq!(
        refused.to_string(),
        "invalid lead: is a reference, not a set: change the column `lead_id`"
    );
}
