DROP TABLE legal_releases;
DROP TABLE legal_requests;
DROP SEQUENCE legal_request_ids;
