DROP INDEX IF EXISTS outbox_open;
