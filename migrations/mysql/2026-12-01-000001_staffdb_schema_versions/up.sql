-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- staffdb's own migrations, recorded apart from an application's: a database that holds a version
-- here which the binary does not embed was migrated by a newer staffdb, and is refused; any other
-- migration in __diesel_schema_migrations (diesel setup's, an application's) is left alone.
-- Every later staffdb migration inserts its own version here (and its down.sql deletes it).
CREATE TABLE IF NOT EXISTS staffdb_schema_versions (
    version VARCHAR(50) PRIMARY KEY NOT NULL
);
INSERT IGNORE INTO staffdb_schema_versions (version)
VALUES ('20261124000001'), ('20261124000002'), ('20261201000001');
