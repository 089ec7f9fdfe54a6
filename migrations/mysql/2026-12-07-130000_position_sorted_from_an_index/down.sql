ALTER TABLE employees
    ADD INDEX employees_position_idx (position),
    DROP INDEX employees_position_id_idx;
DELETE FROM staffdb_schema_versions WHERE version = '20261207130000';
