ALTER TABLE legal_requests DROP COLUMN imminent_danger;
