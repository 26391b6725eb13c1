DROP INDEX IF EXISTS patrons_email_token;
ALTER TABLE patrons
    DROP COLUMN IF EXISTS email_token_expires_at,
    DROP COLUMN IF EXISTS email_token_hash,
    DROP COLUMN IF EXISTS pending_email_sealed,
    DROP COLUMN IF EXISTS pending_email_index;
