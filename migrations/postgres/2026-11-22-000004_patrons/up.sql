-- Patrons and their library records. Identifying fields are sealed
-- (AES-256-GCM, by the application) and found through keyed blind indexes.
-- A record's link to its patron lives in its own narrow table, apart from the
-- record's non-identifying facts (kind, item, date, branch), so unlinking at
-- the end of retention is a DELETE of one narrow row.

-- Ids come from sequences in blocks (a bulk feed of 10,000 records asks once).
CREATE SEQUENCE patron_ids;
CREATE SEQUENCE record_ids;
CREATE SEQUENCE consent_ids;

CREATE TABLE patrons (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    id BIGINT NOT NULL,
    card_index BYTEA NOT NULL,
    card_last4 TEXT NOT NULL,
    card_sealed TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    name_sealed TEXT NOT NULL,
    address_sealed TEXT,
    email_index BYTEA,
    email_sealed TEXT,
    phone_sealed TEXT,
    birth_date_sealed TEXT,
    guardian_sealed TEXT,
    keep_history BOOLEAN NOT NULL DEFAULT FALSE,
    contact_by TEXT NOT NULL DEFAULT 'email' CHECK (contact_by IN ('email', 'phone', 'mail', 'none')),
    deletion_requested_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, card_index)
);
CREATE INDEX patrons_email ON patrons (library_id, email_index);

CREATE TABLE patron_consents (
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
CREATE INDEX patron_consents_patron ON patron_consents (library_id, patron_id);

CREATE TABLE library_records (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    item TEXT NOT NULL DEFAULT '',
    branch TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    amount_cents BIGINT,
    settled_at TIMESTAMP,
    details_sealed TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, source, external_id)
);
CREATE INDEX library_records_kind ON library_records (library_id, kind, occurred_at);

CREATE TABLE record_links (
    library_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    PRIMARY KEY (library_id, record_id),
    FOREIGN KEY (library_id, record_id) REFERENCES library_records (library_id, id) ON DELETE CASCADE,
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);
CREATE INDEX record_links_patron ON record_links (library_id, patron_id, record_id);

CREATE TABLE patron_sessions (
    library_id BIGINT NOT NULL,
    token_hash BYTEA NOT NULL,
    patron_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    PRIMARY KEY (library_id, token_hash),
    FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE
);
CREATE INDEX patron_sessions_patron ON patron_sessions (library_id, patron_id);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['patrons', 'patron_consents', 'library_records', 'record_links', 'patron_sessions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (library_id = (SELECT custodian_current_library())) WITH CHECK (library_id = (SELECT custodian_current_library()))', t);
        EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (TRUE) WITH CHECK (TRUE)', t, current_user);
    END LOOP;
END
$$;

-- Consortium-wide question, answered narrowly: which libraries hold a patron
-- with this email blind index? Library ids only.
CREATE INDEX patrons_email_any ON patrons (email_index);
CREATE FUNCTION libraries_with_patron_email(p_index BYTEA)
    RETURNS TABLE (library_id BIGINT)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT DISTINCT p.library_id FROM patrons p WHERE p.email_index = p_index ORDER BY 1 $$;
REVOKE ALL ON FUNCTION libraries_with_patron_email(BYTEA) FROM PUBLIC;
