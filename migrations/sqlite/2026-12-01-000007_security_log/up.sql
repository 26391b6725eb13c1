-- See the PostgreSQL migration of the same name for why.
CREATE TABLE security_log (
    library_id BIGINT NOT NULL DEFAULT 0 CHECK (library_id = 0),
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    target_library_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    clause TEXT NOT NULL,
    repeats BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX security_log_actor ON security_log (library_id, actor, at);

-- SQLite cannot drop the inline UNIQUE on accounts.email without rebuilding a
-- table other tables reference, so the unique column is renamed to become
-- the per-library key and a plain email column is added beside it.
ALTER TABLE accounts RENAME COLUMN email TO login_key;
ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';
UPDATE accounts SET email = login_key, login_key = '0:' || login_key;
CREATE INDEX accounts_email ON accounts (email);
