DROP TABLE staffdb_api_tokens;
DROP TABLE staffdb_sessions;
DROP TABLE staffdb_users;
DROP TABLE staffdb_role_permissions;
DROP TABLE staffdb_roles;
DELETE FROM staffdb_schema_versions WHERE version = '20261207160000';
