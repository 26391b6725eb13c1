DROP INDEX IF EXISTS accounts_email;
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_login_key;
ALTER TABLE accounts DROP COLUMN IF EXISTS login_key;
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
DROP TABLE IF EXISTS security_log;
