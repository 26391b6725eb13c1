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

CREATE TABLE job_leases (
    job TEXT NOT NULL PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- The job looks for records of a kind that ended before a day.
CREATE INDEX library_records_ended ON library_records (library_id, kind, ended_at);

-- When retention removed a closed request's message (the request and its
-- history stay, its sealed content goes).
ALTER TABLE mail_requests ADD COLUMN content_removed_at TIMESTAMP;
