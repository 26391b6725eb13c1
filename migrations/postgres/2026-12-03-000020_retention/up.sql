-- A library's own retention periods (no row for a kind: its policy
-- document's period), the last report of the retention job per library, and
-- the lease that lets one process at a time run the job.
CREATE TABLE retention_periods (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    kind TEXT NOT NULL,
    keep_days BIGINT NOT NULL CHECK (keep_days >= 0),
    then_method TEXT NOT NULL CHECK (then_method IN ('anonymize', 'delete')),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, kind)
);

CREATE TABLE retention_runs (
    library_id BIGINT NOT NULL PRIMARY KEY REFERENCES libraries (id),
    ran_at TIMESTAMP NOT NULL,
    dry_run BOOLEAN NOT NULL,
    report TEXT NOT NULL
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['retention_periods', 'retention_runs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (library_id = (SELECT custodian_current_library())) WITH CHECK (library_id = (SELECT custodian_current_library()))', t);
        EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (TRUE) WITH CHECK (TRUE)', t, current_user);
    END LOOP;
END
$$;

-- Consortium-wide: which process runs a job, until when.
CREATE TABLE job_leases (
    job TEXT NOT NULL PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Retention empties dead letters past their keeping; the application role
-- may not update the outbox itself, so this is its one way to.
CREATE FUNCTION outbox_expire_dead(p_library BIGINT, p_before TIMESTAMP)
    RETURNS BIGINT
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH expired AS (
        UPDATE outbox o
           SET status = 'expired', message_sealed = '', envelope_sealed = ''
         WHERE o.library_id = p_library AND o.status = 'dead' AND o.created_at < p_before
        RETURNING 1
    )
    SELECT count(*) FROM expired
    $$;
REVOKE ALL ON FUNCTION outbox_expire_dead(BIGINT, TIMESTAMP) FROM PUBLIC;

-- The job looks for records of a kind that ended before a day.
CREATE INDEX library_records_ended ON library_records (library_id, kind, ended_at);

-- When retention removed a closed request's message (the request and its
-- history stay, its sealed content goes).
ALTER TABLE mail_requests ADD COLUMN content_removed_at TIMESTAMP;
