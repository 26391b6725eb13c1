-- A patron's own change of email waits here until they confirm it from the
-- new address. Until then the address in force stays in email_sealed and
-- email_index, which is all that look-ups and inbound matching
-- (libraries_with_patron_email) ever read: the pending address has its own
-- sealed value and blind index, never consulted by either, so mail from an
-- address nobody proved they own cannot reach a library's queue.
-- The confirmation link's token is stored as its SHA-256, single-use
-- (cleared when used or replaced) and expiring.
ALTER TABLE patrons
    ADD COLUMN pending_email_index BYTEA,
    ADD COLUMN pending_email_sealed TEXT,
    ADD COLUMN email_token_hash BYTEA,
    ADD COLUMN email_token_expires_at TIMESTAMP;
CREATE UNIQUE INDEX patrons_email_token ON patrons (library_id, email_token_hash);
