DROP INDEX employees_hired_on_id_idx;
DROP INDEX employees_age_id_idx;
DROP INDEX employees_name_id_idx;
DELETE FROM staffdb_schema_versions WHERE version = '20261207110000';
