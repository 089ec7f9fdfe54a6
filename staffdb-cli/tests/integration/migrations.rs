//! Migrations that run outside a transaction (`run_in_transaction = false`): an application's
//! own such migration, on every backend.

use std::path::Path;

use staffdb::{AppMigrations, Database, MigrationState, OpenOptions};

use crate::common::{TestDb, employee, on_every_backend};

on_every_backend!(an_application_migration_outside_a_transaction_runs_as_diesel_runs_it);

/// An application's migration whose metadata says `run_in_transaction = false` runs as `diesel
/// migration run` runs it, outside any transaction — not inside staffdb's migration lock, which
/// is a transaction on SQLite and PostgreSQL: a SQLite migration with a `BEGIN` of its own, and
/// PostgreSQL's `CREATE INDEX CONCURRENTLY`, which refuse to run in one. It is recorded, listed
/// as applied, reverts and applies again.
fn an_application_migration_outside_a_transaction_runs_as_diesel_runs_it(t: &TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let migration = dir.path().join("2026-12-10-000001_outside_a_transaction");
    std::fs::create_dir_all(&migration).expect("migration dir");
    let (up, down) = match t.backend {
        staffdb::Backend::Sqlite => (
            "PRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\nCOMMIT;\nPRAGMA foreign_keys = ON;",
            "BEGIN;\nDROP TABLE notes;\nCOMMIT;",
        ),
        staffdb::Backend::Postgres => (
            "CREATE INDEX CONCURRENTLY employees_name_idx ON employees (name)",
            "DROP INDEX CONCURRENTLY employees_name_idx",
        ),
        staffdb::Backend::Mysql => (
            "CREATE INDEX employees_name_idx ON employees (name)",
            "DROP INDEX employees_name_idx ON employees",
        ),
    };
    write(&migration.join("up.sql"), up);
    write(&migration.join("down.sql"), down);
    write(
        &migration.join("metadata.toml"),
        "run_in_transaction = false\n",
    );
    let options = OpenOptions::new().app_migrations(AppMigrations::directory(dir.path()));
    let db = t.open_with(options);
    let state = |db: &Database| {
        db.migration_status()
            .expect("status")
            .into_iter()
            .find(|m| m.version == "20261210000001")
            .map(|m| m.state)
    };
    assert_eq!(state(&db), Some(MigrationState::Applied));
    assert_eq!(
        db.revert_last_migration().expect("revert"),
        "20261210000001"
    );
    assert_eq!(state(&db), Some(MigrationState::Pending));
    assert_eq!(
        db.run_pending_migrations().expect("apply"),
        ["20261210000001"]
    );
    db.transaction(|s| s.add(&employee("Alice").build()))
        .expect("usable");
    let reverted = db.revert_all_migrations().expect("revert all");
    assert_eq!(reverted.len(), crate::common::staffdb_migrations() + 1);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
