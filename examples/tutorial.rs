//! The classic ORM tutorial, written plainly against the staffdb library.
//!
//! ```text
//! cargo run --example tutorial            # on a fresh staffdb-tutorial.db (deleted first)
//! cargo run --example tutorial -- my.db   # on a database of your choice
//! ```
//!
//! Prints, on stdout:
//!
//! ```text
//! ID: 1, Name: Alice, Age: 25, Position: Manager
//! ID: 2, Name: Bob, Age: 22, Position: Developer
//! ID: 1, Name: Alice, Age: 26, Position: Senior Developer
//! ```

use staffdb::{Database, Employee, EmployeeChanges, EmployeeFilter, ListOptions, NewEmployee};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Open (and create) the database: a path, or any URL staffdb understands.
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let path = "staffdb-tutorial.db";
            for file in [path, "staffdb-tutorial.db-wal", "staffdb-tutorial.db-shm"] {
                match std::fs::remove_file(file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            path.to_owned()
        }
    };
    let db = Database::open(&url)?;

    // Create new records, add them to a session, and commit.
    let mut session = db.session()?;
    let alice = session.add(&NewEmployee::new("Alice", 25, "Manager"))?;
    let bob = session.add(&NewEmployee::new("Bob", 22, "Developer"))?;
    session.commit()?;

    // Query everyone.
    let mut session = db.read_session()?;
    for employee in Employee::list(&mut session, &EmployeeFilter::new(), &ListOptions::new())? {
        println!("{employee}");
    }
    drop(session);

    // Update Alice, delete Bob, commit.
    let mut session = db.session()?;
    let promotion = EmployeeChanges {
        age: Some(26),
        position: Some("Senior Developer".into()),
        ..Default::default()
    };
    session.update(alice.id, &promotion)?;
    session.delete(bob.id)?;
    session.commit()?;

    // Query again.
    let mut session = db.read_session()?;
    for employee in Employee::list(&mut session, &EmployeeFilter::new(), &ListOptions::new())? {
        println!("{employee}");
    }
    Ok(())
}
