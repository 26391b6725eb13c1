DROP TABLE IF EXISTS mail_request_events;
DROP TABLE IF EXISTS mail_requests;
DROP TABLE IF EXISTS inbound_mail_routes;
DROP TABLE IF EXISTS inbound_mail;
DROP TABLE IF EXISTS outbox;
