ALTER TABLE mail_requests DROP COLUMN content_removed_at;
DROP INDEX library_records_ended;
DROP FUNCTION outbox_expire_dead(BIGINT, TIMESTAMP);
DROP TABLE job_leases;
DROP TABLE retention_runs;
DROP TABLE retention_periods;
