-- The documents served with a legal request (the order itself, a warrant,
-- a consent form), encrypted at rest: the name and the bytes are AES-256-GCM
-- under the library's key, bound to the library and the column.
CREATE TABLE legal_documents (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    legal_request_id BIGINT NOT NULL,
    name_sealed TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    content_sealed BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, legal_request_id) REFERENCES legal_requests (library_id, id)
);
CREATE INDEX legal_documents_request ON legal_documents (library_id, legal_request_id, id);

INSERT INTO id_spaces (space, last_id) VALUES ('legal_documents', 0);
