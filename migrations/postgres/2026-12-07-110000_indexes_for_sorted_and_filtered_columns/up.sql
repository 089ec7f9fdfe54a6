-- Every column a list sorts or filters by leads an index (the admin offers no other; a test
-- reads the catalog), and a sortable column's index ends with the id: a keyset page, ORDER BY
-- (name, id) after the cursor's (name, id), then reads one page of the index in order instead of
-- sorting the whole table. departments.name is UNIQUE, whose index serves; employees.position
-- and department_id have theirs since 2026-11-24-000002.
CREATE INDEX employees_name_id_idx ON employees (name, id);
CREATE INDEX employees_age_id_idx ON employees (age, id);
CREATE INDEX employees_hired_on_id_idx ON employees (hired_on, id);
INSERT INTO staffdb_schema_versions (version) VALUES ('20261207110000');
