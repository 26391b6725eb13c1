-- Only the messages still to send, in the order workers claim them: without
-- it SQLite picked outbox_status and sorted every pending row on each claim,
-- so a queue of 20,000 cost a scan of all of them per batch of 32. The claim
-- names this index (INDEXED BY) so that it cannot fall back.
CREATE INDEX outbox_open ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');
