-- The example application's own table, beside staffdb's: it refers to staffdb's employees.
-- COLLATE "C": names compare and sort by code point, as on SQLite and MySQL's utf8mb4_bin.
CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    lead_id BIGINT REFERENCES employees (id) ON DELETE SET NULL,
    budget INTEGER NOT NULL DEFAULT 0 CHECK (budget >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX projects_lead_id_idx ON projects (lead_id);
