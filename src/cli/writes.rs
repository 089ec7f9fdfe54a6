//! The commands that write: `add`, `update`, `delete` and `import`. Each runs in one
//! transaction of the Session, migrating the database first; a value the flags give is checked
//! before the database is opened where it can be (a reference by title needs the database).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};

use super::Context;
use super::error::CliError;
use super::print::{Format, print_before_commit};
use super::values::id_of;
use super::values::{Texts, resolve, texts, without_titles};
use crate::{Listed, RecordFormat, Validate, import_rows, upsert_rows, write_fields};

/// `add`: a new row from the flags, printed as stored.
pub(super) fn add<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let texts = texts(matches, &write_fields::<M>())?;
    let new = |texts: &Texts| M::new_from_texts(&|name| texts.get(name).cloned());
    // Every value but a reference's title is checked before the database is opened.
    new(&without_titles::<M>(&texts))?.validate()?;
    let format = Format::of(matches);
    let db = context.open()?;
    db.transaction(|s| {
        let new = new(&resolve::<M>(s, &texts)?)?;
        let row = s.add(&new)?;
        print_before_commit(format, &row)
    })?;
    Ok(())
}

/// `update ID`: the flags' changes, only at `--if-version` if given, printed as stored.
pub(super) fn update<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let id = M::Id::from(id_of(matches)?);
    let fields = write_fields::<M>();
    let texts = texts(matches, &fields)?;
    if texts.is_empty() {
        let flags: Vec<String> = fields
            .iter()
            .filter(|f| f.written)
            .map(|f| format!("--{}", f.column.name.replace('_', "-")))
            .collect();
        return Err(CliError::Invalid(format!(
            "nothing to change: give at least one of {}, --set or --clear",
            flags.join(", ")
        )));
    }
    let changes = |texts: &Texts| M::changes_from_texts(&|name| texts.get(name).cloned());
    changes(&without_titles::<M>(&texts))?.validate()?;
    let version = matches
        .try_get_one::<i32>("if_version")
        .ok()
        .flatten()
        .copied();
    let format = Format::of(matches);
    let db = context.open()?;
    db.transaction(|s| {
        let changes = changes(&resolve::<M>(s, &texts)?)?;
        let row = M::update_expecting(s, id, version, &changes)?;
        print_before_commit(format, &row)
    })?;
    Ok(())
}

/// `delete ID…`: every one, or none if one is unknown.
pub(super) fn delete<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let ids: Vec<M::Id> = matches
        .get_many::<i64>("id")
        .into_iter()
        .flatten()
        .map(|&id| M::Id::from(id))
        .collect();
    let db = context.open()?;
    let deleted = db.transaction(|s| s.delete_many(&ids))?;
    let rows = if deleted == 1 { M::NAME } else { M::TABLE };
    context.note(format!("deleted {deleted} {rows}"));
    Ok(())
}

/// `import FILE [--upsert-on COLUMN]`: every record, or none. The first bad value is named with
/// its line (CSV) or record (JSON) and its column (exit 2); a unique value taken or a referenced
/// row missing is the database's refusal (exit 1). With `--upsert-on`, a record whose value of
/// that unique column is stored updates that row instead (a column that is not unique, or a
/// value given twice, is exit 2). Nothing is written before every record has been read.
pub(super) fn import<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let file = matches
        .get_one::<String>("file")
        .cloned()
        .unwrap_or_default();
    let stdin = file == "-";
    let shown = if stdin {
        "standard input".to_owned()
    } else {
        file.clone()
    };
    let format = match matches.get_one::<String>("format").map(String::as_str) {
        Some("json") => RecordFormat::Json,
        Some(_) => RecordFormat::Csv,
        None if stdin => RecordFormat::Csv,
        None => format_of(Path::new(&file)).ok_or_else(|| {
            CliError::Invalid(format!(
                "cannot tell the format of {shown}: name a .csv or .json file, or pass --format csv|json"
            ))
        })?,
    };
    let upsert_on = matches.get_one::<String>("upsert-on").cloned();
    let (input, progress) = input(context, &file, stdin, &shown)?;
    let db = context.open()?;
    let mut session = db.session()?;
    let written = match &upsert_on {
        Some(column) => upsert_rows::<M>(&mut session, format, input, column)
            .map(|u| (u.added, Some(u.updated))),
        None => import_rows::<M>(&mut session, format, input).map(|added| (added, None)),
    };
    // Cleared before any message, whether the import was written or refused.
    progress.finish_and_clear();
    let (added, updated) = written?;
    session.commit()?;
    match updated {
        Some(updated) => context.note(format!(
            "imported {} records from {shown}: {added} added, {updated} updated",
            added + updated
        )),
        None => {
            let rows = if added == 1 { M::NAME } else { M::TABLE };
            context.note(format!("imported {added} {rows} from {shown}"));
        }
    }
    Ok(())
}

/// The import's input, with a progress bar of the bytes read (when one would be seen).
fn input(
    context: &Context,
    file: &str,
    stdin: bool,
    shown: &str,
) -> Result<(Box<dyn BufRead>, ProgressBar), CliError> {
    let unreadable = |e: io::Error| CliError::Invalid(format!("cannot read {shown}: {e}"));
    let visible = context.progress_visible();
    if stdin {
        let bar = if visible {
            styled(ProgressBar::new_spinner())
        } else {
            ProgressBar::hidden()
        };
        let reader = BufReader::new(bar.wrap_read(io::stdin()));
        return Ok((Box::new(reader), bar));
    }
    let opened = File::open(file).map_err(unreadable)?;
    let bar = match opened.metadata() {
        Ok(meta) if visible && meta.is_file() => styled(ProgressBar::new(meta.len())),
        _ if visible => styled(ProgressBar::new_spinner()),
        _ => ProgressBar::hidden(),
    };
    let reader = BufReader::with_capacity(256 * 1024, bar.wrap_read(opened));
    Ok((Box::new(reader), bar))
}

/// The bar's look: bytes read, of how many when the file's size is known.
fn styled(bar: ProgressBar) -> ProgressBar {
    let template = if bar.length().is_some() {
        "{bar:30} {bytes}/{total_bytes}  {bytes_per_sec}  {elapsed}"
    } else {
        "{spinner} {bytes} read  {bytes_per_sec}  {elapsed}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// The format a file's extension names.
fn format_of(path: &Path) -> Option<RecordFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(RecordFormat::Csv),
        "json" => Some(RecordFormat::Json),
        _ => None,
    }
}
