//! Correction, update and deletion requests that arrived by email, in the
//! scope of the library whose queue they are in ([`LibraryId::CONSORTIUM`]
//! for the director's inbox and triage). What the sender wrote is sealed.
//!
//! "Request" here is always a [`MailRequest`]: never an HTTP request, and
//! never a disclosure request (someone asking to see library records).

use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::ids::{AccountId, LibraryId, MailRequestId, PatronId};
use crate::schema::{mail_request_events, mail_requests};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

const SENDER: &str = "mail_requests.sender";
const SUBJECT: &str = "mail_requests.subject";
const BODY: &str = "mail_requests.body";
const ATTACHMENTS: &str = "mail_requests.attachments";
const RAW: &str = "mail_requests.raw";
const REPLY_TO: &str = "mail_requests.reply_to";
const NOTE: &str = "mail_request_events.note";

fn seal(tx: &LibraryTx<'_>, keys: &Keyring, field: &str, value: &str) -> StoreResult<String> {
    keys.encrypt(tx.library_id(), field, value)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

fn open(library: LibraryId, keys: &Keyring, field: &str, value: &str) -> StoreResult<String> {
    keys.decrypt(library, field, value)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

/// A request to file.
#[derive(Debug, Clone)]
pub struct NewMailRequest<'a> {
    /// The inbound message it came from (none for a request made in the patron portal).
    pub inbound_id: Option<i64>,
    /// email, or portal (the patron portal).
    pub source: &'a str,
    /// The patron who made it, for a request made in the patron portal.
    pub patron_id: Option<i64>,
    /// The sender's Reply-To address, when it differs from the sender.
    pub reply_to: Option<&'a str>,
    /// When the sender confirmed it, if they need not (signed in to the portal).
    pub confirmed_at: Option<NaiveDateTime>,
    /// inbox (the director's), triage (the director's, sender unknown) or library.
    pub queue: &'a str,
    /// correct, update, delete or other.
    pub kind: &'a str,
    /// Why it was classified so.
    pub reason: &'a str,
    /// Its first status: awaiting_confirmation or received.
    pub status: &'a str,
    /// When it is due.
    pub due_at: NaiveDateTime,
    /// The address it came from (replies and the confirmation go there).
    pub sender: &'a str,
    /// Its subject, decoded.
    pub subject: &'a str,
    /// Its text, decoded.
    pub body: &'a str,
    /// Its attachments as JSON (names, types, sizes).
    pub attachments: &'a str,
    /// The whole message as it arrived, byte for byte, so nothing of it is lost.
    pub raw: &'a [u8],
    /// Its Message-ID, to thread replies.
    pub in_reply_to: Option<&'a str>,
    /// Hash of the confirmation token, when one was sent.
    pub confirm_hash: Option<&'a [u8]>,
    /// When that token stops working.
    pub confirm_expires_at: Option<NaiveDateTime>,
    /// Now.
    pub now: NaiveDateTime,
}

/// Files a request and its first history line; returns its id.
pub fn create(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    new: &NewMailRequest<'_>,
) -> StoreResult<MailRequestId> {
    let id = sequence::allocate(tx, IdSpace::MailRequests, 1)?
        .pop()
        .map(MailRequestId)
        .ok_or(StoreError::NotFound)?;
    let values = (
        mail_requests::library_id.eq(tx.library_id().0),
        mail_requests::id.eq(id.0),
        mail_requests::inbound_id.eq(new.inbound_id),
        mail_requests::queue.eq(new.queue),
        mail_requests::kind.eq(new.kind),
        mail_requests::reason.eq(new.reason),
        mail_requests::status.eq(new.status),
        mail_requests::due_at.eq(new.due_at),
        mail_requests::sender_sealed.eq(seal(tx, keys, SENDER, new.sender)?),
        mail_requests::subject_sealed.eq(seal(tx, keys, SUBJECT, new.subject)?),
        mail_requests::body_sealed.eq(seal(tx, keys, BODY, new.body)?),
        mail_requests::attachments_sealed.eq(seal(tx, keys, ATTACHMENTS, new.attachments)?),
        // Base64 before encrypting: mail may carry 8-bit bytes in any charset,
        // and the message is kept exactly as it came.
        mail_requests::raw_sealed.eq(seal(tx, keys, RAW, &STANDARD.encode(new.raw))?),
        mail_requests::in_reply_to.eq(new.in_reply_to),
        mail_requests::confirm_hash.eq(new.confirm_hash),
        mail_requests::confirm_expires_at.eq(new.confirm_expires_at),
        mail_requests::received_at.eq(new.now),
        mail_requests::updated_at.eq(new.now),
        mail_requests::source.eq(new.source),
        mail_requests::patron_id.eq(new.patron_id),
        mail_requests::reply_to_sealed.eq(new
            .reply_to
            .map(|r| seal(tx, keys, REPLY_TO, r))
            .transpose()?),
        mail_requests::confirmed_at.eq(new.confirmed_at),
    );
    diesel::insert_into(mail_requests::table)
        .values(values)
        .execute(tx.conn())?;
    add_event(tx, keys, id, None, "received", new.status, None, new.now)?;
    Ok(id)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = mail_requests)]
