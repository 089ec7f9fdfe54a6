//! `staffdb export`: every employee as CSV or JSON, streamed; `--output` is written atomically.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use staffdb::{Employee, ExportError, RecordFormat, Session};

use super::values::FileFormat;
use super::{Context, Failure};

/// Options of `staffdb export`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The format [default: from the --output extension, else csv].
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Write to this file (through a temporary file renamed into place) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Writes every employee, by id, in a format `import` reads back.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    let format = match opts.format {
        Some(format) => format,
        None => match opts.output.as_deref().and_then(Path::extension) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => FileFormat::Json,
            _ => FileFormat::Csv,
        },
    };
    let format = RecordFormat::from(format);
    let db = context.open_existing()?;
    let mut session = db.read_session()?;
    let Some(path) = opts.output else {
        return write_all(&mut session, format, super::stdout());
    };
    staffdb::cli::refuse_the_database_itself(&db, &path)
        .map_err(|refused| Failure::Invalid(refused.to_string()))?;
    to_file(&mut session, format, &path)?;
    context.note(format!("exported to {}", path.display()));
    Ok(())
}

/// Temporary files are named `.staffdb-export-PID-…`, so a later run can tell whose they are.
const TEMP_PREFIX: &str = ".staffdb-export-";

/// Writes the export to a temporary file beside `path`, then renames it into place: no partial
/// export is ever left under `path`'s name. The temporary file is removed on any error, on
/// Ctrl-C and SIGTERM (by a signal handler), and after a kill -9 by the next export into the
/// same directory (which sweeps files whose process is gone).
fn to_file(session: &mut Session, format: RecordFormat, path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    stop_on_signal();
    sweep_abandoned(dir);
    let shown = path.display();
    let file = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file beside {shown}"))?;
    *stage() = Stage::Writing(file.path().to_owned());
    // A failure to read is the database's to explain; only a failure to write is the file's.
    write_all(session, format, BufWriter::new(file.as_file())).map_err(|error| {
        if error.chain().any(|cause| cause.is::<staffdb::Error>()) {
            error
        } else {
            error.context(format!("cannot write {shown}"))
        }
    })?;
    file.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {shown}"))?;
    // Under the lock: a signal now either stops the export before the rename or finds it done.
    let mut stage = stage();
    file.persist(path)
        .with_context(|| format!("cannot write {shown}"))?;
    *stage = Stage::Done;
    Ok(())
}

/// Removes `.staffdb-export-PID-…` files in `dir` whose process no longer runs (a kill -9 left
/// them). Only where `/proc` says which processes run; best effort, silently.
fn sweep_abandoned(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// How far `--output` has got, for the signal handler.
enum Stage {
    /// No temporary file yet: a signal stops the export, nothing to remove.
    Starting,
    /// Writing this temporary file: a signal removes it and stops the export.
    Writing(PathBuf),
    /// The export is in place under its name: a signal is too late to undo it and is ignored
    /// (the process exits 0 a moment later).
    Done,
}

fn stage() -> std::sync::MutexGuard<'static, Stage> {
    static STAGE: std::sync::Mutex<Stage> = std::sync::Mutex::new(Stage::Starting);
    STAGE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On Ctrl-C, SIGTERM or SIGHUP before the export is in place, removes the temporary file and
/// exits 130: the export did not happen. Exit 130 never follows a completed rename.
fn stop_on_signal() {
    // Without a handler the signal still ends the export; the sweep then removes the file.
    let _ = ctrlc::set_handler(|| {
        // Held to the exit: the rename cannot happen after the decision to stop.
        let stage = stage();
        match &*stage {
            Stage::Done => {}
            Stage::Writing(temp) => {
                let _ = std::fs::remove_file(temp);
                std::process::exit(130);
            }
            Stage::Starting => std::process::exit(130),
        }
    });
}

/// Writes every employee in `format` (CSV or JSON) to `out`: a failure to read is the
/// database's to explain, a failure to write is `out`'s.
fn write_all(session: &mut Session, format: RecordFormat, out: impl Write) -> anyhow::Result<()> {
    Employee::export(session, format, out).map_err(|error| match error {
        ExportError::Database(error) => anyhow::Error::new(error),
        ExportError::Write(error) => anyhow::Error::new(error),
    })
}
