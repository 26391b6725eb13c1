-- A patron's own change of email waits here until they confirm it from the
-- new address; look-ups and inbound matching read only email_index, the
-- address in force. The link's token is stored as its SHA-256.
ALTER TABLE patrons ADD COLUMN pending_email_index BLOB;
ALTER TABLE patrons ADD COLUMN pending_email_sealed TEXT;
ALTER TABLE patrons ADD COLUMN email_token_hash BLOB;
ALTER TABLE patrons ADD COLUMN email_token_expires_at TIMESTAMP;
CREATE UNIQUE INDEX patrons_email_token ON patrons (library_id, email_token_hash);
