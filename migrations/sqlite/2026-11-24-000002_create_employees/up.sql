-- AUTOINCREMENT: an id, once deleted, is never handed out again.
-- NOT NULL on the key, or print-schema types it Nullable<Integer>.
CREATE TABLE employees (
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
CREATE INDEX employees_position_idx ON employees (position);
CREATE INDEX employees_department_id_idx ON employees (department_id);
