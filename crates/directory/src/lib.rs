//! The public organizational directory of member libraries.
