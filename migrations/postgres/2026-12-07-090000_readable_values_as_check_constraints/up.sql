-- Nothing to change here: this version moves SQLite's readability checks from triggers to CHECK
-- constraints (migrations/sqlite); this server's column types refuse such values themselves. It
-- is recorded so that every backend's schema has the same versions.
INSERT INTO staffdb_schema_versions (version) VALUES ('20261207090000');
