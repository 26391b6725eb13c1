//! Pages: staff.
