//! Library-record confidentiality rules as code. No I/O, no async, no database.

pub mod staff;
