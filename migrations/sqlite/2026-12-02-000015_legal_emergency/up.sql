-- An emergency request states whether someone's safety is in imminent
-- danger, which the emergency exception requires. The requester's name,
-- agency and email are encrypted from now on in the columns they had (each
-- value reads v1.<key id>.<base64>); a row registered before reads as it was.
ALTER TABLE legal_requests ADD COLUMN imminent_danger BOOLEAN NOT NULL DEFAULT FALSE;
