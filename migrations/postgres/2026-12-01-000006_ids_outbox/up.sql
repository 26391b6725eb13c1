-- The outbox becomes a tenant table like any other: library_id first in its
-- keys (Citus-ready) and row-level security, so a library's scope sees only
-- its own library's messages (the director's own mail is scope 0, as for
-- mail_requests). Ids keep coming from the outbox's sequence, so they are
-- never reused and a message can still be named by its id alone.
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (library_id, id);
ALTER TABLE outbox DROP CONSTRAINT outbox_message_id_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_message_id_key UNIQUE (library_id, message_id);
CREATE INDEX outbox_id ON outbox (id);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_access ON outbox TO %I USING (TRUE) WITH CHECK (TRUE)', current_user);
END
$$;

-- Delivery works across libraries, through these narrow functions only
-- (owned by the owner, granted to the application role): a worker claims
-- what is due and records each outcome; it never reads a library's rows.
CREATE FUNCTION outbox_claim(p_worker TEXT, p_now TIMESTAMP, p_lease_until TIMESTAMP, p_limit BIGINT)
    RETURNS TABLE (library_id BIGINT, id BIGINT, message_id TEXT, envelope_sealed TEXT, message_sealed TEXT, attempts INTEGER)
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
    RETURNING o.library_id, o.id, o.message_id, o.envelope_sealed, o.message_sealed, o.attempts
    $$;
REVOKE ALL ON FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT) FROM PUBLIC;

-- Delivered: the sealed copy goes, custodian has no reason to keep it.
CREATE FUNCTION outbox_mark_sent(p_library BIGINT, p_id BIGINT, p_now TIMESTAMP)
    RETURNS VOID
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    UPDATE outbox o
       SET status = 'sent', sent_at = p_now, locked_by = NULL, locked_until = NULL,
           message_sealed = '', envelope_sealed = '', last_error = NULL
     WHERE o.library_id = p_library AND o.id = p_id
    $$;
REVOKE ALL ON FUNCTION outbox_mark_sent(BIGINT, BIGINT, TIMESTAMP) FROM PUBLIC;

-- A failed attempt: pending again at p_retry_at, or dead when it is NULL.
CREATE FUNCTION outbox_mark_failed(p_library BIGINT, p_id BIGINT, p_error TEXT, p_retry_at TIMESTAMP)
    RETURNS VOID
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    UPDATE outbox o
       SET status = CASE WHEN p_retry_at IS NULL THEN 'dead' ELSE 'pending' END,
           locked_by = NULL, locked_until = NULL, last_error = p_error,
           next_attempt_at = COALESCE(p_retry_at, o.next_attempt_at)
     WHERE o.library_id = p_library AND o.id = p_id
    $$;
REVOKE ALL ON FUNCTION outbox_mark_failed(BIGINT, BIGINT, TEXT, TIMESTAMP) FROM PUBLIC;

-- The director puts a dead letter back. Answers the status it had (NULL: no
-- such message), so the caller can say why nothing changed.
CREATE FUNCTION outbox_retry(p_id BIGINT, p_now TIMESTAMP)
    RETURNS TEXT
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    DECLARE
        v_status TEXT;
    BEGIN
        SELECT o.status INTO v_status FROM outbox o WHERE o.id = p_id FOR UPDATE;
        IF v_status = 'dead' THEN
            UPDATE outbox o
               SET status = 'pending', attempts = 0, next_attempt_at = p_now, last_error = NULL
             WHERE o.id = p_id;
        END IF;
        RETURN v_status;
    END
    $$;
REVOKE ALL ON FUNCTION outbox_retry(BIGINT, TIMESTAMP) FROM PUBLIC;

-- What the director sees of messages: never their content or recipient.
CREATE FUNCTION outbox_summaries(p_id BIGINT, p_status TEXT, p_before BIGINT, p_limit BIGINT)
    RETURNS TABLE (id BIGINT, library_id BIGINT, message_id TEXT, template TEXT, recipient_hint TEXT,
                   status TEXT, attempts INTEGER, next_attempt_at TIMESTAMP, last_error TEXT,
                   created_at TIMESTAMP, sent_at TIMESTAMP)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT o.id, o.library_id, o.message_id, o.template, o.recipient_hint, o.status, o.attempts,
           o.next_attempt_at, o.last_error, o.created_at, o.sent_at
      FROM outbox o
     WHERE (p_id IS NULL OR o.id = p_id)
       AND (p_status IS NULL OR o.status = p_status)
       AND (p_before IS NULL OR o.id < p_before)
     ORDER BY o.id DESC
     LIMIT p_limit
    $$;
REVOKE ALL ON FUNCTION outbox_summaries(BIGINT, TEXT, BIGINT, BIGINT) FROM PUBLIC;

-- How many messages are in each state: counts only.
CREATE FUNCTION outbox_counts()
    RETURNS TABLE (status TEXT, n BIGINT)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT o.status, count(*) FROM outbox o GROUP BY o.status ORDER BY o.status $$;
REVOKE ALL ON FUNCTION outbox_counts() FROM PUBLIC;
