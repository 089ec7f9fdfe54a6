//! The commands that read: `list`, `show` and `export`. Each opens the database as it is
//! (never creating or migrating it) and reads one snapshot.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};

use super::Context;
use super::Listing;
use super::error::CliError;
use super::print::{Format, Printer, print_one, stdout};
use super::values::{file_format, id_of, query};
use crate::{Database, ExportError, Listed, MAX_LIMIT, Query, RecordFormat, export_rows};

/// `list`: the rows the query matches, a keyset page at a time, up to `--limit`.
pub(super) fn list<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let listing = Listing {
        format: Format::of(matches),
        limit: matches.get_one::<i64>("limit").copied(),
        offset: None,
        // `--as-of` is there only for a model with history.
        as_of: matches
            .try_get_one::<chrono::NaiveDateTime>("as_of")
            .ok()
            .flatten()
            .copied(),
    };
    let query = match listing.as_of {
        Some(_) => Query::new(),
        None => query::<M>(matches)?,
    };
    list_rows(context, query, &listing)
}

/// Prints the rows `query` matches as `listing` asks: a keyset page at a time (the first
/// `offset` rows read and passed over), up to its limit; with `as_of`, every row as it was
/// then, by id (the query is not used).
pub(super) fn list_rows<M: Listed>(
    context: &Context,
    query: Query<M>,
    listing: &Listing,
) -> Result<(), CliError> {
    if let Some(at) = listing.as_of {
        return super::history::list_as_of::<M>(context, listing.format, listing.limit, at);
    }
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let mut printer = Printer::<M, _>::new(listing.format, stdout(), false)?;
    let mut skip = usize::try_from(listing.offset.unwrap_or(0)).unwrap_or(0);
    let mut left = listing.limit.map(|n| usize::try_from(n).unwrap_or(0));
    // A page as large as what is still wanted, or the largest while rows are passed over.
    let size = |skip: usize, left: Option<usize>| match (skip, left) {
        (0, Some(left)) => left.min(MAX_LIMIT as usize) as i64,
        _ => MAX_LIMIT,
    };
    let mut page_query = query.limit(size(skip, left).max(1))?;
    while left != Some(0) {
        let page = session.list(&page_query)?;
        let passed = skip.min(page.items.len());
        skip -= passed;
        let rows = &page.items[passed..];
        let rows = &rows[..left.map_or(rows.len(), |left| left.min(rows.len()))];
        printer.page(&mut session, rows)?;
        left = left.map(|left| left - rows.len());
        match page.next {
            Some(next) if left != Some(0) => {
                page_query = page_query.after(next).limit(size(skip, left).max(1))?;
            }
            _ => break,
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
    let mut session = db.read_session()?;
    let row: M = session.get_one(M::Id::from(id))?;
    print_one(&mut session, Format::of(matches), &row)?;
    Ok(())
}

/// `export`: the rows the query matches, in its order, as CSV or JSON, to stdout or (renamed
/// into place once complete) to `--output`.
pub(super) fn export<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let query = query::<M>(matches)?;
    let output = matches.get_one::<String>("output").map(PathBuf::from);
    let format = file_format(matches, output.as_deref()).unwrap_or(RecordFormat::Csv);
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let progress = progress(context);
    let Some(path) = output else {
        export_rows(&mut session, &query, format, progress.wrap_write(stdout()))?;
        progress.finish_and_clear();
        return Ok(());
    };
    refuse_the_database_itself(&db, &path)?;
    let rows = to_file(&mut session, &query, format, &path, &progress);
    progress.finish_and_clear();
    let rows = rows?;
    let plural = if rows == 1 { M::NAME } else { M::TABLE };
    context.note(format!("exported {rows} {plural} to {}", path.display()));
    Ok(())
}

/// Writes the export to a temporary file beside `path` (the same file system, so the rename is
/// atomic), then renames it into place: no partial export is ever under `path`'s name. The
/// temporary file is removed on an error, on Ctrl-C, SIGTERM or SIGHUP (exit 130), and after a
/// `kill -9` by the next export into the same directory.
fn to_file<M: Listed>(
    session: &mut crate::Session,
    query: &crate::Query<M>,
    format: RecordFormat,
    path: &Path,
    progress: &ProgressBar,
) -> Result<usize, CliError> {
    super::interrupt::watch("exported");
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    sweep_abandoned(dir);
    let (temp, file) = temporary_beside(path)?;
    // A failure to read is the database's to explain; one to write is the file's.
    let cannot_write =
        |e: io::Error| CliError::Refused(format!("cannot write {}: {e}", path.display()));
    let written = file.try_clone().map_err(cannot_write).and_then(|on_disk| {
        let out = BufWriter::new(progress.wrap_write(file));
        let rows = export_rows(session, query, format, out).map_err(|error| match error {
            ExportError::Write(e) => cannot_write(e),
            other => CliError::from(other),
        })?;
        on_disk.sync_all().map_err(cannot_write)?;
        Ok(rows)
    });
    // Under the lock: a signal either stops the export before the rename or finds it done.
    let mut work = super::interrupt::work();
    let renamed = written.and_then(|rows| {
        std::fs::rename(&temp, path)
            .map(|()| rows)
            .map_err(cannot_write)
    });
    if renamed.is_ok() {
        *work = super::interrupt::Work::Done;
    } else {
        let _ = std::fs::remove_file(&temp);
    }
    renamed
}

/// Temporary files are named `.staffdb-export-PID-NAME`, so a later export can tell whose they
/// are.
const TEMP_PREFIX: &str = ".staffdb-export-";

/// A new temporary file beside `path`, named by this process, and registered for the signal
/// handler to remove.
fn temporary_beside(path: &Path) -> Result<(PathBuf, File), CliError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!("{TEMP_PREFIX}{}-{name}", std::process::id()));
    let mut work = super::interrupt::work();
    let file = File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(|e| {
            CliError::Refused(format!(
                "cannot create a temporary file beside {}: {e}",
                path.display()
            ))
        })?;
    if let super::interrupt::Work::Running { temporary, .. } = &mut *work {
        *temporary = Some(temp.clone());
    }
    Ok((temp, file))
}

/// Removes `.staffdb-export-PID-…` files in `dir` whose process no longer runs (a `kill -9`
/// left them). Only where `/proc` says which processes run; best effort, silently.
fn sweep_abandoned(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if pid.is_some_and(|pid| !proc.join(pid).exists()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
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
