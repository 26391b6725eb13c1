-- A vendor contract may name the optional use of the library's policy it
-- serves (#16): a patron who opted out of that use is not valid for it.
ALTER TABLE vendors ADD COLUMN use_key TEXT;

-- A patron's opt-out from an optional use, and opting back in, go into the
-- consent ledger beside guardian and disclosure consents.
ALTER TABLE patron_consents DROP CONSTRAINT patron_consents_kind_check;
ALTER TABLE patron_consents ADD CONSTRAINT patron_consents_kind_check
    CHECK (kind IN ('guardian', 'disclosure', 'opt_out', 'opt_in'));
