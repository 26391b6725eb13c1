-- Each patron's data key, sealed under the library key, in the key store:
-- the schema `keystore`, which the data backup leaves out
-- (`pg_dump --exclude-schema=keystore`, docs/keys.md) and which is backed up
-- on its own with a short retention, so a data backup holds no patron key and
-- a deleted patron's fields in it stay sealed for good.
CREATE SCHEMA keystore;

CREATE TABLE keystore.patron_keys (
    library_id BIGINT NOT NULL REFERENCES public.libraries (id),
    patron_id BIGINT NOT NULL,
    key_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, patron_id)
);

ALTER TABLE keystore.patron_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE keystore.patron_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON keystore.patron_keys
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON keystore.patron_keys TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;
