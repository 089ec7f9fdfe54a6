//! Every Session operation, on every backend.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use staffdb::schema::employees;
use staffdb::{
    Database, Department, DepartmentChanges, DepartmentId, Employee, EmployeeChanges,
    EmployeeFilter, EmployeeId, Error, GroupBy, ListOptions, NewDepartment, NewEmployee, SortKey,
};

use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(
    add_returns_the_stored_row,
    get_and_find_report_missing_ids,
    add_all_writes_many_chunks_and_counts_them,
    add_all_with_a_bad_record_writes_nothing,
    add_all_stores_every_column_as_add_does,
    validation_errors_leave_the_data_unchanged,
    duplicate_email_is_a_unique_violation_and_aborts_the_session,
    unknown_department_is_a_foreign_key_violation,
    deleting_a_department_clears_its_employees,
    update_bumps_version_and_changes_only_given_fields,
    stale_version_is_a_conflict_and_changes_nothing,
    update_of_missing_employee_is_not_found,
    updates_of_one_shape_are_prepared_once,
    get_then_update_is_two_statements_and_returns_the_stored_row,
    an_update_after_an_untracked_write_keeps_that_write,
    delete_and_delete_many_are_all_or_nothing,
    delete_where_refuses_an_empty_filter,
    filters_select_the_right_rows,
    name_contains_ignores_case_and_treats_wildcards_literally,
    sorting_puts_nulls_last_and_breaks_ties_by_id,
    stream_crosses_page_boundaries_in_order,
    a_stream_dropped_early_leaves_the_session_usable,
    limit_and_offset_page_through_a_listing,
    dropping_a_session_rolls_back,
    transaction_commits_on_ok_and_rolls_back_on_err,
    failed_savepoint_rolls_back_only_its_part,
    ensure_department_creates_once,
    stats_group_by_position_and_department,
    raw_diesel_dsl_runs_inside_the_session,
    timestamps_keep_microseconds_and_utc,
    tutorial_prints_the_same_lines,
    read_sessions_refuse_writes,
    another_clients_update_bumps_the_version,
    an_email_is_unique_whatever_its_case_for_every_client,
    ids_past_2147483647_read_as_the_64_bit_numbers_they_are,
    a_timestamp_is_the_same_instant_whatever_a_clients_time_zone,
    timestamps_after_2038_are_stored_and_read_back,
    other_clients_cannot_store_values_staffdb_cannot_read;
    servers:
    a_conflict_names_the_version_committed_since_the_sessions_snapshot,
);

/// Runs raw SQL in a transaction of its own, as another client (psql, the sqlite3 shell, another
/// ORM) would: no staffdb bookkeeping.
fn as_another_client(db: &Database, sql: &str) {
    db.transaction(|s| s.run(|conn| diesel::sql_query(sql).execute(conn)))
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

/// Ids past 2,147,483,647 — another client's, or a long-lived table's — read as the numbers they
/// are, on rows and on the department they refer to; the next id follows them. (SQLite's ids
/// used to wrap to negative numbers there, and `list` never ended.)
fn ids_past_2147483647_read_as_the_64_bit_numbers_they_are(t: &TestDb) {
    let db = t.open();
    as_another_client(
        &db,
        "INSERT INTO departments (id, name) VALUES (5000000000, 'Far')",
    );
    if t.backend == staffdb::Backend::Postgres {
        // An explicit id does not move a PostgreSQL sequence: it is set, as a long life would.
        as_another_client(&db, "SELECT setval('employees_id_seq', 3000000000)");
    }
    as_another_client(
        &db,
        "INSERT INTO employees (id, name, age, position, department_id) VALUES (3000000000, 'Big', 30, 'Chef', 5000000000)",
    );
    let mut s = db.session().expect("session");
    let big = s.get_one(EmployeeId(3_000_000_000)).expect("get");
    let with = big.clone().with_department(&mut s).expect("department");
    assert_eq!(with.department.as_deref(), Some("Far"));
    assert_eq!(big.department_id.map(|d| d.get()), Some(5_000_000_000));
    let next = s.add(&employee("Next").build()).expect("add");
    // The next id after the big one: 3000000001, or on a cluster the next in its node's step.
    assert!(
        (3_000_000_001..3_000_000_010).contains(&next.id.get()),
        "{next:?}"
    );
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    let listed: Vec<i64> = Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("list")
        .iter()
        .map(|e| e.id.get())
        .collect();
    assert_eq!(listed, [3_000_000_000, next.id.get()]);
    let streamed = Employee::stream(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("stream")
        .count();
    assert_eq!(streamed, 2, "the stream ends");
}

/// A timestamp is an instant: a row another client wrote from a session in Tokyo time (UTC+9)
/// reads as the moment it was written, not 9 hours off. (SQLite's `now` is UTC whatever the
/// machine's zone; its client has no session zone.)
fn a_timestamp_is_the_same_instant_whatever_a_clients_time_zone(t: &TestDb) {
    let db = t.open();
    let insert = "INSERT INTO employees (name, age, position) VALUES ('Tokyo', 30, 'Chef')";
    match t.backend {
        #[cfg(feature = "postgres")]
        staffdb::Backend::Postgres => {
            let mut other = diesel::PgConnection::establish(&t.single_host_url()).expect("connect");
            let sql = format!("SET TIME ZONE 'Asia/Tokyo'; {insert}");
            diesel::connection::SimpleConnection::batch_execute(&mut other, &sql).expect("insert");
        }
        #[cfg(feature = "mysql")]
        staffdb::Backend::Mysql => {
            let mut other =
                diesel::MysqlConnection::establish(&t.single_host_url()).expect("connect");
            let sql = format!("SET time_zone = '+09:00'; {insert}");
            diesel::connection::SimpleConnection::batch_execute(&mut other, &sql).expect("insert");
        }
        _ => as_another_client(&db, insert),
    }
    // A write session: another client's row is on the primary at once, on a standby soon.
    let mut s = db.session().expect("session");
    let tokyo = Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("list")
        .remove(0);
    let off = chrono::Utc::now().naive_utc() - tokyo.created_at;
    assert!(off.num_seconds().abs() < 60, "{off:?} off: {tokyo:?}");
}

/// A timestamp past 2038-01-19 (where MySQL's TIMESTAMP ends), written by another client, is
/// stored and read back to the microsecond, on every backend. (Written as SQL text: on MySQL,
/// Diesel binds a `Timestamp` value as a TIMESTAMP parameter, which the server turns into NULL
/// past 2038 whatever the column's type; staffdb itself binds only the current time.)
fn timestamps_after_2038_are_stored_and_read_back(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    as_another_client(
        &db,
        &format!(
            "UPDATE employees SET created_at = '2100-01-02 03:04:05.123456' WHERE id = {}",
            alice.id
        ),
    );
    let later = chrono::NaiveDate::from_ymd_opt(2100, 1, 2)
        .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 123_456))
        .expect("valid");
    let mut s = db.read_session().expect("session");
    assert_eq!(s.get_one(alice.id).expect("get").created_at, later);
}

