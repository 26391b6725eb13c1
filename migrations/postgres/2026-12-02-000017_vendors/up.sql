-- Contracted vendors (#14): a library's contracts, and the API keys each
-- vendor's service presents (only the secret's SHA-256 is kept).
CREATE SEQUENCE vendor_ids;

CREATE TABLE vendors (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL,
    privacy_policy_url TEXT NOT NULL,
    contract_starts TEXT NOT NULL,
    contract_ends TEXT NOT NULL,
    fields TEXT NOT NULL,
    purpose TEXT NOT NULL,
    erasure_contact TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id)
);

CREATE TABLE vendor_keys (
    library_id BIGINT NOT NULL,
    id TEXT NOT NULL,
    vendor_id BIGINT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, vendor_id) REFERENCES vendors (library_id, id)
);
-- Key ids are random and unique across libraries: a key finds its library.
CREATE UNIQUE INDEX vendor_keys_id ON vendor_keys (id);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['vendors', 'vendor_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (library_id = (SELECT custodian_current_library())) WITH CHECK (library_id = (SELECT custodian_current_library()))', t);
        EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (TRUE) WITH CHECK (TRUE)', t, current_user);
    END LOOP;
END
$$;

-- A vendor's request arrives with a key id and no library: this narrow
-- function (owned by the owner, granted to the application role) names the
-- key's library and vendor and nothing else; everything after it runs in
-- that library's scope.
CREATE FUNCTION vendor_key_owner(p_key TEXT)
    RETURNS TABLE (library_id BIGINT, vendor_id BIGINT)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT k.library_id, k.vendor_id FROM vendor_keys k WHERE k.id = p_key
    $$;
REVOKE ALL ON FUNCTION vendor_key_owner(TEXT) FROM PUBLIC;
