DROP FUNCTION IF EXISTS libraries_with_patron_email(BYTEA);
DROP TABLE IF EXISTS record_links;
DROP TABLE IF EXISTS library_records;
DROP TABLE IF EXISTS patron_consents;
DROP TABLE IF EXISTS patrons;
DROP SEQUENCE IF EXISTS patron_ids;
DROP SEQUENCE IF EXISTS record_ids;
DROP SEQUENCE IF EXISTS consent_ids;
