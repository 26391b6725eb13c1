-- Ids that are never reused. A deleted patron's id handed to the next patron
-- would hand over the deleted patron's audit trail (the access log names
-- subjects by id), so ids come from a counter per id space, bumped in the
-- writing transaction, never from the table's largest id. Each counter starts
-- above every id the table or the audit log has seen, so an existing
-- database keeps counting up.
CREATE TABLE id_spaces (
    space TEXT PRIMARY KEY NOT NULL,
    last_id BIGINT NOT NULL
);
INSERT INTO id_spaces (space, last_id) VALUES
    ('patrons', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM patrons),
        (SELECT COALESCE(MAX(CAST(substr(subject, 8) AS INTEGER)), 0) FROM audit_log WHERE subject GLOB 'patron:[0-9]*'))),
    ('library_records', (SELECT COALESCE(MAX(id), 0) FROM library_records)),
    ('patron_consents', (SELECT COALESCE(MAX(id), 0) FROM patron_consents)),
    ('mail_requests', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM mail_requests),
        (SELECT COALESCE(MAX(CAST(substr(subject, 9) AS INTEGER)), 0) FROM audit_log WHERE subject GLOB 'request:[0-9]*'))),
    ('outbox', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM outbox),
        (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'outbox')));

-- The outbox is a tenant table like any other: library_id first in its keys.
-- AUTOINCREMENT needs a one-column key, so its ids come from id_spaces too.
CREATE TABLE outbox_by_library (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    message_id TEXT NOT NULL,
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
    sent_at TIMESTAMP,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, message_id)
);
INSERT INTO outbox_by_library (library_id, id, message_id, template, recipient_hint,
        envelope_sealed, message_sealed, status, attempts, next_attempt_at, locked_by,
        locked_until, last_error, created_at, sent_at)
    SELECT library_id, id, message_id, template, recipient_hint, envelope_sealed,
        message_sealed, status, attempts, next_attempt_at, locked_by, locked_until,
        last_error, created_at, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_by_library RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
CREATE INDEX outbox_status ON outbox (status, id);
-- The director names a dead letter by its id alone.
CREATE INDEX outbox_id ON outbox (id);
