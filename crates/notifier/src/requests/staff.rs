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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

/// A request as its page shows it: the request and its history, the
/// headers of the message as it arrived, and the names of the staff in it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request and its history.
    pub detail: RequestDetail,
    /// To and Date of the message as it arrived (empty for a portal request).
    pub envelope: crate::inbound::Envelope,
    /// The display names of its owner and of the staff in its history.
    pub names: Vec<(AccountId, String)>,
    /// For an organizational correction (a correction or update in the
    /// director's inbox, from a member library's directory contact): the
    /// libraries whose contact sent it, with their directory entry's id.
    pub member_libraries: Vec<(store::libraries::Library, Option<i64>)>,
}

/// Which requests a worklist shows by their due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Due {
    /// Any due time.
    #[default]
    Any,
    /// Open and past due.
    Overdue,
    /// Open and due within this many days (overdue ones included).
    Within(i64),
}

/// A queue as staff work it: the filter, the cut by due time, and whether
/// overdue requests come first (then the rest, each part newest first).
#[derive(Debug, Clone, Default)]
pub struct Worklist {
    /// Queue, statuses, owner.
    pub filter: stored::Filter,
    /// The cut by due time.
    pub due: Due,
    /// Overdue first, or simply newest first.
    pub overdue_first: bool,
}

/// The key a page of a worklist continues after: the request's id, negated
/// while still among the overdue ones of an overdue-first list.
pub fn worklist_key(list: &Worklist, request: &MailRequest, now: NaiveDateTime) -> i64 {
    if list.overdue_first && stored::is_overdue(request, now) {
        -request.id.0
    } else {
        request.id.0
    }
}

impl Mailroom {
    /// A page of a worklist after `cursor` (a [`worklist_key`]), at most `limit`.
    pub fn worklist(
        &self,
        scope: LibraryId,
        list: &Worklist,
        cursor: Option<i64>,
        limit: i64,
        now: NaiveDateTime,
    ) -> Result<Vec<MailRequest>, MailroomError> {
        let due_by = match list.due {
            Due::Within(days) => Some(now + chrono::Duration::days(days)),
            _ => None,
        };
        let cut = |overdue: Option<bool>| stored::DueFilter {
            overdue: match list.due {
                Due::Overdue => Some(true),
                _ => overdue,
            },
            due_by,
            now,
        };
        Ok(self.store.read(scope, |tx| {
            if !list.overdue_first {
                return stored::list_due(tx, &self.keys, &list.filter, &cut(None), cursor, limit);
            }
            // The overdue part first (a negative cursor is still in it), then the rest.
            let mut items = Vec::new();
            let mut rest_before = cursor.filter(|c| *c > 0);
            if cursor.is_none_or(|c| c < 0) {
                let before = cursor.map(|c| -c);
                items = stored::list_due(
                    tx,
                    &self.keys,
                    &list.filter,
                    &cut(Some(true)),
                    before,
                    limit,
                )?;
                rest_before = None;
            }
            let left = limit - items.len() as i64;
            if left > 0 && list.due != Due::Overdue {
                items.extend(stored::list_due(
                    tx,
                    &self.keys,
                    &list.filter,
                    &cut(Some(false)),
                    rest_before,
                    left,
                )?);
            }
            Ok(items)
        })?)
    }

    /// One request for its page: as [`Mailroom::get`] (and audited the
    /// same), with the headers of the message as it arrived and the names
    /// of the staff it mentions.
    pub fn read_received(
        &self,
        scope: LibraryId,
        id: MailRequestId,
        reader: AccountId,
        now: NaiveDateTime,
    ) -> Result<Received, MailroomError> {
        let (detail, raw) = self.store.write(scope, |tx| {
            let request = stored::get(tx, &self.keys, id)?;
            let history = stored::events(tx, &self.keys, id)?;
            let raw = match stored::raw(tx, &self.keys, id) {
                Ok(raw) => raw,
                Err(StoreError::NotFound) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            audit(tx, reader, "request.read", id, now)?;
            Ok::<_, MailroomError>((RequestDetail { request, history }, raw))
        })?;
        let envelope = crate::inbound::envelope(&raw);
        let mut ids: Vec<AccountId> = detail
            .history
            .iter()
            .filter_map(|e| e.actor_id)
            .chain(detail.request.owner_id)
            .collect();
        ids.sort();
        ids.dedup();
        let request = &detail.request;
        let organizational = request.queue == "inbox"
            && matches!(request.kind.as_str(), "correct" | "update")
            && !request.sender.is_empty();
        let (names, member_libraries) = self.store.consortium(Access::Read, |c| {
            let names = ids
                .iter()
                .map(|id| store::accounts::by_id(c, *id).map(|a| (*id, a.display_name)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let mut members = Vec::new();
            if organizational {
                for library in store::directory::libraries_with_contact(c, &request.sender)? {
                    let entry = store::directory::by_library(c, library)?.map(|e| e.id);
                    members.push((store::libraries::by_id(c, library)?, entry));
                }
            }
            Ok::<_, StoreError>((names, members))
        })?;
        Ok(Received {
            detail,
            envelope,
            names,
            member_libraries,
        })
    }
}
