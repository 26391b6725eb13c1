//! Pages in a client's hands: web_directory_admin (in-process, both backends).
