//! Each library's audit log: append-only, and a hash chain.
//!
//! Every entry stores the SHA-256 of the entry before it and its own hash over
//! all its fields, so an entry that is changed, removed or inserted out of
//! order breaks the chain at that point, and [`verify`] names it. The database
//! refuses UPDATE and DELETE on the table (triggers, and on PostgreSQL no such
//! privilege for the application role); the chain catches whoever gets around
//! that with the owner's keys or the file.

use crate::connection::DbConn;
use crate::error::StoreResult;
use crate::schema::{audit_checkpoints, audit_log};
use crate::tenant::LibraryTx;
use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash the first entry of a chain points back to.
pub const GENESIS: [u8; 32] = [0; 32];

/// What to record.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    /// Who acted: `account:12`, `patron:55`, `vendor:3`, `system`.
    pub actor: &'a str,
    /// What was done: `patron.read`, `staff.create`, `disclosure.legal`, …
    pub action: &'a str,
    /// Whom or what it concerned: `patron:55`, `account:7`, or empty.
    pub subject: &'a str,
    /// The purpose the actor stated, if any.
    pub purpose: &'a str,
    /// `allow` or `deny`.
    pub decision: &'a str,
    /// The code of the clause that decided it.
    pub clause: &'a str,
    /// Kept out of the subject's access log (a non-disclosure order).
    pub sealed: bool,
}

/// A recorded entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
#[schema(as = AuditEntry)]
pub struct Entry {
    /// The library whose log this is.
    pub library_id: i64,
    /// Position in the library's chain, from 1.
    pub seq: i64,
    /// When, UTC, to the microsecond.
    #[serde(with = "crate::time::rfc3339")]
    pub at: NaiveDateTime,
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// Whom or what it concerned.
    pub subject: String,
    /// The stated purpose.
    pub purpose: String,
    /// `allow` or `deny`.
    pub decision: String,
    /// The deciding clause's code.
    pub clause: String,
    /// Hidden from the subject's access log.
    pub sealed: bool,
    /// The previous entry's hash.
    #[serde(skip)]
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    #[serde(skip)]
    pub hash: Vec<u8>,
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// The hash of an entry's fields and its predecessor's hash (length-prefixed, so fields cannot run into each other).
pub fn entry_hash(
    library_id: i64,
    seq: i64,
    at: NaiveDateTime,
    e: &NewEntry<'_>,
    prev: &[u8],
) -> Vec<u8> {
    let mut h = Sha256::new();
    put(&mut h, b"custodian-audit-v1");
    put(&mut h, &library_id.to_be_bytes());
    put(&mut h, &seq.to_be_bytes());
    put(
        &mut h,
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string().as_bytes(),
    );
    for field in [
        e.actor, e.action, e.subject, e.purpose, e.decision, e.clause,
    ] {
        put(&mut h, field.as_bytes());
    }
    put(&mut h, &[u8::from(e.sealed)]);
    put(&mut h, prev);
    h.finalize().to_vec()
}

fn truncate_to_micros(at: NaiveDateTime) -> NaiveDateTime {
    // Both databases keep microseconds; hash exactly what is stored.
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

fn lock_chain(conn: &mut DbConn, library_id: i64) -> StoreResult<()> {
    // On SQLite the writing transaction already holds the database's write
    // lock; on PostgreSQL concurrent appends to one library wait here.
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(hashtextextended('custodian.audit.' || $1::text, 0))",
        )
        .bind::<diesel::sql_types::BigInt, _>(library_id)
        .execute(c)?;
    }
    Ok(())
}

/// Appends an entry to the scoped library's chain (inside the caller's transaction, so it commits with the change it records).
pub fn append(
    tx: &mut LibraryTx<'_>,
    entry: &NewEntry<'_>,
    at: NaiveDateTime,
) -> StoreResult<Entry> {
    let library = tx.library_id().0;
    lock_chain(tx.conn(), library)?;
    let last: Option<(i64, Vec<u8>)> = audit_log::table
        .filter(audit_log::library_id.eq(library))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(tx.conn())
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_vec()),
    };
    let at = truncate_to_micros(at);
    let hash = entry_hash(library, seq, at, entry, &prev);
    let row = Entry {
        library_id: library,
        seq,
        at,
        actor: entry.actor.to_owned(),
        action: entry.action.to_owned(),
        subject: entry.subject.to_owned(),
        purpose: entry.purpose.to_owned(),
        decision: entry.decision.to_owned(),
        clause: entry.clause.to_owned(),
        sealed: entry.sealed,
        prev_hash: prev,
        hash,
    };
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::library_id.eq(row.library_id),
            audit_log::seq.eq(row.seq),
            audit_log::at.eq(row.at),
            audit_log::actor.eq(&row.actor),
            audit_log::action.eq(&row.action),
            audit_log::subject.eq(&row.subject),
            audit_log::purpose.eq(&row.purpose),
            audit_log::decision.eq(&row.decision),
            audit_log::clause.eq(&row.clause),
            audit_log::sealed.eq(row.sealed),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
        ))
        .execute(tx.conn())?;
    Ok(row)
}

