DROP TABLE legal_releases;
DROP TABLE legal_requests;
DELETE FROM id_spaces WHERE space = 'legal_requests';