/// Another client cannot store a value staffdb could not read back: a day that does not exist,
/// an epoch number as a timestamp, and on SQLite (whose columns take any value) a fractional
/// age. The servers' column types refuse them; SQLite's CHECK constraints do. Nothing is stored.
fn other_clients_cannot_store_values_staffdb_cannot_read(t: &TestDb) {
    let db = t.open();
    let mut refused = vec![
        "INSERT INTO employees (name, age, position, hired_on) VALUES ('X', 30, 'Chef', '2020-02-30')",
        "INSERT INTO employees (name, age, position, created_at) VALUES ('X', 30, 'Chef', 1764615600)",
        "INSERT INTO employees (name, age, position, created_at) VALUES ('X', 30, 'Chef', '2026-02-30 10:00:00')",
        "INSERT INTO employees (name, age, position, updated_at) VALUES ('X', 30, 'Chef', '2026-12-06 10:00:00.12a')",
    ];
    if t.backend == staffdb::Backend::Sqlite {
        refused.extend([
            "INSERT INTO employees (name, age, position) VALUES ('X', 25.5, 'Chef')",
            "INSERT INTO departments (name, created_at) VALUES ('D', 'yesterday')",
            "INSERT INTO employees (name, age, position, created_at) VALUES ('X', 30, 'Chef', '2026-12-06T10:00:00')",
            // PostgreSQL takes 24:00:00 as the next midnight, which staffdb reads.
            "INSERT INTO employees (name, age, position, created_at) VALUES ('X', 30, 'Chef', '2026-12-06 24:00:00')",
            "INSERT INTO employees (name, age, position, created_at) VALUES ('X', 30, 'Chef', '2026-12-06 10:00:00.')",
        ]);
    }
    for sql in refused {
        let outcome = db.transaction(|s| s.run(|conn| diesel::sql_query(sql).execute(conn)));
        assert!(outcome.is_err(), "{sql} was stored");
    }
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        0
    );
}

/// A plain `UPDATE` from another client bumps `version` and `updated_at` (a trigger), so
/// optimistic locking sees it: `update_if_version` with the version read before is a `Conflict`.
fn another_clients_update_bumps_the_version(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| s.add(&employee("Alice").age(30).build()))
        .expect("add");
    std::thread::sleep(std::time::Duration::from_millis(5));
    as_another_client(
        &db,
        &format!("UPDATE employees SET age = 40 WHERE id = {}", alice.id),
    );
    let mut s = db.session().expect("session");
    let now = s.get_one(alice.id).expect("get");
    assert_eq!((now.age, now.version), (40, 2));
    assert!(now.updated_at > alice.updated_at, "{now:?}");
    let stale = s.update_if_version(
        alice.id,
        alice.version,
        &EmployeeChanges {
            age: Some(31),
            ..Default::default()
        },
    );
    assert!(
        matches!(
            stale,
            Err(Error::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    // staffdb's own update bumps the version once, not twice.
    let changes = EmployeeChanges {
        age: Some(41),
        ..Default::default()
    };
    assert_eq!(s.update(alice.id, &changes).expect("update").version, 3);
}

/// An email is unique whatever its case, whoever wrote it: a row another client stored as
/// `Sam@Example.COM` refuses `sam@example.com`, is found by it, and is what an upsert updates.
fn an_email_is_unique_whatever_its_case_for_every_client(t: &TestDb) {
    let db = t.open();
    as_another_client(
        &db,
        "INSERT INTO employees (name, age, position, email) VALUES ('Sam', 40, 'Chef', 'Sam@Example.COM')",
    );
    let mut s = db.session().expect("session");
    let duplicate = s.savepoint(|s| s.add(&employee("Sam Two").email("sam@example.com").build()));
    assert!(
        matches!(&duplicate, Err(Error::UniqueViolation { field, .. }) if field == "email"),
        "{duplicate:?}"
    );
    let found = Employee::ids_by_email(&mut s, ["sam@example.com"]).expect("lookup");
    assert_eq!(found.len(), 1, "{found:?}");
    let done = Employee::upsert_by_email(
        &mut s,
        [employee("Samuel").age(41).email("SAM@example.com").build()],
    )
    .expect("upsert");
    assert_eq!((done.added, done.updated), (0, 1));
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
    let sam = s.get_one(found["sam@example.com"]).expect("get");
    assert_eq!((sam.name.as_str(), sam.age, sam.version), ("Samuel", 41, 2));
}

/// A read session is read-only on every backend: a write in it is `Error::ReadOnly`, and nothing
/// is written even if the session is then committed.
fn read_sessions_refuse_writes(t: &TestDb) {
    let db = t.open();
    let mut s = db.read_session().expect("read session");
    assert!(s.is_read_only());
    let error = s.add(&employee("Eve").build()).expect_err("read-only");
    assert!(matches!(error, Error::ReadOnly(_)), "{error:?}");
    assert!(matches!(s.commit(), Err(Error::TransactionAborted)));
    let mut s = db.session().expect("write session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        0
    );
    // The pooled connection is writable again for the next session.
    s.add(&employee("Ann").build())
        .expect("write after a read session");
    s.commit().expect("commit");
}

/// `add` returns the row with its database id, version 1, equal timestamps and a lowercased email.
fn add_returns_the_stored_row(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let alice = s
        .add(
            &employee("Alice")
                .age(25)
                .position("Manager")
                .email("Alice@Example.COM")
                .build(),
        )
        .expect("add");
    assert!(alice.id.get() >= 1);
    assert_eq!(
        (alice.name.as_str(), alice.age, alice.position.as_str()),
        ("Alice", 25, "Manager")
    );
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.version, 1);
    assert_eq!(alice.created_at, alice.updated_at);
    let bob = s.add(&employee("Bob").build()).expect("add");
    assert!(bob.id > alice.id, "ids grow: {alice:?} then {bob:?}");
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    assert_eq!(s.get_one(alice.id).expect("get"), alice);
}

/// `get` of an unknown id is `NotFound` with a readable message; `find` is `None`.
fn get_and_find_report_missing_ids(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let error = s.get_one(EmployeeId(42)).expect_err("no employee 42");
    assert_eq!(error.to_string(), "employee 42 not found");
    assert_eq!(s.get(EmployeeId(42)).expect("find"), None);
    // A NotFound does not fail the transaction.
    s.add(&employee("Alice").build())
        .expect("add after NotFound");
    s.commit().expect("commit");
}

/// `add_all` writes 12,345 rows across several multi-row chunks and returns the count.
fn add_all_writes_many_chunks_and_counts_them(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let written = s
        .add_all((0..12_345).map(|i| employee(&format!("E{i:05}")).age(i % 100).build()))
        .expect("add_all");
    assert_eq!(written, 12_345);
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        12_345
    );
    let all = Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new()).expect("list");
    let last = all.last().expect("the last row");
    assert_eq!(last.name, "E12344", "rows are written in order");
    assert_eq!(last.version, 1);
}

