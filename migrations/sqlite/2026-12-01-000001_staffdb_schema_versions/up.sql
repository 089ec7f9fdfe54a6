-- staffdb's own migrations, recorded apart from an application's: a database that holds a version
-- here which the binary does not embed was migrated by a newer staffdb, and is refused; any other
-- migration in __diesel_schema_migrations (diesel setup's, an application's) is left alone.
-- Every later staffdb migration inserts its own version here (and its down.sql deletes it).
CREATE TABLE staffdb_schema_versions (
    version VARCHAR(50) PRIMARY KEY NOT NULL
);
INSERT INTO staffdb_schema_versions (version)
VALUES ('20261124000001'), ('20261124000002'), ('20261201000001');
