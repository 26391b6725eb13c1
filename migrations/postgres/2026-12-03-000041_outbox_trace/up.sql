-- The W3C traceparent of the request that queued a message (#17), so its
-- delivery span can link back to that request's trace. Holds ids only.
ALTER TABLE outbox ADD COLUMN trace_parent TEXT;

-- The claim answers it too (the grant to the application role is made again
-- after every migration run, in store::migrations).
DROP FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT);
CREATE FUNCTION outbox_claim(p_worker TEXT, p_now TIMESTAMP, p_lease_until TIMESTAMP, p_limit BIGINT)
    RETURNS TABLE (library_id BIGINT, id BIGINT, message_id TEXT, envelope_sealed TEXT, message_sealed TEXT,
                   attempts INTEGER, body_id BIGINT, patron_id BIGINT, trace_parent TEXT)
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
              o.body_id, o.patron_id, o.trace_parent
    $$;
REVOKE ALL ON FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT) FROM PUBLIC;
