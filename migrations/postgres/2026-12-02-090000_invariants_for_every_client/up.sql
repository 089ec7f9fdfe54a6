-- Invariants every client keeps, not only staffdb (psql, another ORM):
-- - an email is unique whatever its case: a unique index on lower(email) replaces the column's
--   case-sensitive UNIQUE;
-- - an UPDATE that leaves `version` alone bumps it and sets `updated_at`, so optimistic locking
--   sees every client's writes. staffdb's own updates set `version = version + 1` themselves, so
--   the trigger changes nothing for them.
CREATE UNIQUE INDEX employees_email_lower_idx ON employees (lower(email));
ALTER TABLE employees DROP CONSTRAINT employees_email_key;
CREATE FUNCTION staffdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now() AT TIME ZONE 'utc';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER employees_version_bump BEFORE UPDATE ON employees
FOR EACH ROW EXECUTE FUNCTION staffdb_bump_version();
INSERT INTO staffdb_schema_versions (version) VALUES ('20261202090000');
