-- The example application's own table, beside staffdb's: it refers to staffdb's employees.
-- AUTOINCREMENT: an id, once deleted, is never handed out again.
-- NOT NULL on the key, or print-schema types it Nullable<Integer>.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    lead_id BIGINT REFERENCES employees (id) ON DELETE SET NULL,
    budget INTEGER NOT NULL DEFAULT 0 CHECK (budget >= 0),
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX projects_lead_id_idx ON projects (lead_id);
