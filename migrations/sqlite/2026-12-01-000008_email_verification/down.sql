DROP INDEX IF EXISTS patrons_email_token;
ALTER TABLE patrons DROP COLUMN email_token_expires_at;
ALTER TABLE patrons DROP COLUMN email_token_hash;
ALTER TABLE patrons DROP COLUMN pending_email_sealed;
ALTER TABLE patrons DROP COLUMN pending_email_index;
