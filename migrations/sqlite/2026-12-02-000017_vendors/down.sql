DROP TABLE vendor_keys;
DROP TABLE vendors;
DELETE FROM id_spaces WHERE space = 'vendors';
