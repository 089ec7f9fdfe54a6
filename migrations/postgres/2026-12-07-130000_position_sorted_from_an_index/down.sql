CREATE INDEX employees_position_idx ON employees (position);
DROP INDEX employees_position_id_idx;
DELETE FROM staffdb_schema_versions WHERE version = '20261207130000';
