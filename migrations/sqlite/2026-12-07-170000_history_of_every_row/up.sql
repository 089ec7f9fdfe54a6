-- A history of every row of employees and departments (issue 26), kept by the database itself,
-- so that it records every client's writes (staffdb's, the sqlite3 shell's, another ORM's), as
-- the version trigger does: a table per model holding each version of each row — the whole row,
-- what was done (insert, update, delete; `baseline` for the rows already there when this ran),
-- when, and who. SQLite has no database users, so who is known only for writes through
-- staffdb: it writes the user into staffdb_actor at the start of its write transaction and
-- deletes it before COMMIT. A table of the main database, not a TEMP one, because a trigger of
-- the main database may not read TEMP tables; a write transaction holds the file's only write
-- lock, so no other writer can see the row while it is there.

CREATE TABLE staffdb_actor (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    user_name TEXT NOT NULL
);

CREATE TABLE departments_history (
    history_id INTEGER PRIMARY KEY NOT NULL,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    history_user TEXT,
    history_database_user TEXT
);
CREATE INDEX departments_history_id_idx ON departments_history (id, history_id);
INSERT INTO departments_history (id, name, created_at, history_operation)
SELECT id, name, created_at, 'baseline' FROM departments ORDER BY id;

CREATE TRIGGER departments_history_on_insert AFTER INSERT ON departments BEGIN
    INSERT INTO departments_history (id, name, created_at, history_operation, history_user)
    VALUES (NEW.id, NEW.name, NEW.created_at, 'insert',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER departments_history_on_update AFTER UPDATE ON departments BEGIN
    INSERT INTO departments_history (id, name, created_at, history_operation, history_user)
    VALUES (NEW.id, NEW.name, NEW.created_at, 'update',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER departments_history_on_delete AFTER DELETE ON departments BEGIN
    INSERT INTO departments_history (id, name, created_at, history_operation, history_user)
    VALUES (OLD.id, OLD.name, OLD.created_at, 'delete',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER departments_history_kept BEFORE UPDATE ON departments_history BEGIN
    SELECT RAISE(ABORT, 'a history row is never changed (departments_history)');
END;

CREATE TABLE employees_history (
    history_id INTEGER PRIMARY KEY NOT NULL,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    age INTEGER NOT NULL,
    position TEXT NOT NULL,
    email TEXT,
    department_id BIGINT,
    hired_on DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    history_user TEXT,
    history_database_user TEXT
);
CREATE INDEX employees_history_id_idx ON employees_history (id, history_id);
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation)
SELECT id, name, age, position, email, department_id, hired_on, version, created_at, updated_at,
       'baseline'
FROM employees ORDER BY id;

CREATE TRIGGER employees_history_on_insert AFTER INSERT ON employees BEGIN
    INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on,
                                   version, created_at, updated_at, history_operation,
                                   history_user)
    VALUES (NEW.id, NEW.name, NEW.age, NEW.position, NEW.email, NEW.department_id, NEW.hired_on,
            NEW.version, NEW.created_at, NEW.updated_at, 'insert',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
-- An update that leaves the version as it was is followed by employees_version_bump's, which
-- bumps it: the row's history is that second update's, so the first is not recorded.
CREATE TRIGGER employees_history_on_update AFTER UPDATE ON employees
WHEN NEW.version <> OLD.version
BEGIN
    INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on,
                                   version, created_at, updated_at, history_operation,
                                   history_user)
    VALUES (NEW.id, NEW.name, NEW.age, NEW.position, NEW.email, NEW.department_id, NEW.hired_on,
            NEW.version, NEW.created_at, NEW.updated_at, 'update',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER employees_history_on_delete AFTER DELETE ON employees BEGIN
    INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on,
                                   version, created_at, updated_at, history_operation,
                                   history_user)
    VALUES (OLD.id, OLD.name, OLD.age, OLD.position, OLD.email, OLD.department_id, OLD.hired_on,
            OLD.version, OLD.created_at, OLD.updated_at, 'delete',
            (SELECT user_name FROM staffdb_actor WHERE id = 1));
END;
CREATE TRIGGER employees_history_kept BEFORE UPDATE ON employees_history BEGIN
    SELECT RAISE(ABORT, 'a history row is never changed (employees_history)');
END;

INSERT INTO staffdb_schema_versions (version) VALUES ('20261207170000');
