DROP TRIGGER employees_version_bump;
ALTER TABLE employees MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
DELETE FROM staffdb_schema_versions WHERE version = '20261202090000';
