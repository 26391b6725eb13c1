-- Sessions end after idle time as well as at their hard expiry: each keeps
-- when it was last used. Existing sessions count as last used when they began.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;
ALTER TABLE patron_sessions ADD COLUMN last_seen_at TIMESTAMP;
UPDATE patron_sessions SET last_seen_at = created_at;
ALTER TABLE patron_sessions ALTER COLUMN last_seen_at SET NOT NULL;
