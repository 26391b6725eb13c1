//! The outbox: messages written in the same transaction as the change that
//! causes them, and claimed by delivery workers with a lease.
//!
//! The outbox is a tenant table: a message is queued in the scope of the
//! library whose business caused it (the director's in scope 0), and on
//! PostgreSQL row-level security shows a scope only its own messages. Workers
//! and the director's dead-letter view work across libraries through narrow
//! SECURITY DEFINER functions that return nothing a message says.
//!
//! A worker claims a batch (`sending`, with `locked_until`); on PostgreSQL the
//! claim skips rows another worker has locked, so no message is claimed by
//! two workers at once (the claim crosses libraries, so it lives in
//! [`crate::cross_library`]). A worker that dies mid-delivery leaves its
//! claim to expire; the message is then claimed again and may be sent a
//! second time, with the same Message-ID. Nothing is dropped: a message ends
//! `sent` or `dead`, and a dead one can be put back.

use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::ids::LibraryId;
use crate::schema::{outbox, outbox_bodies};
use crate::sequence::{self, IdSpace};
use crate::{DbConn, LibraryTx};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use serde::Serialize;

pub(crate) const MESSAGE_FIELD: &str = "outbox.message";
pub(crate) const ENVELOPE_FIELD: &str = "outbox.envelope";
const BODY_FIELD: &str = "outbox.body";

thread_local! {
    static TRACE_PARENT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `trace_parent` (a W3C `traceparent`) recorded on every
/// message this thread queues meanwhile, so the delivery span can link to the
/// request that queued it. Ambient, like the span itself: the many domain
/// calls that queue mail need not carry telemetry through their signatures.
pub fn with_trace_parent<R>(trace_parent: Option<String>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            TRACE_PARENT.with(|t| *t.borrow_mut() = previous);
        }
    }
    let previous = TRACE_PARENT.with(|t| t.replace(trace_parent));
    let _restore = Restore(previous);
    f()
}

/// The traceparent [`with_trace_parent`] set on this thread, if any.
fn trace_parent() -> Option<String> {
    TRACE_PARENT.with(|t| t.borrow().clone())
}

/// A message ready to queue: already rendered, with its envelope. It belongs
/// to the scope it is queued in ([`LibraryId::CONSORTIUM`] for the director's).
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The Message-ID header's value, unique; a resend carries the same one.
    pub message_id: &'a str,
    /// The template it was made from, for the director's view.
    pub template: &'a str,
    /// The recipient, masked, for the director's view.
    pub recipient_hint: &'a str,
    /// The SMTP envelope sender.
    pub envelope_from: &'a str,
    /// The SMTP envelope recipients.
    pub envelope_to: &'a [String],
    /// The whole RFC 5322 message as it will go on the wire (7-bit ASCII).
    pub message: &'a str,
    /// When it was queued.
    pub now: NaiveDateTime,
}

/// Queues a message in the scoped library's outbox; call it inside the
/// transaction of the change that causes it.
pub fn enqueue(tx: &mut LibraryTx<'_>, keys: &Keyring, new: &NewMessage<'_>) -> StoreResult<i64> {
    let seal = |field: &str, value: &str| {
        keys.encrypt(LibraryId::CONSORTIUM, field, value)
            .map_err(|e| StoreError::Encryption(e.to_string()))
    };
    let id = sequence::allocate(tx, IdSpace::Outbox, 1)?
        .first()
        .copied()
        .ok_or(StoreError::NotFound)?;
    let envelope = format!("{}\n{}", new.envelope_from, new.envelope_to.join("\n"));
    let values = (
        outbox::library_id.eq(tx.library_id().0),
        outbox::id.eq(id),
        outbox::message_id.eq(new.message_id),
        outbox::template.eq(new.template),
        outbox::recipient_hint.eq(new.recipient_hint),
        outbox::envelope_sealed.eq(seal(ENVELOPE_FIELD, &envelope)?),
        outbox::message_sealed.eq(seal(MESSAGE_FIELD, new.message)?),
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(new.now),
        outbox::created_at.eq(new.now),
        outbox::trace_parent.eq(trace_parent()),
    );
    diesel::insert_into(outbox::table)
        .values(values)
        .execute(tx.conn())?;
    Ok(id)
}

