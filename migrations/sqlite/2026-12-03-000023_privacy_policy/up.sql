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

-- A published version is what patrons were told: nobody rewrites it.
CREATE TRIGGER privacy_policy_versions_no_update
    BEFORE UPDATE ON privacy_policy_versions
    BEGIN SELECT RAISE(ABORT, 'a published privacy policy version cannot be changed'); END;
CREATE TRIGGER privacy_policy_versions_no_delete
    BEFORE DELETE ON privacy_policy_versions
    BEGIN SELECT RAISE(ABORT, 'a published privacy policy version cannot be changed'); END;
