-- Back to 2026-12-06-000001: the readability checks as the triggers they were, by the same
-- rebuild as up.sql (see there), which removes the CHECK constraints.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

DELETE FROM staffdb_schema_versions WHERE version = '20261207090000';

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
                   'employees_email_nocase_idx', 'employees_version_bump');
CREATE TEMP TABLE staffdb_references_before AS SELECT * FROM pragma_foreign_key_check;

CREATE TABLE new_departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE TABLE new_employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    age INTEGER NOT NULL CHECK (age BETWEEN 0 AND 150),
    position TEXT NOT NULL,
    email TEXT UNIQUE,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    hired_on DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
PRAGMA ignore_check_constraints = ON;
INSERT INTO new_departments (id, name, created_at)
SELECT id, name, created_at FROM departments;
INSERT INTO new_employees (id, name, age, position, email, department_id, hired_on, version,
                           created_at, updated_at)
SELECT id, name, age, position, email, department_id, hired_on, version, created_at, updated_at
FROM employees;
PRAGMA ignore_check_constraints = OFF;

DELETE FROM sqlite_sequence WHERE name IN ('new_departments', 'new_employees');
UPDATE sqlite_sequence SET name = 'new_' || name WHERE name IN ('departments', 'employees');

DROP TABLE employees;
DROP TABLE departments;
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
CREATE TRIGGER employees_readable_on_insert BEFORE INSERT ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(substr(NEW.updated_at, 1, 19), '+0 days') IS NOT substr(NEW.updated_at, 1, 19)
       OR (length(NEW.updated_at) <> 19 AND (length(NEW.updated_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.updated_at, 20, 1) <> '.' OR ltrim(substr(NEW.updated_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER employees_readable_on_update BEFORE UPDATE ON employees
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.age must be an integer')
    WHERE typeof(NEW.age) <> 'integer';
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.hired_on must be a real date, YYYY-MM-DD')
    WHERE NEW.hired_on IS NOT NULL
      AND (typeof(NEW.hired_on) <> 'text' OR date(NEW.hired_on, '+0 days') IS NOT NEW.hired_on);
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
    SELECT RAISE(ABORT, 'CHECK constraint failed: employees.updated_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.updated_at) <> 'text' OR datetime(substr(NEW.updated_at, 1, 19), '+0 days') IS NOT substr(NEW.updated_at, 1, 19)
       OR (length(NEW.updated_at) <> 19 AND (length(NEW.updated_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.updated_at, 20, 1) <> '.' OR ltrim(substr(NEW.updated_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER departments_readable_on_insert BEFORE INSERT ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
END;
CREATE TRIGGER departments_readable_on_update BEFORE UPDATE ON departments
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: departments.created_at must be a date-time text, YYYY-MM-DD HH:MM:SS')
    WHERE typeof(NEW.created_at) <> 'text' OR datetime(substr(NEW.created_at, 1, 19), '+0 days') IS NOT substr(NEW.created_at, 1, 19)
       OR (length(NEW.created_at) <> 19 AND (length(NEW.created_at) NOT BETWEEN 21 AND 29
           OR substr(NEW.created_at, 20, 1) <> '.' OR ltrim(substr(NEW.created_at, 21), '0123456789') <> ''));
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
