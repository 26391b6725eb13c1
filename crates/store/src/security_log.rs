//! The consortium's security log: refusals of callers with no standing in the
//! library they tried.
//!
//! Such a refusal is not written into the target library's audit chain, which
//! anybody signed in could otherwise grow at will, but here, in scope 0 (the
//! consortium's own), where row-level security keeps every library-scoped
//! transaction from seeing it. One caller writes at most a bounded number of
//! entries per minute; further refusals in that minute only add to the count
//! (`repeats`) of the caller's latest entry, so the log grows by at most the
//! bound per caller per minute however hard somebody hammers.

use crate::error::{StoreError, StoreResult};
use crate::ids::LibraryId;
use crate::schema::security_log;
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

/// A refusal to record.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// Who was refused: `account:12`.
    pub actor: &'a str,
    /// The library they tried.
    pub target: LibraryId,
    /// What they tried: `staff.manage`, …
    pub action: &'a str,
    /// The code of the rule that refused them.
    pub clause: &'a str,
}

/// A recorded entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = security_log)]
#[schema(as = SecurityLogEntry)]
pub struct Entry {
    /// Its id, increasing.
    pub id: i64,
    /// When the first refusal it stands for happened (UTC).
    #[schema(value_type = String, example = "2026-03-02T14:05:00.123456")]
    pub at: NaiveDateTime,
    /// Who was refused.
    pub actor: String,
    /// The id of the library they tried.
    #[diesel(column_name = target_library_id)]
    pub library_id: i64,
    /// What they tried.
    pub action: String,
    /// The rule that refused them.
    pub clause: String,
    /// How many refusals this entry stands for (more than 1 once the caller passed the bound).
    pub repeats: i64,
}

fn consortium_only(tx: &LibraryTx<'_>) -> StoreResult<()> {
    if tx.library_id() == LibraryId::CONSORTIUM {
        Ok(())
    } else {
        Err(StoreError::Migration(
            "the security log is reached only in the consortium's scope".into(),
        ))
    }
}

fn lock_actor(tx: &mut LibraryTx<'_>, actor: &str) -> StoreResult<()> {
    // Concurrent refusals of one caller must not both see room under the
    // bound; on SQLite the writing transaction already holds the write lock.
    if let crate::DbConn::Pg(c) = tx.conn() {
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(hashtextextended('custodian.security.' || $1, 0))",
        )
        .bind::<diesel::sql_types::Text, _>(actor)
        .execute(c)?;
    }
    Ok(())
}

/// Records a refusal, unless `actor` already has `per_minute` entries in the
/// minute before `now`: then the refusal is counted on its latest entry.
/// Returns whether a new entry was written. Call in a writing scope of
/// [`LibraryId::CONSORTIUM`].
pub fn record(
    tx: &mut LibraryTx<'_>,
    refusal: &Refusal<'_>,
    now: NaiveDateTime,
    per_minute: i64,
) -> StoreResult<bool> {
    consortium_only(tx)?;
    lock_actor(tx, refusal.actor)?;
    let since = now - chrono::Duration::seconds(60);
    let recent: i64 = security_log::table
        .filter(security_log::library_id.eq(0))
        .filter(security_log::actor.eq(refusal.actor))
        .filter(security_log::at.gt(since))
        .count()
        .get_result(tx.conn())?;
    if recent >= per_minute.max(1) {
        let latest: i64 = security_log::table
            .filter(security_log::library_id.eq(0))
            .filter(security_log::actor.eq(refusal.actor))
            .select(diesel::dsl::max(security_log::id))
            .first::<Option<i64>>(tx.conn())?
            .ok_or(StoreError::NotFound)?;
        diesel::update(
            security_log::table
                .filter(security_log::library_id.eq(0))
                .filter(security_log::id.eq(latest)),
        )
        .set(security_log::repeats.eq(security_log::repeats + 1))
        .execute(tx.conn())?;
        return Ok(false);
    }
    diesel::insert_into(security_log::table)
        .values((
            security_log::library_id.eq(0),
            security_log::at.eq(now),
            security_log::actor.eq(refusal.actor),
            security_log::target_library_id.eq(refusal.target.0),
            security_log::action.eq(refusal.action),
            security_log::clause.eq(refusal.clause),
        ))
        .execute(tx.conn())?;
    Ok(true)
}

/// Entries after id `after`, oldest first, at most `limit`. Call in a scope of [`LibraryId::CONSORTIUM`].
pub fn list(tx: &mut LibraryTx<'_>, after: Option<i64>, limit: i64) -> StoreResult<Vec<Entry>> {
    consortium_only(tx)?;
    Ok(security_log::table
        .filter(security_log::library_id.eq(0))
        .filter(security_log::id.gt(after.unwrap_or(0)))
        .order(security_log::id)
        .limit(limit)
        .select(Entry::as_select())
        .load(tx.conn())?)
}
