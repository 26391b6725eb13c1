//! Each library's published privacy policy: its versions (never changed once
//! written), the notice of a version queued to each patron once, the notice a
//! patron dismissed, and patrons' opt-outs from its optional uses.

use crate::error::StoreResult;
use crate::ids::PatronId;
use crate::schema::{
    patron_opt_outs, patrons, policy_dismissals, policy_notices, privacy_policy_versions,
};
use crate::tenant::LibraryTx;
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Timestamp};

/// A published version as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = privacy_policy_versions)]
pub struct StoredVersion {
    /// Its library.
    pub library_id: i64,
    /// 1, 2, 3, … within the library.
    pub version: i64,
    /// The policy document, TOML.
    pub document: String,
    /// What changed, in the library's words.
    pub summary: String,
    /// The keys of the uses this version added, comma-separated.
    pub new_uses: String,
    /// The admin's account id.
    pub published_by: i64,
    /// When it was published.
    pub published_at: NaiveDateTime,
}

/// A version about to be published.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The policy document, TOML, already validated.
    pub document: &'a str,
    /// What changed.
    pub summary: &'a str,
    /// The keys of the uses this version adds, comma-separated.
    pub new_uses: &'a str,
    /// The admin's account id.
    pub published_by: i64,
    /// Now.
    pub now: NaiveDateTime,
}

/// Publishes the next version of the scoped library's policy; returns its number.
/// Call it in a writing scope: on SQLite that holds the write lock, and on
/// PostgreSQL a concurrent publisher's insert of the same number conflicts.
pub fn publish(tx: &mut LibraryTx<'_>, new: &NewVersion<'_>) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    let last: Option<i64> = privacy_policy_versions::table
        .filter(privacy_policy_versions::library_id.eq(lib))
        .select(diesel::dsl::max(privacy_policy_versions::version))
        .first(tx.conn())?;
    let version = last.unwrap_or(0) + 1;
    diesel::insert_into(privacy_policy_versions::table)
        .values((
            privacy_policy_versions::library_id.eq(lib),
            privacy_policy_versions::version.eq(version),
            privacy_policy_versions::document.eq(new.document),
            privacy_policy_versions::summary.eq(new.summary),
            privacy_policy_versions::new_uses.eq(new.new_uses),
            privacy_policy_versions::published_by.eq(new.published_by),
            privacy_policy_versions::published_at.eq(new.now),
        ))
        .execute(tx.conn())?;
    Ok(version)
}

