//! Staff's work on requests: reading a queue, changing a request, replying,
//! and the closing notice; in a library's queue all of it is audited.

use super::{handler_name, kind_phrase, reference, Mailroom, MailroomError};
use crate::templates::{self, Rendered};
use chrono::{NaiveDate, NaiveDateTime};
use custody::gate::{self, Entry, Ruling};
use custody::{Actor, Subject};
use policy::requests::{staff_may_move, RequestKind, RequestStatus, BACKUP_NOTICE};
use policy::staff::StaffDecision;
use serde::Serialize;
use store::requests::{self as stored, Event, MailRequest};
use store::{Access, AccountId, LibraryId, LibraryTx, MailRequestId, StoreError};

/// An emailed request with its history.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    /// The request.
    #[serde(flatten)]
    pub request: MailRequest,
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

/// A due date as staff give it: a date (the end of that day, UTC, as it
/// always was), or an RFC 3339 timestamp with its offset. The error says
/// what is expected.
pub fn parse_due(text: &str) -> Result<Option<NaiveDateTime>, String> {
    if let Ok(day) = text.trim().parse::<NaiveDate>() {
        return Ok(day.and_hms_opt(23, 59, 59));
    }
    store::time::parse(text).map(Some).ok_or_else(|| {
        format!(
            "expected a date such as 2026-12-31 (the end of that day, UTC) or {}",
            store::time::EXPECTED
        )
    })
}

impl Mailroom {
    /// Requests in a queue (`scope` is a library, or the consortium for the director).
    pub fn list(
        &self,
        scope: LibraryId,
        filter: &stored::Filter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MailRequest>, MailroomError> {
        Ok(self.store.read(scope, |tx| {
            stored::list(tx, &self.keys, filter, before, limit)
        })?)
    }

    /// One request and its history; in a library's queue the reading is audited.
    pub fn get(
        &self,
        scope: LibraryId,
        id: MailRequestId,
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
        id: MailRequestId,
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
        id: MailRequestId,
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
            Some(RequestStatus::Done | RequestStatus::Rejected) => self
                .store
                .consortium(Access::Read, |c| handler_name(c, scope))?,
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
        id: MailRequestId,
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
        let handler = self
            .store
            .consortium(Access::Read, |c| handler_name(c, scope))?;
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
        request: &MailRequest,
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
        request: &MailRequest,
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
}

/// Library queues hold patrons' messages: reading and changing them goes in
/// the library's audit log, through custody's gate like every other decision.
/// The consortium scope has no audit chain of its own.
fn audit(
    tx: &mut LibraryTx<'_>,
    actor: AccountId,
    action: &str,
    id: MailRequestId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    if tx.library_id() == LibraryId::CONSORTIUM {
        return Ok(());
    }
    // Only a member of the library reaches its queue: the caller's guard
    // decided that by the staff rules, and this records that decision.
    gate::record(
        tx,
        &Entry {
            actor: &Actor::Staff(actor),
            action,
            subject: &Subject::MailRequest(id),
            purpose: "correction request",
            ruling: Ruling::from(StaffDecision::Allow),
        },
        now,
    )
}
