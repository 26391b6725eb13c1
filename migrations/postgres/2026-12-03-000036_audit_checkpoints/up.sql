-- Signed checkpoints of each library's audit chain (#19): the head (seq and
-- hash) at a moment, signed with a key that is not in the database. Kept
-- apart from audit_log so that `custodian audit verify` notices entries cut
-- off after a checkpoint or a tail rewritten with fresh hashes. The same
-- checkpoints also go to a file and the log, since whoever can cut this
-- table can cut audit_log too.

CREATE TABLE audit_checkpoints (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    seq BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (library_id, seq, at)
);
CREATE INDEX audit_checkpoints_latest ON audit_checkpoints (library_id, at);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON audit_checkpoints TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;

CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
