DROP TRIGGER directory_counts_update;
DROP TRIGGER directory_counts_delete;
DROP TRIGGER directory_counts_insert;
DROP TABLE directory_counts;
