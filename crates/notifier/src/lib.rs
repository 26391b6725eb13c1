//! Email for custodian: the outbox and its delivery workers, the templates of
//! every message sent, inbound mail, and the correction requests it becomes.
//!
//! Everything here blocks (database, SMTP); callers on an async runtime run
//! it on blocking threads.

pub mod classify;
pub mod delivery;
pub mod inbound;
pub mod maildir;
pub mod message;
pub mod patron_email;
pub mod requests;
pub mod sender;
pub mod templates;
pub mod wake;

pub use requests::{Mailroom, MailroomError};