/// Every version of the scoped library's policy, newest first.
pub fn versions(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<StoredVersion>> {
    let lib = tx.library_id().0;
    Ok(privacy_policy_versions::table
        .filter(privacy_policy_versions::library_id.eq(lib))
        .order(privacy_policy_versions::version.desc())
        .select(StoredVersion::as_select())
        .load(tx.conn())?)
}

/// The newest version, if the library published one.
pub fn current(tx: &mut LibraryTx<'_>) -> StoreResult<Option<StoredVersion>> {
    let lib = tx.library_id().0;
    Ok(privacy_policy_versions::table
        .filter(privacy_policy_versions::library_id.eq(lib))
        .order(privacy_policy_versions::version.desc())
        .select(StoredVersion::as_select())
        .first(tx.conn())
        .optional()?)
}

/// Versions with new uses, newest first: the ones patrons are told of.
pub fn noticed_versions(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<StoredVersion>> {
    let lib = tx.library_id().0;
    Ok(privacy_policy_versions::table
        .filter(privacy_policy_versions::library_id.eq(lib))
        .filter(privacy_policy_versions::new_uses.ne(""))
        .order(privacy_policy_versions::version.desc())
        .select(StoredVersion::as_select())
        .load(tx.conn())?)
}

/// The last patron id a version's notice was queued to, where a rerun resumes.
pub fn notice_cursor(tx: &mut LibraryTx<'_>, version: i64) -> StoreResult<PatronId> {
    let lib = tx.library_id().0;
    let last: Option<i64> = policy_notices::table
        .filter(policy_notices::library_id.eq(lib))
        .filter(policy_notices::version.eq(version))
        .select(diesel::dsl::max(policy_notices::patron_id))
        .first(tx.conn())?;
    Ok(PatronId(last.unwrap_or(0)))
}

/// The next `limit` patrons of the scoped library with an email after
/// `after`, by id: who a notice batch is for. Reads ids only (nothing is
/// opened: each address is opened when its message is delivered).
pub fn patrons_with_email_after(
    tx: &mut LibraryTx<'_>,
    after: PatronId,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let lib = tx.library_id().0;
    Ok(patrons::table
        .filter(patrons::library_id.eq(lib))
        .filter(patrons::id.gt(after.0))
        .filter(patrons::email_sealed.is_not_null())
        .order(patrons::id)
        .select(patrons::id)
        .limit(limit)
        .load(tx.conn())?)
}

/// Records that a version's notice was queued to each patron, with its
/// outbox row (on PostgreSQL one statement for the batch).
pub fn record_notices(
    tx: &mut LibraryTx<'_>,
    version: i64,
    queued: &[(PatronId, i64)],
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    if let DbConn::Pg(c) = tx.conn() {
        let patrons: Vec<i64> = queued.iter().map(|(p, _)| p.0).collect();
        let outbox: Vec<i64> = queued.iter().map(|(_, o)| *o).collect();
        diesel::sql_query(
            "INSERT INTO policy_notices (library_id, version, patron_id, outbox_id, queued_at) \
             SELECT $1, $2, p, o, $3 FROM unnest($4::bigint[], $5::bigint[]) AS t(p, o)",
        )
        .bind::<BigInt, _>(lib)
        .bind::<BigInt, _>(version)
        .bind::<Timestamp, _>(now)
        .bind::<Array<BigInt>, _>(patrons)
        .bind::<Array<BigInt>, _>(outbox)
        .execute(c)?;
        return Ok(());
    }
    let rows: Vec<_> = queued
        .iter()
        .map(|(p, outbox)| {
            (
                policy_notices::library_id.eq(lib),
                policy_notices::version.eq(version),
                policy_notices::patron_id.eq(p.0),
                policy_notices::outbox_id.eq(*outbox),
                policy_notices::queued_at.eq(now),
            )
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(policy_notices::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    Ok(())
}

/// How many patrons a version's notice was queued to.
pub fn notices_queued(tx: &mut LibraryTx<'_>, version: i64) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    Ok(policy_notices::table
        .filter(policy_notices::library_id.eq(lib))
        .filter(policy_notices::version.eq(version))
        .count()
        .get_result(tx.conn())?)
}

/// The newest version a patron dismissed the notice of.
pub fn dismissed(tx: &mut LibraryTx<'_>, patron: PatronId) -> StoreResult<Option<i64>> {
    let lib = tx.library_id().0;
    Ok(policy_dismissals::table
        .filter(policy_dismissals::library_id.eq(lib))
        .filter(policy_dismissals::patron_id.eq(patron.0))
        .select(policy_dismissals::version)
        .first(tx.conn())
        .optional()?)
}

/// Records that a patron dismissed the notice of `version` (and every earlier one).
pub fn dismiss(
    tx: &mut LibraryTx<'_>,
    patron: PatronId,
    version: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::delete(
        policy_dismissals::table
            .filter(policy_dismissals::library_id.eq(lib))
            .filter(policy_dismissals::patron_id.eq(patron.0)),
    )
    .execute(tx.conn())?;
    diesel::insert_into(policy_dismissals::table)
        .values((
            policy_dismissals::library_id.eq(lib),
            policy_dismissals::patron_id.eq(patron.0),
            policy_dismissals::version.eq(version),
            policy_dismissals::dismissed_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// A patron's choice on one optional use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    /// The use's key.
    pub use_key: String,
    /// Whether the patron is out of it.
    pub opted_out: bool,
    /// The policy version in force when they chose.
    pub policy_version: i64,
    /// The consent-ledger entry recording the choice.
    pub consent_id: i64,
    /// When they chose.
    pub updated_at: NaiveDateTime,
}

/// A patron's choices, by use key.
pub fn opt_outs(tx: &mut LibraryTx<'_>, patron: PatronId) -> StoreResult<Vec<OptOut>> {
    let lib = tx.library_id().0;
    let rows: Vec<(String, bool, i64, i64, NaiveDateTime)> = patron_opt_outs::table
        .filter(patron_opt_outs::library_id.eq(lib))
        .filter(patron_opt_outs::patron_id.eq(patron.0))
        .order(patron_opt_outs::use_key)
        .select((
            patron_opt_outs::use_key,
            patron_opt_outs::opted_out,
            patron_opt_outs::policy_version,
            patron_opt_outs::consent_id,
            patron_opt_outs::updated_at,
        ))
        .load(tx.conn())?;
    Ok(rows
        .into_iter()
        .map(
            |(use_key, opted_out, policy_version, consent_id, updated_at)| OptOut {
                use_key,
                opted_out,
                policy_version,
                consent_id,
                updated_at,
            },
        )
        .collect())
}

/// Records a patron's choice on one use, replacing the previous one.
pub fn set_opt_out(tx: &mut LibraryTx<'_>, patron: PatronId, choice: &OptOut) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::delete(
        patron_opt_outs::table
            .filter(patron_opt_outs::library_id.eq(lib))
            .filter(patron_opt_outs::patron_id.eq(patron.0))
            .filter(patron_opt_outs::use_key.eq(&choice.use_key)),
    )
    .execute(tx.conn())?;
    diesel::insert_into(patron_opt_outs::table)
        .values((
            patron_opt_outs::library_id.eq(lib),
            patron_opt_outs::patron_id.eq(patron.0),
            patron_opt_outs::use_key.eq(&choice.use_key),
            patron_opt_outs::opted_out.eq(choice.opted_out),
            patron_opt_outs::policy_version.eq(choice.policy_version),
            patron_opt_outs::consent_id.eq(choice.consent_id),
            patron_opt_outs::updated_at.eq(choice.updated_at),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// Whether a patron opted out of a use.
pub fn is_opted_out(tx: &mut LibraryTx<'_>, patron: PatronId, use_key: &str) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let out: Option<bool> = patron_opt_outs::table
        .filter(patron_opt_outs::library_id.eq(lib))
        .filter(patron_opt_outs::patron_id.eq(patron.0))
        .filter(patron_opt_outs::use_key.eq(use_key))
        .select(patron_opt_outs::opted_out)
        .first(tx.conn())
        .optional()?;
    Ok(out.unwrap_or(false))
}

/// The patrons who opted out of a use, by id.
pub fn opted_out_of(tx: &mut LibraryTx<'_>, use_key: &str) -> StoreResult<Vec<PatronId>> {
    let lib = tx.library_id().0;
    let ids: Vec<i64> = patron_opt_outs::table
        .filter(patron_opt_outs::library_id.eq(lib))
        .filter(patron_opt_outs::use_key.eq(use_key))
        .filter(patron_opt_outs::opted_out.eq(true))
        .order(patron_opt_outs::patron_id)
        .select(patron_opt_outs::patron_id)
        .load(tx.conn())?;
    Ok(ids.into_iter().map(PatronId).collect())
}