struct Row {
    library_id: i64,
    id: i64,
    queue: String,
    kind: String,
    reason: String,
    status: String,
    owner_id: Option<i64>,
    due_at: NaiveDateTime,
    sender_sealed: String,
    subject_sealed: String,
    body_sealed: String,
    attachments_sealed: String,
    in_reply_to: Option<String>,
    confirm_expires_at: Option<NaiveDateTime>,
    reminded_at: Option<NaiveDateTime>,
    confirmed_at: Option<NaiveDateTime>,
    received_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source: String,
    patron_id: Option<i64>,
    reply_to_sealed: Option<String>,
}

/// An emailed request, opened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailRequest {
    /// Its id.
    pub id: MailRequestId,
    /// inbox, triage or library.
    pub queue: String,
    /// correct, update, delete or other.
    pub kind: String,
    /// Why it was classified so.
    pub reason: String,
    /// received, awaiting_confirmation, in_progress, done, rejected or lapsed.
    pub status: String,
    /// The staff account handling it.
    pub owner_id: Option<AccountId>,
    /// When it is due.
    #[serde(with = "crate::time::rfc3339")]
    pub due_at: NaiveDateTime,
    /// The address it came from.
    pub sender: String,
    /// Where replies and the closing notice go, when not to the sender
    /// (its Reply-To); a confirmation link only ever goes to the sender.
    pub reply_to: Option<String>,
    /// email, or portal (made by a signed-in patron in the patron portal).
    pub source: String,
    /// The patron who made it in the patron portal.
    pub patron_id: Option<PatronId>,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// Its attachments (JSON: name, content type, size).
    pub attachments: serde_json::Value,
    /// The Message-ID replies refer to.
    #[serde(skip)]
    pub in_reply_to: Option<String>,
    /// When the confirmation link expires (while awaiting confirmation).
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub confirm_expires_at: Option<NaiveDateTime>,
    /// When the reminder went out.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub reminded_at: Option<NaiveDateTime>,
    /// When the sender confirmed.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub confirmed_at: Option<NaiveDateTime>,
    /// When it arrived.
    #[serde(with = "crate::time::rfc3339")]
    pub received_at: NaiveDateTime,
    /// When it last changed.
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: NaiveDateTime,
}

impl Row {
    fn open(self, keys: &Keyring) -> StoreResult<MailRequest> {
        let lib = LibraryId(self.library_id);
        Ok(MailRequest {
            id: MailRequestId(self.id),
            queue: self.queue,
            kind: self.kind,
            reason: self.reason,
            status: self.status,
            owner_id: self.owner_id.map(AccountId),
            due_at: self.due_at,
            sender: open(lib, keys, SENDER, &self.sender_sealed)?,
            reply_to: self
                .reply_to_sealed
                .map(|r| open(lib, keys, REPLY_TO, &r))
                .transpose()?,
            source: self.source,
            patron_id: self.patron_id.map(PatronId),
            subject: open(lib, keys, SUBJECT, &self.subject_sealed)?,
            body: open(lib, keys, BODY, &self.body_sealed)?,
            attachments: serde_json::from_str(&open(
                lib,
                keys,
                ATTACHMENTS,
                &self.attachments_sealed,
            )?)
            .unwrap_or(serde_json::Value::Array(Vec::new())),
            in_reply_to: self.in_reply_to,
            confirm_expires_at: self.confirm_expires_at,
            reminded_at: self.reminded_at,
            confirmed_at: self.confirmed_at,
            received_at: self.received_at,
            updated_at: self.updated_at,
        })
    }
}

