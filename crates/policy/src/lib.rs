//! Library-record confidentiality rules as code. No I/O, no async, no database.
//!
//! The promises of the member libraries' privacy policies, and the statutes
//! behind them, as decisions that every other crate must ask: what a library
//! record is ([`records`]), what each state's law allows ([`jurisdiction`]),
//! who may see what on which basis ([`disclosure`]), how long identifying
//! data lives ([`retention`]), children ([`minors`]), showing identifiers
//! ([`masking`]), a library's own policy document ([`document`]) and its
//! plain words, differences and optional uses ([`plain`]), and the
//! clause behind every answer ([`clause`]).

pub mod clause;
pub mod directory;
pub mod disclosure;
pub mod document;
pub mod jurisdiction;
pub mod masking;
pub mod minors;
pub mod plain;
pub mod records;
pub mod requests;
pub mod retention;
pub mod staff;
pub mod statistics;
