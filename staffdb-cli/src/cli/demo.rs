//! `staffdb demo`: the tutorial, end to end, on a fresh database.

use std::io::Write;

use anyhow::Context as _;
use clap::Args;
use staffdb::{
    Database, Department, Employee, EmployeeChanges, EmployeeFilter, ListOptions, NewEmployee,
};

use super::{Context, Failure};

/// The file the demo recreates on every run.
pub const DEMO_DATABASE: &str = "staffdb-demo.db";

/// Options of `staffdb demo`.
#[derive(Debug, Args)]
pub struct Opts {}

/// Adds Alice and Bob, lists them, promotes Alice, deletes Bob, and lists again.
pub fn run(context: &Context, _opts: Opts) -> anyhow::Result<()> {
    let db = if context.url_given {
        let db = context.open()?;
        let mut s = db.read_session()?;
        let employees = Employee::count(&mut s, &EmployeeFilter::new())?;
        let departments = Department::all(&mut s)?.len();
        if employees > 0 || departments > 0 {
            return Err(Failure::Refused(format!(
                "the demo needs an empty database, and {} has {employees} employees and {departments} departments; \
                 omit --database-url to use a fresh {DEMO_DATABASE}",
                db.url()
            ))
            .into());
        }
        drop(s);
        db
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{DEMO_DATABASE}{suffix}");
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(error).with_context(|| format!("cannot remove {path}"));
                }
                _ => {}
            }
        }
        Database::open(DEMO_DATABASE)?
    };
    let mut out = super::stdout();

    context.note(format!("-- a fresh database: {}", db.url()));
    context.note("-- add Alice and Bob in one session, then commit");
    let mut session = db.session()?;
    let alice = session.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    let bob = session.add(&NewEmployee::new("Bob", 22, "Developer"))?;
    session.commit()?;

    context.note("-- query everyone");
    print_everyone(&db, &mut out)?;

    context.note("-- Alice becomes 26 and a Senior Developer, Bob leaves; commit");
    db.transaction(|s| {
        let promotion = EmployeeChanges {
            age: Some(26),
            position: Some("Senior Developer".into()),
            ..Default::default()
        };
        s.update(alice.id, &promotion)?;
        s.delete(bob.id)
    })?;

    context.note("-- query everyone again");
    print_everyone(&db, &mut out)?;
    out.flush()?;
    Ok(())
}

fn print_everyone(db: &Database, out: &mut impl Write) -> anyhow::Result<()> {
    let mut session = db.read_session()?;
    for employee in Employee::stream(&mut session, &EmployeeFilter::new(), &ListOptions::new())? {
        writeln!(out, "{}", employee?)?;
    }
    // Lines appear in order with the commentary on stderr.
    out.flush()?;
    Ok(())
}
