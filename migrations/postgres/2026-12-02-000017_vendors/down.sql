DROP FUNCTION IF EXISTS vendor_key_owner(TEXT);
DROP TABLE vendor_keys;
DROP TABLE vendors;
DROP SEQUENCE vendor_ids;
