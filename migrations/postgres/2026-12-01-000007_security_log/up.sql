-- The consortium's security log: refusals of callers with no standing in the
-- library they tried, kept out of that library's audit chain (which anybody
-- signed in could otherwise grow). Rows live in scope 0, the consortium
-- itself, so a library-scoped transaction never sees them.
CREATE TABLE security_log (
    library_id BIGINT NOT NULL DEFAULT 0 CHECK (library_id = 0),
    id BIGSERIAL NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    target_library_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    clause TEXT NOT NULL,
    -- Refusals this entry stands for: past the per-caller bound, further
    -- refusals in the same minute are counted here instead of written.
    repeats BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (library_id, id)
);
CREATE INDEX security_log_actor ON security_log (library_id, actor, at);

ALTER TABLE security_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_log
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON security_log TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;

-- Sign-in identities are unique per library and email, not per email: a
-- library admin adding an address that has an account in another library
-- gets a new account of this library, so the answer cannot tell whether the
-- address exists elsewhere. `login_key` is `<home library id>:<email>`, with
-- 0 for the consortium's own accounts (the director, the CLI, the demo).
ALTER TABLE accounts ADD COLUMN login_key TEXT;
UPDATE accounts SET login_key = '0:' || email;
ALTER TABLE accounts ALTER COLUMN login_key SET NOT NULL;
ALTER TABLE accounts ADD CONSTRAINT accounts_login_key UNIQUE (login_key);
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
CREATE INDEX accounts_email ON accounts (email);
