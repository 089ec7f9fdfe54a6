-- Every statement here may run twice: DDL on MySQL commits as it goes, so a migrate killed
-- midway leaves part of this done and unrecorded, and the next migrate runs it all again.
-- Position is sortable too (the employees' list and their API sort by it): its index goes on
-- with the id, for keyset pages, as the other sortable columns' do since 2026-12-07-110000. It
-- replaces the index of (position) alone, which the new one serves as well (an equality filter
-- on position reads its leading column): inserts keep the number of indexes they update.
-- One ALTER does both (all or none), and only when the new index is not there yet: MySQL has
-- no CREATE INDEX IF NOT EXISTS, hence the statement built from information_schema.
SET @staffdb_position_index = (
    SELECT IF(COUNT(*) = 0,
              'ALTER TABLE employees ADD INDEX employees_position_id_idx (position, id),
                   DROP INDEX employees_position_idx',
              'DO 0')
    FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'employees'
      AND INDEX_NAME = 'employees_position_id_idx');
PREPARE staffdb_position_index FROM @staffdb_position_index;
EXECUTE staffdb_position_index;
DEALLOCATE PREPARE staffdb_position_index;
INSERT IGNORE INTO staffdb_schema_versions (version) VALUES ('20261207130000');
