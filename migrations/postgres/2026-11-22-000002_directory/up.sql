-- The public directory: organizations only (member library systems and their
-- outlets), never people. Consortium-wide reference tables, no row-level security.

CREATE TABLE directory_entries (
    id BIGSERIAL PRIMARY KEY,
    library_id BIGINT UNIQUE REFERENCES libraries (id),
    parent_id BIGINT REFERENCES directory_entries (id),
    system_code TEXT,
    source_key TEXT UNIQUE,
    name TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    county TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    zip TEXT NOT NULL DEFAULT '',
    phone TEXT,
    website TEXT,
    email TEXT,
    hours TEXT,
    services TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    search_text TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
CREATE INDEX directory_entries_state_county ON directory_entries (state, county);
CREATE INDEX directory_entries_state_city ON directory_entries (state, city);
CREATE INDEX directory_entries_zip ON directory_entries (zip);
CREATE INDEX directory_entries_system ON directory_entries (system_code);
CREATE INDEX directory_entries_lat ON directory_entries (latitude);

CREATE TABLE directory_changes (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES directory_entries (id),
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    submitted_by BIGINT NOT NULL REFERENCES accounts (id),
    submitted_at TIMESTAMP NOT NULL,
    patch TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by BIGINT REFERENCES accounts (id),
    decided_at TIMESTAMP,
    reason TEXT
);
CREATE INDEX directory_changes_status ON directory_changes (status, id);
CREATE INDEX directory_changes_entry ON directory_changes (entry_id, id);

CREATE TABLE directory_history (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES directory_entries (id),
    version BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL,
    change_id BIGINT REFERENCES directory_changes (id),
    snapshot TEXT NOT NULL,
    UNIQUE (entry_id, version)
);
