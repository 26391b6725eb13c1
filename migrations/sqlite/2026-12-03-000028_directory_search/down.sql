DROP TRIGGER directory_fts_update;
DROP TRIGGER directory_fts_delete;
DROP TRIGGER directory_fts_insert;
DROP TABLE directory_fts;