/// Queues many messages in the scoped library's outbox in one statement per
/// thousand (ids drawn in one round trip); returns their ids in order. For
/// mail to many patrons at once, inside the caller's transaction.
pub fn enqueue_many(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    news: &[NewMessage<'_>],
) -> StoreResult<Vec<i64>> {
    let seal = |field: &str, value: &str| {
        keys.encrypt(LibraryId::CONSORTIUM, field, value)
            .map_err(|e| StoreError::Encryption(e.to_string()))
    };
    let ids = sequence::allocate(tx, IdSpace::Outbox, news.len())?;
    let lib = tx.library_id().0;
    let trace = trace_parent();
    let mut rows = Vec::with_capacity(news.len());
    for (new, id) in news.iter().zip(&ids) {
        let envelope = format!("{}\n{}", new.envelope_from, new.envelope_to.join("\n"));
        rows.push((
            outbox::library_id.eq(lib),
            outbox::id.eq(*id),
            outbox::message_id.eq(new.message_id),
            outbox::template.eq(new.template),
            outbox::recipient_hint.eq(new.recipient_hint),
            outbox::envelope_sealed.eq(seal(ENVELOPE_FIELD, &envelope)?),
            outbox::message_sealed.eq(seal(MESSAGE_FIELD, new.message)?),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(new.now),
            outbox::created_at.eq(new.now),
            outbox::trace_parent.eq(trace.clone()),
        ));
    }
    // 12 columns a row: a thousand rows stay far below PostgreSQL's 65,535 parameters.
    for chunk in rows.chunks(1_000) {
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(outbox::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    Ok(ids)
}

/// Messages on one shared body, one to each patron of a batch.
#[derive(Debug, Clone)]
pub struct SharedBatch<'a> {
    /// The body ([`create_body`]).
    pub body_id: i64,
    /// The template it was made from, for the director's view.
    pub template: &'a str,
    /// Each Message-ID is this, the patron's id and `message_id_suffix`:
    /// unique while the prefix is unique to the body.
    pub message_id_prefix: &'a str,
    /// See `message_id_prefix`.
    pub message_id_suffix: &'a str,
    /// When they were queued.
    pub now: NaiveDateTime,
}

/// Queues one message on a shared body to each of `patrons` in the scoped
/// library (ids drawn in one round trip; on PostgreSQL one statement for the
/// batch); returns the outbox ids in the order of `patrons`. Nothing is
/// sealed per message: the address is opened when it is claimed, and the
/// director sees `patron <id>` as its recipient.
pub fn enqueue_shared(
    tx: &mut LibraryTx<'_>,
    batch: &SharedBatch<'_>,
    patrons: &[i64],
) -> StoreResult<Vec<i64>> {
    let ids = sequence::allocate(tx, IdSpace::Outbox, patrons.len())?;
    let lib = tx.library_id().0;
    match tx.conn() {
        DbConn::Pg(c) => {
            diesel::sql_query(
                "INSERT INTO outbox (library_id, id, message_id, template, recipient_hint, \
                 envelope_sealed, message_sealed, status, attempts, next_attempt_at, created_at, \
                 body_id, patron_id, trace_parent) \
                 SELECT $1, o, $2 || p || $3, $4, 'patron ' || p, '', '', 'pending', 0, $5, $5, $6, p, $9 \
                 FROM unnest($7::bigint[], $8::bigint[]) AS t(p, o)",
            )
            .bind::<BigInt, _>(lib)
            .bind::<Text, _>(batch.message_id_prefix)
            .bind::<Text, _>(batch.message_id_suffix)
            .bind::<Text, _>(batch.template)
            .bind::<Timestamp, _>(batch.now)
            .bind::<BigInt, _>(batch.body_id)
            .bind::<Array<BigInt>, _>(patrons)
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Nullable<Text>, _>(trace_parent())
            .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            let trace = trace_parent();
            let rows: Vec<_> = patrons
                .iter()
                .zip(&ids)
                .map(|(p, id)| {
                    (
                        outbox::library_id.eq(lib),
                        outbox::id.eq(*id),
                        outbox::message_id.eq(format!(
                            "{}{p}{}",
                            batch.message_id_prefix, batch.message_id_suffix
                        )),
                        outbox::template.eq(batch.template),
                        outbox::recipient_hint.eq(format!("patron {p}")),
                        outbox::envelope_sealed.eq(""),
                        outbox::message_sealed.eq(""),
                        outbox::status.eq("pending"),
                        outbox::attempts.eq(0),
                        outbox::next_attempt_at.eq(batch.now),
                        outbox::created_at.eq(batch.now),
                        outbox::body_id.eq(Some(batch.body_id)),
                        outbox::patron_id.eq(Some(*p)),
                        outbox::trace_parent.eq(trace.clone()),
                    )
                })
                .collect();
            // 14 columns a row: 1,000 rows stay below SQLite's 32,766 parameters.
            for chunk in rows.chunks(1_000) {
                diesel::insert_into(outbox::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(ids)
}

/// A claimed message, opened for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The scope it was queued in.
    pub library: LibraryId,
    /// Its row id.
    pub id: i64,
    /// Its Message-ID.
    pub message_id: String,
    /// The envelope sender.
    pub envelope_from: String,
    /// The envelope recipients.
    pub envelope_to: Vec<String>,
    /// The message bytes.
    pub message: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// A message on a shared body ([`create_body`]): `message` is then the
    /// body as its maker sealed it and `envelope_to` the patron's address as
    /// it is now (empty when they no longer have one, or their key is
    /// erased); the mailroom composes the message itself, with `message_id`.
    pub shared_body: bool,
    /// The W3C traceparent of the request that queued it, if one was traced.
    pub trace_parent: Option<String>,
}

/// A claimed row as the claim returns it, still sealed.
#[derive(QueryableByName)]
pub(crate) struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    library_id: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Text)]
    envelope_sealed: String,
    #[diesel(sql_type = Text)]
    message_sealed: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    body_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    patron_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    trace_parent: Option<String>,
}

/// Opens claimed rows: a whole message from its sealed copy; one on a shared
/// body from that body and the patron's own sealed email, read in the
/// library's scope (one read transaction per library in the batch), after
/// the claim committed.
pub(crate) fn open_claimed(
    conn: &mut DbConn,
    keys: &Keyring,
    rows: Vec<ClaimedRow>,
) -> StoreResult<Vec<Claimed>> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    let open = |field: &str, value: &str| {
        keys.decrypt(LibraryId::CONSORTIUM, field, value)
            .map_err(|e| StoreError::Encryption(e.to_string()))
    };
    // Per library: the bodies and patrons its shared messages need.
    let mut wanted: BTreeMap<i64, (BTreeSet<i64>, Vec<i64>)> = BTreeMap::new();
    for row in &rows {
        if let (Some(body), Some(patron)) = (row.body_id, row.patron_id) {
            let entry = wanted.entry(row.library_id).or_default();
            entry.0.insert(body);
            entry.1.push(patron);
        }
    }
    let mut bodies: HashMap<(i64, i64), String> = HashMap::new();
    let mut addresses: HashMap<(i64, i64), String> = HashMap::new();
    for (lib, (body_ids, patrons)) in wanted {
        let library = LibraryId(lib);
        let (found, emails) = crate::tenant::scoped(conn, library, crate::Access::Read, |tx| {
            let found: Vec<(i64, String)> = outbox_bodies::table
                .filter(outbox_bodies::library_id.eq(lib))
                .filter(outbox_bodies::id.eq_any(body_ids.iter().copied().collect::<Vec<_>>()))
                .select((outbox_bodies::id, outbox_bodies::body_sealed))
                .load(tx.conn())?;
            let emails = crate::patrons::emails_of(tx, keys, &patrons)?;
            Ok::<_, StoreError>((found, emails))
        })?;
        for (id, sealed) in found {
            if let Ok(body) = keys.decrypt(library, BODY_FIELD, &sealed) {
                bodies.insert((lib, id), body);
            }
        }
        for (patron, email) in emails {
            addresses.insert((lib, patron), email);
        }
    }
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let (envelope_from, envelope_to, message, shared_body) = match (row.body_id, row.patron_id)
        {
            (Some(body), Some(patron)) => {
                // A body that cannot be found or opened leaves the
                // message empty: the mailroom dead-letters it rather
                // than the whole claim failing again and again.
                let message = bodies
                    .get(&(row.library_id, body))
                    .cloned()
                    .unwrap_or_default();
                let to = addresses
                    .remove(&(row.library_id, patron))
                    .into_iter()
                    .collect();
                (String::new(), to, message, true)
            }
            _ => {
                let envelope = open(ENVELOPE_FIELD, &row.envelope_sealed)?;
                let mut lines = envelope.lines().map(str::to_owned);
                let from = lines.next().unwrap_or_default();
                let to = lines.collect();
                (from, to, open(MESSAGE_FIELD, &row.message_sealed)?, false)
            }
        };
        claimed.push(Claimed {
            library: LibraryId(row.library_id),
            id: row.id,
            message_id: row.message_id,
            envelope_from,
            envelope_to,
            message,
            attempts: row.attempts,
            shared_body,
            trace_parent: row.trace_parent,
        });
    }
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// The shared body made for `purpose` in the scoped library, if there is one.
pub fn body_for(tx: &mut LibraryTx<'_>, purpose: &str) -> StoreResult<Option<i64>> {
    let lib = tx.library_id().0;
    Ok(outbox_bodies::table
        .filter(outbox_bodies::library_id.eq(lib))
        .filter(outbox_bodies::purpose.eq(purpose))
        .select(outbox_bodies::id)
        .first(tx.conn())
        .optional()?)
}

/// Seals `body` once as the shared body of many messages (one letter to many
/// patrons, each message row then only naming the body and the patron); it
/// must name no one. `purpose` is unique in the library: a second body for
/// the same purpose is a conflict. Returns its id.
pub fn create_body(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    purpose: &str,
    body: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    let library = tx.library_id();
    let id = sequence::allocate(tx, IdSpace::Outbox, 1)?
        .first()
        .copied()
        .ok_or(StoreError::NotFound)?;
    let sealed = keys
        .encrypt(library, BODY_FIELD, body)
        .map_err(|e| StoreError::Encryption(e.to_string()))?;
    diesel::insert_into(outbox_bodies::table)
        .values((
            outbox_bodies::library_id.eq(library.0),
            outbox_bodies::id.eq(id),
            outbox_bodies::purpose.eq(purpose),
            outbox_bodies::body_sealed.eq(sealed),
            outbox_bodies::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// Marks a delivered message sent and drops its sealed copy: once delivered,
/// custodian has no reason to keep what it said.
pub fn mark_sent(
    conn: &mut DbConn,
    library: LibraryId,
    id: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT outbox_mark_sent($1, $2, $3)")
                .bind::<BigInt, _>(library.0)
                .bind::<BigInt, _>(id)
                .bind::<Timestamp, _>(now)
                .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            diesel::update(outbox::table.find((library.0, id)))
                .set((
                    outbox::status.eq("sent"),
                    outbox::sent_at.eq(Some(now)),
                    outbox::locked_by.eq(None::<String>),
                    outbox::locked_until.eq(None::<NaiveDateTime>),
                    outbox::message_sealed.eq(""),
                    outbox::envelope_sealed.eq(""),
                    outbox::last_error.eq(None::<String>),
                ))
                .execute(c)?;
        }
    }
    Ok(())
}

/// Marks many delivered messages sent at once, in one statement on
/// PostgreSQL: one commit for a pass instead of one a message.
pub fn mark_sent_many(
    conn: &mut DbConn,
    sent: &[(LibraryId, i64)],
    now: NaiveDateTime,
) -> StoreResult<()> {
    if sent.is_empty() {
        return Ok(());
    }
    match conn {
        DbConn::Pg(c) => {
            let libraries: Vec<i64> = sent.iter().map(|(l, _)| l.0).collect();
            let ids: Vec<i64> = sent.iter().map(|(_, i)| *i).collect();
            diesel::sql_query(
                "SELECT outbox_mark_sent(l, i, $3) FROM unnest($1::bigint[], $2::bigint[]) AS t(l, i)",
            )
            .bind::<Array<BigInt>, _>(libraries)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Timestamp, _>(now)
            .execute(c)?;
        }
        DbConn::Sqlite(_) => {
            for (library, id) in sent {
                mark_sent(conn, *library, *id, now)?;
            }
        }
    }
    Ok(())
}

/// Records a failed attempt: back to `pending` until `retry_at`, or `dead` when
/// `retry_at` is `None`. `error` must not name a person.
pub fn mark_failed(
    conn: &mut DbConn,
    library: LibraryId,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT outbox_mark_failed($1, $2, $3, $4)")
                .bind::<BigInt, _>(library.0)
                .bind::<BigInt, _>(id)
                .bind::<Text, _>(error)
                .bind::<Nullable<Timestamp>, _>(retry_at)
                .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            let status = if retry_at.is_some() {
                "pending"
            } else {
                "dead"
            };
            diesel::update(outbox::table.find((library.0, id)))
                .set((
                    outbox::status.eq(status),
                    outbox::locked_by.eq(None::<String>),
                    outbox::locked_until.eq(None::<NaiveDateTime>),
                    outbox::last_error.eq(Some(error)),
                ))
                .execute(c)?;
            if let Some(at) = retry_at {
                diesel::update(outbox::table.find((library.0, id)))
                    .set(outbox::next_attempt_at.eq(at))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct PreviousStatus {
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
}

/// Puts a dead message back in the queue with a fresh count of attempts.
pub fn retry(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> StoreResult<()> {
    let status = match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT outbox_retry($1, $2) AS status")
                .bind::<BigInt, _>(id)
                .bind::<Timestamp, _>(now)
                .get_result::<PreviousStatus>(c)?
                .status
        }
        DbConn::Sqlite(c) => {
            let status: Option<String> = outbox::table
                .filter(outbox::id.eq(id))
                .select(outbox::status)
                .first(c)
                .optional()?;
            if status.as_deref() == Some("dead") {
                diesel::update(outbox::table.filter(outbox::id.eq(id)))
                    .set((
                        outbox::status.eq("pending"),
                        outbox::attempts.eq(0),
                        outbox::next_attempt_at.eq(now),
                        outbox::last_error.eq(None::<String>),
                    ))
                    .execute(c)?;
            }
            status
        }
    };
    match status.as_deref() {
        None => Err(StoreError::NotFound),
        Some("dead") => Ok(()),
        Some(other) => Err(StoreError::Conflict(format!("outbox message is {other}"))),
    }
}

/// A message as the director sees it: never its content or recipient in clear.
#[derive(Debug, Clone, Serialize, Queryable, QueryableByName, Selectable, utoipa::ToSchema)]
#[diesel(table_name = outbox)]
#[schema(as = OutboxLetter)]
pub struct Summary {
    /// Row id.
    pub id: i64,
    /// Whose business caused it (0: the consortium's).
    pub library_id: i64,
    /// Its Message-ID.
    pub message_id: String,
    /// The template.
    pub template: String,
    /// The recipient, masked.
    pub recipient_hint: String,
    /// pending, sending, sent or dead.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due.
    #[serde(with = "crate::time::rfc3339")]
    pub next_attempt_at: NaiveDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: NaiveDateTime,
    /// When it was delivered.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub sent_at: Option<NaiveDateTime>,
}

/// Summaries across every library's outbox, newest first; on PostgreSQL
/// through `outbox_summaries`, which returns nothing sealed.
fn summaries(
    conn: &mut DbConn,
    id: Option<i64>,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Summary>> {
    match conn {
        DbConn::Pg(c) => Ok(diesel::sql_query(
            "SELECT id, library_id, message_id, template, recipient_hint, status, attempts, \
             next_attempt_at, last_error, created_at, sent_at \
             FROM outbox_summaries($1, $2, $3, $4)",
        )
        .bind::<Nullable<BigInt>, _>(id)
        .bind::<Nullable<Text>, _>(status)
        .bind::<Nullable<BigInt>, _>(before)
        .bind::<BigInt, _>(limit)
        .load(c)?),
        DbConn::Sqlite(c) => {
            let mut query = outbox::table
                .select(Summary::as_select())
                .order(outbox::id.desc())
                .limit(limit)
                .into_boxed();
            if let Some(i) = id {
                query = query.filter(outbox::id.eq(i));
            }
            if let Some(s) = status {
                query = query.filter(outbox::status.eq(s.to_owned()));
            }
            if let Some(b) = before {
                query = query.filter(outbox::id.lt(b));
            }
            Ok(query.load(c)?)
        }
    }
}

/// Messages in `status` (any when `None`), newest first, after the id `before`.
pub fn list(
    conn: &mut DbConn,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Summary>> {
    summaries(conn, None, status, before, limit)
}

/// One message's summary.
pub fn get(conn: &mut DbConn, id: i64) -> StoreResult<Summary> {
    summaries(conn, Some(id), None, None, 1)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many messages are in each state, for readiness and the director.
pub fn counts(conn: &mut DbConn) -> StoreResult<Vec<(String, i64)>> {
    let sql = match conn {
        DbConn::Pg(_) => "SELECT status, n FROM outbox_counts()",
        DbConn::Sqlite(_) => {
            "SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status"
        }
    };
    Ok(diesel::sql_query(sql)
        .load::<StatusCount>(conn)?
        .into_iter()
        .map(|c| (c.status, c.n))
        .collect())
}