/// One invalid record in the middle of `add_all` means none of the batch is kept.
fn add_all_with_a_bad_record_writes_nothing(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    s.add(&employee("Kept").build()).expect("add");
    let batch = (0..9_000).map(|i| {
        employee(&format!("E{i}"))
            .age(if i == 8_000 { 200 } else { 30 })
            .build()
    });
    let error = s.add_all(batch).expect_err("record 8001 is invalid");
    assert!(
        matches!(
            &error,
            Error::Validation {
                field: "age",
                record: Some(8_001),
                ..
            }
        ),
        "{error}"
    );
    // The session goes on, with only what was there before.
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
    s.commit().expect("commit");
}

/// `add_all` (one binary `COPY` on PostgreSQL, multi-row INSERTs elsewhere) stores every column
/// as `add` does: emails lowercased, departments, dates either side of 2000 (PostgreSQL's epoch)
/// and the far future, NULLs, version 1, one timestamp for the call.
fn add_all_stores_every_column_as_add_does(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let sales = s.add(&NewDepartment::new("Sales")).expect("department");
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    let dates = [
        None,
        Some(date(1999, 12, 31)),
        Some(date(2000, 1, 1)),
        Some(date(1900, 3, 1)),
        Some(date(2100, 2, 28)),
    ];
    let rows: Vec<NewEmployee> = (0..600)
        .map(|i| {
            let mut row = NewEmployee::new(format!("Émile {i} \"quoted\""), i % 151, "Clerk");
            if i % 2 == 0 {
                row = row.email(format!("Person{i}@Example.COM"));
            }
            if i % 3 == 0 {
                row = row.department_id(sales.id);
            }
            row.hired_on = dates[i as usize % dates.len()];
            row
        })
        .collect();
    assert_eq!(s.add_all(rows.clone()).expect("add_all"), 600);
    let stored = Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new()).expect("list");
    assert_eq!(stored.len(), 600);
    for (new, row) in rows.iter().zip(&stored) {
        assert_eq!(row.name, new.name);
        assert_eq!(row.age, new.age);
        assert_eq!(row.position, new.position);
        assert_eq!(row.email, new.email.as_ref().map(|e| e.to_lowercase()));
        assert_eq!(row.department_id, new.department_id);
        assert_eq!(row.hired_on, new.hired_on);
        assert_eq!(row.version, 1);
        assert_eq!(row.created_at, row.updated_at);
        assert_eq!(
            row.created_at, stored[0].created_at,
            "one timestamp for the call"
        );
    }
    s.commit().expect("commit");
}

/// Each invalid field is refused by name before anything is written.
fn validation_errors_leave_the_data_unchanged(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let cases: Vec<(NewEmployee, &str)> = vec![
        (employee("  ").build(), "name"),
        (employee(&"x".repeat(201)).build(), "name"),
        (employee("Ann").age(-1).build(), "age"),
        (employee("Ann").age(151).build(), "age"),
        (employee("Ann").position("").build(), "position"),
        (employee("Ann").email("not-an-email").build(), "email"),
        (employee("Ann\u{0}").build(), "name"),
    ];
    for (new, field) in cases {
        match s.add(&new) {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field, "{new:?}"),
            other => panic!("{new:?} gave {other:?}"),
        }
    }
    let alice = s.add(&employee("Alice").build()).expect("add");
    let blank = EmployeeChanges {
        name: Some(" ".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.update(alice.id, &blank),
        Err(Error::Validation { field: "name", .. })
    ));
    let nothing = EmployeeChanges::default();
    assert!(matches!(
        s.update(alice.id, &nothing),
        Err(Error::Validation { .. })
    ));
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1
    );
    assert_eq!(s.get_one(alice.id).expect("get"), alice);
}

/// A duplicate email (in any case) is `UniqueViolation`; the transaction is then failed and
/// commits nothing.
fn duplicate_email_is_a_unique_violation_and_aborts_the_session(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add(&employee("Alice").email("alice@example.com").build()))
        .expect("add");
    let mut s = db.session().expect("session");
    s.add(&employee("Bob").build()).expect("add");
    let error = s
        .add(&employee("Eve").email("ALICE@example.com").build())
        .expect_err("duplicate");
    assert!(
        matches!(&error, Error::UniqueViolation { field, .. } if field == "email"),
        "{error:?}"
    );
    assert!(matches!(
        Employee::count(&mut s, &EmployeeFilter::new()),
        Err(Error::TransactionAborted)
    ));
    assert!(matches!(s.commit(), Err(Error::TransactionAborted)));
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        1,
        "Bob was rolled back"
    );
}

