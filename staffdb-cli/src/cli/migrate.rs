//! `staffdb migrate`: applied and pending migrations; apply, revert or redo the last one.
//!
//! Unlike every other command, it opens the database without migrating first, so that
//! `--status` shows what is pending; `--status` changes nothing, and refuses a database that
//! holds no staffdb schema as the other reads do.

use std::io::Write;

use clap::Args;
use staffdb::{MigrationOwner, MigrationState, MigrationStatus};

use super::Context;

/// Options of `staffdb migrate`. Without a flag, applies every pending migration.
#[derive(Debug, Args)]
pub struct Opts {
    /// List every migration with its state (applied, pending, unknown); change nothing.
    #[arg(long, conflicts_with_all = ["revert", "redo"])]
    status: bool,
    /// Revert the most recent migration (destroys data: needs --yes).
    #[arg(long, requires = "yes", conflicts_with = "redo")]
    revert: bool,
    /// Revert the most recent migration and apply it again (destroys data: needs --yes).
    #[arg(long, requires = "yes")]
    redo: bool,
    /// Confirm a destructive --revert or --redo.
    #[arg(long)]
    yes: bool,
}

/// Runs the chosen migration action.
pub fn run(context: &Context, opts: Opts) -> anyhow::Result<()> {
    // Looking at a database never creates one; applying migrations does.
    let db = context
        .options()
        .migrate(false)
        .create(!opts.status)
        .open(&context.url)?;
    let mut out = super::stdout();
    if opts.status {
        let statuses = db.migration_status()?;
        // Like every read, a database without staffdb's schema is an error, not a list of
        // everything pending: pointed at the wrong database, `--status` says so.
        if !statuses
            .iter()
            .any(|m| m.owner == MigrationOwner::Staffdb && m.state == MigrationState::Applied)
        {
            return Err(staffdb::Error::NoSchema {
                database: db.url().to_string(),
            }
            .into());
        }
        for migration in statuses {
            writeln!(out, "{}", status_line(&migration))?;
        }
    } else if opts.revert || opts.redo {
        let version = db.revert_last_migration()?;
        writeln!(out, "reverted {version}")?;
        if opts.redo {
            for version in db.run_pending_migrations()? {
                writeln!(out, "applied {version}")?;
            }
        }
    } else {
        let applied = db.run_pending_migrations()?;
        if applied.is_empty() {
            context.note("nothing to apply: the database is up to date");
        }
        for version in applied {
            writeln!(out, "applied {version}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `applied  2026-11-24-000001_create_departments`, with a note for what staffdb did not run.
fn status_line(migration: &MigrationStatus) -> String {
    let state = match migration.state {
        MigrationState::Applied | MigrationState::Foreign => "applied",
        MigrationState::Pending => "pending",
    };
    let name = migration.name.as_deref().unwrap_or(&migration.version);
    match (migration.owner, &migration.name) {
        (MigrationOwner::Unknown, Some(_)) => format!("{state:<8} {name} (diesel's own)"),
        (MigrationOwner::Unknown, None) => {
            format!("{state:<8} {name} (applied by another tool; pass --migrations-dir to name it)")
        }
        (MigrationOwner::Application, _) => format!("{state:<8} {name} (application)"),
        (MigrationOwner::Staffdb, _) => format!("{state:<8} {name}"),
    }
}
