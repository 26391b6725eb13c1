ALTER TABLE vendors DROP COLUMN notified_ended_at;
ALTER TABLE vendors DROP COLUMN notified_soon_at;
