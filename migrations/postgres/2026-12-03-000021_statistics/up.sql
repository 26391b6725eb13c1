-- Statistics that identify no one (#15): a count per library, day, series
-- and key (a page's route pattern, or ''). No patron, no address. Library 0
-- holds the consortium's own pages (no library in their path), so it has no
-- foreign key.
CREATE TABLE statistics_counts (
    library_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    series TEXT NOT NULL,
    key TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (library_id, day, series, key)
);

ALTER TABLE statistics_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON statistics_counts
    USING (library_id = (SELECT custodian_current_library()))
    WITH CHECK (library_id = (SELECT custodian_current_library()));
CREATE POLICY owner_access ON statistics_counts TO CURRENT_USER USING (TRUE) WITH CHECK (TRUE);
