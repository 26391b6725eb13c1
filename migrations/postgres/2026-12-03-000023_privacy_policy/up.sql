-- Each library's published privacy policy (#16): its versions, which never
-- change once published; the notice of a version with new uses, one row per
-- patron it was queued to (so a rerun after a crash queues no one twice);
-- which notice a patron dismissed on /my; and each patron's opt-outs from
-- the optional uses, with the version they chose under (the consent ledger
-- holds the history).
CREATE TABLE privacy_policy_versions (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    version BIGINT NOT NULL CHECK (version > 0),
    document TEXT NOT NULL,
    summary TEXT NOT NULL,
    new_uses TEXT NOT NULL,
    published_by BIGINT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, version)
);

CREATE TABLE policy_notices (
    library_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    outbox_id BIGINT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, version, patron_id),
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);

CREATE TABLE policy_dismissals (
    library_id BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    dismissed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, patron_id),
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);

CREATE TABLE patron_opt_outs (
    library_id BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    use_key TEXT NOT NULL,
    opted_out BOOLEAN NOT NULL,
    policy_version BIGINT NOT NULL,
    consent_id BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, patron_id, use_key),
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['privacy_policy_versions', 'policy_notices', 'policy_dismissals', 'patron_opt_outs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (library_id = (SELECT custodian_current_library())) WITH CHECK (library_id = (SELECT custodian_current_library()))', t);
        EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (TRUE) WITH CHECK (TRUE)', t, current_user);
    END LOOP;
END
$$;

-- A published version is what patrons were told: nobody rewrites it, the
-- owner included (the application role also loses UPDATE and DELETE).
CREATE FUNCTION privacy_policy_versions_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published privacy policy version cannot be changed';
END
$$;
CREATE TRIGGER privacy_policy_versions_immutable
    BEFORE UPDATE OR DELETE ON privacy_policy_versions
    FOR EACH ROW EXECUTE FUNCTION privacy_policy_versions_immutable();

-- Sealed outbox values are ciphertext, which does not compress: kept in the
-- row (out of line only when a row cannot fit its page), a message costs one
-- heap insert instead of two more into TOAST (a notice to a million patrons
-- writes a million).
ALTER TABLE outbox ALTER COLUMN message_sealed SET STORAGE MAIN;
ALTER TABLE outbox ALTER COLUMN envelope_sealed SET STORAGE MAIN;
