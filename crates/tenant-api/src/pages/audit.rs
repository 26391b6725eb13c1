//! Pages: audit.
