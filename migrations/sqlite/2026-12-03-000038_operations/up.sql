-- Nothing: SQLite has no row-level security, so /metrics reads the outbox directly.
SELECT 1;
