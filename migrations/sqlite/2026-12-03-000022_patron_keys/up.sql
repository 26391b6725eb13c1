-- Each patron's data key, sealed under the library key, in the key store: a
-- database file of its own beside the main one (attached as `keystore` on
-- every connection), so a backup of the main file holds no patron key and a
-- deleted patron's fields in it stay sealed for good.
CREATE TABLE keystore.patron_keys (
    library_id BIGINT NOT NULL,
    patron_id BIGINT NOT NULL,
    key_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, patron_id)
);
