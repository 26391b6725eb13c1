DROP TABLE statistics_counts;
