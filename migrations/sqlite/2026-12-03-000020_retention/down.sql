DROP INDEX library_records_ended;
DROP TABLE job_leases;
DROP TABLE retention_runs;
DROP TABLE retention_periods;
