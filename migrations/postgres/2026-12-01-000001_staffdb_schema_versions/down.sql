DROP TABLE staffdb_schema_versions;
