-- A history of every row of employees and departments (issue 26), kept by the database itself,
-- so that it records every client's writes (staffdb's, psql's, another ORM's), as the version
-- trigger does: a table per model holding each version of each row — the whole row, what was
-- done (insert, update, delete; `baseline` for the rows already there when this ran), when, and
-- who: the staffdb user for writes through staffdb, which sets `staffdb.user` for its
-- transaction (`SET LOCAL`, so that a pooled connection never carries it to another), and the
-- database user always.
--
-- The triggers are per statement, with transition tables: a statement that writes many rows (a
-- COPY, an update of a set) adds their history in one INSERT … SELECT, not one per row.

CREATE TABLE staffdb_actor (
    -- Unused on PostgreSQL (see above); SQLite's triggers read who acts from it, and the table is
    -- on every backend so that the schema is the same on all three.
    id BIGINT PRIMARY KEY CHECK (id = 1),
    user_name TEXT NOT NULL
);

-- Shared by every model's history table: a history row is never changed (pruning deletes).
CREATE FUNCTION staffdb_history_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a history row is never changed (%)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END
$$;

CREATE TABLE departments_history (
    history_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    LIKE departments,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    history_user TEXT,
    history_database_user TEXT DEFAULT current_user
);
CREATE INDEX departments_history_id_idx ON departments_history (id, history_id);
INSERT INTO departments_history (id, name, created_at, history_operation)
SELECT id, name, created_at, 'baseline' FROM departments ORDER BY id;

CREATE FUNCTION departments_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO departments_history (id, name, created_at, history_operation, history_user)
    SELECT id, name, created_at, lower(TG_OP), NULLIF(current_setting('staffdb.user', true), '')
    FROM changed_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER departments_history_on_insert AFTER INSERT ON departments
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION departments_record_history();
CREATE TRIGGER departments_history_on_update AFTER UPDATE ON departments
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION departments_record_history();
CREATE TRIGGER departments_history_on_delete AFTER DELETE ON departments
REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION departments_record_history();
CREATE TRIGGER departments_history_kept BEFORE UPDATE ON departments_history
FOR EACH STATEMENT EXECUTE FUNCTION staffdb_history_is_kept();

CREATE TABLE employees_history (
    history_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    LIKE employees,
    history_operation TEXT NOT NULL
        CHECK (history_operation IN ('baseline', 'insert', 'update', 'delete')),
    history_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    history_user TEXT,
    history_database_user TEXT DEFAULT current_user
);
CREATE INDEX employees_history_id_idx ON employees_history (id, history_id);
INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on, version,
                               created_at, updated_at, history_operation)
SELECT id, name, age, position, email, department_id, hired_on, version, created_at, updated_at,
       'baseline'
FROM employees ORDER BY id;

CREATE FUNCTION employees_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO employees_history (id, name, age, position, email, department_id, hired_on,
                                   version, created_at, updated_at, history_operation,
                                   history_user)
    SELECT id, name, age, position, email, department_id, hired_on, version, created_at,
           updated_at, lower(TG_OP), NULLIF(current_setting('staffdb.user', true), '')
    FROM changed_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER employees_history_on_insert AFTER INSERT ON employees
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION employees_record_history();
CREATE TRIGGER employees_history_on_update AFTER UPDATE ON employees
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION employees_record_history();
CREATE TRIGGER employees_history_on_delete AFTER DELETE ON employees
REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION employees_record_history();
CREATE TRIGGER employees_history_kept BEFORE UPDATE ON employees_history
FOR EACH STATEMENT EXECUTE FUNCTION staffdb_history_is_kept();

INSERT INTO staffdb_schema_versions (version) VALUES ('20261207170000');
