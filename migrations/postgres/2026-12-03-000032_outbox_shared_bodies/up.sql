-- One letter to many patrons (#16, the policy notice to a million): the
-- letter is sealed once in outbox_bodies, and each patron's outbox row holds
-- only which body and which patron. The address is opened from the patron's
-- own sealed email when the message is claimed, so queueing costs a small row
-- per patron instead of a sealed 2 KB copy, and a patron deleted before
-- delivery is not written to (their key, and so their address, is gone).
CREATE TABLE outbox_bodies (
    library_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    -- What the body is for, unique in its library (e.g. policy_notice/3), so
    -- a rerun finds the same body instead of sealing another.
    purpose TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (library_id, id),
    UNIQUE (library_id, purpose)
);
ALTER TABLE outbox_bodies ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_bodies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox_bodies
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON outbox_bodies TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;

-- Both NULL for a message sealed whole, both set for one on a shared body.
ALTER TABLE outbox ADD COLUMN body_id BIGINT;
ALTER TABLE outbox ADD COLUMN patron_id BIGINT;
ALTER TABLE outbox ADD CONSTRAINT outbox_shared_body
    CHECK ((body_id IS NULL) = (patron_id IS NULL));

-- The claim also answers which body and patron a message is for; the worker
-- opens those inside the library's own scope, as any reader would.
DROP FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT);
CREATE FUNCTION outbox_claim(p_worker TEXT, p_now TIMESTAMP, p_lease_until TIMESTAMP, p_limit BIGINT)
    RETURNS TABLE (library_id BIGINT, id BIGINT, message_id TEXT, envelope_sealed TEXT, message_sealed TEXT,
                   attempts INTEGER, body_id BIGINT, patron_id BIGINT)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    UPDATE outbox o
       SET status = 'sending', locked_by = p_worker, locked_until = p_lease_until, attempts = o.attempts + 1
     WHERE (o.library_id, o.id) IN (
            SELECT d.library_id, d.id FROM outbox d
             WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= p_now
               AND (d.status = 'pending' OR d.locked_until < p_now)
             ORDER BY d.next_attempt_at, d.id
             LIMIT p_limit
             FOR UPDATE SKIP LOCKED)
    RETURNING o.library_id, o.id, o.message_id, o.envelope_sealed, o.message_sealed, o.attempts,
              o.body_id, o.patron_id
    $$;
REVOKE ALL ON FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT) FROM PUBLIC;
