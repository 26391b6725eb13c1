-- PostgreSQL replaces policy_notices' foreign key with a trigger here (its
-- check locked every patron row a notice batch touched); SQLite's foreign
-- key costs no such lock and stays. Kept so the two lists stay in step.
SELECT 1;
