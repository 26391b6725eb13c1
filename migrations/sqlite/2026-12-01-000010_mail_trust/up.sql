-- Requests that did not come by email: a patron's deletion request from the
-- patron portal has no inbound message, so inbound_id may be NULL; `source`
-- says where a request came from and `patron_id` which patron (portal only).
-- reply_to_sealed is the sender's Reply-To address: replies and closing
-- notices go there, confirmations only ever to the From address.
-- SQLite's documented table rebuild (https://www.sqlite.org/lang_altertable.html#otheralter).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE mail_requests_new (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    inbound_id BIGINT REFERENCES inbound_mail (id),
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
    source TEXT NOT NULL DEFAULT 'email' CHECK (source IN ('email', 'portal')),
    patron_id BIGINT,
    reply_to_sealed TEXT,
    CHECK (inbound_id IS NOT NULL OR source = 'portal'),
    PRIMARY KEY (library_id, id)
);
INSERT INTO mail_requests_new (library_id, id, inbound_id, queue, kind, reason, status, owner_id, due_at, sender_sealed, subject_sealed, body_sealed, attachments_sealed, raw_sealed, in_reply_to, confirm_hash, confirm_expires_at, reminded_at, confirmed_at, received_at, updated_at)
    SELECT library_id, id, inbound_id, queue, kind, reason, status, owner_id, due_at, sender_sealed, subject_sealed, body_sealed, attachments_sealed, raw_sealed, in_reply_to, confirm_hash, confirm_expires_at, reminded_at, confirmed_at, received_at, updated_at FROM mail_requests;
DROP TABLE mail_requests;
ALTER TABLE mail_requests_new RENAME TO mail_requests;
CREATE INDEX mail_requests_status ON mail_requests (library_id, status, id);
CREATE UNIQUE INDEX mail_requests_confirm ON mail_requests (library_id, confirm_hash);
COMMIT;
PRAGMA foreign_keys = ON;
