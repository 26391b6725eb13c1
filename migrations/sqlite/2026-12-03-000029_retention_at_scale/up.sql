-- Anonymizing clears free text only where there is some: find those rows
-- without reading the rest.
CREATE INDEX library_records_with_details ON library_records (library_id, id) WHERE details_sealed IS NOT NULL;

-- A dead letter whose sealed copy retention removed is 'expired': it can no
-- longer be retried. SQLite cannot change a check in place, so the table is
-- rebuilt with the status allowed.
CREATE TABLE outbox_with_expired (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient_hint TEXT NOT NULL,
    envelope_sealed TEXT NOT NULL,
    message_sealed TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, message_id)
);
INSERT INTO outbox_with_expired SELECT library_id, id, message_id, template, recipient_hint,
    envelope_sealed, message_sealed, status, attempts, next_attempt_at, locked_by,
    locked_until, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_with_expired RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
CREATE INDEX outbox_status ON outbox (status, id);
CREATE INDEX outbox_id ON outbox (id);
-- 000026's index of the messages still to send (the claim names it).
CREATE INDEX outbox_open ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');
