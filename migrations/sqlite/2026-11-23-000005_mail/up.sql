-- Mail: the outbox (written in the same transaction as the change that causes
-- a message), the ledger of inbound messages (so none is ingested twice), and
-- the correction requests they become.

-- Outgoing messages, consortium-wide so any worker can deliver any of them.
-- The message and its envelope are sealed (they name a person); what the
-- director sees of a message is its template, a masked recipient and its state.
CREATE TABLE outbox (
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
CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
CREATE INDEX outbox_status ON outbox (status, id);

-- Every inbound message once: its fingerprint is the SHA-256 of its
-- Message-ID (or of the whole message when it has none). Nothing of the
-- message itself is kept here; for a patron's request, only where it went.
CREATE TABLE inbound_mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint BLOB NOT NULL UNIQUE,
    received_at TIMESTAMP NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('stdin', 'maildir', 'gateway')),
    outcome TEXT NOT NULL CHECK (outcome IN ('request', 'auto_reply', 'bounce')),
    route TEXT CHECK (route IN ('director', 'library', 'triage')),
    reason TEXT NOT NULL,
    size_bytes BIGINT NOT NULL
);
CREATE INDEX inbound_mail_route ON inbound_mail (route, id);

CREATE TABLE inbound_mail_routes (
    inbound_id BIGINT NOT NULL REFERENCES inbound_mail (id),
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    PRIMARY KEY (inbound_id, library_id)
);

-- Requests are tenant rows: a patron's request lives in their library's
-- scope. Library 0 is the consortium itself (the director's inbox and triage),
-- hence no foreign key from library_id to libraries.
CREATE TABLE mail_requests (
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
CREATE INDEX mail_requests_status ON mail_requests (library_id, status, id);
CREATE UNIQUE INDEX mail_requests_confirm ON mail_requests (library_id, confirm_hash);

CREATE TABLE mail_request_events (
    library_id BIGINT NOT NULL,
    request_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    note_sealed TEXT,
    PRIMARY KEY (library_id, request_id, seq),
    FOREIGN KEY (library_id, request_id) REFERENCES mail_requests (library_id, id) ON DELETE CASCADE
);
