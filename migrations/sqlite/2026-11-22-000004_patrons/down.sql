DROP TABLE IF EXISTS patron_sessions;
DROP TABLE IF EXISTS record_links;
DROP TABLE IF EXISTS library_records;
DROP TABLE IF EXISTS patron_consents;
DROP TABLE IF EXISTS patrons;
