-- Full-text index over each entry's search words (lower-case alphanumerics
-- separated by spaces, written by the store), so a name or place query reads
-- the index instead of every row. The 'simple' configuration neither stems
-- nor drops stop words, so it finds what SQLite's FTS5 index finds.
CREATE INDEX directory_entries_fts ON directory_entries
    USING GIN (to_tsvector('simple', search_text));
