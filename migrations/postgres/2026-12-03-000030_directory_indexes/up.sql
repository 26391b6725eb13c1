-- Search at 200,000 outlets (issue #18): the member libraries' entries (a
-- handful) through a partial index, and a state's listing page read in
-- (state, sort_name byte order, id) order instead of sorted, and counted from
-- the index (it holds only entries still listed).
CREATE INDEX directory_entries_members ON directory_entries (library_id) WHERE library_id IS NOT NULL;
CREATE INDEX directory_entries_state_listing ON directory_entries (state, sort_name COLLATE "C", id) WHERE retired_at IS NULL;
