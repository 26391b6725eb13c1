ALTER INDEX directory_entries_fts RESET (fastupdate);
