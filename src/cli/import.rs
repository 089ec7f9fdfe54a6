//! `import FILE [--upsert-on COLUMN | --upsert]`: every record, or none, in one transaction run
//! again (the file read again from its start) when the database reports contention, as
//! [`Database::transaction`](crate::Database::transaction) does.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};

use super::Context;
use super::args::the_unique_column;
use super::error::CliError;
use super::interrupt;
use super::values::file_format;
use crate::{Error, ImportRowsError, Listed, RecordFormat, import_rows, upsert_rows};

/// `import FILE [--upsert-on COLUMN]`: every record, or none. The first bad value is named with
/// its line (CSV) or record (JSON) and its column (exit 2); a unique value taken or a referenced
/// row missing is the database's refusal (exit 1). With `--upsert-on` (or `--upsert`, for a
/// model with one unique column), a record whose value of that unique column is stored updates
/// that row instead (a column that is not unique, or a value given twice, is exit 2). Nothing
/// is written before every record has been read.
pub(super) fn import<M: Listed>(context: &Context, matches: &ArgMatches) -> Result<(), CliError> {
    let file = matches
        .get_one::<String>("file")
        .cloned()
        .unwrap_or_default();
    let input = Input::new(&file)?;
    let format = format(matches, &input)?;
    let upsert_on = upsert_column::<M>(matches);
    interrupt::watch("imported");
    let input = input.spooled()?;
    let db = context.open()?;
    let ((added, updated), mut committing) = db.transaction_with(
        |session| {
            let (reader, progress) = input.reader(context)?;
            let written = match &upsert_on {
                Some(column) => upsert_rows::<M>(session, format, reader, column)
                    .map(|u| (u.added, Some(u.updated))),
                None => import_rows::<M>(session, format, reader).map(|added| (added, None)),
            };
            // Cleared before any message, whether the import was written or refused.
            progress.finish_and_clear();
            let written = written.map_err(with_upsert_hint::<M>)?;
            // Held across the commit: a signal either stops the import before it or finds it
            // done.
            Ok((written, interrupt::work()))
        },
        database_error,
    )?;
    *committing = interrupt::Work::Done;
    drop(committing);
    let shown = &input.shown;
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

/// The library's error in `error`, which decides whether the import is run again.
fn database_error(error: &CliError) -> Option<&Error> {
    match error {
        CliError::Library(error) | CliError::Import(ImportRowsError::Database(error)) => {
            Some(error)
        }
        _ => None,
    }
}

/// `--format`, else the file's extension (CSV for standard input, as `export` writes it).
fn format(matches: &ArgMatches, input: &Input) -> Result<RecordFormat, CliError> {
    match (file_format(matches, input.path.as_deref()), &input.path) {
        (Some(format), _) => Ok(format),
        // What `export` writes by default, so `export | import -` works.
        (None, None) => Ok(RecordFormat::Csv),
        (None, Some(_)) => Err(CliError::Invalid(format!(
            "cannot tell the format of {}: name a .csv or .json file, or pass --format csv|json",
            input.shown
        ))),
    }
}

/// A unique value taken, with the flag that would have updated its row instead.
fn with_upsert_hint<M: Listed>(error: ImportRowsError) -> CliError {
    let ImportRowsError::Taken { field, .. } = &error else {
        return error.into();
    };
    let flag = match the_unique_column::<M>() {
        Some(_) => "--upsert".to_owned(),
        None => format!("--upsert-on {field}"),
    };
    CliError::Refused(format!(
        "{error}; nothing was imported (use {flag} to update it)"
    ))
}

/// The column `--upsert-on` names, or with `--upsert` the model's one unique column.
fn upsert_column<M: Listed>(matches: &ArgMatches) -> Option<String> {
    let upsert = matches.try_get_one::<bool>("upsert").ok().flatten() == Some(&true);
    let named = matches.get_one::<String>("upsert-on").cloned();
    named.or_else(|| {
        upsert
            .then(the_unique_column::<M>)
            .flatten()
            .map(str::to_owned)
    })
}

/// The file to import: a regular file, read where it is (and again if the transaction runs
/// again); standard input, a FIFO, `/dev/stdin` or any other stream that can be read only once
/// is first copied to an anonymous temporary file.
struct Input {
    /// The file's path; `None` for standard input.
    path: Option<PathBuf>,
    /// How messages name it.
    shown: String,
    /// The copy of a stream.
    spool: Option<File>,
}

impl Input {
    /// The input `file` names (`-`: standard input); a file that cannot be read is exit 2.
    fn new(file: &str) -> Result<Input, CliError> {
        let (path, shown) = match file {
            "-" => (None, "standard input".to_owned()),
            _ => (Some(PathBuf::from(file)), file.to_owned()),
        };
        if let Some(path) = &path {
            std::fs::metadata(path).map_err(|e| unreadable(&shown, &e))?;
        }
        Ok(Input {
            path,
            shown,
            spool: None,
        })
    }

    /// The input, a stream copied to a temporary file first.
    fn spooled(mut self) -> Result<Input, CliError> {
        let regular = match &self.path {
            Some(path) => std::fs::metadata(path)
                .map_err(|e| unreadable(&self.shown, &e))?
                .is_file(),
            None => false,
        };
        if regular {
            return Ok(self);
        }
        let mut spool = anonymous_file()?;
        let copied = match &self.path {
            Some(path) => File::open(path).and_then(|mut f| io::copy(&mut f, &mut spool)),
            None => io::copy(&mut io::stdin().lock(), &mut spool),
        };
        copied.map_err(|e| unreadable(&self.shown, &e))?;
        self.spool = Some(spool);
        Ok(self)
    }

    /// A reader from the start, with a progress bar of the bytes read (when one would be seen).
    fn reader(
        &self,
        context: &Context,
    ) -> Result<(BufReader<impl io::Read>, ProgressBar), CliError> {
        let file = match (&self.spool, &self.path) {
            (Some(spool), _) => spool.try_clone().and_then(|mut f| {
                f.seek(SeekFrom::Start(0))?;
                Ok(f)
            }),
            (None, Some(path)) => File::open(path),
            (None, None) => Err(io::Error::other("standard input was not copied")),
        }
        .map_err(|e| unreadable(&self.shown, &e))?;
        let progress = match file.metadata() {
            Ok(meta) if context.progress_visible() => styled(ProgressBar::new(meta.len())),
            _ => ProgressBar::hidden(),
        };
        let reader = BufReader::with_capacity(256 * 1024, progress.wrap_read(file));
        Ok((reader, progress))
    }
}

/// Why the input cannot be read (exit 2).
fn unreadable(shown: &str, error: &io::Error) -> CliError {
    CliError::Invalid(format!("cannot read {shown}: {error}"))
}

/// A new file in the temporary directory that no name reaches: removed as soon as it is open
/// (where the system allows it; elsewhere it is left for the system's cleaning).
fn anonymous_file() -> Result<File, CliError> {
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = dir.join(format!(".staffdb-import-{}-{nanos}", std::process::id()));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            CliError::Refused(format!(
                "cannot create a temporary file in {} to hold the input: {e}",
                dir.display()
            ))
        })?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// The bar's look: bytes read of how many.
fn styled(bar: ProgressBar) -> ProgressBar {
    let template = "{bar:30} {bytes}/{total_bytes}  {bytes_per_sec}  {elapsed}";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