/// An employee pointing at a department that does not exist is a `ForeignKey` error.
fn unknown_department_is_a_foreign_key_violation(t: &TestDb) {
    let db = t.open();
    let error = db
        .transaction(|s| s.add(&employee("Alice").department_id(DepartmentId(999)).build()))
        .expect_err("no department 999");
    assert!(matches!(error, Error::ForeignKey { .. }), "{error:?}");
}

/// Deleting a department leaves its employees, with no department.
fn deleting_a_department_clears_its_employees(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| {
            let sales = s.add(&NewDepartment::new("Sales"))?;
            s.add(&employee("Alice").department_id(sales.id).build())
        })
        .expect("setup");
    let department = alice.department_id.expect("has a department");
    db.transaction(|s| s.delete(department))
        .expect("delete department");
    let mut s = db.read_session().expect("session");
    assert_eq!(s.get_one(alice.id).expect("get").department_id, None);
    assert!(matches!(
        s.get_one(department),
        Err(Error::NotFound {
            entity: "department",
            ..
        })
    ));
}

/// `update` changes only the given fields, clears with `Some(None)`, bumps version and
/// `updated_at`.
fn update_bumps_version_and_changes_only_given_fields(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| {
            s.add(
                &employee("Alice")
                    .age(25)
                    .position("Manager")
                    .email("a@example.com")
                    .build(),
            )
        })
        .expect("add");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let changes = EmployeeChanges {
        age: Some(26),
        position: Some("Senior Developer".into()),
        email: Some(None),
        ..Default::default()
    };
    let updated = db
        .transaction(|s| s.update(alice.id, &changes))
        .expect("update");
    assert_eq!(updated.age, 26);
    assert_eq!(updated.position, "Senior Developer");
    assert_eq!(updated.name, "Alice");
    assert_eq!(updated.email, None);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.created_at, alice.created_at);
    assert!(updated.updated_at > alice.updated_at);
    let mut s = db.read_session().expect("session");
    assert_eq!(s.get_one(alice.id).expect("get"), updated);
}

/// A stale expected version gives `Conflict` naming both versions, and changes nothing.
fn stale_version_is_a_conflict_and_changes_nothing(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let first = EmployeeChanges {
        age: Some(40),
        ..Default::default()
    };
    db.transaction(|s| s.update_if_version(alice.id, 1, &first))
        .expect("first update");
    let second = EmployeeChanges {
        age: Some(50),
        ..Default::default()
    };
    let error = db
        .transaction(|s| s.update_if_version(alice.id, 1, &second))
        .expect_err("stale");
    assert!(
        matches!(error, Error::Conflict { id, expected: 1, actual: 2, .. } if id == i64::from(alice.id)),
        "{error:?}"
    );
    let mut s = db.read_session().expect("session");
    let now = s.get_one(alice.id).expect("get");
    assert_eq!((now.age, now.version), (40, 2));
}

/// A session that read an employee before another client updated it, then updates it at the
/// version it read, gets a `Conflict` naming the version committed since, not the one its
/// snapshot still shows (MySQL's write transactions read a snapshot: this used to say "has
/// version 1, not the expected 1"). Servers only: on SQLite a write session holds the one write
/// lock from its start, so no one commits meanwhile.
fn a_conflict_names_the_version_committed_since_the_sessions_snapshot(t: &TestDb) {
    let db = t.open();
    let alice = db
        .transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let mut s = db.session().expect("session");
    let read = s.get_one(alice.id).expect("read");
    let age = |n| EmployeeChanges {
        age: Some(n),
        ..Default::default()
    };
    db.transaction(|other| other.update_if_version(alice.id, 1, &age(40)))
        .expect("another client's update");
    // The session's reads: a snapshot on MySQL (REPEATABLE READ), the latest on PostgreSQL.
    let seen = s.get_one(alice.id).expect("read again").version;
    assert_eq!(
        seen,
        if t.backend == staffdb::Backend::Mysql {
            1
        } else {
            2
        }
    );
    let outcome = s.savepoint(|s| s.update_if_version(read.id, read.version, &age(50)));
    if t.is_cluster() && !matches!(outcome, Err(Error::Conflict { .. })) {
        // A Galera node that has not applied the other node's commit yet matches the row (its
        // causal wait is at a transaction's start, not within it), or the cluster aborts this
        // transaction as it applies that commit: either way the cluster does not let it
        // commit (certification), and nothing of it is kept.
        assert!(s.commit().is_err(), "a stale update committed: {outcome:?}");
        let now = db.transaction(|s| s.get_one(alice.id)).expect("read");
        assert_eq!((now.age, now.version), (40, 2), "{outcome:?}");
        return;
    }
    let error = outcome.expect_err("stale");
    assert!(
        matches!(
            error,
            Error::Conflict {
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{error:?}"
    );
    // On a cluster, the rest of the transaction may still meet the other node's commit being
    // applied here (a retryable abort), which is no conflict.
    let cluster = t.is_cluster();
    match s.update_if_version(read.id, 2, &age(60)) {
        Ok(updated) => assert_eq!((updated.age, updated.version), (60, 3)),
        Err(error) if cluster && error.is_retryable() => return,
        Err(error) => panic!("at version 2: {error:?}"),
    }
    match s.commit() {
        Err(error) if !(cluster && error.is_retryable()) => panic!("commit: {error:?}"),
        _ => {}
    }
}

/// Single-row updates reuse one prepared statement per set of changed columns. Diesel prepares
/// every `diesel::update` anew; staffdb's own UPDATE is cacheable, and this is what keeps it so.
fn updates_of_one_shape_are_prepared_once(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let ids: Vec<EmployeeId> = ["Alice", "Bob", "Carol"]
        .iter()
        .map(|name| s.add(&employee(name).build()).expect("add").id)
        .collect();
    let cached = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&cached);
    s.run(|conn| {
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                log.lock().expect("log").push(sql.to_owned());
            }
        });
        Ok::<_, Error>(())
    })
    .expect("instrument");
    let older = EmployeeChanges {
        age: Some(40),
        ..Default::default()
    };
    for &id in &ids {
        s.update(id, &older).expect("update");
        let current = s.get_one(id).expect("get");
        s.update_if_version(id, current.version, &older)
            .expect("update_if_version");
    }
    let promoted = EmployeeChanges {
        position: Some("Lead".into()),
        ..Default::default()
    };
    s.update(ids[0], &promoted).expect("update");
    let cached = cached.lock().expect("log");
    let updates: Vec<&String> = cached
        .iter()
        .filter(|sql| sql.starts_with("UPDATE"))
        .collect();
    // age by id, age by id and version, position by id: three statements for seven updates —
    // none through a transaction pooler, where nothing is prepared under a name.
    let expected = if t.url.contains("pool_mode=transaction") {
        0
    } else {
        3
    };
    assert_eq!(updates.len(), expected, "{updates:#?}");
    assert_eq!(s.get_one(ids[0]).expect("get").position, "Lead");
    assert_eq!(s.get_one(ids[2]).expect("get").version, 3);
}

