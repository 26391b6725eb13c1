-- Search at 200,000 outlets (issue #18). The member libraries' entries are a
-- handful among the survey's outlets: a partial index finds them without
-- reading the table (SQLite will not range-scan the UNIQUE index for
-- `library_id IS NOT NULL`). A state's listing page reads (state, sort_name,
-- id) in order instead of sorting every outlet of the state, and counts them
-- from the index alone (it holds only entries still listed; retired_at is a
-- column too, or SQLite reads each row to check the predicate).
CREATE INDEX directory_entries_members ON directory_entries (library_id) WHERE library_id IS NOT NULL;
CREATE INDEX directory_entries_state_listing ON directory_entries (state, sort_name, id, retired_at) WHERE retired_at IS NULL;
