DELETE FROM patron_consents WHERE kind IN ('opt_out', 'opt_in');
ALTER TABLE patron_consents DROP CONSTRAINT patron_consents_kind_check;
ALTER TABLE patron_consents ADD CONSTRAINT patron_consents_kind_check
    CHECK (kind IN ('guardian', 'disclosure'));
ALTER TABLE vendors DROP COLUMN use_key;
