DROP FUNCTION IF EXISTS scopes_awaiting_confirmation();
DROP TABLE IF EXISTS mail_request_events;
DROP TABLE IF EXISTS mail_requests;
DROP SEQUENCE IF EXISTS mail_request_ids;
DROP TABLE IF EXISTS inbound_mail_routes;
DROP TABLE IF EXISTS inbound_mail;
DROP TABLE IF EXISTS outbox;
