DROP TABLE legal_documents;
DELETE FROM id_spaces WHERE space = 'legal_documents';
