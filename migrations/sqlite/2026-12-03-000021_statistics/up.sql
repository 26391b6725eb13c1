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
