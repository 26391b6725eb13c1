-- For /metrics: when the oldest message still waiting was queued, across
-- libraries. It returns a time and nothing a message says, so an operator's
-- scrape needs no library scope.
CREATE FUNCTION outbox_oldest_waiting()
    RETURNS TIMESTAMP
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT min(o.created_at) FROM outbox o WHERE o.status IN ('pending', 'sending') $$;
REVOKE ALL ON FUNCTION outbox_oldest_waiting() FROM PUBLIC;
