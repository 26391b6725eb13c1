CREATE TABLE outbox_by_id (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id BIGINT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    recipient_hint TEXT NOT NULL,
    envelope_sealed TEXT NOT NULL,
    message_sealed TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO outbox_by_id (id, library_id, message_id, template, recipient_hint,
        envelope_sealed, message_sealed, status, attempts, next_attempt_at, locked_by,
        locked_until, last_error, created_at, sent_at)
    SELECT id, library_id, message_id, template, recipient_hint, envelope_sealed,
        message_sealed, status, attempts, next_attempt_at, locked_by, locked_until,
        last_error, created_at, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_by_id RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
CREATE INDEX outbox_status ON outbox (status, id);
DROP TABLE id_spaces;
