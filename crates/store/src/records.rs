//! Library records of the scoped library: non-identifying facts in
//! `library_records`, the link to a patron in the narrow `record_links`.

use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::schema::{library_records, patrons, record_links};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use crate::PatronId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use policy::records::RecordKind;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The kind name of loans, whose history is unlinked at return unless the patron opted in.
pub const CIRCULATION: &str = RecordKind::Circulation.as_str();

/// A record as a feed (ILS, events, PC booking) sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// The record kind (`circulation`, `event_registration`, …).
    pub kind: String,
    /// The system that sent it (`ils`, `events`, `pc-booking`).
    pub source: String,
    /// Its id in that system; unique per library and source.
    pub external_id: String,
    /// When it happened (checkout, registration, session start).
    #[serde(with = "crate::time::rfc3339")]
    pub occurred_at: NaiveDateTime,
    /// When it ended (return, session end), if it has.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub ended_at: Option<NaiveDateTime>,
    /// The item, title or material, or event; not identifying on its own.
    #[serde(default)]
    pub item: String,
    /// The branch.
    #[serde(default)]
    pub branch: String,
    /// The source's status (`out`, `returned`, `attended`, …).
    #[serde(default)]
    pub status: String,
    /// A fine, fee, payment or donation amount, in cents.
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// When that amount was settled.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub settled_at: Option<NaiveDateTime>,
    /// Free text that may identify (subjects researched, a question asked); sealed at rest.
    #[serde(default)]
    pub details: Option<String>,
    /// The patron it belongs to, if any.
    #[serde(default)]
    pub patron_id: Option<PatronId>,
}

/// A stored record, opened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// Its id.
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// The system that sent it.
    pub source: String,
    /// Its id there.
    pub external_id: String,
    /// When it happened.
    #[serde(with = "crate::time::rfc3339")]
    pub occurred_at: NaiveDateTime,
    /// When it ended.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub ended_at: Option<NaiveDateTime>,
    /// The item or event.
    pub item: String,
    /// The branch.
    pub branch: String,
    /// The source's status.
    pub status: String,
    /// An amount in cents.
    pub amount_cents: Option<i64>,
    /// When the amount was settled.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub settled_at: Option<NaiveDateTime>,
    /// Identifying free text, opened.
    pub details: Option<String>,
    /// The linked patron, while the link lives.
    pub patron_id: Option<PatronId>,
}

impl Record {
    /// Its kind, when the stored name is one the policy knows (feeds are checked, so it always is).
    pub fn record_kind(&self) -> Option<RecordKind> {
        self.kind.parse().ok()
    }
}

type Row = (
    i64,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    String,
    String,
    Option<i64>,
    Option<NaiveDateTime>,
    Option<String>,
);

macro_rules! record_columns {
    () => {
        (
            library_records::id,
            library_records::kind,
            library_records::source,
            library_records::external_id,
            library_records::occurred_at,
            library_records::ended_at,
            library_records::item,
            library_records::branch,
            library_records::status,
            library_records::amount_cents,
            library_records::settled_at,
            library_records::details_sealed,
        )
    };
}

fn open_row(
    tx: &LibraryTx<'_>,
    keys: &Keyring,
    row: Row,
    patron: Option<PatronId>,
) -> StoreResult<Record> {
    let (
        id,
        kind,
        source,
        external_id,
        occurred_at,
        ended_at,
        item,
        branch,
        status,
        amount_cents,
        settled_at,
        details,
    ) = row;
    let details = details
        .map(|d| {
            keys.decrypt(tx.library_id(), "record_details", &d)
                .map_err(|e| StoreError::Encryption(e.to_string()))
        })
        .transpose()?;
    Ok(Record {
        id,
        kind,
        source,
        external_id,
        occurred_at,
        ended_at,
        item,
        branch,
        status,
        amount_cents,
        settled_at,
        details,
        patron_id: patron,
    })
}

