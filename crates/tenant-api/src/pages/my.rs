//! Pages: my.
