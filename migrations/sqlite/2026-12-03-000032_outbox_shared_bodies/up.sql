-- One letter to many patrons (#16): the letter sealed once in outbox_bodies,
-- each patron's outbox row only which body and which patron; the address is
-- opened from the patron's own sealed email when the message is claimed.
-- (A later rebuild of outbox must carry body_id and patron_id across.)
CREATE TABLE outbox_bodies (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, purpose)
);
-- Both NULL for a message sealed whole, both set for one on a shared body.
ALTER TABLE outbox ADD COLUMN body_id BIGINT;
ALTER TABLE outbox ADD COLUMN patron_id BIGINT;
