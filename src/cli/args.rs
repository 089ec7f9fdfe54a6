//! The commands of a registered model, built at run time from its description with clap's
//! builder: one flag per column a write takes (`--lead-id` for `lead_id`), required by `add`
//! where a new row must name it; `list` and `export` take what [`Query`](crate::Query) reads.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use clap::builder::PossibleValue;
use clap::{Arg, ArgAction, Command, value_parser};

use crate::{Column, Kind, Listed, WriteField, write_fields};

/// The names of the options the commands have themselves: a column with one of these names is
/// given with `--set COLUMN=VALUE` instead of a flag of its own.
const OWN_FLAGS: [&str; 11] = [
    "format",
    "set",
    "clear",
    "if-version",
    "help",
    "database-url",
    "read-url",
    "wait-for-primary",
    "quiet",
    "output",
    "filter",
];

/// The flag of a written column (a [`titled`](Column::titled) reference's is its relation's
/// name: `--department`), unless it would clash with an option of the command.
pub(super) fn flag_of(column: &Column) -> Option<String> {
    let flag = column.record_name().replace('_', "-");
    (!OWN_FLAGS.contains(&flag.as_str())).then_some(flag)
}

/// `TABLE …`: the model's commands.
pub(super) fn model_command<M: Listed>() -> Command {
    let fields = write_fields::<M>();
    let versioned = M::COLUMNS.iter().any(|c| c.version);
    let command = Command::new(M::TABLE)
        .about(format!(
            "List, show, add, update, delete, import or export {}",
            M::TABLE
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            query_args(
                Command::new("list")
                    .about(format!("List {}: filtered, searched, sorted", M::TABLE)),
            )
            .arg(
                Arg::new("limit")
                    .long("limit")
                    .value_name("N")
                    .value_parser(value_parser!(i64).range(1..))
                    .help("At most this many rows"),
            )
            .arg(format_arg()),
        )
        .subcommand(
            Command::new("show")
                .about(format!("Show one of the {}", M::TABLE))
                .arg(id_arg())
                .arg(format_arg()),
        )
        .subcommand(write_args(
            Command::new("add").about(format!("Add a {} and print it as stored", M::NAME)),
            &fields,
            true,
        ))
        .subcommand(update_command(M::NAME, &fields, versioned))
        .subcommand(
            Command::new("delete")
                .about(format!(
                    "Delete {} by id: all of them, or none if one is unknown",
                    M::TABLE
                ))
                .arg(id_arg().num_args(1..).value_name("ID")),
        )
        .subcommand(import_command(M::TABLE, the_unique_column::<M>()))
        .subcommand(export_command(M::TABLE));
    if M::HISTORY_TABLE.is_none() {
        return command;
    }
    // A model with history: its changes, its deleted rows, restore, and lists as of a time.
    let command = command.mut_subcommand("list", |list| list.arg(as_of_arg()));
    command
        .subcommand(history_command(M::NAME))
        .subcommands(deleted_and_restore(M::TABLE, M::NAME))
}

/// The model's one unique column besides its key, if it has exactly one: what `import --upsert`
/// updates rows by.
pub(super) fn the_unique_column<M: Listed>() -> Option<&'static str> {
    let mut unique = M::COLUMNS.iter().filter(|c| c.unique && !c.key);
    match (unique.next(), unique.next()) {
        (Some(column), None) => Some(column.name),
        _ => None,
    }
}

/// `migrate [--status]`.
pub(super) fn migrate_command() -> Command {
    Command::new("migrate")
        .about("Apply pending migrations (staffdb's, then the application's), or list them")
        .arg(
            Arg::new("status")
                .long("status")
                .action(ArgAction::SetTrue)
                .help("List every migration with its state; change nothing"),
        )
}

/// A number of seconds, as `--wait-for-primary` takes it: `30`, `2.5` or `30s` (not negative).
///
/// ```
/// assert_eq!(staffdb::cli::seconds("2.5s"), Ok(std::time::Duration::from_millis(2500)));
/// assert!(staffdb::cli::seconds("soon").is_err());
/// ```
pub fn seconds(text: &str) -> Result<std::time::Duration, String> {
    let number = text.trim().strip_suffix('s').unwrap_or(text.trim());
    number
        .parse::<f64>()
        .ok()
        .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("`{text}` is no number of seconds (30, 2.5 or 30s)"))
}

/// A row's id.
fn id_arg() -> Arg {
    Arg::new("id")
        .value_name("ID")
        .required(true)
        .value_parser(value_parser!(i64).range(1..))
        .help("The row's id")
}

/// How rows are printed.
fn format_arg() -> Arg {
    Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .value_parser(["lines", "table", "json", "csv"])
        .default_value("lines")
        .help("How to print: one line per row, aligned columns, JSON or CSV")
}

