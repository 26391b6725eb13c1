-- Staff time spent on a legal request, charged to the requester, and the
-- library's hourly rate for it (no row: the default, 2500 cents an hour).
CREATE SEQUENCE legal_time_ids;

CREATE TABLE legal_time (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    legal_request_id BIGINT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    what TEXT NOT NULL,
    by_account BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, legal_request_id) REFERENCES legal_requests (library_id, id)
);
CREATE INDEX legal_time_request ON legal_time (library_id, legal_request_id, id);

CREATE TABLE legal_settings (
    library_id BIGINT NOT NULL PRIMARY KEY REFERENCES libraries (id),
    legal_hourly_rate_cents BIGINT NOT NULL DEFAULT 2500 CHECK (legal_hourly_rate_cents >= 0)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['legal_time', 'legal_settings'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (library_id = (SELECT custodian_current_library())) WITH CHECK (library_id = (SELECT custodian_current_library()))', t);
        EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (TRUE) WITH CHECK (TRUE)', t, current_user);
    END LOOP;
END
$$;
