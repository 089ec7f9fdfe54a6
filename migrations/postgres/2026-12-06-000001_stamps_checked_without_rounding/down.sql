DELETE FROM staffdb_schema_versions WHERE version = '20261206000001';
