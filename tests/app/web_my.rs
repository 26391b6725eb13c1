//! Pages in a client's hands: web_my (in-process, both backends).