/// What a file of rows is written in.
fn file_format_arg(help: &'static str) -> Arg {
    Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .value_parser(["csv", "json"])
        .help(help)
}

/// `--filter`, `--search` and `--sort`: which rows, in what order.
fn query_args(command: Command) -> Command {
    command
        .arg(
            Arg::new("filter")
                .long("filter")
                .value_name("COND")
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .help("Only rows for which COND holds: COLUMN=VALUE, or with !=, <, <=, >, >= or ~ (contains); VALUE null for NULL (repeatable: every one must hold)"),
        )
        .arg(
            Arg::new("search")
                .long("search")
                .value_name("TEXT")
                .help("Only rows whose searchable columns contain TEXT, ignoring case"),
        )
        .arg(
            Arg::new("sort")
                .long("sort")
                .value_name("[-]COLUMN")
                .allow_hyphen_values(true)
                .help("Sort by a sortable column (-COLUMN: largest first); ties by id, NULLs last"),
        )
}

/// `update ID`: every written column optional, `--clear` for the nullable ones, and
/// `--if-version` for a versioned model.
fn update_command(name: &str, fields: &[WriteField], versioned: bool) -> Command {
    // By the flag's name (`hired-on`, `department`), or the column's (`hired_on`).
    let clearable: Vec<PossibleValue> = fields
        .iter()
        .filter(|f| f.written && f.column.nullable)
        .map(|f| {
            let flag = f.column.record_name().replace('_', "-");
            let names = [f.column.name, f.column.record_name()];
            let aliases: Vec<&str> = names.into_iter().filter(|name| *name != flag).collect();
            PossibleValue::new(flag).aliases(aliases)
        })
        .collect();
    let mut command = write_args(
        Command::new("update")
            .about(format!("Change a {name} and print it as stored"))
            .arg(id_arg()),
        fields,
        false,
    );
    if !clearable.is_empty() {
        command = command.arg(
            Arg::new("clear")
                .long("clear")
                .value_name("COLUMN")
                .action(ArgAction::Append)
                .value_parser(clearable)
                .help("Set a column to NULL (repeatable)"),
        );
    }
    if versioned {
        command = command.arg(
            Arg::new("if_version")
                .long("if-version")
                .value_name("N")
                .value_parser(value_parser!(i32).range(1..))
                .help("Change the row only if it still has this version (see show --format json)"),
        );
    }
    command
}

/// A flag per written column (required ones required when `adding`), `--set`, `--format`.
fn write_args(command: Command, fields: &[WriteField], adding: bool) -> Command {
    let columns = fields.iter().filter(|f| f.written).filter_map(|field| {
        let flag = flag_of(field.column)?;
        Some(
            Arg::new(field.column.name)
                .long(flag)
                .value_name(value_name(field.column))
                .allow_hyphen_values(true)
                .required(adding && field.required)
                .help(column_help(field)),
        )
    });
    command
        .args(columns)
        .arg(
            Arg::new("set")
                .long("set")
                .value_name("COLUMN=VALUE")
                .action(ArgAction::Append)
                .help("Set any written column by name (repeatable)"),
        )
        .arg(format_arg())
}

/// What a column's value is, in the usage line.
fn value_name(column: &Column) -> &'static str {
    match column.kind {
        _ if column.titled.is_some() => "TITLE",
        Kind::Id if column.references.is_some() => "ID|TITLE",
        Kind::Id | Kind::Integer => "N",
        Kind::Float => "X",
        Kind::Bool => "BOOL",
        Kind::Date => "YYYY-MM-DD",
        Kind::Timestamp => "YYYY-MM-DDTHH:MM:SS",
        _ => "TEXT",
    }
}

/// A column's help: its label and the rules its values keep.
fn column_help(field: &WriteField) -> String {
    let column = field.column;
    let mut said = vec![column.label.to_owned()];
    match (column.references, column.titled.is_some()) {
        (Some(model), true) if column.creates_titled => {
            said.push(format!(
                "the {model}'s title (a new {model} if none has it)"
            ));
        }
        (Some(model), true) => said.push(format!("the {model}'s title")),
        (Some(model), false) => said.push(format!("the {model}'s id or title")),
        (None, _) => {}
    }
    let rules = column.rules;
    match (rules.min, rules.max) {
        (Some(min), Some(max)) => said.push(format!("{min} to {max}")),
        (Some(min), None) => said.push(format!("at least {min}")),
        (None, Some(max)) => said.push(format!("at most {max}")),
        (None, None) => {}
    }
    if let Some(max) = rules.max_chars {
        said.push(format!("at most {max} characters"));
    }
    if column.unique {
        said.push("unique".to_owned());
    }
    said.join(", ")
}

