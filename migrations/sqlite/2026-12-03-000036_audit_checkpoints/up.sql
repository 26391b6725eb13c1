-- Signed checkpoints of each library's audit chain (#19); see the PostgreSQL
-- variant for why they are kept apart from audit_log.
CREATE TABLE audit_checkpoints (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    seq BIGINT NOT NULL,
    head_hash BLOB NOT NULL,
    at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (library_id, seq, at)
);
CREATE INDEX audit_checkpoints_latest ON audit_checkpoints (library_id, at);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
