-- The documents served with a legal request (the order itself, a warrant,
-- a consent form), encrypted at rest: the name and the bytes are AES-256-GCM
-- under the library's key, bound to the library and the column.
CREATE SEQUENCE legal_document_ids;

CREATE TABLE legal_documents (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    legal_request_id BIGINT NOT NULL,
    name_sealed TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    content_sealed BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, legal_request_id) REFERENCES legal_requests (library_id, id)
);
CREATE INDEX legal_documents_request ON legal_documents (library_id, legal_request_id, id);

ALTER TABLE legal_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE legal_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON legal_documents
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON legal_documents TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;
