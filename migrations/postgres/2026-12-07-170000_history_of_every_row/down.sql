DROP TABLE employees_history;
DROP FUNCTION employees_record_history() CASCADE;
DROP TABLE departments_history;
DROP FUNCTION departments_record_history() CASCADE;
DROP FUNCTION staffdb_history_is_kept();
DROP TABLE staffdb_actor;
DELETE FROM staffdb_schema_versions WHERE version = '20261207170000';
