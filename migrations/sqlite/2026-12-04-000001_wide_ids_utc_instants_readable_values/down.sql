DROP TRIGGER departments_readable_on_update;
DROP TRIGGER departments_readable_on_insert;
DROP TRIGGER employees_readable_on_update;
DROP TRIGGER employees_readable_on_insert;
DELETE FROM staffdb_schema_versions WHERE version = '20261204000001';
