ALTER TABLE outbox ALTER COLUMN message_sealed SET STORAGE EXTENDED;
ALTER TABLE outbox ALTER COLUMN envelope_sealed SET STORAGE EXTENDED;
DROP TABLE patron_opt_outs;
DROP TABLE policy_dismissals;
DROP TABLE policy_notices;
DROP TRIGGER privacy_policy_versions_immutable ON privacy_policy_versions;
DROP FUNCTION privacy_policy_versions_immutable();
DROP TABLE privacy_policy_versions;
