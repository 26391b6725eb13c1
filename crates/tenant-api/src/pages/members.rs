//! Pages: members.
