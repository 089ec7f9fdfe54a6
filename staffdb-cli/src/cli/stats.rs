//! `staffdb stats`: head count and average / min / max age per position or department.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;
use staffdb::{Employee, GroupBy};

use super::Context;
use super::output::write_table;
use super::values::Format;

/// Options of `staffdb stats`.
#[derive(Debug, Args)]
pub struct Opts {
    /// What to group by; employees without a department form the group `(none)`.
    #[arg(long, value_enum, default_value_t = By::Position)]
    by: By,
    /// How to print.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum By {
    Position,
    Department,
}

/// One group as JSON and CSV show it; `group` is null in JSON for "no department".
#[derive(Serialize)]
struct Row<'a> {
    group: Option<&'a str>,
    count: i64,
    average_age: f64,
    min_age: i32,
    max_age: i32,
}

/// The label of employees without a department.
const NONE: &str = "(none)";

/// Prints one line (or row, or object) per group.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let by = match opts.by {
        By::Position => GroupBy::Position,
        By::Department => GroupBy::Department,
    };
    let db = context.open_existing()?;
    let groups = Employee::stats(&mut db.read_session()?, by)?;
    let rows: Vec<Row<'_>> = groups
        .iter()
        .map(|g| Row {
            group: g.group.as_deref(),
            count: g.count,
            // One decimal.
            average_age: (g.average_age * 10.0).round() / 10.0,
            min_age: g.min_age,
            max_age: g.max_age,
        })
        .collect();
    let mut out = super::stdout();
    print(&mut out, opts.format, &rows)?;
    out.flush()?;
    Ok(())
}

fn label(row: &Row<'_>) -> String {
    row.group.unwrap_or(NONE).to_owned()
}

fn print(out: &mut impl Write, format: Format, rows: &[Row<'_>]) -> anyhow::Result<()> {
    match format {
        Format::Lines => {
            for row in rows {
                let plural = if row.count == 1 { "" } else { "s" };
                writeln!(
                    out,
                    "{}: {} employee{plural}, average age {:.1}, min {}, max {}",
                    label(row),
                    row.count,
                    row.average_age,
                    row.min_age,
                    row.max_age
                )?;
            }
        }
        Format::Table | Format::Csv => {
            let header = ["group", "count", "average_age", "min_age", "max_age"];
            let cells: Vec<[String; 5]> = rows
                .iter()
                .map(|row| {
                    [
                        label(row),
                        row.count.to_string(),
                        format!("{:.1}", row.average_age),
                        row.min_age.to_string(),
                        row.max_age.to_string(),
                    ]
                })
                .collect();
            if format == Format::Table {
                write_table(out, &header, &cells)?;
            } else {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(header)?;
                for [group, rest @ ..] in &cells {
                    // A group is a position or department name: text a spreadsheet could run.
                    let group = staffdb::csv_cell(group);
                    csv.write_record(
                        std::iter::once(group.as_ref()).chain(rest.iter().map(String::as_str)),
                    )?;
                }
                csv.flush()?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
