-- Search at 200,000 outlets (issue #18): the full-text index takes new
-- entries straight into its tree instead of a pending list. With the list
-- (GIN's default), every search scanned all of it, which after a bulk import
-- was a fifth of a name search's time until autovacuum next ran; the
-- directory is written rarely and in batches, so slower inserts cost little.
ALTER INDEX directory_entries_fts SET (fastupdate = off);
-- Turning it off leaves what is already pending there; merge it now.
SELECT gin_clean_pending_list('directory_entries_fts'::regclass);
