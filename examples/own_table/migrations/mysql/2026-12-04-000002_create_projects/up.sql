-- The example application's own table, beside staffdb's: it refers to staffdb's employees.
-- utf8mb4_bin: names compare and sort by code point, as on SQLite and PostgreSQL's "C".
-- The UNIQUE is declared on the column so that its key is named `name`, which is how a
-- duplicate is reported (`Duplicate entry 'Apollo' for key 'name'`).
CREATE TABLE projects (
    id BIGINT PRIMARY KEY AUTO_INCREMENT NOT NULL,
    name VARCHAR(200) NOT NULL UNIQUE,
    lead_id BIGINT,
    budget INTEGER NOT NULL DEFAULT 0 CHECK (budget >= 0),
    created_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    CONSTRAINT projects_lead_id_fk FOREIGN KEY (lead_id)
        REFERENCES employees (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