/// `import FILE [--format] [--upsert-on COLUMN]`, and `--upsert` for a model with one unique
/// column besides its key.
fn import_command(table: &str, unique: Option<&str>) -> Command {
    let command = Command::new("import")
        .about(format!(
            "Import {table} from CSV or JSON: every record, or none if one is refused"
        ))
        .arg(
            Arg::new("file")
                .value_name("FILE")
                .required(true)
                .help("The file to read, or - for standard input"),
        )
        .arg(file_format_arg(
            "The file's format [default: from its extension; csv for standard input]",
        ))
        .arg(
            Arg::new("upsert-on")
                .long("upsert-on")
                .value_name("COLUMN")
                .help(format!(
                    "A unique column of {table}: a record whose value is stored updates that row \
                     (with the columns the file gives) instead of being refused"
                )),
        );
    let Some(unique) = unique else {
        return command;
    };
    command.arg(
        Arg::new("upsert")
            .long("upsert")
            .action(ArgAction::SetTrue)
            .conflicts_with("upsert-on")
            .help(format!(
                "Update the row with the same {unique} instead of failing on it (--upsert-on {unique})"
            )),
    )
}

/// `export [--format] [--output] [--filter…] [--search] [--sort]`.
fn export_command(table: &str) -> Command {
    query_args(Command::new("export").about(format!(
        "Export {table} as CSV or JSON, in a file import reads back"
    )))
    .arg(file_format_arg(
        "The format [default: from the --output extension, else csv]",
    ))
    .arg(
        Arg::new("output")
            .long("output")
            .short('o')
            .value_name("FILE")
            .help("Write to this file (through a temporary file renamed into place) instead of stdout"),
    )
}

/// `history ID [--format text|json]`, and `history prune --before DATE`.
pub(super) fn history_command(name: &str) -> Command {
    Command::new("history")
        .about(format!(
            "Show a {name}'s history: every change, who made it and when, what it changed from what to what"
        ))
        .args_conflicts_with_subcommands(true)
        .subcommand_negates_reqs(true)
        .arg(
            Arg::new("id")
                .value_name("ID")
                .required(true)
                .value_parser(value_parser!(i64).range(1..))
                .help("The row's id (deleted or not)"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(["text", "json"])
                .default_value("text")
                .help("How to print: a block per change, or a JSON array of changes"),
        )
        .subcommand(
            Command::new("prune")
                .about("Delete the changes made before DATE, in short batches; the last change of every row is kept")
                .arg(
                    Arg::new("before")
                        .long("before")
                        .value_name("DATE")
                        .required(true)
                        .value_parser(instant)
                        .help("YYYY-MM-DD (midnight UTC) or an RFC 3339 instant"),
                ),
        )
}

/// `deleted [--format]` and `restore ID --to CHANGE [--format]`.
pub(super) fn deleted_and_restore(table: &str, name: &str) -> [Command; 2] {
    let format = Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .value_parser(["lines", "table", "json", "csv"])
        .default_value("lines")
        .help("How to print: one line per row, aligned columns, JSON or CSV");
    [
        Command::new("deleted")
            .about(format!(
                "List the deleted {table}, each as its delete found it (lines add when, by whom and the change to restore)"
            ))
            .arg(format.clone()),
        Command::new("restore")
            .about(format!(
                "Restore a {name} to the version a change recorded (a new version), or bring a deleted one back under its id"
            ))
            .arg(
                Arg::new("id")
                    .value_name("ID")
                    .required(true)
                    .value_parser(value_parser!(i64).range(1..))
                    .help("The row's id"),
            )
            .arg(
                Arg::new("to")
                    .long("to")
                    .value_name("CHANGE")
                    .required(true)
                    .value_parser(value_parser!(i64).range(1..))
                    .help("The change whose version to restore: its number in `history ID`"),
            )
            .arg(format),
    ]
}

/// `--as-of INSTANT` of `list`.
pub(super) fn as_of_arg() -> Arg {
    Arg::new("as_of")
        .long("as-of")
        .value_name("INSTANT")
        .value_parser(instant)
        .conflicts_with_all(["filter", "search", "sort"])
        .action(ArgAction::Set)
        .help("The rows as they were then: an RFC 3339 instant (2026-12-01T10:00:00Z) or a date (midnight UTC)")
}

/// An instant as the commands take it: RFC 3339 (any offset, made UTC), or a date (its
/// midnight, UTC).
pub fn instant(text: &str) -> Result<NaiveDateTime, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.naive_utc());
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .ok_or_else(|| {
            format!(
                "`{text}` is no instant: write 2026-12-01T10:00:00Z, or a date such as 2026-12-01"
            )
        })
}
