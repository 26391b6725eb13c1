//! Email for custodian: the outbox and its delivery workers, the templates of
//! every message sent, inbound mail, and the correction requests it becomes.
//!
//! Everything here blocks (database, SMTP); callers on an async runtime run
//! it on blocking threads.

pub mod classify;
pub mod delivery;
pub mod inbound;
pub mod legal_release;
pub mod maildir;
pub mod message;
pub mod patron_email;
pub mod policy_notice;
pub mod requests;
pub mod route;
pub mod sender;
pub mod smtp;
pub mod templates;
pub mod vendor_mail;
pub mod wake;

pub use requests::{Mailroom, MailroomError};
/// A message taken in, as the inbound ledger lists it.
pub use store::inbound::Logged;
/// A message in the outbox, as the director's outbox lists it (masked recipient, no content).
pub use store::outbox::Summary as OutboxLetter;
/// How request dates are written and read in the API (RFC 3339).
pub use store::time;
