-- Ids that are never reused. A deleted patron's id handed to the next patron
-- would hand over the deleted patron's audit trail (the access log names
-- subjects by id), so ids come from a counter per id space, bumped in the
-- writing transaction, never from the table's largest id. Each counter starts
-- above every id the table or the audit log has seen, so an existing
-- database keeps counting up.
CREATE TABLE id_spaces (
    space TEXT PRIMARY KEY NOT NULL,
    last_id BIGINT NOT NULL
);
INSERT INTO id_spaces (space, last_id) VALUES
    ('patrons', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM patrons),
        (SELECT COALESCE(MAX(CAST(substr(subject, 8) AS INTEGER)), 0) FROM audit_log WHERE subject GLOB 'patron:[0-9]*'))),
    ('library_records', (SELECT COALESCE(MAX(id), 0) FROM library_records)),
    ('patron_consents', (SELECT COALESCE(MAX(id), 0) FROM patron_consents)),
    ('mail_requests', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM mail_requests),
        (SELECT COALESCE(MAX(CAST(substr(subject, 9) AS INTEGER)), 0) FROM audit_log WHERE subject GLOB 'request:[0-9]*'))),
    ('outbox', MAX(
        (SELECT COALESCE(MAX(id), 0) FROM outbox),
        (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'outbox')));
