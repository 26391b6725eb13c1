-- PostgreSQL's ids already come from sequences, which never reuse a value.
SELECT 1;
