CREATE OR REPLACE FUNCTION staffdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now() AT TIME ZONE 'utc';
    END IF;
    RETURN NEW;
END
$$;
ALTER TABLE employees
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'utc',
    ALTER COLUMN created_at SET DEFAULT (now() AT TIME ZONE 'utc'),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'utc',
    ALTER COLUMN updated_at SET DEFAULT (now() AT TIME ZONE 'utc');
ALTER TABLE departments
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'utc',
    ALTER COLUMN created_at SET DEFAULT (now() AT TIME ZONE 'utc');
ALTER TABLE employees ALTER COLUMN id TYPE INTEGER, ALTER COLUMN department_id TYPE INTEGER;
ALTER SEQUENCE employees_id_seq AS INTEGER;
ALTER TABLE departments ALTER COLUMN id TYPE INTEGER;
ALTER SEQUENCE departments_id_seq AS INTEGER;
DELETE FROM staffdb_schema_versions WHERE version = '20261204000001';
