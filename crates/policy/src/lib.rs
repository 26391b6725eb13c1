//! Library-record confidentiality rules as code. No I/O, no async, no database.

pub mod clause;
pub mod directory;
pub mod disclosure;
pub mod document;
pub mod jurisdiction;
pub mod masking;
pub mod minors;
pub mod records;
pub mod retention;
pub mod staff;
