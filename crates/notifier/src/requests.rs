//! The mailroom: inbound mail becomes requests in the right queue, senders
//! confirm by a single-use link, staff answer through the outbox.
//!
//! Every change and the mail it causes are written in one transaction, so a
//! crash leaves either both or neither; the workers deliver what was queued.

use crate::classify::{classify, Classification};
use crate::delivery::Transport;
use crate::inbound::{self, Automatic, ParseError};
use crate::message::{compose, ComposeError, Composed, Draft};
use crate::templates::{self, Rendered};
use crate::wake::Waker;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use lettre::message::Mailbox;
use policy::requests::{staff_may_move, RequestKind, RequestStatus, BACKUP_NOTICE};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::requests::{self as stored, Event, Request};
use store::sealing::Keyring;
use store::{
    inbound as ledger, outbox, Access, AccountId, DbConn, LibraryId, LibraryTx, Store, StoreError,
};

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
    /// A confirmation link that is unknown, used already or replaced by a reminder's.
    #[error("this confirmation link is not valid: it may have been used already, or replaced by the link in a later reminder")]
    LinkInvalid,
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

/// Which channel a message came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `custodian mail ingest` reading standard input.
    Stdin,
    /// `custodian mail ingest --maildir`.
    Maildir,
    /// The mail gateway's HTTP endpoint.
    Gateway,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Stdin => "stdin",
            Channel::Maildir => "maildir",
            Channel::Gateway => "gateway",
        }
    }
}

/// What became of an inbound message. Names no one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Ingested {
    /// request, auto_reply, bounce or duplicate.
    pub outcome: &'static str,
    /// correct, update, delete or other, for a request.
    pub kind: Option<&'static str>,
    /// director, library or triage, for a request.
    pub route: Option<&'static str>,
    /// The slugs of the libraries a patron's request went to.
    pub libraries: Vec<String>,
    /// Why.
    pub reason: String,
}

impl Ingested {
    fn duplicate() -> Self {
        Ingested {
            outcome: "duplicate",
            kind: None,
            route: None,
            libraries: Vec::new(),
            reason: "a message with this Message-ID was ingested before".into(),
        }
    }
}

/// A request with its history.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    /// The request.
    #[serde(flatten)]
    pub request: Request,
    /// Its history, oldest first.
    pub history: Vec<Event>,
}

/// What staff may change.
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    /// New status.
    pub status: Option<String>,
    /// New owner (`Some(None)` clears it).
    pub owner: Option<Option<AccountId>>,
    /// New due time (UTC).
    pub due: Option<NaiveDateTime>,
    /// Staff's internal note: kept, sealed, in the request's history and
    /// never sent to anyone.
    pub note: Option<String>,
    /// Words for the requester in the closing notice (done or rejected);
    /// without them the notice says only the template's own wording.
    pub notice: Option<String>,
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// Reminders queued.
    pub reminded: usize,
    /// Requests that lapsed.
    pub lapsed: usize,
}

fn kind_phrase(kind: &str, queue: &str) -> &'static str {
    templates::Audience::of_queue(queue).kind_phrase(kind)
}

fn reference(library: LibraryId, id: i64) -> String {
    format!("R-{}-{}", library.0, id)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh confirmation token for a request in `library`: the scope is in
/// the clear (it only says where to look), the rest is 256 random bits.
fn new_token(library: LibraryId) -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    format!("c{}.{}", library.0, URL_SAFE_NO_PAD.encode(secret))
}

