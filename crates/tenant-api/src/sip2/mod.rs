//! SIP2 (the 3M Standard Interchange Protocol 2.0) for vendors: its own TCP
//! listener on `sip2.bind`, answering patron checks from the same function as
//! the REST `POST /api/v1/vendor/patron-status`.
//!
//! `codec` reads and writes messages, `session` holds one connection's
//! conversation, `listener` accepts connections, and `desk` is what they ask
//! of custodian (`custody_desk.rs` implements it over `custody::vendors`).

pub mod codec;
pub mod custody_desk;
pub mod desk;
pub mod listener;
pub mod session;

pub use desk::{Answer, Caller, DeskError, PatronDesk, Refused};
pub use listener::{Config, Listener};
pub use session::Limits;
