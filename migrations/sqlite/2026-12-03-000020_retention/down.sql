ALTER TABLE mail_requests DROP COLUMN content_removed_at;
DROP INDEX library_records_ended;
DROP TABLE job_leases;
DROP TABLE retention_runs;
DROP TABLE retention_periods;