fn token_scope(token: &str) -> Option<LibraryId> {
    let (scope, secret) = token.strip_prefix('c')?.split_once('.')?;
    if secret.len() != 43 {
        return None;
    }
    scope.parse::<i64>().ok().filter(|n| *n >= 0).map(LibraryId)
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

    /// A delivery worker for this mailroom's outbox.
    pub fn worker(
        &self,
        transport: Transport,
        policy: crate::delivery::Policy,
    ) -> crate::delivery::Worker {
        crate::delivery::Worker::new(self.store.clone(), self.keys.clone(), transport, policy)
    }

    fn link(&self, token: &str) -> String {
        format!(
            "{}/requests/confirm/{token}",
            self.settings.public_url.trim_end_matches('/')
        )
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

    /// Takes in one raw message: records it once, classifies it, files the
    /// request in the right queue and queues the confirmation, in one
    /// transaction.
    pub fn ingest(
        &self,
        raw: &[u8],
        channel: Channel,
        now: NaiveDateTime,
    ) -> Result<Ingested, MailroomError> {
        let message = inbound::parse(raw)?;
        let size = i64::try_from(message.size).unwrap_or(i64::MAX);
        let mut conn = self.store.conn()?;
        if ledger::seen(&mut conn, &message.fingerprint)? {
            return Ok(Ingested::duplicate());
        }
        if let Some(auto) = &message.automatic {
            let (outcome, reason) = match auto {
                Automatic::AutoReply(r) => ("auto_reply", format!("an automatic reply: {r}")),
                Automatic::Bounce(r) => ("bounce", format!("a delivery failure report: {r}")),
            };
            let recorded = store::tenant::consortium(&mut conn, Access::Write, |c| {
                ledger::record(
                    c,
                    &ledger::NewInbound {
                        fingerprint: &message.fingerprint,
                        received_at: now,
                        channel: channel.as_str(),
                        outcome,
                        route: None,
                        reason: &reason,
                        size_bytes: size,
                    },
                )
            })?;
            return Ok(match recorded {
                None => Ingested::duplicate(),
                Some(_) => Ingested {
                    outcome,
                    kind: None,
                    route: None,
                    libraries: Vec::new(),
                    reason,
                },
            });
        }
        let Classification {
            kind,
            reason: kind_reason,
        } = classify(&message.subject, &message.text);
        let sender = message.from.clone();
        let (route, queue, scopes, route_reason) = match &sender {
            None => (
                "triage",
                "triage",
                vec![LibraryId::CONSORTIUM],
                "no sender address to match",
            ),
            Some(address) => {
                let contacts = store::directory::libraries_with_contact(&mut conn, address)?;
                if !contacts.is_empty() {
                    (
                        "director",
                        "inbox",
                        vec![LibraryId::CONSORTIUM],
                        "the sender is a member library's directory contact",
                    )
                } else {
                    let libraries =
                        store::patrons::libraries_with_email(&mut conn, &self.keys, address)?;
                    if libraries.is_empty() {
                        (
                            "triage",
                            "triage",
                            vec![LibraryId::CONSORTIUM],
                            "the sender is neither a library contact nor a patron",
                        )
                    } else {
                        (
                            "library",
                            "library",
                            libraries,
                            "the sender is a patron of a member library",
                        )
                    }
                }
            }
        };
        let reason = format!("{kind_reason}; {route_reason}");
        let attachments =
            serde_json::to_string(&message.attachments).unwrap_or_else(|_| "[]".into());
        let outcome = store::tenant::consortium(&mut conn, Access::Write, |conn| {
            let Some(inbound_id) = ledger::record(
                conn,
                &ledger::NewInbound {
                    fingerprint: &message.fingerprint,
                    received_at: now,
                    channel: channel.as_str(),
                    outcome: "request",
                    route: Some(route),
                    reason: if route == "library" {
                        route_reason
                    } else {
                        &reason
                    },
                    size_bytes: size,
                },
            )?
            else {
                return Ok::<_, MailroomError>(None);
            };
            let consortium = consortium_name(conn)?;
            let mut slugs = Vec::new();
            for scope in &scopes {
                let handler = handler_name(conn, *scope)?;
                if route == "library" {
                    ledger::add_route(conn, inbound_id, *scope)?;
                    slugs.push(store::libraries::by_id(conn, *scope)?.slug);
                }
                let mut tx = store::tenant::rescope(conn, *scope)?;
                let confirm = kind.needs_confirmation() && sender.is_some();
                let token = confirm.then(|| new_token(*scope));
                let hash = token.as_deref().map(token_hash);
                let expires = now + Duration::days(self.settings.confirm_days);
                let status = if confirm {
                    RequestStatus::AwaitingConfirmation
                } else {
                    RequestStatus::Received
                };
                let id = stored::create(
                    &mut tx,
                    &self.keys,
                    &stored::NewRequest {
                        inbound_id: Some(inbound_id),
                        source: "email",
                        patron_id: None,
                        reply_to: message.reply_to.as_deref(),
                        confirmed_at: None,
                        queue,
                        kind: kind.as_str(),
                        reason: &reason,
                        status: status.as_str(),
                        due_at: now + Duration::days(self.settings.due_days),
                        sender: sender.as_deref().unwrap_or_default(),
                        subject: &message.subject,
                        body: &message.text,
                        attachments: &attachments,
                        raw,
                        in_reply_to: message.message_id.as_deref(),
                        confirm_hash: hash.as_deref(),
                        confirm_expires_at: confirm.then_some(expires),
                        now,
                    },
                )?;
                let Some(to) = sender.as_deref() else {
                    continue;
                };
                let rendered = match &token {
                    Some(token) => templates::confirm(
                        &templates::Confirm {
                            received: store::time::format(&now),
                            kind_phrase: kind_phrase(kind.as_str(), queue).into(),
                            handler: handler.clone(),
                            library: route == "library",
                            link: self.link(token),
                            expires: store::time::format(&expires),
                            reference: reference(*scope, id),
                            consortium: consortium.clone(),
                        },
                        false,
                    )?,
                    None if route == "library" => templates::routed(&templates::Routed {
                        received: store::time::format(&now),
                        handler: handler.clone(),
                        reference: reference(*scope, id),
                        consortium: consortium.clone(),
                    })?,
                    None => continue,
                };
                match self.queue(
                    &mut tx,
                    to,
                    &rendered,
                    message.message_id.as_deref(),
                    "auto-replied",
                    now,
                ) {
                    Ok(_) => {}
                    // An address lettre cannot send to: the request stands
                    // for staff to handle; nothing is queued.
                    Err(MailroomError::Refused(_)) => {
                        stored::add_event(
                            &mut tx,
                            &self.keys,
                            id,
                            None,
                            "no_reply",
                            "the sender's address cannot receive mail",
                            None,
                            now,
                        )?;
                    }
                    Err(e) => return Err(e),
                }
            }
            slugs.sort();
            Ok(Some(slugs))
        });
        let outcome = match outcome {
            Ok(o) => o,
            // Two copies ingested at once: the second lost the race on the ledger.
            Err(MailroomError::Store(StoreError::Conflict(_))) => None,
            Err(e) => return Err(e),
        };
        let Some(libraries) = outcome else {
            return Ok(Ingested::duplicate());
        };
        self.waker.notify();
        Ok(Ingested {
            outcome: "request",
            kind: Some(kind.as_str()),
            route: Some(route),
            libraries,
            reason,
        })
    }

    /// Whether a confirmation link would work, without using it (what the
    /// page a link opens shows before the sender presses the button).
    pub fn check_link(&self, token: &str, now: NaiveDateTime) -> Result<String, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        self.store
            .read(scope, |tx| usable_link(tx, &hash, now).map(|_| ()))?;
        let mut conn = self.store.conn()?;
        Ok(handler_name(&mut conn, scope)?)
    }

    /// Confirms the request a link belongs to; the link is then spent.
    /// Returns who will handle it.
    pub fn confirm(&self, token: &str, now: NaiveDateTime) -> Result<String, MailroomError> {
        let scope = token_scope(token).ok_or(MailroomError::LinkInvalid)?;
        let hash = token_hash(token);
        self.store.write(scope, |tx| {
            let id = usable_link(tx, &hash, now)?;
            Ok::<_, MailroomError>(stored::confirm(tx, &self.keys, id, now)?)
        })?;
        let mut conn = self.store.conn()?;
        Ok(handler_name(&mut conn, scope)?)
    }

    /// Sends the one reminder to requests unconfirmed for `remind_after_hours`
    /// and lets those whose link expired lapse.
    pub fn sweep(&self, now: NaiveDateTime) -> Result<Sweep, MailroomError> {
        let scopes = self
            .store
            .consortium(Access::Read, stored::scopes_awaiting_confirmation)?;
        let asked_before = now - Duration::hours(self.settings.remind_after_hours);
        let mut sweep = Sweep::default();
        for scope in scopes {
            let (handler, consortium) = {
                let mut conn = self.store.conn()?;
                (handler_name(&mut conn, scope)?, consortium_name(&mut conn)?)
            };
            let done = self.store.write(scope, |tx| {
                let mut done = Sweep::default();
                let (remind, lapse) = stored::unconfirmed(tx, asked_before, now)?;
                for id in lapse {
                    if stored::set_status_if(
                        tx,
                        &self.keys,
                        id,
                        "awaiting_confirmation",
                        "lapsed",
                        now,
                    )? {
                        done.lapsed += 1;
                    }
                }
                for id in remind {
                    let token = new_token(scope);
                    if !stored::remind(tx, &self.keys, id, &token_hash(&token), now)? {
                        continue;
                    }
                    let request = stored::get(tx, &self.keys, id)?;
                    let rendered = templates::confirm(
                        &templates::Confirm {
                            received: store::time::format(&request.received_at),
                            kind_phrase: kind_phrase(&request.kind, &request.queue).into(),
                            handler: handler.clone(),
                            library: scope != LibraryId::CONSORTIUM,
                            link: self.link(&token),
                            expires: store::time::format(
                                &request.confirm_expires_at.unwrap_or(now),
                            ),
                            reference: reference(scope, id),
                            consortium: consortium.clone(),
                        },
                        true,
                    )?;
                    self.queue(
                        tx,
                        &request.sender,
                        &rendered,
                        request.in_reply_to.as_deref(),
                        "auto-generated",
                        now,
                    )?;
                    done.reminded += 1;
                }
                Ok::<_, MailroomError>(done)
            })?;
            sweep.reminded += done.reminded;
            sweep.lapsed += done.lapsed;
        }
        if sweep.reminded > 0 {
            self.waker.notify();
        }
        Ok(sweep)
    }

    /// Requests in a queue (`scope` is a library, or the consortium for the director).
    pub fn list(
        &self,
        scope: LibraryId,
        filter: &stored::Filter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Request>, MailroomError> {
        Ok(self.store.read(scope, |tx| {
            stored::list(tx, &self.keys, filter, before, limit)
        })?)
    }

    /// One request and its history; in a library's queue the reading is audited.
    pub fn get(
        &self,
        scope: LibraryId,
        id: i64,
        reader: AccountId,
        now: NaiveDateTime,
    ) -> Result<RequestDetail, MailroomError> {
        self.store.write(scope, |tx| {
            let request = stored::get(tx, &self.keys, id)?;
            let history = stored::events(tx, &self.keys, id)?;
            audit(tx, reader, "request.read", id, now)?;
            Ok(RequestDetail { request, history })
        })
    }

    /// The message as it arrived, byte for byte (attachments included).
    pub fn raw(
        &self,
        scope: LibraryId,
        id: i64,
        reader: AccountId,
        now: NaiveDateTime,
    ) -> Result<Vec<u8>, MailroomError> {
        self.store.write(scope, |tx| {
            let raw = stored::raw(tx, &self.keys, id)?;
            audit(tx, reader, "request.read_message", id, now)?;
            Ok(raw)
        })
    }

    /// Applies staff's change; closing a request tells the sender, in the same transaction.
    pub fn update(
        &self,
        scope: LibraryId,
        id: i64,
        actor: AccountId,
        change: &StaffChange,
        now: NaiveDateTime,
    ) -> Result<RequestDetail, MailroomError> {
        let status = match change.status.as_deref() {
            None => None,
            Some(s) => Some(
                RequestStatus::parse(s).ok_or_else(|| MailroomError::Invalid {
                    field: "status",
                    message: format!(
                        "expected one of received, in_progress, done, rejected; got {s:?}"
                    ),
                })?,
            ),
        };
        if let Some(Some(owner)) = change.owner {
            self.check_owner(scope, owner)?;
        }
        // Only a closing notice is signed, so only closing looks the name up.
        let handler = match status {
            Some(RequestStatus::Done | RequestStatus::Rejected) => {
                let mut conn = self.store.conn()?;
                handler_name(&mut conn, scope)?
            }
            _ => String::new(),
        };
        let mut queued = false;
        let changed = self.store.write(scope, |tx| {
            let current = stored::get(tx, &self.keys, id)?;
            let from = RequestStatus::parse(&current.status).unwrap_or(RequestStatus::Received);
            if let Some(to) = status {
                staff_may_move(from, to).map_err(|r| MailroomError::Refused(r.0))?;
            }
            let request = stored::update(
                tx,
                &self.keys,
                &current,
                Some(actor),
                &stored::Change {
                    status: status.map(|s| s.as_str().to_owned()),
                    owner: change.owner,
                    due_at: change.due,
                },
                now,
            )?;
            if let Some(note) = change.note.as_deref() {
                stored::add_event(
                    tx,
                    &self.keys,
                    id,
                    Some(actor),
                    "note",
                    "internal note, not sent",
                    Some(note),
                    now,
                )?;
            }
            if let Some(to @ (RequestStatus::Done | RequestStatus::Rejected)) = status {
                if to != from && !request.sender.is_empty() {
                    let m = self.reply_context(
                        &request,
                        change.notice.clone().unwrap_or_default(),
                        to == RequestStatus::Done,
                        handler.clone(),
                        scope,
                    );
                    let rendered = templates::closed(&m)?;
                    let detail = if change.notice.is_some() {
                        "closing notice"
                    } else {
                        "closing notice (the template's wording only)"
                    };
                    self.answer(
                        tx,
                        &request,
                        &rendered,
                        "auto-generated",
                        actor,
                        (detail, change.notice.as_deref()),
                        now,
                    )?;
                    queued = true;
                }
            }
            audit(tx, actor, "request.update", id, now)?;
            let history = stored::events(tx, &self.keys, id)?;
            Ok::<_, MailroomError>(RequestDetail { request, history })
        })?;
        if queued {
            self.waker.notify();
        }
        Ok(changed)
    }

    /// Sends staff's reply to the sender, through the outbox.
    pub fn reply(
        &self,
        scope: LibraryId,
        id: i64,
        actor: AccountId,
        text: &str,
        now: NaiveDateTime,
    ) -> Result<RequestDetail, MailroomError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MailroomError::Invalid {
                field: "text",
                message: "write the reply to send".into(),
            });
        }
        let handler = {
            let mut conn = self.store.conn()?;
            handler_name(&mut conn, scope)?
        };
        let detail = self.store.write(scope, |tx| {
            let request = stored::get(tx, &self.keys, id)?;
            if request.sender.is_empty() {
                return Err(MailroomError::Refused(
                    "this request came without a sender address, so there is no one to reply to",
                ));
            }
            let m = self.reply_context(&request, text.to_owned(), false, handler.clone(), scope);
            let rendered = templates::reply(&m, &request.subject)?;
            self.answer(tx, &request, &rendered, "no", actor, ("", Some(text)), now)?;
            audit(tx, actor, "request.reply", id, now)?;
            let history = stored::events(tx, &self.keys, id)?;
            Ok::<_, MailroomError>(RequestDetail { request, history })
        })?;
        self.waker.notify();
        Ok(detail)
    }

    /// Queues `rendered` to the request's sender, threaded under their
    /// message, and notes in its history what was sent (`detail`) and staff's
    /// words to the requester, if any.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        tx: &mut LibraryTx<'_>,
        request: &Request,
        rendered: &Rendered,
        auto_submitted: &'static str,
        actor: AccountId,
        (detail, words): (&str, Option<&str>),
        now: NaiveDateTime,
    ) -> Result<(), MailroomError> {
        // Replies go where the sender asked (Reply-To); the confirmation
        // link never does, since it proves the From address is theirs.
        let to = request.reply_to.as_deref().unwrap_or(&request.sender);
        self.queue(
            tx,
            to,
            rendered,
            request.in_reply_to.as_deref(),
            auto_submitted,
            now,
        )?;
        if words.is_some() || !detail.is_empty() {
            stored::add_event(
                tx,
                &self.keys,
                request.id,
                Some(actor),
                "replied",
                detail,
                words,
                now,
            )?;
        }
        Ok(())
    }

    fn reply_context(
        &self,
        request: &Request,
        text: String,
        done: bool,
        handler: String,
        scope: LibraryId,
    ) -> templates::Reply {
        templates::Reply {
            text,
            deletion: request.kind == RequestKind::Delete.as_str(),
            backup_notice: BACKUP_NOTICE,
            received: store::time::format(&request.received_at),
            kind_phrase: kind_phrase(&request.kind, &request.queue).into(),
            audience: templates::Audience::of_queue(&request.queue),
            done,
            reference: reference(scope, request.id),
            handler,
        }
    }

    /// An owner must be able to work the queue: staff of the library, or the director.
    fn check_owner(&self, scope: LibraryId, owner: AccountId) -> Result<(), MailroomError> {
        let invalid = || MailroomError::Invalid {
            field: "owner_id",
            message: if scope == LibraryId::CONSORTIUM {
                "the owner of a request in the director's inbox must be the director's account"
                    .into()
            } else {
                "the owner must be a staff member of this library".into()
            },
        };
        if scope == LibraryId::CONSORTIUM {
            let account = self
                .store
                .consortium(Access::Read, |c| store::accounts::by_id(c, owner))
                .map_err(|e| match e {
                    StoreError::NotFound => invalid(),
                    other => MailroomError::Store(other),
                })?;
            return if account.is_director {
                Ok(())
            } else {
                Err(invalid())
            };
        }
        match self
            .store
            .read(scope, |tx| store::staff::role_of(tx, owner))?
        {
            Some(_) => Ok(()),
            None => Err(invalid()),
        }
    }

    /// The inbound ledger for the director: what came in and where it went,
    /// never what a patron wrote.
    pub fn ledger(
        &self,
        route: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ledger::Logged>, MailroomError> {
        Ok(self
            .store
            .consortium(Access::Read, |c| ledger::list(c, route, before, limit))?)
    }

    /// Outbox messages for the director (dead letters with `status = dead`).
    pub fn outbox(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<outbox::Summary>, MailroomError> {
        Ok(self
            .store
            .consortium(Access::Read, |c| outbox::list(c, status, before, limit))?)
    }

    /// Puts a dead message back in the queue.
    pub fn retry(&self, id: i64, now: NaiveDateTime) -> Result<outbox::Summary, MailroomError> {
        let summary = self.store.consortium(Access::Write, |c| {
            outbox::retry(c, id, now).map_err(|e| match e {
                StoreError::Conflict(_) => MailroomError::Refused(
                    "only a dead message can be retried; this one is still queued or was delivered",
                ),
                other => other.into(),
            })?;
            Ok::<_, MailroomError>(outbox::get(c, id)?)
        })?;
        self.waker.notify();
        Ok(summary)
    }
}

/// The request a confirmation link (by its token's hash) may still confirm.
/// A database failure stays a database failure, not a "link not valid".
fn usable_link(
    tx: &mut LibraryTx<'_>,
    hash: &[u8],
    now: NaiveDateTime,
) -> Result<i64, MailroomError> {
    let (id, status, expires) = stored::by_confirm_hash(tx, hash).map_err(|e| match e {
        StoreError::NotFound => MailroomError::LinkInvalid,
        other => MailroomError::Store(other),
    })?;
    if status != RequestStatus::AwaitingConfirmation.as_str() {
        return Err(MailroomError::LinkInvalid);
    }
    if expires.is_some_and(|e| e <= now) {
        return Err(MailroomError::LinkExpired);
    }
    Ok(id)
}

/// Library queues hold patrons' messages: reading and changing them goes in
/// the library's audit log. The consortium scope has no audit chain of its own.
fn audit(
    tx: &mut LibraryTx<'_>,
    actor: AccountId,
    action: &str,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    if tx.library_id() == LibraryId::CONSORTIUM {
        return Ok(());
    }
    let actor = format!("account:{}", actor.0);
    let subject = format!("request:{id}");
    store::audit::append(
        tx,
        &store::audit::NewEntry {
            actor: &actor,
            action,
            subject: &subject,
            purpose: "correction request",
            decision: "allow",
            clause: "custodian.staff.role",
            sealed: false,
        },
        now,
    )?;
    Ok(())
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

    /// The public base URL links in custodian's mail point at.
    pub fn public_url(&self) -> &str {
        self.settings.public_url.trim_end_matches('/')
    }
}
