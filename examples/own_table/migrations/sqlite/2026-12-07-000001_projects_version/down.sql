ALTER TABLE projects DROP COLUMN version;
