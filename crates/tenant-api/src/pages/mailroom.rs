//! Pages: mailroom.
