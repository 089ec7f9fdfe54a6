//! The values commands share: the output format and the parser of ids. Every command file and
//! `args` use them; they use nothing of the CLI's.

use clap::ValueEnum;

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

/// An employee or department id: 1..=9223372036854775807.
pub fn id() -> clap::builder::RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(1..)
}

impl From<Format> for staffdb::cli::Format {
    fn from(format: Format) -> Self {
        match format {
            Format::Lines => staffdb::cli::Format::Lines,
            Format::Table => staffdb::cli::Format::Table,
            Format::Json => staffdb::cli::Format::Json,
            Format::Csv => staffdb::cli::Format::Csv,
        }
    }
}
