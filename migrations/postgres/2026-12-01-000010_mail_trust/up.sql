-- Requests that did not come by email: a patron's deletion request from the
-- patron portal has no inbound message, so inbound_id may be NULL; `source`
-- says where a request came from and `patron_id` which patron (portal only).
-- reply_to_sealed is the sender's Reply-To address: replies and closing
-- notices go there, confirmations only ever to the From address.
ALTER TABLE mail_requests ALTER COLUMN inbound_id DROP NOT NULL;
ALTER TABLE mail_requests ADD COLUMN source TEXT NOT NULL DEFAULT 'email' CHECK (source IN ('email', 'portal'));
ALTER TABLE mail_requests ADD COLUMN patron_id BIGINT;
ALTER TABLE mail_requests ADD COLUMN reply_to_sealed TEXT;
ALTER TABLE mail_requests ADD CONSTRAINT mail_requests_origin CHECK (inbound_id IS NOT NULL OR source = 'portal');
