DROP INDEX IF EXISTS accounts_email;
UPDATE accounts SET login_key = email;
ALTER TABLE accounts DROP COLUMN email;
ALTER TABLE accounts RENAME COLUMN login_key TO email;
DROP TABLE IF EXISTS security_log;
