-- Staff time spent on a legal request, charged to the requester, and the
-- library's hourly rate for it (no row: the default, 2500 cents an hour).
CREATE TABLE legal_time (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    legal_request_id BIGINT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    what TEXT NOT NULL,
    by_account BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    FOREIGN KEY (library_id, legal_request_id) REFERENCES legal_requests (library_id, id)
);
CREATE INDEX legal_time_request ON legal_time (library_id, legal_request_id, id);

CREATE TABLE legal_settings (
    library_id BIGINT NOT NULL PRIMARY KEY REFERENCES libraries (id),
    legal_hourly_rate_cents BIGINT NOT NULL DEFAULT 2500 CHECK (legal_hourly_rate_cents >= 0)
);

INSERT INTO id_spaces (space, last_id) VALUES ('legal_time', 0);
