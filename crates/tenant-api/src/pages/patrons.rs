//! Pages: patrons.
