DROP TABLE legal_documents;
DROP SEQUENCE legal_document_ids;
