-- Nothing to change here: this version fixes SQLite's timestamp checks (migrations/sqlite),
-- whose TIMESTAMP columns this server checks itself. It is recorded so that every backend's
-- schema has the same versions.
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261206000001');
