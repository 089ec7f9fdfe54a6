DROP TRIGGER employees_version_bump;
DROP INDEX employees_email_nocase_idx;
DELETE FROM staffdb_schema_versions WHERE version = '20261202090000';
