ALTER TABLE mail_requests DROP CONSTRAINT mail_requests_origin;
DELETE FROM mail_request_events e USING mail_requests r WHERE r.library_id = e.library_id AND r.id = e.request_id AND r.inbound_id IS NULL;
DELETE FROM mail_requests WHERE inbound_id IS NULL;
ALTER TABLE mail_requests DROP COLUMN reply_to_sealed;
ALTER TABLE mail_requests DROP COLUMN patron_id;
ALTER TABLE mail_requests DROP COLUMN source;
ALTER TABLE mail_requests ALTER COLUMN inbound_id SET NOT NULL;
