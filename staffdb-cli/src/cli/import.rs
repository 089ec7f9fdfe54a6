//! `staffdb import FILE`: employees from CSV or JSON, through the library's
//! [`Employee::import`] — every record validated first, then all written in one transaction.
//!
//! This file only opens the input, as often as the library asks (it reads twice: to validate,
//! then to write), and hands it to the library's [`CsvRecords`](staffdb::CsvRecords) or
//! [`JsonRecords`](staffdb::JsonRecords). Standard input is first copied to an anonymous
//! temporary file so that it, too, can be read twice.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use staffdb::{Employee, ImportError, ImportOptions, ImportRecords, ImportSource, RecordFormat};

use super::values::FileFormat;
use super::{Context, Failure};

/// Options of `staffdb import`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The format [default: from the file's extension].
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Update the employee with the same email instead of failing on it.
    #[arg(long)]
    upsert: bool,
}

/// Reads the file through the library's import; prints how many records were written.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let stdin = opts.file.as_os_str() == "-";
    let shown = if stdin {
        "standard input".to_owned()
    } else {
        opts.file.display().to_string()
    };
    let format = match opts.format {
        Some(format) => format,
        // What `staffdb export` writes by default, so `staffdb export | staffdb import -` works.
        None if stdin => FileFormat::Csv,
        None => format_of(&opts.file).ok_or_else(|| {
            Failure::Invalid(format!(
                "cannot tell the format of {shown}: name a .csv or .json file, or pass --format csv|json"
            ))
        })?,
    };
    let interrupted = watch_ctrl_c();
    let mut source = Source {
        input: Input::new(&opts.file, stdin, &shown)?,
        format: format.into(),
        progress: ProgressBar::hidden(),
        visible: context.progress_visible(),
    };
    let db = context.open()?;
    let options = ImportOptions {
        upsert: opts.upsert,
        cancel: Some(interrupted),
    };
    let imported = Employee::import(&db, &mut source, options).map_err(failure)?;
    source.progress.finish_and_clear();
    let (added, updated) = (imported.added, imported.updated);
    if opts.upsert {
        let total = added + updated;
        context.note(format!(
            "imported {total} records from {shown}: {added} added, {updated} updated"
        ));
    } else {
        let plural = if added == 1 { "" } else { "s" };
        context.note(format!("imported {added} employee{plural} from {shown}"));
    }
    Ok(())
}

/// The library's reason, as the CLI words it and with the exit code it maps to.
fn failure(error: ImportError<ReadFailure>) -> anyhow::Error {
    match error {
        ImportError::Source(read) => Failure::Invalid(read.0).into(),
        ImportError::Invalid { place, error } | ImportError::DuplicateEmail { place, error } => {
            anyhow::Error::new(error).context(place)
        }
        ImportError::EmailTaken { place, email, id } => Failure::Refused(format!(
            "{place}: email `{email}` already belongs to employee {id}; nothing was imported (use --upsert to update it)"
        ))
        .into(),
        ImportError::Cancelled => {
            Failure::Interrupted("interrupted: nothing was imported".into()).into()
        }
        ImportError::Database(error) => error.into(),
        changed @ ImportError::Changed(_) => Failure::Refused(changed.to_string()).into(),
    }
}

/// Why a record could not be read: the whole message, place included (exit 2).
#[derive(Debug)]
pub struct ReadFailure(String);

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadFailure {}

/// The file, read as records of its format, with a progress bar while writing.
struct Source {
    input: Input,
    format: RecordFormat,
    progress: ProgressBar,
    visible: bool,
}

impl ImportSource for Source {
    type Error = ReadFailure;

    fn records(&mut self, pass: u8) -> Result<ImportRecords<'_, ReadFailure>, ReadFailure> {
        let reader = self.input.open()?;
        if pass == 2 && self.visible {
            self.progress = progress_bar();
        }
        let progress = self.progress.clone();
        let records = self
            .format
            .records(reader, |e| ReadFailure(e.to_string()))?;
        Ok(Box::new(records.inspect(move |_| progress.inc(1))))
    }

    fn describe(&self, place: u64) -> String {
        self.format.describe(place)
    }
}

/// Ctrl-C (or SIGTERM) sets the flag: the import stops at the next record, rolls back and exits
/// 130. If it is waiting for the database instead (a lock another writer holds), the handler
/// exits 130 itself a second later, leaving the uncommitted transaction to the database's own
/// rollback.
fn watch_ctrl_c() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    // Without a handler Ctrl-C still stops the import with nothing committed.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_secs(1));
        let _ = writeln!(
            std::io::stderr(),
            "error: interrupted: nothing was imported"
        );
        std::process::exit(130);
    });
    &INTERRUPTED
}

/// The file to import, or standard input copied to an anonymous temporary file.
enum Input {
    Path(PathBuf, String),
    Spooled(File),
}

impl Input {
    /// A regular file is read where it is; standard input, a FIFO, `/dev/stdin` or any other
    /// stream that can be read only once is first copied to a temporary file.
    fn new(path: &Path, stdin: bool, shown: &str) -> anyhow::Result<Input> {
        let unreadable = |e: std::io::Error| Failure::Invalid(format!("cannot read {shown}: {e}"));
        let regular = !stdin && std::fs::metadata(path).map_err(unreadable)?.is_file();
        if regular {
            return Ok(Input::Path(path.to_owned(), shown.to_owned()));
        }
        let mut file = tempfile::tempfile()
            .with_context(|| format!("cannot create a temporary file to hold {shown}"))?;
        if stdin {
            std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(unreadable)?;
        } else {
            std::io::copy(&mut File::open(path).map_err(unreadable)?, &mut file)
                .map_err(unreadable)?;
        }
        Ok(Input::Spooled(file))
    }

    /// A reader from the start (the library's readers skip a byte-order mark).
    fn open(&self) -> Result<BufReader<File>, ReadFailure> {
        let file = match self {
            Input::Path(path, shown) => {
                File::open(path).map_err(|e| ReadFailure(format!("cannot read {shown}: {e}")))?
            }
            Input::Spooled(file) => file
                .try_clone()
                .and_then(|mut file| file.seek(SeekFrom::Start(0)).map(|_| file))
                .map_err(|e| ReadFailure(format!("cannot read standard input: {e}")))?,
        };
        Ok(BufReader::with_capacity(256 * 1024, file))
    }
}

fn format_of(path: &Path) -> Option<FileFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(FileFormat::Csv),
        "json" => Some(FileFormat::Json),
        _ => None,
    }
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} rows  {per_sec}  {elapsed}") {
        bar.set_style(style);
    }
    bar
}
