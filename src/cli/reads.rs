//! The commands that read: `list`, `show` and `export`. Each opens the database as it is
//! (never creating or migrating it) and reads one snapshot.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};

use super::Context;
use super::error::CliError;
use super::print::{Format, Printer, print_one, stdout};
use super::values::{id_of, query};
use crate::{Database, Listed, MAX_LIMIT, RecordFormat, export_rows};

/// `list`: the rows the query matches, a keyset page at a time, up to `--limit`.
pub(super) fn list<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    // `--as-of` is there only for a model with history.
    let as_of = matches
        .try_get_one::<chrono::NaiveDateTime>("as_of")
        .ok()
        .flatten();
    if let Some(at) = as_of {
        return super::history::list_as_of::<M>(context, matches, *at);
    }
    let query = query::<M>(matches)?;
    let mut left = matches.get_one::<i64>("limit").copied();
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let mut printer = Printer::<M, _>::new(Format::of(matches), stdout(), false)?;
    let mut page_query = query.limit(left.unwrap_or(MAX_LIMIT).min(MAX_LIMIT))?;
    loop {
        let page = session.list(&page_query)?;
        for row in &page.items {
            printer.row(row)?;
        }
        if let Some(left) = &mut left {
            *left -= page.items.len() as i64;
        }
        match (page.next, left) {
            (Some(_), Some(left)) if left <= 0 => break,
            (Some(next), left) => {
                let size = left.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
                page_query = page_query.after(next).limit(size)?;
            }
            (None, _) => break,
        }
    }
    printer.finish()?;
    Ok(())
}

/// `show ID`: one row, or `project 7 not found` (exit 1).
pub(super) fn show<M: Listed<Id: From<i64>>>(
    context: &Context,
    matches: &ArgMatches,
) -> Result<(), CliError> {
    let id = id_of(matches)?;
    let db = context.open_existing()?;
    let row: M = db.read_session()?.get_one(M::Id::from(id))?;
    print_one(Format::of(matches), &row)?;
    Ok(())
}

/// `export`: the rows the query matches, in its order, as CSV or JSON, to stdout or (renamed
/// into place once complete) to `--output`.
pub(super) fn export<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let query = query::<M>(matches)?;
    let output = matches.get_one::<String>("output").map(PathBuf::from);
    let format = match matches.get_one::<String>("format").map(String::as_str) {
        Some("json") => RecordFormat::Json,
        Some(_) => RecordFormat::Csv,
        None => match output.as_deref().and_then(Path::extension) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => RecordFormat::Json,
            _ => RecordFormat::Csv,
        },
    };
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let progress = progress(context);
    let Some(path) = output else {
        export_rows(&mut session, &query, format, progress.wrap_write(stdout()))?;
        progress.finish_and_clear();
        return Ok(());
    };
    refuse_the_database_itself(&db, &path)?;
    let temp = temporary_beside(&path);
    let written = File::create(&temp)
        .map_err(CliError::from)
        .and_then(|file| {
            let on_disk = file.try_clone()?;
            let out = BufWriter::new(progress.wrap_write(file));
            let rows = export_rows(&mut session, &query, format, out)?;
            on_disk.sync_all()?;
            Ok(rows)
        });
    progress.finish_and_clear();
    let rows = written
        .and_then(|rows| {
            std::fs::rename(&temp, &path)
                .map(|()| rows)
                .map_err(CliError::from)
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })?;
    let plural = if rows == 1 { M::NAME } else { M::TABLE };
    context.note(format!("exported {rows} {plural} to {}", path.display()));
    Ok(())
}

/// A progress bar of the bytes written, when one would be seen (else hidden).
fn progress(context: &Context) -> ProgressBar {
    if !context.progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bytes} written  {bytes_per_sec}  {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

/// A temporary file beside `path` (the same file system, so the rename is atomic), named by
/// this process.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// Refuses `--output` naming the SQLite file being exported: renaming the export into place
/// would replace the database with its own CSV.
pub fn refuse_the_database_itself(db: &Database, output: &Path) -> Result<(), CliError> {
    let same = |database: &str| match (
        std::fs::canonicalize(output),
        std::fs::canonicalize(database),
    ) {
        (Ok(output), Ok(database)) => output == database,
        _ => false,
    };
    if db.url().sqlite_path().is_some_and(same) {
        return Err(CliError::Invalid(format!(
            "--output {} is the database itself; export to another file",
            output.display()
        )));
    }
    Ok(())
}
