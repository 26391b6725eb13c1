DROP INDEX directory_entries_listing;
DROP INDEX directory_entries_lat_lon;
DROP INDEX directory_entries_city;
DROP INDEX directory_entries_parent;
ALTER TABLE directory_entries DROP COLUMN sort_name;
ALTER TABLE directory_entries DROP COLUMN curated;
ALTER TABLE directory_entries DROP COLUMN retired_at;
ALTER TABLE directory_entries DROP COLUMN service_tags;
ALTER TABLE directory_entries DROP COLUMN opening_hours;
