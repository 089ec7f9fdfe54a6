//! The values commands share: the output format, the employee fields `add` and `update`
//! set, and the parsers of ids and dates. Every command file and `args` use them; they use
//! nothing of the CLI's.

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

/// How rows are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One tutorial line per employee: `ID: 1, Name: Alice, Age: 25, Position: Manager`.
    #[default]
    Lines,
    /// Aligned columns with every field.
    Table,
    /// A JSON array of objects (one object for `show`, `add`, `update`).
    Json,
    /// CSV with a header row.
    Csv,
}

/// The fields of an employee that `add` and `update` set.
#[derive(Debug, Clone, Default, Args)]
pub struct Fields {
    /// Email address, unique (stored lowercased).
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Department name; created if it does not exist yet.
    #[arg(long, value_name = "NAME")]
    pub department: Option<String>,
    /// Hiring date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date)]
    pub hired_on: Option<NaiveDate>,
}

/// An employee or department id: 1..=9223372036854775807.
pub fn id() -> clap::builder::RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(1..)
}

/// A calendar date written YYYY-MM-DD.
pub fn date(value: &str) -> Result<NaiveDate, String> {
    staffdb::parse_date(value).map_err(|e| e.to_string())
}
