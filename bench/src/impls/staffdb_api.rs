//! staffdb's Session API, as the README teaches it.

use anyhow::{Result, ensure};
use diesel::prelude::*;
use staffdb::{
    Database, Employee, EmployeeChanges, EmployeeFilter, EmployeeId, ListOptions, NewEmployee,
};

use crate::workload::{
    DELETE_ABOVE_AGE, Outcome, OutputHash, Phases, UPD_ROW_POSITION, UPD_SET_POSITION, Workload,
    peak_rss_kib, reset_peak_rss, upd_row_ids,
};

pub(super) fn run(url: &str, workload: Workload) -> Result<Outcome> {
    let n = workload.len();
    let db = Database::open(url)?;
    // The pool opens connections lazily: open one before the clock starts, as the other
    // implementations do.
    db.ping()?;
    let mut phases = Phases::new();

    phases.time(|| {
        let mut s = db.session()?;
        let written = s.add_all(
            workload
                .iter()
                .map(|row| NewEmployee::new(row.name, row.age, row.position)),
        )?;
        s.commit()?;
        ensure!(written == n, "add_all wrote {written} rows of {n}");
        Ok(())
    })?;
    let insert_rss = peak_rss_kib();
    drop(workload);
    let reset = reset_peak_rss();

    let out = phases.time(|| {
        let mut s = db.read_session()?;
        let mut out = OutputHash::new();
        // The tutorial line's columns only, as the floor reads them.
        for employee in
            Employee::stream_summaries(&mut s, &EmployeeFilter::new(), &ListOptions::new())?
        {
            out.display(&employee?);
        }
        s.commit()?;
        Ok(out)
    })?;

    phases.time(|| {
        // No library operation raises everyone in a position by a year: this is the raw-DSL
        // escape hatch, `Session::run`, in the session's transaction. It keeps staffdb's
        // bookkeeping (version, updated_at) as the library's own updates do.
        use staffdb::schema::employees::dsl::*;
        let mut s = db.session()?;
        let now = crate::workload::now();
        s.run(|conn| {
            diesel::update(employees.filter(position.eq(UPD_SET_POSITION)))
                .set((age.eq(age + 1), version.eq(version + 1), updated_at.eq(now)))
                .execute(conn)
        })?;
        s.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut s = db.session()?;
        for id in upd_row_ids(n) {
            let id = EmployeeId(id);
            let employee = s.get_one(id)?;
            let changes = EmployeeChanges {
                age: Some(employee.age + 1),
                position: Some(UPD_ROW_POSITION.into()),
                ..Default::default()
            };
            s.update(id, &changes)?;
        }
        s.commit()?;
        Ok(())
    })?;

    phases.time(|| {
        let mut s = db.session()?;
        Employee::delete_where(&mut s, &EmployeeFilter::new().min_age(DELETE_ABOVE_AGE + 1))?;
        s.commit()?;
        Ok(())
    })?;

    let count = phases.time(|| {
        let mut s = db.read_session()?;
        let count = Employee::count(&mut s, &EmployeeFilter::new())?;
        s.commit()?;
        Ok(count)
    })?;

    Ok(phases.outcome(&out, count, insert_rss, reset))
}
