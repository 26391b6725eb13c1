-- PostgreSQL turns off its full-text index's pending list here; SQLite's FTS5
-- index has none. Kept so the two lists stay in step.
SELECT 1;
