DROP TRIGGER policy_notices_forget_patron ON patrons;
DROP FUNCTION policy_notices_forget_patron();
ALTER TABLE policy_notices DROP CONSTRAINT policy_notices_pkey;
ALTER TABLE policy_notices ADD PRIMARY KEY (library_id, version, patron_id);
ALTER TABLE policy_notices ADD FOREIGN KEY (library_id, patron_id) REFERENCES patrons (library_id, id) ON DELETE CASCADE;
