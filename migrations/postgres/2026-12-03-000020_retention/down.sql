DROP INDEX library_records_ended;
DROP FUNCTION outbox_expire_dead(BIGINT, TIMESTAMP);
DROP TABLE job_leases;
DROP TABLE retention_runs;
DROP TABLE retention_periods;
