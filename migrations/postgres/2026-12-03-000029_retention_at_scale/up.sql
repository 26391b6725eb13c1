-- Anonymizing clears free text only where there is some: find those rows
-- without reading the rest.
CREATE INDEX library_records_with_details ON library_records (library_id, id) WHERE details_sealed IS NOT NULL;

-- A dead letter whose sealed copy retention removed is 'expired': it can no
-- longer be retried. The status was set by outbox_expire_dead but refused
-- by the check, so the step failed on the first letter it reached.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'expired'));
