ALTER TABLE patron_sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN last_seen_at;
