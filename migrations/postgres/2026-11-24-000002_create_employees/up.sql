CREATE TABLE employees (
    id SERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    age INTEGER NOT NULL CHECK (age BETWEEN 0 AND 150),
    position TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" UNIQUE,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    hired_on DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
CREATE INDEX employees_position_idx ON employees (position);
CREATE INDEX employees_department_id_idx ON employees (department_id);
