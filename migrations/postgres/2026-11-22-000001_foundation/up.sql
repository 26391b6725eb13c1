-- Consortium-wide tables (no tenant): the consortium, its member libraries,
-- sign-in accounts and their sessions. Tenant tables carry library_id first in
-- every key and are guarded by row-level security.

CREATE TABLE consortium (
    id SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE libraries (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_director BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Tenant table: who works at which library, in which role.
CREATE TABLE library_staff (
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'custodian')),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    PRIMARY KEY (library_id, account_id)
);
CREATE INDEX library_staff_account ON library_staff (account_id, library_id);

-- The tenant is read once per statement (the sub-select), and an unset or
-- reset setting ('' after a transaction ends) matches no library at all.
CREATE FUNCTION custodian_current_library() RETURNS BIGINT
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('custodian.library_id', true), '')::BIGINT $$;

ALTER TABLE library_staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE library_staff FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON library_staff
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));

-- FORCE applies RLS to the owner too; the owner (the migration role) keeps
-- full access so that the narrow SECURITY DEFINER functions below work when
-- it is not a superuser. The application role is never this role.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON library_staff TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;

-- Consortium-wide question, answered narrowly: in which libraries, and in
-- which role, does this account work? Returns ids and roles, never rows.
CREATE FUNCTION staff_memberships(p_account BIGINT)
    RETURNS TABLE (library_id BIGINT, role TEXT)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT s.library_id, s.role FROM library_staff s WHERE s.account_id = p_account ORDER BY s.library_id $$;
REVOKE ALL ON FUNCTION staff_memberships(BIGINT) FROM PUBLIC;
