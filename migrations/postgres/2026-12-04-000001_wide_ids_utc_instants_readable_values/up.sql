-- 64-bit ids, as Django's BigAutoField: the keys, their sequences and the column that refers to
-- departments. (A table of an application's that refers to employees (id) keeps working; widen
-- its column too, to hold ids past 2,147,483,647.)
ALTER SEQUENCE departments_id_seq AS BIGINT;
ALTER TABLE departments ALTER COLUMN id TYPE BIGINT;
ALTER SEQUENCE employees_id_seq AS BIGINT;
ALTER TABLE employees ALTER COLUMN id TYPE BIGINT, ALTER COLUMN department_id TYPE BIGINT;

-- Timestamps as instants: TIMESTAMPTZ, so that no client's session time zone can shift what
-- it writes (`now()` from a session in Asia/Tokyo is the same instant). The values held so far
-- were UTC wall-clock times. staffdb's own sessions run in UTC, so the timestamps it binds
-- (without zone) mean UTC too.
ALTER TABLE departments
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'utc',
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE employees
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'utc',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'utc',
    ALTER COLUMN updated_at SET DEFAULT now();
CREATE OR REPLACE FUNCTION staffdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
INSERT INTO staffdb_schema_versions (version) VALUES ('20261204000001');
