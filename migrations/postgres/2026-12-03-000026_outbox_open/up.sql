-- PostgreSQL has had the claim's partial index since 000005 (outbox_due);
-- SQLite gets its own in this migration. Named here so the two stay in step.
COMMENT ON INDEX outbox_due IS 'messages still to send, in claim order (outbox_claim)';
