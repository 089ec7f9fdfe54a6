-- Who works on which project: a many-to-many relation between projects and staffdb's employees.
-- Deleting either side deletes the pairs (ON DELETE CASCADE), in the database, for every client.
-- The key leads with the project (its members); the index serves an employee's projects.
CREATE TABLE project_members (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, employee_id)
);
CREATE INDEX project_members_employee_id_idx ON project_members (employee_id);
