-- The readability checks of 2026-12-06-000001 as CHECK constraints, not triggers: the same
-- values refused, with the same messages (a named CHECK fails as `CHECK constraint failed:
-- <name>`, which the triggers' RAISE imitated), at a fraction of the cost — the two BEFORE
-- triggers ran a program per row and doubled the cost of an insert.
--
-- Adding a CHECK means rebuilding the table, by SQLite's own procedure ("Making Other Kinds Of
-- Table Schema Changes", https://www.sqlite.org/lang_altertable.html): foreign keys off, so that
-- the DROP TABLE of the old table neither fires the ON DELETE actions of the tables that refer
-- to it (an application's own, say) nor sets employees.department_id to NULL when departments
-- goes. `PRAGMA foreign_keys` has no effect inside a transaction, so this migration runs outside
-- Diesel's (metadata.toml: run_in_transaction = false) and is one transaction of its own, BEGIN
-- to COMMIT: a crash at any point leaves the database as it was before, or migrated.
--
-- Kept as they were: every row, its id (and AUTOINCREMENT's high-water mark, so that a deleted
-- id is still never handed out again), the columns in their order with their types and defaults,
-- the indexes, the version trigger, and whatever refers to these tables — other tables' rows,
-- their foreign keys, views and triggers. A row another client stored before the checks existed
-- is copied unchecked, as the triggers left it (PRAGMA integrity_check now names its table).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- First: a second run of this migration (another process that started it at the same time)
-- fails here, on the primary key, before it has changed anything.
INSERT INTO staffdb_schema_versions (version) VALUES ('20261207090000');

-- The DROP TABLEs below take every index and trigger on these tables with them. The ones staffdb
-- made are made again; one of an application's own would be lost, so it stops the migration.
-- This and the reference check at the end fail as CHECK constraints, named by what went wrong.
CREATE TEMP TABLE staffdb_rebuild_checks (
    foreign_objects INTEGER
        CONSTRAINT "employees or departments has an index or trigger that staffdb did not make: drop it, migrate, then create it again"
        CHECK (foreign_objects = 0),
    broken_references INTEGER
        CONSTRAINT "the rebuild of employees and departments would break a foreign key"
        CHECK (broken_references = 0)
);
INSERT INTO temp.staffdb_rebuild_checks (foreign_objects)
SELECT count(*) FROM sqlite_master
WHERE tbl_name IN ('employees', 'departments') AND type IN ('index', 'trigger')
  AND substr(name, 1, 17) <> 'sqlite_autoindex_'
  AND name NOT IN ('employees_position_idx', 'employees_department_id_idx',
                   'employees_email_nocase_idx', 'employees_version_bump',
                   'employees_readable_on_insert', 'employees_readable_on_update',
                   'departments_readable_on_insert', 'departments_readable_on_update');

-- References that are already broken (a client with foreign keys off deleted a department) are
-- left as they are; the rebuild must add none.
CREATE TEMP TABLE staffdb_references_before AS SELECT * FROM pragma_foreign_key_check;

CREATE TABLE new_departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        CONSTRAINT "departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS"
        CHECK (typeof(created_at) = 'text'
               AND datetime(substr(created_at, 1, 19), '+0 days') IS substr(created_at, 1, 19)
               AND (length(created_at) = 19
                    OR (length(created_at) BETWEEN 21 AND 29 AND substr(created_at, 20, 1) = '.'
                        AND ltrim(substr(created_at, 21), '0123456789') = '')))
);
-- The checks, one per column, as the triggers had them: an integer age; a hired_on that is a
-- real date as text, or NULL; timestamps that are text `YYYY-MM-DD HH:MM:SS`, a real date and
-- time checked without the fraction (through '+0 days', without which SQLite gives back a
-- 30 February as it was written), then `.` and 1 to 9 digits if there is a fraction. SQLite
-- tries a table's CHECKs in the order written, so a value that fails two (an age of 200.5) is
-- refused as the triggers, which ran first, refused it: as not an integer. The age's range keeps
-- its message by a name that is its text: SQLite would give it the name before it otherwise.
--
-- One check is saved where it can be: an updated_at that is the created_at of its row (as on
-- every insert that lets both default to now, and every one of staffdb's) is that checked value.
-- SQLite checks a CHECK on UPDATE only when the UPDATE sets a column it names, so created_at's
-- names updated_at too (`OR updated_at IS NULL`, never true of a NOT NULL column): whenever
-- updated_at is written, created_at is checked again, and a row kept unchecked from before
-- cannot have its unreadable created_at copied into updated_at.
CREATE TABLE new_employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    age INTEGER NOT NULL
        CONSTRAINT "employees.age must be an integer" CHECK (typeof(age) = 'integer')
        CONSTRAINT "age BETWEEN 0 AND 150" CHECK (age BETWEEN 0 AND 150),
    position TEXT NOT NULL,
    email TEXT UNIQUE,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    hired_on DATE
        CONSTRAINT "employees.hired_on must be a real date, YYYY-MM-DD"
        CHECK (hired_on IS NULL
               OR (typeof(hired_on) = 'text' AND date(hired_on, '+0 days') IS hired_on)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        CONSTRAINT "employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS"
        CHECK ((typeof(created_at) = 'text'
                AND datetime(substr(created_at, 1, 19), '+0 days') IS substr(created_at, 1, 19)
                AND (length(created_at) = 19
                     OR (length(created_at) BETWEEN 21 AND 29 AND substr(created_at, 20, 1) = '.'
                         AND ltrim(substr(created_at, 21), '0123456789') = '')))
               OR updated_at IS NULL),
    updated_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        CONSTRAINT "employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS"
        CHECK (updated_at IS created_at
               OR (typeof(updated_at) = 'text'
                   AND datetime(substr(updated_at, 1, 19), '+0 days') IS substr(updated_at, 1, 19)
                   AND (length(updated_at) = 19
                        OR (length(updated_at) BETWEEN 21 AND 29 AND substr(updated_at, 20, 1) = '.'
                            AND ltrim(substr(updated_at, 21), '0123456789') = ''))))
);

PRAGMA ignore_check_constraints = ON;
INSERT INTO new_departments (id, name, created_at)
SELECT id, name, created_at FROM departments;
INSERT INTO new_employees (id, name, age, position, email, department_id, hired_on, version,
                           created_at, updated_at)
SELECT id, name, age, position, email, department_id, hired_on, version, created_at, updated_at
FROM employees;
PRAGMA ignore_check_constraints = OFF;

-- AUTOINCREMENT's high-water marks go with the tables: the copies' rows (at their largest id)
-- give way to the old ones, which the RENAMEs below carry over.
DELETE FROM sqlite_sequence WHERE name IN ('new_departments', 'new_employees');
UPDATE sqlite_sequence SET name = 'new_' || name WHERE name IN ('departments', 'employees');

DROP TABLE employees;
DROP TABLE departments;
-- Legacy renaming: the new tables take the old names without SQLite first checking the views
-- and triggers that refer to these tables (an application's), which it would find referring to
-- a table that, between the DROP and the RENAME, does not exist. References to the old names
-- mean the new tables from now on.
PRAGMA legacy_alter_table = ON;
ALTER TABLE new_departments RENAME TO departments;
ALTER TABLE new_employees RENAME TO employees;
PRAGMA legacy_alter_table = OFF;

CREATE INDEX employees_position_idx ON employees (position);
CREATE INDEX employees_department_id_idx ON employees (department_id);
CREATE UNIQUE INDEX employees_email_nocase_idx ON employees (email COLLATE NOCASE);
CREATE TRIGGER employees_version_bump AFTER UPDATE ON employees
WHEN NEW.version = OLD.version
BEGIN
    UPDATE employees
    SET version = OLD.version + 1, updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE id = NEW.id;
END;

INSERT INTO temp.staffdb_rebuild_checks (broken_references)
SELECT count(*) FROM (
    SELECT * FROM pragma_foreign_key_check
    EXCEPT SELECT * FROM temp.staffdb_references_before
);
DROP TABLE temp.staffdb_references_before;
DROP TABLE temp.staffdb_rebuild_checks;

COMMIT;
PRAGMA foreign_keys = ON;