/// One request of the scope.
pub fn get(tx: &mut LibraryTx<'_>, keys: &Keyring, id: MailRequestId) -> StoreResult<MailRequest> {
    let lib = tx.library_id().0;
    let row: Row = mail_requests::table
        .find((lib, id.0))
        .select(Row::as_select())
        .first(tx.conn())?;
    row.open(keys)
}

/// The message as it arrived, byte for byte.
pub fn raw(tx: &mut LibraryTx<'_>, keys: &Keyring, id: MailRequestId) -> StoreResult<Vec<u8>> {
    let lib = tx.library_id();
    let sealed: String = mail_requests::table
        .find((lib.0, id.0))
        .select(mail_requests::raw_sealed)
        .first(tx.conn())?;
    STANDARD
        .decode(open(lib, keys, RAW, &sealed)?)
        .map_err(|e| StoreError::Encryption(format!("a stored message is not base64: {e}")))
}

/// Files a patron's deletion request made in the patron portal in their
/// library's queue, as an emailed one would be, but already confirmed (the
/// patron was signed in). A second press while one is open files nothing new.
/// Returns the request's id.
pub fn file_portal_deletion(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: i64,
    sender: &str,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    let open_one: Option<i64> = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::source.eq("portal"))
        .filter(mail_requests::patron_id.eq(patron))
        .filter(mail_requests::kind.eq("delete"))
        .filter(mail_requests::status.eq_any(["received", "in_progress", "awaiting_confirmation"]))
        .select(mail_requests::id)
        .first(tx.conn())
        .optional()?;
    if let Some(id) = open_one {
        return Ok(id);
    }
    let id = create(
        tx,
        keys,
        &NewMailRequest {
            inbound_id: None,
            source: "portal",
            patron_id: Some(patron),
            reply_to: None,
            confirmed_at: Some(now),
            queue: "library",
            kind: "delete",
            reason: "delete: the patron asked in the patron portal, signed in with card and PIN",
            status: "received",
            due_at,
            sender,
            subject: "Deletion request from the patron portal",
            body: "The patron asked, in the patron portal, for their account to be deleted and their records unlinked.",
            attachments: "[]",
            raw: b"",
            in_reply_to: None,
            confirm_hash: None,
            confirm_expires_at: None,
            now,
        },
    )?;
    add_event(
        tx,
        keys,
        id,
        None,
        "confirmed",
        "signed in to the patron portal with card and PIN",
        None,
        now,
    )?;
    Ok(id.0)
}

/// Which requests a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this queue.
    pub queue: Option<String>,
    /// Only these statuses.
    pub statuses: Vec<String>,
    /// Only those owned by this account.
    pub owner: Option<AccountId>,
}

