DROP FUNCTION IF EXISTS staff_memberships(BIGINT);
DROP TABLE IF EXISTS library_staff;
DROP FUNCTION IF EXISTS custodian_current_library();
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS accounts;
DROP TABLE IF EXISTS libraries;
DROP TABLE IF EXISTS consortium;
