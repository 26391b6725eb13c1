DROP TABLE keystore.patron_keys;
