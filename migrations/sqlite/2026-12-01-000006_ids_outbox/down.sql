DROP TABLE id_spaces;
