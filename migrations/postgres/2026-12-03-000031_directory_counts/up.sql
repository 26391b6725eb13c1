-- How many entries are listed (not retired), over all ('*') and per state,
-- kept exact by a trigger in the same transaction as every change: the
-- directory's unfiltered and state-only totals read one row instead of
-- counting up to 200,000 (issue #18; PostgreSQL's count(*) reads the whole
-- table). Not an estimate: a row is counted exactly while it is listed.
CREATE TABLE directory_counts (
    state TEXT PRIMARY KEY,
    listed BIGINT NOT NULL
);
INSERT INTO directory_counts (state, listed)
    SELECT '*', count(*) FROM directory_entries WHERE retired_at IS NULL;
INSERT INTO directory_counts (state, listed)
    SELECT state, count(*) FROM directory_entries WHERE retired_at IS NULL GROUP BY state;
CREATE FUNCTION directory_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A bulk import counts once at its end (store::directory::recount).
    IF current_setting('custodian.directory_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.retired_at IS NULL THEN
            UPDATE directory_counts SET listed = listed - 1 WHERE state IN ('*', OLD.state);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.retired_at IS NULL THEN
            INSERT INTO directory_counts (state, listed) VALUES (NEW.state, 0)
                ON CONFLICT (state) DO NOTHING;
            UPDATE directory_counts SET listed = listed + 1 WHERE state IN ('*', NEW.state);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER directory_counts_track
    AFTER INSERT OR DELETE OR UPDATE OF state, retired_at ON directory_entries
    FOR EACH ROW EXECUTE FUNCTION directory_counts_track();