/// Requests of the scope, newest first, before the id `before`.
pub fn list(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<MailRequest>> {
    let lib = tx.library_id().0;
    let mut q = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .select(Row::as_select())
        .order(mail_requests::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(queue) = &filter.queue {
        q = q.filter(mail_requests::queue.eq(queue.clone()));
    }
    if !filter.statuses.is_empty() {
        q = q.filter(mail_requests::status.eq_any(filter.statuses.clone()));
    }
    if let Some(owner) = filter.owner {
        q = q.filter(mail_requests::owner_id.eq(owner.0));
    }
    if let Some(b) = before {
        q = q.filter(mail_requests::id.lt(b));
    }
    let rows: Vec<Row> = q.load(tx.conn())?;
    rows.into_iter().map(|r| r.open(keys)).collect()
}

/// What a confirmation token (by its hash) says about its request.
#[derive(Debug, Clone)]
pub struct ConfirmTarget {
    /// The request.
    pub id: MailRequestId,
    /// Its status now (`awaiting_confirmation` while the link still works).
    pub status: String,
    /// When the link stops working; none once it was used.
    pub expires: Option<NaiveDateTime>,
    /// The kind of request (`correct`, `update`, `delete`, …).
    pub kind: String,
    /// The queue it is in (who it is for).
    pub queue: String,
}

/// The request a confirmation token (by its hash) belongs to. A used token
/// keeps pointing at its request, so its page can say it was used already.
pub fn by_confirm_hash(tx: &mut LibraryTx<'_>, hash: &[u8]) -> StoreResult<ConfirmTarget> {
    let lib = tx.library_id().0;
    let (id, status, expires, kind, queue) = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::confirm_hash.eq(hash))
        .select((
            mail_requests::id,
            mail_requests::status,
            mail_requests::confirm_expires_at,
            mail_requests::kind,
            mail_requests::queue,
        ))
        .first(tx.conn())?;
    Ok(ConfirmTarget {
        id: MailRequestId(id),
        status,
        expires,
        kind,
        queue,
    })
}

/// Marks a request confirmed: its token is spent (kept, without an expiry,
/// so the link can say it was used), and the request waits for staff.
pub fn confirm(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: MailRequestId,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::update(mail_requests::table.find((lib, id.0)))
        .set((
            mail_requests::status.eq("received"),
            mail_requests::confirmed_at.eq(Some(now)),
            mail_requests::confirm_expires_at.eq(None::<NaiveDateTime>),
            mail_requests::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    add_event(
        tx,
        keys,
        id,
        None,
        "confirmed",
        "awaiting_confirmation → received",
        None,
        now,
    )
}

/// Replaces a request's confirmation token (a reminder carries a fresh link).
/// `false` when it was reminded or answered meanwhile (another worker's sweep
/// got there first): no second reminder then.
pub fn remind(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: MailRequestId,
    hash: &[u8],
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let changed = diesel::update(
        mail_requests::table
            .find((lib, id.0))
            .filter(mail_requests::status.eq("awaiting_confirmation"))
            .filter(mail_requests::reminded_at.is_null()),
    )
    .set((
        mail_requests::confirm_hash.eq(Some(hash)),
        mail_requests::reminded_at.eq(Some(now)),
        mail_requests::updated_at.eq(now),
    ))
    .execute(tx.conn())?;
    if changed == 0 {
        return Ok(false);
    }
    add_event(tx, keys, id, None, "reminded", "", None, now)?;
    Ok(true)
}

/// Moves a request from `from` to `to` if it is still in `from`; `false` if
/// it had moved meanwhile. For the system's own moves (a lapse).
pub fn set_status_if(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: MailRequestId,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let changed = diesel::update(
        mail_requests::table
            .find((lib, id.0))
            .filter(mail_requests::status.eq(from)),
    )
    .set((
        mail_requests::status.eq(to),
        mail_requests::confirm_hash.eq(None::<Vec<u8>>),
        mail_requests::updated_at.eq(now),
    ))
    .execute(tx.conn())?;
    if changed == 0 {
        return Ok(false);
    }
    add_event(tx, keys, id, None, to, &format!("{from} → {to}"), None, now)?;
    Ok(true)
}

/// Requests awaiting confirmation that are due a reminder (asked before
/// `asked_before`, not yet reminded), and those whose link has expired.
pub fn unconfirmed(
    tx: &mut LibraryTx<'_>,
    asked_before: NaiveDateTime,
    now: NaiveDateTime,
) -> StoreResult<(Vec<MailRequestId>, Vec<MailRequestId>)> {
    let lib = tx.library_id().0;
    let rows: Vec<(
        i64,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    )> = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::status.eq("awaiting_confirmation"))
        .select((
            mail_requests::id,
            mail_requests::received_at,
            mail_requests::reminded_at,
            mail_requests::confirm_expires_at,
        ))
        .order(mail_requests::id)
        .load(tx.conn())?;
    let mut remind = Vec::new();
    let mut lapse = Vec::new();
    for (id, received, reminded, expires) in rows {
        let id = MailRequestId(id);
        if expires.is_some_and(|e| e <= now) {
            lapse.push(id);
        } else if reminded.is_none() && received <= asked_before {
            remind.push(id);
        }
    }
    Ok((remind, lapse))
}

/// What staff may change about a request.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// A new status.
    pub status: Option<String>,
    /// A new owner (`Some(None)` clears it).
    pub owner: Option<Option<AccountId>>,
    /// A new due date.
    pub due_at: Option<NaiveDateTime>,
}

/// Applies a change to `current` (as just read in this transaction) and
/// writes one history line per field changed.
pub fn update(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    current: &MailRequest,
    actor: Option<AccountId>,
    change: &Change,
    now: NaiveDateTime,
) -> StoreResult<MailRequest> {
    let id = current.id;
    let lib = tx.library_id().0;
    if let Some(status) = &change.status {
        if *status != current.status {
            diesel::update(mail_requests::table.find((lib, id.0)))
                .set((
                    mail_requests::status.eq(status),
                    mail_requests::updated_at.eq(now),
                ))
                .execute(tx.conn())?;
            let detail = format!("{} → {status}", current.status);
            add_event(tx, keys, id, actor, "status", &detail, None, now)?;
        }
    }
    if let Some(owner) = change.owner {
        if owner != current.owner_id {
            diesel::update(mail_requests::table.find((lib, id.0)))
                .set((
                    mail_requests::owner_id.eq(owner.map(|o| o.0)),
                    mail_requests::updated_at.eq(now),
                ))
                .execute(tx.conn())?;
            let detail = owner.map_or("unassigned".to_owned(), |o| format!("account {o}"));
            add_event(tx, keys, id, actor, "owner", &detail, None, now)?;
        }
    }
    if let Some(due) = change.due_at {
        if due != current.due_at {
            diesel::update(mail_requests::table.find((lib, id.0)))
                .set((
                    mail_requests::due_at.eq(due),
                    mail_requests::updated_at.eq(now),
                ))
                .execute(tx.conn())?;
            let detail = format!(
                "{} → {}",
                crate::time::format(&current.due_at),
                crate::time::format(&due)
            );
            add_event(tx, keys, id, actor, "due", &detail, None, now)?;
        }
    }
    get(tx, keys, id)
}

/// Appends a line to a request's history; `note` (a reply's text) is sealed.
#[allow(clippy::too_many_arguments)]
pub fn add_event(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    request: MailRequestId,
    actor: Option<AccountId>,
    action: &str,
    detail: &str,
    note: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    let last: Option<i32> = mail_request_events::table
        .filter(mail_request_events::library_id.eq(lib))
        .filter(mail_request_events::request_id.eq(request.0))
        .select(diesel::dsl::max(mail_request_events::seq))
        .first(tx.conn())?;
    let note = match note {
        Some(n) => Some(seal(tx, keys, NOTE, n)?),
        None => None,
    };
    diesel::insert_into(mail_request_events::table)
        .values((
            mail_request_events::library_id.eq(lib),
            mail_request_events::request_id.eq(request.0),
            mail_request_events::seq.eq(last.unwrap_or(0) + 1),
            mail_request_events::at.eq(now),
            mail_request_events::actor_id.eq(actor.map(|a| a.0)),
            mail_request_events::action.eq(action),
            mail_request_events::detail.eq(detail),
            mail_request_events::note_sealed.eq(note),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// One line of a request's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    /// Its place in the history.
    pub seq: i32,
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub at: NaiveDateTime,
    /// Which staff account, if a person did it.
    pub actor_id: Option<AccountId>,
    /// received, confirmed, reminded, lapsed, status, owner, due, replied.
    pub action: String,
    /// What changed.
    pub detail: String,
    /// A reply's text.
    pub note: Option<String>,
}

/// A request's history, oldest first.
pub fn events(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    request: MailRequestId,
) -> StoreResult<Vec<Event>> {
    let lib = tx.library_id();
    type EventRow = (
        i32,
        NaiveDateTime,
        Option<i64>,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<EventRow> = mail_request_events::table
        .filter(mail_request_events::library_id.eq(lib.0))
        .filter(mail_request_events::request_id.eq(request.0))
        .select((
            mail_request_events::seq,
            mail_request_events::at,
            mail_request_events::actor_id,
            mail_request_events::action,
            mail_request_events::detail,
            mail_request_events::note_sealed,
        ))
        .order(mail_request_events::seq)
        .load(tx.conn())?;
    rows.into_iter()
        .map(|(seq, at, actor_id, action, detail, note)| {
            Ok(Event {
                seq,
                at,
                actor_id: actor_id.map(AccountId),
                action,
                detail,
                note: note.map(|n| open(lib, keys, NOTE, &n)).transpose()?,
            })
        })
        .collect()
}

/// Scopes (library ids, 0 for the consortium) that have requests awaiting
/// confirmation: the reminder sweep visits only those.
pub fn scopes_awaiting_confirmation(conn: &mut crate::DbConn) -> StoreResult<Vec<LibraryId>> {
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Scope {
        #[diesel(sql_type = BigInt)]
        library_id: i64,
    }
    let rows: Vec<Scope> = match conn {
        crate::DbConn::Pg(c) => {
            diesel::sql_query("SELECT library_id FROM scopes_awaiting_confirmation()").load(c)?
        }
        crate::DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT DISTINCT library_id FROM mail_requests WHERE status = 'awaiting_confirmation' ORDER BY 1",
        )
        .load(c)?,
    };
    Ok(rows.into_iter().map(|s| LibraryId(s.library_id)).collect())
}

/// The requests a patron made or that came from their address, newest first:
/// those filed for `patron` in the patron portal, and emailed ones whose
/// sender or Reply-To is `email` (compared without case), among the newest
/// `scan` emailed requests of the scope. At most `limit`.
pub fn for_patron(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
    email: Option<&str>,
    scan: i64,
    limit: i64,
) -> StoreResult<Vec<MailRequest>> {
    let lib = tx.library_id().0;
    let own: Vec<Row> = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::patron_id.eq(patron.0))
        .select(Row::as_select())
        .order(mail_requests::id.desc())
        .limit(limit)
        .load(tx.conn())?;
    let mut out = own
        .into_iter()
        .map(|r| r.open(keys))
        .collect::<StoreResult<Vec<_>>>()?;
    if let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) {
        let emailed: Vec<Row> = mail_requests::table
            .filter(mail_requests::library_id.eq(lib))
            .filter(mail_requests::patron_id.is_null())
            .filter(mail_requests::source.eq("email"))
            .select(Row::as_select())
            .order(mail_requests::id.desc())
            .limit(scan)
            .load(tx.conn())?;
        let same = |a: &str| a.trim().eq_ignore_ascii_case(email);
        for row in emailed {
            let r = row.open(keys)?;
            if same(&r.sender) || r.reply_to.as_deref().is_some_and(same) {
                out.push(r);
            }
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.id.0));
    out.truncate(limit.max(0) as usize);
    Ok(out)
}

/// The statuses of a request still being worked (neither done, rejected nor lapsed).
pub const OPEN_STATUSES: [&str; 3] = ["awaiting_confirmation", "received", "in_progress"];

/// Whether a request is overdue at `now`: still open and past its due time.
pub fn is_overdue(request: &MailRequest, now: NaiveDateTime) -> bool {
    OPEN_STATUSES.contains(&request.status.as_str()) && request.due_at < now
}

/// A worklist's cut by due time, beside [`Filter`].
#[derive(Debug, Clone, Copy)]
pub struct DueFilter {
    /// `Some(true)`: only overdue requests; `Some(false)`: only those that are not.
    pub overdue: Option<bool>,
    /// Only open requests due by then (overdue ones included).
    pub due_by: Option<NaiveDateTime>,
    /// The time "overdue" is measured at.
    pub now: NaiveDateTime,
}

/// Requests of the scope, newest first, before the id `before`, cut by
/// `filter` and by their due time.
pub fn list_due(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    filter: &Filter,
    due: &DueFilter,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<MailRequest>> {
    let lib = tx.library_id().0;
    let open: Vec<String> = OPEN_STATUSES.iter().map(|s| (*s).to_owned()).collect();
    let mut q = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .select(Row::as_select())
        .order(mail_requests::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(queue) = &filter.queue {
        q = q.filter(mail_requests::queue.eq(queue.clone()));
    }
    if !filter.statuses.is_empty() {
        q = q.filter(mail_requests::status.eq_any(filter.statuses.clone()));
    }
    if let Some(owner) = filter.owner {
        q = q.filter(mail_requests::owner_id.eq(owner.0));
    }
    match due.overdue {
        Some(true) => {
            q = q
                .filter(mail_requests::status.eq_any(open.clone()))
                .filter(mail_requests::due_at.lt(due.now));
        }
        Some(false) => {
            q = q.filter(
                mail_requests::status
                    .ne_all(open.clone())
                    .or(mail_requests::due_at.ge(due.now)),
            );
        }
        None => {}
    }
    if let Some(by) = due.due_by {
        q = q
            .filter(mail_requests::status.eq_any(open))
            .filter(mail_requests::due_at.le(by));
    }
    if let Some(b) = before {
        q = q.filter(mail_requests::id.lt(b));
    }
    let rows: Vec<Row> = q.load(tx.conn())?;
    rows.into_iter().map(|r| r.open(keys)).collect()
}

/// What a closed request's message reads once retention removed it.
pub const CONTENT_REMOVED: &str = "(removed by retention after the request closed)";

/// Deletion requests of the scoped library done before `done_before`: with
/// `apply` removed with their history (the patron is gone and the audit
/// chain holds the proof they were honoured), else counted.
pub fn remove_done_deletions(
    tx: &mut LibraryTx<'_>,
    done_before: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let done = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::kind.eq("delete"))
        .filter(mail_requests::status.eq("done"))
        .filter(mail_requests::updated_at.lt(done_before));
    if !apply {
        let n: i64 = done.count().get_result(tx.conn())?;
        return Ok(usize::try_from(n).unwrap_or(0));
    }
    let ids: Vec<i64> = done.select(mail_requests::id).load(tx.conn())?;
    for chunk in ids.chunks(1000) {
        diesel::delete(
            mail_request_events::table
                .filter(mail_request_events::library_id.eq(lib))
                .filter(mail_request_events::request_id.eq_any(chunk.to_vec())),
        )
        .execute(tx.conn())?;
        diesel::delete(
            mail_requests::table
                .filter(mail_requests::library_id.eq(lib))
                .filter(mail_requests::id.eq_any(chunk.to_vec())),
        )
        .execute(tx.conn())?;
    }
    Ok(ids.len())
}

/// Closed requests (done, rejected, lapsed) of the scoped library last
/// changed before `closed_before` whose message is still kept: with `apply`,
/// the sender, subject, body, attachments, raw message, reply-to and staff
/// notes are replaced by [`CONTENT_REMOVED`] (sealed, so every reader still
/// opens them), the request and its history of actions staying; else counted.
pub fn remove_closed_content(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    closed_before: NaiveDateTime,
    now: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let ids: Vec<i64> = mail_requests::table
        .filter(mail_requests::library_id.eq(lib))
        .filter(mail_requests::status.eq_any(["done", "rejected", "lapsed"]))
        .filter(mail_requests::updated_at.lt(closed_before))
        .filter(mail_requests::content_removed_at.is_null())
        .select(mail_requests::id)
        .load(tx.conn())?;
    if !apply {
        return Ok(ids.len());
    }
    for id in &ids {
        diesel::update(
            mail_requests::table
                .filter(mail_requests::library_id.eq(lib))
                .filter(mail_requests::id.eq(id)),
        )
        .set((
            mail_requests::sender_sealed.eq(seal(tx, keys, SENDER, CONTENT_REMOVED)?),
            mail_requests::subject_sealed.eq(seal(tx, keys, SUBJECT, CONTENT_REMOVED)?),
            mail_requests::body_sealed.eq(seal(tx, keys, BODY, CONTENT_REMOVED)?),
            mail_requests::attachments_sealed.eq(seal(tx, keys, ATTACHMENTS, "[]")?),
            mail_requests::raw_sealed.eq(seal(tx, keys, RAW, &STANDARD.encode(CONTENT_REMOVED))?),
            mail_requests::reply_to_sealed.eq(None::<String>),
            mail_requests::content_removed_at.eq(Some(now)),
        ))
        .execute(tx.conn())?;
        diesel::update(
            mail_request_events::table
                .filter(mail_request_events::library_id.eq(lib))
                .filter(mail_request_events::request_id.eq(id)),
        )
        .set(mail_request_events::note_sealed.eq(None::<String>))
        .execute(tx.conn())?;
    }
    Ok(ids.len())
}
