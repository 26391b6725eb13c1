//! Emailed requests: the correction, update and deletion requests that
//! patrons and libraries send by mail (or a patron files in the portal),
//! stored as `mail_requests` ([`MailRequest`], [`MailRequestId`]). Not an
//! HTTP request (actix's, in `tenant-api`), and not a disclosure request
//! (someone asking to see library records, decided by `policy::disclosure`).
//! In this module "request" means only the emailed kind.
//!
//! The mailroom: inbound mail becomes requests in the right queue, senders
//! confirm by a single-use link, staff answer through the outbox.
//!
//! Every change and the mail it causes are written in one transaction, so a
//! crash leaves either both or neither; the workers deliver what was queued.

mod ingest;
mod links;
mod postmaster;
mod staff;
mod sweeps;

pub use ingest::{Channel, Ingested};
pub use links::LinkRequest;
pub use staff::{parse_due, RequestDetail, StaffChange};
pub use sweeps::Sweep;
// The vocabulary of the mailroom's calls, so its callers need not reach into the store.
pub use store::requests::{Event, Filter, MailRequest};
pub use store::{AccountId, LibraryId, MailRequestId};

use crate::inbound::ParseError;
use crate::message::{compose, ComposeError, Composed, Draft};
use crate::templates::{self, Rendered};
use crate::wake::Waker;
use chrono::NaiveDateTime;
use lettre::message::Mailbox;
use std::sync::Arc;
use store::encryption::Keyring;
use store::{outbox, DbConn, LibraryTx, Store, StoreError};

/// What can go wrong in the mailroom. Never carries what a message said.
#[derive(Debug, thiserror::Error)]
pub enum MailroomError {
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// The input is not an email message.
    #[error(transparent)]
    Unreadable(#[from] ParseError),
    /// No such request in this queue.
    #[error("no such request")]
    NotFound,
    /// Staff asked for a change the rules do not allow.
    #[error("{0}")]
    Refused(&'static str),
    /// A field of staff's input is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// A confirmation link that is unknown or replaced by a reminder's.
    #[error("this confirmation link is not valid: it may have been replaced by the link in a later reminder, or copied incompletely from the email")]
    LinkInvalid,
    /// A confirmation link that was used already: its request is confirmed.
    #[error("this link was already used: request {reference} was confirmed, and nothing more is needed from you")]
    LinkSpent {
        /// The request's number, as its emails give it.
        reference: String,
    },
    /// A confirmation link past its expiry.
    #[error("this confirmation link has expired, so the request has lapsed and nothing was changed; send a new email to start again")]
    LinkExpired,
    /// A message could not be composed or rendered.
    #[error("composing a message failed: {0}")]
    Compose(String),
}

impl From<StoreError> for MailroomError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => MailroomError::NotFound,
            other => MailroomError::Store(other),
        }
    }
}

impl From<ComposeError> for MailroomError {
    fn from(e: ComposeError) -> Self {
        match e {
            // The sender's own address: staff's input is not at fault, and
            // nothing can be sent; say so rather than fail as a bug.
            ComposeError::BadRecipient => MailroomError::Refused(
                "the sender's address cannot receive mail, so no message can be sent to it",
            ),
            ComposeError::Build(_) => MailroomError::Compose(e.to_string()),
        }
    }
}

impl From<askama::Error> for MailroomError {
    fn from(e: askama::Error) -> Self {
        MailroomError::Compose(e.to_string())
    }
}

/// The scope of the director's inbox and triage: the consortium's own,
/// behind the same door as any library's queue.
pub const DIRECTOR_SCOPE: LibraryId = LibraryId::CONSORTIUM;

/// The mailroom's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Who custodian's mail comes from.
    pub from: Mailbox,
    /// The public base URL confirmation links point at.
    pub public_url: String,
    /// Days a request has before it is due.
    pub due_days: i64,
    /// Days a confirmation link works.
    pub confirm_days: i64,
    /// Hours after which an unconfirmed request gets its one reminder.
    pub remind_after_hours: i64,
}

/// The mailroom: ingest, confirm, sweep, and the staff's work on requests.
#[derive(Clone)]
pub struct Mailroom {
    store: Store,
    keys: Keyring,
    settings: Arc<Settings>,
    waker: Waker,
}

fn kind_phrase(kind: &str, queue: &str) -> &'static str {
    templates::Audience::of_queue(queue).kind_phrase(kind)
}

fn reference(library: LibraryId, id: MailRequestId) -> String {
    format!("R-{}-{}", library.0, id)
}

fn consortium_name(conn: &mut DbConn) -> Result<String, StoreError> {
    Ok(store::libraries::consortium_name(conn)?.unwrap_or_else(|| "The library consortium".into()))
}

/// The name that signs for a scope: the library's, or the consortium's office.
fn handler_name(conn: &mut DbConn, scope: LibraryId) -> Result<String, StoreError> {
    if scope == LibraryId::CONSORTIUM {
        Ok(format!(
            "The {} office",
            consortium_name(conn)?.trim_start_matches("The ")
        ))
    } else {
        Ok(store::libraries::by_id(conn, scope)?.name)
    }
}

impl Mailroom {
    /// A mailroom over `store`.
    pub fn new(store: Store, keys: Keyring, settings: Settings, waker: Waker) -> Self {
        Mailroom {
            store,
            keys,
            settings: Arc::new(settings),
            waker,
        }
    }

    /// The bell that wakes the outbox workers.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Composes and queues `rendered` to `to` inside the caller's transaction.
    fn queue(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        rendered: &Rendered,
        in_reply_to: Option<&str>,
        auto_submitted: &'static str,
        now: NaiveDateTime,
    ) -> Result<Composed, MailroomError> {
        let composed = compose(
            &self.settings.from,
            &Draft {
                to: to.to_owned(),
                subject: rendered.subject.clone(),
                text: rendered.text.clone(),
                html: rendered.html.clone(),
                in_reply_to: in_reply_to.map(str::to_owned),
                auto_submitted,
            },
        )?;
        let hint = policy::masking::mask_email(to);
        outbox::enqueue(
            tx,
            &self.keys,
            &outbox::NewMessage {
                message_id: &composed.message_id,
                template: rendered.template,
                recipient_hint: &hint,
                envelope_from: &composed.envelope_from,
                envelope_to: &composed.envelope_to,
                message: &composed.bytes,
                now,
            },
        )?;
        Ok(composed)
    }
}

// For mail composed outside this module (a patron's email confirmation).
impl Mailroom {
    /// Composes and queues `rendered` to `to` inside the caller's library transaction.
    pub fn queue_in(
        &self,
        tx: &mut LibraryTx<'_>,
        to: &str,
        rendered: &Rendered,
        now: NaiveDateTime,
    ) -> Result<(), MailroomError> {
        self.queue(tx, to, rendered, None, "auto-generated", now)
            .map(|_| ())
    }

    /// The address custodian's mail comes from.
    pub fn from_mailbox(&self) -> &lettre::message::Mailbox {
        &self.settings.from
    }

    /// The public base URL links in custodian's mail point at.
    pub fn public_url(&self) -> &str {
        self.settings.public_url.trim_end_matches('/')
    }
}

// The worklists and a request's page (tenant-api's pages and their JSON endpoints).
pub use staff::{worklist_key, Due, Received, Worklist};
pub use store::requests::is_overdue;
