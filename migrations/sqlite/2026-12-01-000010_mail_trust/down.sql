PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DELETE FROM mail_request_events WHERE (library_id, request_id) IN (SELECT library_id, id FROM mail_requests WHERE inbound_id IS NULL);
CREATE TABLE mail_requests_old (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    inbound_id BIGINT NOT NULL REFERENCES inbound_mail (id),
    queue TEXT NOT NULL CHECK (queue IN ('inbox', 'triage', 'library')),
    kind TEXT NOT NULL CHECK (kind IN ('correct', 'update', 'delete', 'other')),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'awaiting_confirmation', 'in_progress', 'done', 'rejected', 'lapsed')),
    owner_id BIGINT REFERENCES accounts (id),
    due_at TIMESTAMP NOT NULL,
    sender_sealed TEXT NOT NULL,
    subject_sealed TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    attachments_sealed TEXT NOT NULL,
    raw_sealed TEXT NOT NULL,
    in_reply_to TEXT,
    confirm_hash BLOB,
    confirm_expires_at TIMESTAMP,
    reminded_at TIMESTAMP,
    confirmed_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id)
);
INSERT INTO mail_requests_old SELECT library_id, id, inbound_id, queue, kind, reason, status, owner_id, due_at, sender_sealed, subject_sealed, body_sealed, attachments_sealed, raw_sealed, in_reply_to, confirm_hash, confirm_expires_at, reminded_at, confirmed_at, received_at, updated_at FROM mail_requests WHERE inbound_id IS NOT NULL;
DROP TABLE mail_requests;
ALTER TABLE mail_requests_old RENAME TO mail_requests;
CREATE INDEX mail_requests_status ON mail_requests (library_id, status, id);
CREATE UNIQUE INDEX mail_requests_confirm ON mail_requests (library_id, confirm_hash);
COMMIT;
PRAGMA foreign_keys = ON;
