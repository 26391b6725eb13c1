ALTER TABLE vendors DROP COLUMN use_key;
