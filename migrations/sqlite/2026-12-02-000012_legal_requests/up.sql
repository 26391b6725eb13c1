-- Legal requests for library records: the custodian of records' register.
CREATE TABLE legal_requests (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    id BIGINT NOT NULL,
    instrument TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    requester_agency TEXT NOT NULL DEFAULT '',
    requester_email TEXT NOT NULL DEFAULT '',
    court TEXT NOT NULL DEFAULT '',
    case_number TEXT NOT NULL DEFAULT '',
    issued_on TEXT,
    good_cause_shown BOOLEAN NOT NULL DEFAULT FALSE,
    finding TEXT NOT NULL,
    -- Comma-separated: the request is read and decided whole, never queried by one patron.
    patron_ids TEXT NOT NULL,
    kinds TEXT NOT NULL,
    -- Dates as YYYY-MM-DD, which sort and compare as text on both backends.
    from_date TEXT,
    to_date TEXT,
    non_disclosure_until TEXT,
    consent_id BIGINT,
    status TEXT NOT NULL CHECK (status IN ('received', 'allowed', 'denied')),
    registered_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT,
    decided_at TIMESTAMP,
    clause TEXT,
    reason TEXT,
    PRIMARY KEY (library_id, id)
);
CREATE INDEX legal_requests_status ON legal_requests (library_id, status, id);

-- Each release to a patron's access log, so a sealed entry can be shown once
-- its request's non-disclosure date has passed (the chain itself never changes).
CREATE TABLE legal_releases (
    library_id BIGINT NOT NULL,
    audit_seq BIGINT NOT NULL,
    legal_request_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (library_id, audit_seq),
    FOREIGN KEY (library_id, legal_request_id) REFERENCES legal_requests (library_id, id)
);
CREATE INDEX legal_releases_subject ON legal_releases (library_id, subject, legal_request_id);

INSERT INTO id_spaces (space, last_id) VALUES ('legal_requests', 0);
