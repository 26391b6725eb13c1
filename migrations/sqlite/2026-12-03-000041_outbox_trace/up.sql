-- The W3C traceparent of the request that queued a message (#17), so its
-- delivery span can link back to that request's trace. Holds ids only.
ALTER TABLE outbox ADD COLUMN trace_parent TEXT;
