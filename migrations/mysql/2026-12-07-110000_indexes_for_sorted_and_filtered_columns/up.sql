-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- Every column a list sorts or filters by leads an index (the admin offers no other; a test
-- reads the catalog), and a sortable column's index ends with the id: a keyset page, ORDER BY
-- (name, id) after the cursor's (name, id), then reads one page of the index in order instead of
-- sorting the whole table. departments.name is UNIQUE, whose index serves; employees.position
-- has its index since 2026-11-24-000002, and department_id its foreign key's.
-- One ALTER adds the three (all or none), and only when they are not there: MySQL has no
-- CREATE INDEX IF NOT EXISTS, hence the statement built from information_schema.
SET @staffdb_list_indexes = (
    SELECT IF(COUNT(*) = 0,
              'ALTER TABLE employees ADD INDEX employees_name_id_idx (name, id),
                   ADD INDEX employees_age_id_idx (age, id),
                   ADD INDEX employees_hired_on_id_idx (hired_on, id)',
              'DO 0')
    FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'employees'
      AND INDEX_NAME IN ('employees_name_id_idx', 'employees_age_id_idx', 'employees_hired_on_id_idx'));
PREPARE staffdb_list_indexes FROM @staffdb_list_indexes;
EXECUTE staffdb_list_indexes;
DEALLOCATE PREPARE staffdb_list_indexes;
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261207110000');
