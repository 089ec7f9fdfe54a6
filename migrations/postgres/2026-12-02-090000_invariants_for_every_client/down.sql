DROP TRIGGER employees_version_bump ON employees;
DROP FUNCTION staffdb_bump_version();
ALTER TABLE employees ADD CONSTRAINT employees_email_key UNIQUE (email);
DROP INDEX employees_email_lower_idx;
DELETE FROM staffdb_schema_versions WHERE version = '20261202090000';
