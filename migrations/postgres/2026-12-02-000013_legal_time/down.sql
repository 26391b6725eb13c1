DROP TABLE legal_settings;
DROP TABLE legal_time;
DROP SEQUENCE legal_time_ids;
