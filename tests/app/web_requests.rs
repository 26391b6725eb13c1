//! Pages in a client's hands: web_requests (in-process, both backends).
