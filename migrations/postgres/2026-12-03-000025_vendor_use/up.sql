-- A vendor contract may name the optional use of the library's policy it
-- serves (#16): a patron who opted out of that use is not valid for it.
ALTER TABLE vendors ADD COLUMN use_key TEXT;
