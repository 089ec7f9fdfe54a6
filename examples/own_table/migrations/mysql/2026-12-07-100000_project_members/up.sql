-- Who works on which project: a many-to-many relation between projects and staffdb's employees.
-- Deleting either side deletes the pairs (ON DELETE CASCADE), in the database, for every client.
-- The key leads with the project (its members); the index serves an employee's projects.
CREATE TABLE project_members (
    project_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    PRIMARY KEY (project_id, employee_id),
    INDEX project_members_employee_id_idx (employee_id),
    CONSTRAINT project_members_project_id_fk FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT project_members_employee_id_fk FOREIGN KEY (employee_id)
        REFERENCES employees (id) ON DELETE CASCADE
) ENGINE = InnoDB;
