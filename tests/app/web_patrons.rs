//! Pages in a client's hands: web_patrons (in-process, both backends).
