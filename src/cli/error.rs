//! Why a command failed, and the exit code that says so: the `staffdb` binary's codes, decided
//! by the library's typed errors.

use std::io;

use crate::{Error, ExportError, ImportRowsError};

/// Why a command of an [`App`](super::App) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Invalid input (exit 2): a bad flag or value, an unreadable import file.
    #[error("{0}")]
    Invalid(String),
    /// A well-formed request that was refused (exit 1).
    #[error("{0}")]
    Refused(String),
    /// What the library refused or failed with (exit 2 for a refused value, 3 when a COMMIT's
    /// outcome is unknown, else 1).
    #[error(transparent)]
    Library(#[from] Error),
    /// An import that stopped, having written nothing.
    #[error(transparent)]
    Import(#[from] ImportRowsError),
    /// An export that could not read or write.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Standard output, or a file, could not be written (exit 1).
    #[error("cannot write the output")]
    Output(#[from] io::Error),
}

impl CliError {
    /// The exit code: 2 invalid input, 1 refused or failed, 3 outcome unknown.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid(_) => 2,
            CliError::Refused(_) | CliError::Output(_) => 1,
            CliError::Library(error) => library_code(error),
            CliError::Import(ImportRowsError::Database(error)) => library_code(error),
            // A well-formed record whose unique value a stored row has, as the database would
            // refuse it (with `--upsert-on` it would update that row).
            CliError::Import(ImportRowsError::Taken { .. }) => 1,
            // Unreadable, malformed, an unknown column, a refused value: the file's fault.
            CliError::Import(_) => 2,
            CliError::Export(ExportError::Database(error)) => library_code(error),
            CliError::Export(ExportError::Write(_)) => 1,
        }
    }

    /// The message and its causes on one line, each cause once (a driver's message may span
    /// lines; libpq's end in a newline).
    pub fn one_line(&self) -> String {
        let mut message = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            if !message.ends_with(&text) {
                message = format!("{message}: {text}");
            }
            cause = error.source();
        }
        let lines: Vec<&str> = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines.join(" ")
    }

    /// True when the error is a write to a stdout whose reader has gone (`… list | head`); a
    /// write whose printed row could not be delivered was rolled back, and is no such case.
    pub fn is_closed_stdout(&self) -> bool {
        let broken = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
        match self {
            CliError::Output(error) | CliError::Export(ExportError::Write(error)) => broken(error),
            _ => false,
        }
    }
}

/// The exit code of a library error.
fn library_code(error: &Error) -> u8 {
    match error {
        // Includes an unknown URL scheme (field "database URL").
        Error::Validation { .. } => 2,
        Error::OutcomeUnknown(_) => 3,
        _ => 1,
    }
}
