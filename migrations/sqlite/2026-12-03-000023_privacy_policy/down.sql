DROP TABLE patron_opt_outs;
DROP TABLE policy_dismissals;
DROP TABLE policy_notices;
DROP TRIGGER privacy_policy_versions_no_delete;
DROP TRIGGER privacy_policy_versions_no_update;
DROP TABLE privacy_policy_versions;
