-- Contracted vendors (#14): a library's contracts, and the API keys each
-- vendor's service presents (only the secret's SHA-256 is kept).
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

INSERT INTO id_spaces (space, last_id) VALUES ('vendors', 0);