/// `get` then `update` of that row: two statements on every backend (on MySQL, which has no
/// `RETURNING`, the update of a row just read is checked by its version instead of read back),
/// and the row returned is the row stored, email lowercased, version and time moved on.
fn get_then_update_is_two_statements_and_returns_the_stored_row(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let id = s.add(&employee("Alice").build()).expect("add").id;
    let statements = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&statements);
    s.run(|conn| {
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                log.lock().expect("log").push(query.to_string());
            }
        });
        Ok::<_, Error>(())
    })
    .expect("instrument");
    for round in 0..3 {
        let read = s.get_one(id).expect("get");
        let changes = EmployeeChanges {
            age: Some(read.age + 1),
            email: Some(Some(format!("Alice{round}@Example.COM"))),
            hired_on: Some(chrono::NaiveDate::from_ymd_opt(2020, 1, 2)),
            ..Default::default()
        };
        let updated = s.update(id, &changes).expect("update");
        assert_eq!(updated.version, read.version + 1);
        assert_eq!(
            updated.email.as_deref(),
            Some(format!("alice{round}@example.com").as_str())
        );
        assert!(updated.updated_at >= read.updated_at);
        assert_eq!(updated, s.get_one(id).expect("read back"), "round {round}");
    }
    let statements = statements.lock().expect("log");
    // Three rounds of get, update and the test's own read-back.
    assert_eq!(statements.len(), 9, "{statements:#?}");
}

/// A write the session did not make through `update` (raw SQL here; another client's is the
/// same to the database) between `get` and `update` is kept: the update applies on top of it and
/// returns the row as stored.
fn an_update_after_an_untracked_write_keeps_that_write(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    let id = s.add(&employee("Bob").build()).expect("add").id;
    let read = s.get_one(id).expect("get");
    s.run(|conn| {
        diesel::update(employees::table.find(id))
            .set(employees::position.eq("Chef"))
            .execute(conn)
    })
    .expect("an untracked write");
    let changes = EmployeeChanges {
        age: Some(read.age + 1),
        ..Default::default()
    };
    let updated = s.update(id, &changes).expect("update");
    assert_eq!(updated.position, "Chef", "the other write is kept");
    assert_eq!(updated.age, read.age + 1);
    assert_eq!(
        updated.version,
        read.version + 2,
        "both writes bumped the version"
    );
    assert_eq!(updated, s.get_one(id).expect("read back"));
    s.commit().expect("commit");
}

/// Updating an unknown id is `NotFound`, with or without an expected version.
fn update_of_missing_employee_is_not_found(t: &TestDb) {
    let db = t.open();
    let changes = EmployeeChanges {
        age: Some(40),
        ..Default::default()
    };
    let mut s = db.session().expect("session");
    assert!(matches!(
        s.update(EmployeeId(7), &changes),
        Err(Error::NotFound { id: 7, .. })
    ));
    assert!(matches!(
        s.update_if_version(EmployeeId(7), 1, &changes),
        Err(Error::NotFound { id: 7, .. })
    ));
}

/// `delete` removes one row; `delete_many` with one unknown id deletes none.
fn delete_and_delete_many_are_all_or_nothing(t: &TestDb) {
    let db = t.open();
    // The ids the database assigned, in order (a cluster steps them by its node count).
    let e: Vec<EmployeeId> = (1..=5)
        .map(|i| {
            db.transaction(|s| s.add(&employee(&format!("E{i}")).build()))
                .expect("add")
                .id
        })
        .collect();
    let unknown = e[4].get() + 1;
    let mut s = db.session().expect("session");
    s.delete(e[0]).expect("delete 1");
    let first = e[0].get();
    assert!(matches!(
        s.delete(e[0]),
        Err(Error::NotFound { id, .. }) if id == first
    ));
    let error = s
        .delete_many(&[e[1], e[2], EmployeeId(unknown)])
        .expect_err("an unknown id");
    assert!(
        matches!(error, Error::NotFound { id, .. } if id == unknown),
        "{error:?}"
    );
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        4
    );
    // Far more ids than one statement may bind: still all or nothing.
    let many: Vec<EmployeeId> = [e[3], e[4]]
        .into_iter()
        .chain((unknown..unknown + 40_000).map(EmployeeId))
        .collect();
    assert!(matches!(
        s.delete_many(&many),
        Err(Error::NotFound { id, .. }) if id == unknown
    ));
    assert_eq!(
        s.delete_many(&[e[1], e[2], e[2]]).expect("delete 2 and 3"),
        2
    );
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    let ids: Vec<i64> = Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("list")
        .iter()
        .map(|e| e.id.get())
        .collect();
    assert_eq!(ids, [e[3].get(), e[4].get()]);
}

