//! `staffdb list`: employees, filtered, sorted and paged, streamed a keyset page at a time: the
//! employees' own flags over the library's `list`.

use clap::Args;
use staffdb::cli::Listing;
use staffdb::{Employee, EmployeeFilter, ListOptions, SortKey};

use super::Context;
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

/// Streams the matching employees to stdout: the flags are the employees' typed filter and
/// order ([`EmployeeFilter`], [`ListOptions`]), made the library's query and printed by the
/// library's `list` ([`staffdb::cli::list_rows`]), as any model's rows are.
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
    let listing = Listing {
        format: opts.format.into(),
        limit: opts.limit,
        offset: opts.offset,
        as_of: opts.as_of,
    };
    staffdb::cli::list_rows::<Employee>(&context.target(), options.query(&filter), &listing)?;
    Ok(())
}
