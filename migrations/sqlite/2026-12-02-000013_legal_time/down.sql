DROP TABLE legal_settings;
DROP TABLE legal_time;
DELETE FROM id_spaces WHERE space = 'legal_time';