/// `delete_where` refuses an empty filter and deletes exactly the matching rows.
fn delete_where_refuses_an_empty_filter(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add_all((0..10).map(|i| employee(&format!("E{i}")).age(55 + i).build())))
        .expect("add");
    let mut s = db.session().expect("session");
    assert!(matches!(
        Employee::delete_where(&mut s, &EmployeeFilter::new()),
        Err(Error::Validation { .. })
    ));
    assert_eq!(
        Employee::delete_where(&mut s, &EmployeeFilter::new().min_age(61)).expect("delete"),
        4
    );
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        6
    );
    s.commit().expect("commit");
}

fn seed_people(db: &Database) {
    db.transaction(|s| {
        let sales = s.add(&NewDepartment::new("Sales"))?;
        let labs = s.add(&NewDepartment::new("Labs"))?;
        s.add(
            &employee("Alice")
                .age(25)
                .position("Manager")
                .department_id(sales.id)
                .build(),
        )?;
        s.add(
            &employee("Bob")
                .age(22)
                .position("Developer")
                .department_id(labs.id)
                .build(),
        )?;
        s.add(
            &employee("Carol")
                .age(41)
                .position("Developer")
                .department_id(labs.id)
                .build(),
        )?;
        s.add(&employee("dave").age(41).position("Developer").build())?;
        s.add(&employee("Erin").age(60).position("Manager").build())
    })
    .expect("seed");
}

fn names(db: &Database, filter: &EmployeeFilter, options: &ListOptions) -> Vec<String> {
    let mut s = db.read_session().expect("session");
    Employee::list(&mut s, filter, options)
        .expect("list")
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// Position, department, age range and name filters combine with AND.
fn filters_select_the_right_rows(t: &TestDb) {
    let db = t.open();
    seed_people(&db);
    let all = ListOptions::new();
    assert_eq!(
        names(&db, &EmployeeFilter::new().position("Developer"), &all),
        ["Bob", "Carol", "dave"]
    );
    assert_eq!(
        names(&db, &EmployeeFilter::new().department("Labs"), &all),
        ["Bob", "Carol"]
    );
    assert_eq!(
        names(&db, &EmployeeFilter::new().department("Nowhere"), &all),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&db, &EmployeeFilter::new().min_age(41).max_age(59), &all),
        ["Carol", "dave"]
    );
    assert_eq!(
        names(
            &db,
            &EmployeeFilter::new()
                .position("Developer")
                .department("Labs")
                .min_age(30),
            &all
        ),
        ["Carol"]
    );
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new().position("Manager")).expect("count"),
        2
    );
    let with_departments: Vec<Option<String>> =
        Employee::stream_with_department(&mut s, &EmployeeFilter::new(), &all)
            .expect("stream")
            .map(|row| row.expect("row").department)
            .collect();
    assert_eq!(
        with_departments,
        [
            Some("Sales".to_owned()),
            Some("Labs".to_owned()),
            Some("Labs".to_owned()),
            None,
            None
        ]
    );
}

/// `name_contains` ignores case and matches `%`, `_` and `!` literally.
fn name_contains_ignores_case_and_treats_wildcards_literally(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| {
        for name in [
            "Ann 100% Sure",
            "Ann_Lee",
            "AnnXLee",
            "Bang!",
            "O'Brien; DROP TABLE employees",
            "Ångström Ærø",
        ] {
            s.add(&employee(name).build())?;
        }
        Ok(())
    })
    .expect("seed");
    let all = ListOptions::new();
    let find = |text: &str| names(&db, &EmployeeFilter::new().name_contains(text), &all);
    assert_eq!(find("ANN"), ["Ann 100% Sure", "Ann_Lee", "AnnXLee"]);
    assert_eq!(find("%"), ["Ann 100% Sure"]);
    assert_eq!(find("n_l"), ["Ann_Lee"]);
    assert_eq!(find("!"), ["Bang!"]);
    assert_eq!(find("drop table"), ["O'Brien; DROP TABLE employees"]);
    assert_eq!(find("ångström"), ["Ångström Ærø"]);
    assert_eq!(find("ÆRØ"), ["Ångström Ærø"]);
}

/// Every sort key, both directions: NULL hiring dates last, ties broken by id in the sort's
/// direction.
fn sorting_puts_nulls_last_and_breaks_ties_by_id(t: &TestDb) {
    let db = t.open();
    let seeded: Vec<i64> = db
        .transaction(|s| {
            Ok(vec![
                s.add(&employee("b").age(30).hired_on("2020-01-01").build())?,
                s.add(&employee("a").age(30).build())?,
                s.add(&employee("C").age(20).hired_on("2019-05-05").build())?,
                s.add(&employee("a").age(40).hired_on("2020-01-01").build())?,
            ])
        })
        .expect("seed")
        .iter()
        .map(|e| e.id.get())
        .collect();
    // Rows by ordinal, 1 to 4, in the order they were added (ids grow, not always by one).
    let ordinal = |id: i64| {
        seeded
            .iter()
            .position(|&s| s == id)
            .map_or(0, |i| i as i64 + 1)
    };
    let ids = |sort: SortKey, descending: bool| -> Vec<i64> {
        let mut options = ListOptions::new().sort(sort);
        options.descending = descending;
        let mut s = db.read_session().expect("session");
        Employee::list(&mut s, &EmployeeFilter::new(), &options)
            .expect("list")
            .iter()
            .map(|e| ordinal(e.id.get()))
            .collect()
    };
    assert_eq!(ids(SortKey::Id, false), [1, 2, 3, 4]);
    assert_eq!(ids(SortKey::Id, true), [4, 3, 2, 1]);
    assert_eq!(
        ids(SortKey::Name, false),
        [3, 2, 4, 1],
        "byte order: 'C' < 'a' < 'b'"
    );
    // Descending, ties by id descending too (the index of (column, id) read backwards).
    assert_eq!(ids(SortKey::Name, true), [1, 4, 2, 3]);
    assert_eq!(ids(SortKey::Age, false), [3, 1, 2, 4]);
    assert_eq!(ids(SortKey::Age, true), [4, 2, 1, 3]);
    assert_eq!(ids(SortKey::HiredOn, false), [3, 1, 4, 2]);
    assert_eq!(ids(SortKey::HiredOn, true), [4, 1, 3, 2]);
}

