-- The directory as the public uses it: opening hours as data, services from
-- a fixed vocabulary, entries the director retires (kept, with their history,
-- but no longer listed) or has curated (a later import leaves them alone).
ALTER TABLE directory_entries ADD COLUMN opening_hours TEXT;
ALTER TABLE directory_entries ADD COLUMN service_tags TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE directory_entries ADD COLUMN curated BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX directory_entries_parent ON directory_entries (parent_id);
CREATE INDEX directory_entries_city ON directory_entries (city, state);
CREATE INDEX directory_entries_lat_lon ON directory_entries (latitude, longitude);
-- Listing order without a query: members first (few, ordered in process),
-- then the lower-cased name compared byte by byte (as Rust compares
-- strings), then id; the store writes sort_name with every name.
ALTER TABLE directory_entries ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE directory_entries SET sort_name = lower(name);
CREATE INDEX directory_entries_listing ON directory_entries (sort_name, id);
-- Few are retired: counting all minus them is a count of the table and of this index.
CREATE INDEX directory_entries_retired ON directory_entries (retired_at) WHERE retired_at IS NOT NULL;
