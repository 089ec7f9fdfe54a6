//! Ctrl-C, SIGTERM and SIGHUP during `import` or `export --output`: the command stops with
//! nothing written and exits 130 (`error: interrupted: nothing was imported`), or, once its
//! commit or rename is done, the signal is too late and ignored (the command exits 0 a moment
//! later). A person giving up and a service manager stopping a job get the same answer.
//!
//! The handler is installed by the first import or export to a file in the process; an
//! application that installed one of its own first keeps its own. Once the command is over
//! ([`App::run_from`](super::App::run_from) returns), a signal ends the process with 130 as it
//! would have without the handler.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What a signal would stop, and what it must undo.
#[derive(Debug)]
pub(super) enum Work {
    /// A command that can still be stopped: nothing of it is committed or in place.
    Running {
        /// What the message says was not done (`imported`, `exported`).
        nothing_was: &'static str,
        /// A temporary file to remove (an export's, before its rename).
        temporary: Option<PathBuf>,
    },
    /// Committed or renamed into place: a signal is too late to undo it and is ignored.
    Done,
    /// No command of ours: a signal ends the process (exit 130).
    Idle,
}

static WORK: Mutex<Work> = Mutex::new(Work::Idle);

/// What is running, locked: a signal waits while it is held. Hold it across the commit or the
/// rename, so that a signal either stops the command before it or finds it done.
pub(super) fn work() -> MutexGuard<'static, Work> {
    WORK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks the command over: a signal ends the process as it would without the handler.
pub(super) fn over() {
    *work() = Work::Idle;
}

/// Marks `nothing_was` (`imported`, `exported`) as running, and installs the handler.
pub(super) fn watch(nothing_was: &'static str) {
    *work() = Work::Running {
        nothing_was,
        temporary: None,
    };
    // Fails only when a handler is installed already: this process's own, or the application's.
    let _ = ctrlc::set_handler(stop);
}

/// The handler: undo what is running and exit 130, holding the lock so nothing commits after.
fn stop() {
    let work = work();
    match &*work {
        Work::Done => {}
        Work::Idle => std::process::exit(130),
        Work::Running {
            nothing_was,
            temporary,
        } => {
            if let Some(temporary) = temporary {
                let _ = std::fs::remove_file(temporary);
            }
            // An uncommitted transaction is rolled back by the database when the connection
            // closes (SQLite's, by the next opener, from its journal).
            let _ = writeln!(
                std::io::stderr(),
                "error: interrupted: nothing was {nothing_was}"
            );
            std::process::exit(130);
        }
    }
}