/// Streaming 12,000 rows sorted by age (many ties) crosses keyset pages without loss or repeats.
fn stream_crosses_page_boundaries_in_order(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| {
        s.add_all((0..12_000).map(|i| employee(&format!("E{i}")).age(i % 7).build()))
    })
    .expect("seed");
    for descending in [false, true] {
        let mut options = ListOptions::new().sort(SortKey::Age);
        options.descending = descending;
        let mut s = db.read_session().expect("session");
        let streamed: Vec<(i32, i64)> = Employee::stream(&mut s, &EmployeeFilter::new(), &options)
            .expect("stream")
            .map(|e| e.map(|e| (e.age, e.id.get())).expect("row"))
            .collect();
        let mut expected = streamed.clone();
        expected.sort_by_key(
            |&(age, id)| {
                if descending { (-age, -id) } else { (age, id) }
            },
        );
        assert_eq!(streamed.len(), 12_000);
        assert_eq!(streamed, expected);
    }
}

/// A stream left after a few rows (on PostgreSQL, one query read row by row) leaves the session
/// usable: its next statements run and it commits.
fn a_stream_dropped_early_leaves_the_session_usable(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add_all((0..12_000).map(|i| employee(&format!("E{i}")).build())))
        .expect("seed");
    let mut s = db.session().expect("session");
    let first: Vec<String> = Employee::stream(&mut s, &EmployeeFilter::new(), &ListOptions::new())
        .expect("stream")
        .take(3)
        .map(|e| e.expect("row").name)
        .collect();
    assert_eq!(first, ["E0", "E1", "E2"]);
    let added = s
        .add(&employee("After").build())
        .expect("add after the stream");
    assert_eq!(s.get_one(added.id).expect("get").name, "After");
    s.commit().expect("commit");
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        12_001
    );
}

/// Limit and offset page through a sorted listing, also across keyset pages.
fn limit_and_offset_page_through_a_listing(t: &TestDb) {
    let db = t.open();
    seed_people(&db);
    let options = ListOptions::new().sort(SortKey::Age).limit(2).offset(1);
    assert_eq!(
        names(&db, &EmployeeFilter::new(), &options),
        ["Alice", "Carol"]
    );
    let options = ListOptions::new().limit(0);
    assert!(names(&db, &EmployeeFilter::new(), &options).is_empty());
    let mut s = db.read_session().expect("session");
    let negative = ListOptions::new().limit(-1);
    assert!(matches!(
        Employee::list(&mut s, &EmployeeFilter::new(), &negative),
        Err(Error::Validation { .. })
    ));
}

/// A session dropped without commit, or rolled back, leaves nothing behind.
fn dropping_a_session_rolls_back(t: &TestDb) {
    let db = t.open();
    {
        let mut s = db.session().expect("session");
        s.add(&employee("Ghost").build()).expect("add");
    }
    let mut s = db.session().expect("session");
    s.add(&employee("Ghost 2").build()).expect("add");
    s.rollback().expect("rollback");
    let mut s = db.read_session().expect("session");
    assert_eq!(
        Employee::count(&mut s, &EmployeeFilter::new()).expect("count"),
        0
    );
}

/// `db.transaction` commits on `Ok` and rolls back on `Err`, returning the error.
fn transaction_commits_on_ok_and_rolls_back_on_err(t: &TestDb) {
    let db = t.open();
    db.transaction(|s| s.add(&employee("Kept").build()))
        .expect("ok");
    let error = db
        .transaction(|s| {
            s.add(&employee("Lost").build())?;
            s.get_one(EmployeeId(999))
        })
        .expect_err("999 is unknown");
    assert!(matches!(error, Error::NotFound { .. }));
    assert_eq!(
        names(&db, &EmployeeFilter::new(), &ListOptions::new()),
        ["Kept"]
    );
}

/// A failing savepoint undoes only its own writes; the outer transaction commits the rest.
fn failed_savepoint_rolls_back_only_its_part(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    s.add(&employee("Outer").email("o@example.com").build())
        .expect("add");
    let inner = s.savepoint(|s| {
        s.add(&employee("Inner").build())?;
        s.add(&employee("Dup").email("o@example.com").build())
    });
    assert!(matches!(inner, Err(Error::UniqueViolation { .. })));
    let nested = s.savepoint(|s| {
        s.add(&employee("Nested ok").build())?;
        let _ = s.savepoint(|s| {
            s.update(
                EmployeeId(999),
                &EmployeeChanges {
                    age: Some(1),
                    ..Default::default()
                },
            )
        });
        Ok(())
    });
    assert!(nested.is_ok());
    s.commit().expect("commit");
    assert_eq!(
        names(&db, &EmployeeFilter::new(), &ListOptions::new()),
        ["Outer", "Nested ok"]
    );
}

/// `ensure_department` creates a department once and returns the same one afterwards.
fn ensure_department_creates_once(t: &TestDb) {
    let db = t.open();
    let first = db
        .transaction(|s| Department::ensure(s, "Research"))
        .expect("create");
    let again = db
        .transaction(|s| Department::ensure(s, "Research"))
        .expect("find");
    assert_eq!(first, again);
    let error = db
        .transaction(|s| s.add(&NewDepartment::new("Research")))
        .expect_err("duplicate");
    assert!(matches!(error, Error::UniqueViolation { .. }));
    let renamed = db
        .transaction(|s| {
            s.update(
                first.id,
                &DepartmentChanges {
                    name: Some("R&D".into()),
                },
            )
        })
        .expect("rename");
    assert_eq!(renamed.name, "R&D");
    let mut s = db.read_session().expect("session");
    assert_eq!(Department::all(&mut s).expect("list").len(), 1);
    assert_eq!(
        Department::by_name(&mut s, "Research").expect("lookup"),
        None
    );
}

