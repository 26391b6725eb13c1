DROP TRIGGER directory_counts_track ON directory_entries;
DROP FUNCTION directory_counts_track();
DROP TABLE directory_counts;
