DROP TABLE IF EXISTS directory_history;
DROP TABLE IF EXISTS directory_changes;
DROP TABLE IF EXISTS directory_entries;