/// Stats count and average per position, and per department with `None` for no department.
fn stats_group_by_position_and_department(t: &TestDb) {
    let db = t.open();
    seed_people(&db);
    let mut s = db.read_session().expect("session");
    let by_position = Employee::stats(&mut s, GroupBy::Position).expect("stats");
    let summary: Vec<(Option<&str>, i64, f64, i32, i32)> = by_position
        .iter()
        .map(|g| {
            (
                g.group.as_deref(),
                g.count,
                g.average_age,
                g.min_age,
                g.max_age,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("Developer"), 3, 104.0 / 3.0, 22, 41),
            (Some("Manager"), 2, 42.5, 25, 60)
        ]
    );
    let by_department = Employee::stats(&mut s, GroupBy::Department).expect("stats");
    let groups: Vec<(Option<&str>, i64)> = by_department
        .iter()
        .map(|g| (g.group.as_deref(), g.count))
        .collect();
    assert_eq!(groups, [(Some("Labs"), 2), (Some("Sales"), 1), (None, 2)]);
}

/// Hand-written Diesel DSL through `run` sees and joins the session's own transaction.
fn raw_diesel_dsl_runs_inside_the_session(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    s.add(&employee("Alice").position("Developer").build())
        .expect("add");
    let changed = s
        .run(|conn| {
            diesel::update(employees::table.filter(employees::position.eq("Developer")))
                .set(employees::age.eq(employees::age + 1))
                .execute(conn)
        })
        .expect("raw update");
    assert_eq!(changed, 1);
    let ages: Vec<i32> = s
        .run(|conn| employees::table.select(employees::age).load(conn))
        .expect("raw select");
    assert_eq!(ages, [31]);
    drop(s);
    assert!(
        names(&db, &EmployeeFilter::new(), &ListOptions::new()).is_empty(),
        "rolled back"
    );
}

/// Timestamps are UTC, to the microsecond, and read back exactly as written.
fn timestamps_keep_microseconds_and_utc(t: &TestDb) {
    let db = t.open();
    let before = chrono::Utc::now().naive_utc() - Duration::seconds(1);
    let alice = db
        .transaction(|s| s.add(&employee("Alice").build()))
        .expect("add");
    let after = chrono::Utc::now().naive_utc() + Duration::seconds(1);
    assert!(
        before < alice.created_at && alice.created_at < after,
        "{alice:?}"
    );
    let mut s = db.read_session().expect("session");
    let stored = s.get_one(alice.id).expect("get");
    assert_eq!(stored.created_at, alice.created_at);
    assert_eq!(
        stored.created_at.and_utc().timestamp_subsec_nanos() % 1_000,
        0
    );
}

/// The tutorial: add Alice and Bob, list, promote Alice, delete Bob, list — the same lines on
/// every backend.
fn tutorial_prints_the_same_lines(t: &TestDb) {
    let db = t.open();
    let mut lines = Vec::new();
    let mut s = db.session().expect("session");
    let alice = s
        .add(&NewEmployee::new("Alice", 25, "Manager"))
        .expect("add");
    let bob = s
        .add(&NewEmployee::new("Bob", 22, "Developer"))
        .expect("add");
    s.commit().expect("commit");
    let list = |lines: &mut Vec<String>| {
        let mut s = db.read_session().expect("session");
        for e in Employee::list(&mut s, &EmployeeFilter::new(), &ListOptions::new()).expect("list")
        {
            lines.push(e.to_string());
        }
    };
    list(&mut lines);
    let mut s = db.session().expect("session");
    let promotion = EmployeeChanges {
        age: Some(26),
        position: Some("Senior Developer".into()),
        ..Default::default()
    };
    s.update(alice.id, &promotion).expect("update");
    s.delete(bob.id).expect("delete");
    s.commit().expect("commit");
    list(&mut lines);
    let lines = crate::common::ids_as_ordinals(&lines.join("\n"));
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        [
            "ID: 1, Name: Alice, Age: 25, Position: Manager",
            "ID: 2, Name: Bob, Age: 22, Position: Developer",
            "ID: 1, Name: Alice, Age: 26, Position: Senior Developer",
        ]
    );
}

/// With transaction pooling on, staffdb prepares no statement under a name — before a migration
/// and after one, which makes every pooled connection renew its statement cache — and a
/// `pool_mode` it does not know is refused, never passed to libpq or ignored.
#[test]
#[cfg_attr(not(feature = "postgres"), ignore = "build with --features postgres")]
fn transaction_pooling_names_no_statement_before_or_after_a_migration() {
    let t = TestDb::create(staffdb::Backend::Postgres);
    let db = staffdb::OpenOptions::new()
        .transaction_pooling(true)
        .max_connections(1)
        .open(&t.url)
        .expect("open");
    let named = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&named);
    let mut s = db.session().expect("session");
    s.run(|conn| {
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                log.lock().expect("log").push(sql.to_owned());
            }
        });
        Ok::<_, Error>(())
    })
    .expect("instrument");
    let work = |s: &mut staffdb::Session| {
        let id = s.add(&employee("Alice").build()).expect("add").id;
        let changes = EmployeeChanges {
            age: Some(41),
            ..Default::default()
        };
        s.update(id, &changes).expect("update");
        assert_eq!(s.get_one(id).expect("get").age, 41);
    };
    work(&mut s);
    s.commit().expect("commit");
    let reverted = db.revert_last_migration().expect("revert");
    db.run_pending_migrations().expect("migrate");
    let mut s = db
        .session()
        .expect("session on the same, refreshed connection");
    work(&mut s);
    s.commit().expect("commit");
    assert!(!reverted.is_empty());
    let named = named.lock().expect("log");
    assert!(
        named.is_empty(),
        "statements prepared under a name: {named:#?}"
    );
    let bogus = format!(
        "{}{}pool_mode=statement",
        t.url,
        if t.url.contains('?') { '&' } else { '?' }
    );
    let refused = staffdb::OpenOptions::new()
        .open(&bogus)
        .expect_err("unknown pool_mode");
    let source = std::error::Error::source(&refused).map(ToString::to_string);
    assert!(
        source
            .as_deref()
            .is_some_and(|s| s.contains("write pool_mode=transaction")),
        "{refused}: {source:?}"
    );
}