/// Which of these patron ids exist in the scoped library.
pub fn existing_patrons(
    tx: &mut LibraryTx<'_>,
    ids: &[PatronId],
) -> StoreResult<HashSet<PatronId>> {
    let lib = tx.library_id();
    let mut found = HashSet::new();
    for chunk in ids.chunks(500) {
        let raw: Vec<i64> = chunk.iter().map(|p| p.0).collect();
        let rows: Vec<i64> = patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq_any(raw))
            .select(patrons::id)
            .load(tx.conn())?;
        found.extend(rows.into_iter().map(PatronId));
    }
    Ok(found)
}

/// Stores a batch of records and their patron links in the caller's transaction, so a batch lands whole or not at all.
pub fn ingest(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    batch: &[NewRecord],
    now: NaiveDateTime,
) -> StoreResult<Vec<i64>> {
    let lib = tx.library_id();
    let ids = sequence::allocate(tx, IdSpace::Records, batch.len())?;
    let mut links = Vec::new();
    for (chunk_ids, chunk) in ids.chunks(400).zip(batch.chunks(400)) {
        let mut rows = Vec::with_capacity(chunk.len());
        for (id, r) in chunk_ids.iter().zip(chunk) {
            let details = r
                .details
                .as_deref()
                .map(|d| {
                    keys.encrypt(lib, "record_details", d)
                        .map_err(|e| StoreError::Encryption(e.to_string()))
                })
                .transpose()?;
            rows.push((
                library_records::library_id.eq(lib.0),
                library_records::id.eq(*id),
                library_records::kind.eq(&r.kind),
                library_records::source.eq(&r.source),
                library_records::external_id.eq(&r.external_id),
                library_records::occurred_at.eq(r.occurred_at),
                library_records::ended_at.eq(r.ended_at),
                library_records::item.eq(&r.item),
                library_records::branch.eq(&r.branch),
                library_records::status.eq(&r.status),
                library_records::amount_cents.eq(r.amount_cents),
                library_records::settled_at.eq(r.settled_at),
                library_records::details_sealed.eq(details),
                library_records::created_at.eq(now),
                library_records::updated_at.eq(now),
            ));
            if let Some(p) = r.patron_id {
                links.push((
                    record_links::library_id.eq(lib.0),
                    record_links::record_id.eq(*id),
                    record_links::patron_id.eq(p.0),
                ));
            }
        }
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(library_records::table)
            .values(rows)
            .execute(c))?;
    }
    for chunk in links.chunks(1000) {
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(record_links::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    Ok(ids)
}

/// A patron's records, newest first, before record `before`, at most `limit`.
pub fn for_patron(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Record>> {
    let lib = tx.library_id();
    let rows: Vec<Row> = record_links::table
        .inner_join(
            library_records::table.on(library_records::library_id
                .eq(record_links::library_id)
                .and(library_records::id.eq(record_links::record_id))),
        )
        .filter(record_links::library_id.eq(lib.0))
        .filter(record_links::patron_id.eq(patron.0))
        .filter(record_links::record_id.lt(before.unwrap_or(i64::MAX)))
        .order(record_links::record_id.desc())
        .limit(limit)
        .select(record_columns!())
        .load(tx.conn())?;
    rows.into_iter()
        .map(|r| open_row(tx, keys, r, Some(patron)))
        .collect()
}

/// The records linked to `patrons`, of `kinds`, that happened in
/// `[from, until)` (either end open), by patron then id: exactly the scope
/// of a legal request, nothing else.
pub fn in_scope(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patrons: &[PatronId],
    kinds: &[String],
    from: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
) -> StoreResult<Vec<Record>> {
    let lib = tx.library_id();
    let mut q = record_links::table
        .inner_join(
            library_records::table.on(library_records::library_id
                .eq(record_links::library_id)
                .and(library_records::id.eq(record_links::record_id))),
        )
        .filter(record_links::library_id.eq(lib.0))
        .filter(record_links::patron_id.eq_any(patrons.iter().map(|p| p.0).collect::<Vec<_>>()))
        .filter(library_records::kind.eq_any(kinds.to_vec()))
        .order((record_links::patron_id, record_links::record_id))
        .select((record_columns!(), record_links::patron_id))
        .into_boxed();
    if let Some(f) = from {
        q = q.filter(library_records::occurred_at.ge(f));
    }
    if let Some(u) = until {
        q = q.filter(library_records::occurred_at.lt(u));
    }
    let rows: Vec<(Row, i64)> = q.load(tx.conn())?;
    rows.into_iter()
        .map(|(r, p)| open_row(tx, keys, r, Some(PatronId(p))))
        .collect()
}

/// One record of the scoped library.
pub fn get(tx: &mut LibraryTx<'_>, keys: &Keyring, id: i64) -> StoreResult<Record> {
    let lib = tx.library_id();
    let row: Row = library_records::table
        .filter(library_records::library_id.eq(lib.0))
        .filter(library_records::id.eq(id))
        .select(record_columns!())
        .first(tx.conn())?;
    let patron: Option<i64> = record_links::table
        .filter(record_links::library_id.eq(lib.0))
        .filter(record_links::record_id.eq(id))
        .select(record_links::patron_id)
        .first(tx.conn())
        .optional()?;
    open_row(tx, keys, row, patron.map(PatronId))
}

/// Unlinks a patron's returned loans whose fines (if any) are settled; returns how many.
pub fn unlink_returned_loans(tx: &mut LibraryTx<'_>, patron: PatronId) -> StoreResult<usize> {
    let lib = tx.library_id();
    let done = library_records::table
        .filter(library_records::library_id.eq(lib.0))
        .filter(library_records::kind.eq(CIRCULATION))
        .filter(library_records::ended_at.is_not_null())
        .filter(
            library_records::amount_cents
                .is_null()
                .or(library_records::settled_at.is_not_null()),
        )
        .select(library_records::id);
    Ok(diesel::delete(
        record_links::table
            .filter(record_links::library_id.eq(lib.0))
            .filter(record_links::patron_id.eq(patron.0))
            .filter(record_links::record_id.eq_any(done)),
    )
    .execute(tx.conn())?)
}

/// Ids bound per statement: SQLite binds each as its own variable (at most
/// 32,766), PostgreSQL binds the whole chunk as one array.
pub const ID_CHUNK: usize = 10_000;

/// Removes the patron link of the given records (retention); returns how many links were removed.
pub fn unlink(tx: &mut LibraryTx<'_>, record_ids: &[i64]) -> StoreResult<usize> {
    let lib = tx.library_id();
    let mut n = 0;
    for chunk in record_ids.chunks(ID_CHUNK) {
        n += diesel::delete(
            record_links::table
                .filter(record_links::library_id.eq(lib.0))
                .filter(record_links::record_id.eq_any(chunk.to_vec())),
        )
        .execute(tx.conn())?;
    }
    Ok(n)
}

/// Deletes records of the scoped library outright (their links go with them); returns how many.
pub fn delete(tx: &mut LibraryTx<'_>, record_ids: &[i64]) -> StoreResult<usize> {
    let lib = tx.library_id();
    let mut n = 0;
    for chunk in record_ids.chunks(ID_CHUNK) {
        diesel::delete(
            record_links::table
                .filter(record_links::library_id.eq(lib.0))
                .filter(record_links::record_id.eq_any(chunk.to_vec())),
        )
        .execute(tx.conn())?;
        n += diesel::delete(
            library_records::table
                .filter(library_records::library_id.eq(lib.0))
                .filter(library_records::id.eq_any(chunk.to_vec())),
        )
        .execute(tx.conn())?;
    }
    Ok(n)
}

/// What a feed may change about a record it sent before.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ended_at": "2026-02-15T16:30:00Z", "status": "returned"}))]
pub struct RecordUpdate {
    /// When it ended (the loan came back, the session closed).
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub ended_at: Option<NaiveDateTime>,
    /// The source's new status.
    pub status: Option<String>,
    /// A fine or fee now attached, in cents.
    pub amount_cents: Option<i64>,
    /// When that amount was settled.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub settled_at: Option<NaiveDateTime>,
}

/// Applies a feed's update to a record of the scoped library and returns it.
pub fn update(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    id: i64,
    change: &RecordUpdate,
    now: NaiveDateTime,
) -> StoreResult<Record> {
    #[derive(AsChangeset)]
    #[diesel(table_name = library_records)]
    struct Change<'a> {
        ended_at: Option<NaiveDateTime>,
        status: Option<&'a str>,
        amount_cents: Option<i64>,
        settled_at: Option<NaiveDateTime>,
        updated_at: NaiveDateTime,
    }
    let lib = tx.library_id();
    let n = diesel::update(
        library_records::table
            .filter(library_records::library_id.eq(lib.0))
            .filter(library_records::id.eq(id)),
    )
    .set(Change {
        ended_at: change.ended_at,
        status: change.status.as_deref(),
        amount_cents: change.amount_cents,
        settled_at: change.settled_at,
        updated_at: now,
    })
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    get(tx, keys, id)
}

/// Records of the scoped library by id, after `after`, optionally of one kind.
pub fn list(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    kind: Option<RecordKind>,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Record>> {
    let lib = tx.library_id();
    let mut q = library_records::table
        .left_join(
            record_links::table.on(record_links::library_id
                .eq(library_records::library_id)
                .and(record_links::record_id.eq(library_records::id))),
        )
        .filter(library_records::library_id.eq(lib.0))
        .filter(library_records::id.gt(after.unwrap_or(0)))
        .order(library_records::id)
        .limit(limit)
        .select((record_columns!(), record_links::patron_id.nullable()))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(library_records::kind.eq(k.as_str()));
    }
    let rows: Vec<(Row, Option<i64>)> = q.load(tx.conn())?;
    rows.into_iter()
        .map(|(r, p)| open_row(tx, keys, r, p.map(PatronId)))
        .collect()
}

/// Which of these patrons opted in to keeping their checkout history.
pub fn history_opt_ins(tx: &mut LibraryTx<'_>, ids: &[PatronId]) -> StoreResult<HashSet<PatronId>> {
    let lib = tx.library_id();
    let mut found = HashSet::new();
    for chunk in ids.chunks(500) {
        let raw: Vec<i64> = chunk.iter().map(|p| p.0).collect();
        let rows: Vec<i64> = patrons::table
            .filter(patrons::library_id.eq(lib.0))
            .filter(patrons::id.eq_any(raw))
            .filter(patrons::keep_history.eq(true))
            .select(patrons::id)
            .load(tx.conn())?;
        found.extend(rows.into_iter().map(PatronId));
    }
    Ok(found)
}

/// How many records are linked to the patron, by kind (kind names in order).
/// Reads only the kinds, never the records' sealed details.
pub fn kind_counts_for_patron(
    tx: &mut LibraryTx<'_>,
    patron: PatronId,
) -> StoreResult<Vec<(String, i64)>> {
    let lib = tx.library_id();
    let kinds: Vec<String> = record_links::table
        .inner_join(
            library_records::table.on(library_records::library_id
                .eq(record_links::library_id)
                .and(library_records::id.eq(record_links::record_id))),
        )
        .filter(record_links::library_id.eq(lib.0))
        .filter(record_links::patron_id.eq(patron.0))
        .select(library_records::kind)
        .load(tx.conn())?;
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    for k in kinds {
        *counts.entry(k).or_default() += 1;
    }
    Ok(counts.into_iter().collect())
}
