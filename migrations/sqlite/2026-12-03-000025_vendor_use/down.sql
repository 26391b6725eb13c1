CREATE TABLE patron_consents_next (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('guardian', 'disclosure')),
    scope TEXT NOT NULL,
    given_by_sealed TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);
INSERT INTO patron_consents_next
    (library_id, id, patron_id, kind, scope, given_by_sealed, granted_at, expires_at, revoked_at)
    SELECT library_id, id, patron_id, kind, scope, given_by_sealed, granted_at, expires_at, revoked_at
    FROM patron_consents WHERE kind IN ('guardian', 'disclosure');
DROP TABLE patron_consents;
ALTER TABLE patron_consents_next RENAME TO patron_consents;
CREATE INDEX patron_consents_patron ON patron_consents (library_id, patron_id);
ALTER TABLE vendors DROP COLUMN use_key;
