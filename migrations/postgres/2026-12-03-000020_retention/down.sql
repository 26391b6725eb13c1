DROP TABLE job_leases;
DROP TABLE retention_runs;
DROP TABLE retention_periods;
