-- Full-text index over each entry's search words (lower-case alphanumerics
-- separated by spaces, written by the store), so a name or place query reads
-- the index instead of every row. Diacritics are kept, as the in-process
-- matcher keeps them, so both backends find the same entries.
CREATE VIRTUAL TABLE directory_fts USING fts5(
    search_text,
    content = 'directory_entries',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO directory_fts (directory_fts) VALUES ('rebuild');
CREATE TRIGGER directory_fts_insert AFTER INSERT ON directory_entries BEGIN
    INSERT INTO directory_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER directory_fts_delete AFTER DELETE ON directory_entries BEGIN
    INSERT INTO directory_fts (directory_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER directory_fts_update AFTER UPDATE OF search_text ON directory_entries BEGIN
    INSERT INTO directory_fts (directory_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO directory_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
