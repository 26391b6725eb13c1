ALTER TABLE outbox DROP COLUMN patron_id;
ALTER TABLE outbox DROP COLUMN body_id;
DROP TABLE outbox_bodies;
