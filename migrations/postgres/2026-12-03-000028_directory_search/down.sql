DROP INDEX IF EXISTS directory_entries_fts;
