//! Measures the `staffdb` command-line tool on SQLite (filled in below).

use std::process::ExitCode;

use anyhow::Result;

use crate::RunArgs;

pub(crate) fn run(_args: &RunArgs) -> Result<ExitCode> {
    anyhow::bail!("not written yet")
}