/// Entries of the scoped library after `after_seq`, oldest first, at most `limit`.
pub fn list(tx: &mut LibraryTx<'_>, after_seq: Option<i64>, limit: i64) -> StoreResult<Vec<Entry>> {
    let library = tx.library_id().0;
    Ok(audit_log::table
        .filter(audit_log::library_id.eq(library))
        .filter(audit_log::seq.gt(after_seq.unwrap_or(0)))
        .order(audit_log::seq)
        .limit(limit)
        .select(Entry::as_select())
        .load(tx.conn())?)
}

/// Entries about `subject` that are not sealed, or whose seal (a legal
/// request's non-disclosure order) has lapsed, newest first: what a patron's
/// access log shows.
pub fn about(
    tx: &mut LibraryTx<'_>,
    subject: &str,
    before_seq: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    let library = tx.library_id().0;
    // The chain is append-only, so a seal cannot be lifted in place: the
    // releases whose order has ended are looked up and shown beside it.
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let lapsed = crate::legal::unsealed_releases(tx, subject, &today)?;
    Ok(audit_log::table
        .filter(audit_log::library_id.eq(library))
        .filter(audit_log::subject.eq(subject))
        .filter(
            audit_log::sealed
                .eq(false)
                .or(audit_log::seq.eq_any(lapsed)),
        )
        .filter(audit_log::seq.lt(before_seq.unwrap_or(i64::MAX)))
        .order(audit_log::seq.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(tx.conn())?)
}

/// Where a chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The sequence number of the first entry that does not fit.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The outcome of checking one library's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// The first broken link, if any.
    pub first_break: Option<Break>,
}

/// Re-computes the scoped library's chain from the start, in batches, and names the first broken link.
pub fn verify(tx: &mut LibraryTx<'_>) -> StoreResult<Verification> {
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_vec();
    let mut entries = 0u64;
    let mut after = None;
    loop {
        let batch = list(tx, after, 1_000)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.seq);
        for e in batch {
            entries += 1;
            let fields = NewEntry {
                actor: &e.actor,
                action: &e.action,
                subject: &e.subject,
                purpose: &e.purpose,
                decision: &e.decision,
                clause: &e.clause,
                sealed: e.sealed,
            };
            let reason = if e.seq != expected_seq {
                Some(if e.seq > expected_seq {
                    "an entry before this one is missing"
                } else {
                    "sequence out of order"
                })
            } else if e.prev_hash != prev {
                Some("it does not point to the entry before it")
            } else if entry_hash(e.library_id, e.seq, e.at, &fields, &prev) != e.hash {
                Some("its contents were changed after it was written")
            } else {
                None
            };
            if let Some(reason) = reason {
                let seq = if e.seq > expected_seq {
                    expected_seq
                } else {
                    e.seq
                };
                return Ok(Verification {
                    entries,
                    first_break: Some(Break { seq, reason }),
                });
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    Ok(Verification {
        entries,
        first_break: None,
    })
}

/// Which entries a reader of a library's whole log asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only entries with this action (`staff.create`).
    pub action: Option<String>,
    /// Only entries by this actor, exactly as stored (`account:7`), or of one
    /// kind, given as its prefix ending in `:` (`patron:`).
    pub actor: Option<String>,
    /// Newest first, read backwards from the cursor; else oldest first.
    pub newest_first: bool,
}

/// Entries of the scoped library matching `filter`, at most `limit`, after
/// (or, newest first, before) the entry with `cursor` as its `seq`.
pub fn search(
    tx: &mut LibraryTx<'_>,
    filter: &Filter,
    cursor: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    let library = tx.library_id().0;
    let mut q = audit_log::table
        .filter(audit_log::library_id.eq(library))
        .select(Entry::as_select())
        .into_boxed();
    if let Some(action) = &filter.action {
        q = q.filter(audit_log::action.eq(action.clone()));
    }
    match filter.actor.as_deref() {
        Some(kind) if kind.ends_with(':') => {
            q = q.filter(audit_log::actor.like(format!("{kind}%")));
        }
        Some(actor) => q = q.filter(audit_log::actor.eq(actor.to_owned())),
        None => {}
    }
    q = if filter.newest_first {
        q.filter(audit_log::seq.lt(cursor.unwrap_or(i64::MAX)))
            .order(audit_log::seq.desc())
    } else {
        q.filter(audit_log::seq.gt(cursor.unwrap_or(0)))
            .order(audit_log::seq)
    };
    Ok(q.limit(limit).load(tx.conn())?)
}

/// The actions the scoped library's log holds, in alphabetical order (a filter's choices).
pub fn actions(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<String>> {
    let library = tx.library_id().0;
    Ok(audit_log::table
        .filter(audit_log::library_id.eq(library))
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action)
        .load(tx.conn())?)
}

/// The newest entry of the scoped library's chain: its `seq` and hash (none for an empty chain).
pub fn head(tx: &mut LibraryTx<'_>) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let library = tx.library_id().0;
    Ok(audit_log::table
        .filter(audit_log::library_id.eq(library))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(tx.conn())
        .optional()?)
}

/// The stored hash of the scoped library's entry `seq`, if there is one.
pub fn hash_at(tx: &mut LibraryTx<'_>, seq: i64) -> StoreResult<Option<Vec<u8>>> {
    let library = tx.library_id().0;
    Ok(audit_log::table
        .filter(audit_log::library_id.eq(library))
        .filter(audit_log::seq.eq(seq))
        .select(audit_log::hash)
        .first(tx.conn())
        .optional()?)
}

/// A signed checkpoint of one library's chain: its head at a moment (#19).
///
/// Signed with a key that is not in the database, so whoever can rewrite the
/// database can neither move a checkpoint back to hide entries cut off after
/// it nor make one for a rewritten tail.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_checkpoints)]
pub struct Checkpoint {
    /// The library whose chain this is.
    pub library_id: i64,
    /// The head's `seq` (0 for an empty chain).
    pub seq: i64,
    /// The head's hash ([`GENESIS`] for an empty chain).
    pub head_hash: Vec<u8>,
    /// When the checkpoint was made, UTC, to the microsecond.
    pub at: NaiveDateTime,
    /// Which [`CheckpointKey`] signed it.
    pub key_id: String,
    /// HMAC-SHA256 over the other fields.
    pub signature: Vec<u8>,
}

/// A key checkpoints are signed with (HMAC-SHA256), named by an id stored beside each signature.
#[derive(Clone)]
pub struct CheckpointKey {
    id: String,
    key: [u8; 32],
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({:?})", self.id)
    }
}

