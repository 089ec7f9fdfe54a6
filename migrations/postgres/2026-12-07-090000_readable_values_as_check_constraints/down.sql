DELETE FROM staffdb_schema_versions WHERE version = '20261207090000';
