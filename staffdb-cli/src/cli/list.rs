//! `staffdb list`: employees, filtered, sorted and paged, streamed a keyset page at a time.

use std::io::Write;

use clap::Args;
use staffdb::{Employee, EmployeeFilter, ListOptions, SortKey};

use super::Context;
use super::output::Printer;
use super::values::Format;

/// Options of `staffdb list`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Only this position (exact match).
    #[arg(long, value_name = "P")]
    position: Option<String>,
    /// Only this department (exact name; never creates it).
    #[arg(long, value_name = "NAME")]
    department: Option<String>,
    /// Only employees at least this old.
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    min_age: Option<i32>,
    /// Only employees at most this old.
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    max_age: Option<i32>,
    /// Only names containing this text, ignoring case (`%` and `_` are literal).
    #[arg(long, value_name = "S")]
    name_contains: Option<String>,
    /// The sort column: id, name, age, position or hired-on; ties are broken by id, NULLs
    /// come last.
    #[arg(long, default_value_t = SortKey::Id, value_parser = sort_key)]
    sort: SortKey,
    /// Largest first.
    #[arg(long)]
    desc: bool,
    /// At most this many employees.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(0..))]
    limit: Option<i64>,
    /// Skip this many employees first.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(0..))]
    offset: Option<i64>,
    /// How to print (`table` holds the rows to align them; the others stream).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// The employees as they were then, by id, from their history: an RFC 3339 instant
    /// (2026-12-01T10:00:00Z) or a date (midnight UTC). Their departments are named as they are
    /// now.
    #[arg(long, value_name = "INSTANT", value_parser = staffdb::cli::instant,
          conflicts_with_all = ["position", "department", "min_age", "max_age", "name_contains", "sort", "desc", "offset"])]
    as_of: Option<chrono::NaiveDateTime>,
}

/// Parses `--sort`, offering the library's sort keys.
fn sort_key(value: &str) -> Result<SortKey, String> {
    value.parse()
}

/// Streams the matching employees to stdout.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let filter = EmployeeFilter {
        position: opts.position,
        department: opts.department,
        min_age: opts.min_age,
        max_age: opts.max_age,
        name_contains: opts.name_contains,
    };
    let options = ListOptions {
        sort: opts.sort,
        descending: opts.desc,
        limit: opts.limit,
        offset: opts.offset,
    };
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    if let Some(at) = opts.as_of {
        return as_of(&mut session, at, opts.limit, opts.format);
    }
    if opts.format == Format::Lines {
        // The tutorial line needs five columns, not every column and the department's name.
        let mut out = super::stdout();
        for employee in Employee::stream_summaries(&mut session, &filter, &options)? {
            writeln!(out, "{}", employee?)?;
        }
        out.flush()?;
        return Ok(());
    }
    let mut printer = Printer::new(opts.format, super::stdout())?;
    for row in Employee::stream_with_department(&mut session, &filter, &options)? {
        printer.row(&row?)?;
    }
    printer.finish()?;
    Ok(())
}

/// `list --as-of`: the employees as they were at `at`, by id, up to `limit`.
fn as_of(
    session: &mut staffdb::Session,
    at: chrono::NaiveDateTime,
    limit: Option<i64>,
    format: Format,
) -> anyhow::Result<()> {
    let rows = session.as_of::<Employee>(at)?;
    let take = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    if format == Format::Lines {
        let mut out = super::stdout();
        for employee in rows.iter().take(take) {
            writeln!(out, "{employee}")?;
        }
        out.flush()?;
        return Ok(());
    }
    let mut printer = Printer::new(format, super::stdout())?;
    for employee in rows.into_iter().take(take) {
        printer.row(&employee.with_department(session)?)?;
    }
    printer.finish()?;
    Ok(())
}