fn checkpoint_mac(
    key: &[u8; 32],
    library_id: i64,
    seq: i64,
    head: &[u8],
    at: NaiveDateTime,
) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    for part in [
        b"custodian-audit-checkpoint-v1".as_slice(),
        &library_id.to_be_bytes(),
        &seq.to_be_bytes(),
        head,
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string().as_bytes(),
    ] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    Some(mac)
}

impl CheckpointKey {
    /// A key with its id (`index` for the one derived from the key ring, `audit` for `audit.checkpoint_key`).
    pub fn new(id: &str, key: [u8; 32]) -> Self {
        CheckpointKey {
            id: id.to_owned(),
            key,
        }
    }

    /// The id stored with what this key signs.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A checkpoint of `library_id`'s chain at `head` (`seq`, hash), made `at`, signed.
    pub fn sign(
        &self,
        library_id: i64,
        seq: i64,
        head_hash: Vec<u8>,
        at: NaiveDateTime,
    ) -> Checkpoint {
        let at = truncate_to_micros(at);
        let signature = checkpoint_mac(&self.key, library_id, seq, &head_hash, at)
            .map(|m| m.finalize().into_bytes().to_vec())
            .unwrap_or_default();
        Checkpoint {
            library_id,
            seq,
            head_hash,
            at,
            key_id: self.id.clone(),
            signature,
        }
    }

    /// Whether this key signed `c` as it stands (compared in constant time).
    pub fn signed(&self, c: &Checkpoint) -> bool {
        c.key_id == self.id
            && checkpoint_mac(&self.key, c.library_id, c.seq, &c.head_hash, c.at)
                .is_some_and(|m| m.verify_slice(&c.signature).is_ok())
    }
}

/// Stores a checkpoint of the scoped library's chain (append-only, like the chain; the same one twice is kept once).
pub fn record_checkpoint(tx: &mut LibraryTx<'_>, c: &Checkpoint) -> StoreResult<()> {
    if c.library_id != tx.library_id().0 {
        return Err(crate::StoreError::NotFound);
    }
    let conn = tx.conn();
    crate::on_backend!(conn, |conn| diesel::insert_into(audit_checkpoints::table)
        .values((
            audit_checkpoints::library_id.eq(c.library_id),
            audit_checkpoints::seq.eq(c.seq),
            audit_checkpoints::head_hash.eq(&c.head_hash),
            audit_checkpoints::at.eq(c.at),
            audit_checkpoints::key_id.eq(&c.key_id),
            audit_checkpoints::signature.eq(&c.signature),
        ))
        .on_conflict_do_nothing()
        .execute(conn))?;
    Ok(())
}

/// The scoped library's newest checkpoint, by when it was made.
pub fn latest_checkpoint(tx: &mut LibraryTx<'_>) -> StoreResult<Option<Checkpoint>> {
    let library = tx.library_id().0;
    Ok(audit_checkpoints::table
        .filter(audit_checkpoints::library_id.eq(library))
        .order((audit_checkpoints::at.desc(), audit_checkpoints::seq.desc()))
        .select(Checkpoint::as_select())
        .first(tx.conn())
        .optional()?)
}

/// Every checkpoint of the scoped library, oldest first.
pub fn checkpoints(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<Checkpoint>> {
    let library = tx.library_id().0;
    Ok(audit_checkpoints::table
        .filter(audit_checkpoints::library_id.eq(library))
        .order((audit_checkpoints::at, audit_checkpoints::seq))
        .select(Checkpoint::as_select())
        .load(tx.conn())?)
}
