-- How many entries are listed (not retired), over all ('*') and per state,
-- kept exact by triggers in the same transaction as every change: the
-- directory's unfiltered and state-only totals read one row instead of
-- counting up to 200,000 (issue #18). Not an estimate: a row is counted
-- exactly while it is listed.
CREATE TABLE directory_counts (
    state TEXT PRIMARY KEY NOT NULL,
    listed BIGINT NOT NULL
);
INSERT INTO directory_counts (state, listed)
    SELECT '*', count(*) FROM directory_entries WHERE retired_at IS NULL;
INSERT INTO directory_counts (state, listed)
    SELECT state, count(*) FROM directory_entries WHERE retired_at IS NULL GROUP BY state;
CREATE TRIGGER directory_counts_insert AFTER INSERT ON directory_entries
WHEN new.retired_at IS NULL BEGIN
    INSERT OR IGNORE INTO directory_counts (state, listed) VALUES (new.state, 0);
    UPDATE directory_counts SET listed = listed + 1 WHERE state IN ('*', new.state);
END;
CREATE TRIGGER directory_counts_delete AFTER DELETE ON directory_entries
WHEN old.retired_at IS NULL BEGIN
    UPDATE directory_counts SET listed = listed - 1 WHERE state IN ('*', old.state);
END;
CREATE TRIGGER directory_counts_update AFTER UPDATE OF state, retired_at ON directory_entries BEGIN
    UPDATE directory_counts SET listed = listed - 1
        WHERE old.retired_at IS NULL AND state IN ('*', old.state);
    INSERT OR IGNORE INTO directory_counts (state, listed)
        SELECT new.state, 0 WHERE new.retired_at IS NULL;
    UPDATE directory_counts SET listed = listed + 1
        WHERE new.retired_at IS NULL AND state IN ('*', new.state);
END;
