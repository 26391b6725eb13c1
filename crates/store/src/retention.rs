//! The retention job's SQL: a library's own periods, the records past them,
//! the last run's report, and the lease that keeps one runner at a time.

use crate::connection::DbConn;
use crate::error::StoreResult;
use crate::schema::{
    job_leases, library_records, outbox, patron_sessions, patrons, record_links, retention_periods,
    retention_runs, sessions,
};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A library's own period for one kind, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPeriod {
    /// The record kind name.
    pub kind: String,
    /// Days the patron link may live after the record closes.
    pub keep_days: i64,
    /// `anonymize` or `delete`.
    pub then: String,
}

/// The scoped library's own periods, by kind name.
pub fn periods(tx: &mut LibraryTx<'_>) -> StoreResult<Vec<StoredPeriod>> {
    let lib = tx.library_id().0;
    let rows: Vec<(String, i64, String)> = retention_periods::table
        .filter(retention_periods::library_id.eq(lib))
        .order(retention_periods::kind)
        .select((
            retention_periods::kind,
            retention_periods::keep_days,
            retention_periods::then_method,
        ))
        .load(tx.conn())?;
    Ok(rows
        .into_iter()
        .map(|(kind, keep_days, then)| StoredPeriod {
            kind,
            keep_days,
            then,
        })
        .collect())
}

/// Replaces the scoped library's own periods with `periods`.
pub fn set_periods(
    tx: &mut LibraryTx<'_>,
    periods: &[StoredPeriod],
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::delete(retention_periods::table.filter(retention_periods::library_id.eq(lib)))
        .execute(tx.conn())?;
    let rows: Vec<_> = periods
        .iter()
        .map(|p| {
            (
                retention_periods::library_id.eq(lib),
                retention_periods::kind.eq(&p.kind),
                retention_periods::keep_days.eq(p.keep_days),
                retention_periods::then_method.eq(&p.then),
                retention_periods::updated_at.eq(now),
            )
        })
        .collect();
    crate::on_backend!(tx.conn(), |c| diesel::insert_into(retention_periods::table)
        .values(rows.clone())
        .execute(c))?;
    Ok(())
}

/// The bounds of one kind's records due for purging (the policy crate's
/// `PurgeWindow`, in the database's terms).
#[derive(Debug, Clone, Copy)]
pub struct DueWindow<'a> {
    /// The record kind name.
    pub kind: &'a str,
    /// Closed (and, with a charge, settled) before this instant.
    pub before: NaiveDateTime,
    /// Leave records of patrons who keep a checkout history alone.
    pub spare_history_keepers: bool,
}

/// The highest record id with a patron link in the scoped library (0 when none).
pub fn last_linked(tx: &mut LibraryTx<'_>) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    let max: Option<i64> = record_links::table
        .filter(record_links::library_id.eq(lib))
        .select(diesel::dsl::max(record_links::record_id))
        .first(tx.conn())?;
    Ok(max.unwrap_or(0))
}

/// Ids of linked records in the window whose id is in `(after, upto]`.
pub fn due(
    tx: &mut LibraryTx<'_>,
    window: &DueWindow<'_>,
    after: i64,
    upto: i64,
) -> StoreResult<Vec<i64>> {
    let lib = tx.library_id().0;
    let mut q = record_links::table
        .inner_join(
            library_records::table.on(library_records::library_id
                .eq(record_links::library_id)
                .and(library_records::id.eq(record_links::record_id))),
        )
        .filter(record_links::library_id.eq(lib))
        .filter(record_links::record_id.gt(after))
        .filter(record_links::record_id.le(upto))
        // Said for both tables so each is read over the batch's key range
        // only, not from the first record on every batch.
        .filter(library_records::id.gt(after))
        .filter(library_records::id.le(upto))
        .filter(library_records::kind.eq(window.kind))
        .filter(library_records::ended_at.lt(window.before))
        .filter(
            library_records::amount_cents
                .is_null()
                .or(library_records::amount_cents.assume_not_null().le(0))
                .or(library_records::settled_at.is_not_null()),
        )
        .filter(
            library_records::amount_cents
                .is_null()
                .or(library_records::settled_at.is_null())
                .or(library_records::settled_at
                    .assume_not_null()
                    .lt(window.before)),
        )
        .order(record_links::record_id)
        .select(record_links::record_id)
        .into_boxed();
    if window.spare_history_keepers {
        // The keepers are few: a set to leave out, not a join that makes
        // the planner walk every patron's links before the batch's range.
        let keepers = patrons::table
            .filter(patrons::library_id.eq(lib))
            .filter(patrons::keep_history.eq(true))
            .select(patrons::id);
        q = q.filter(diesel::dsl::not(record_links::patron_id.eq_any(keepers)));
    }
    Ok(q.load(tx.conn())?)
}

/// Purges the records in the window whose id is in `(after, upto]`: anonymizes
/// them (drops the patron link and the identifying free text, keeping item,
/// date and branch) or, with `delete`, drops them. Returns their ids in
/// no particular order.
///
/// On PostgreSQL one statement finds, unlinks and clears a whole batch, so
/// anonymizing millions of loans is a DELETE of narrow links and no wide row
/// is written unless it carries free text.
pub fn purge_due(
    tx: &mut LibraryTx<'_>,
    window: &DueWindow<'_>,
    delete: bool,
    after: i64,
    upto: i64,
    now: NaiveDateTime,
) -> StoreResult<Vec<i64>> {
    let lib = tx.library_id().0;
    if let crate::DbConn::Pg(c) = tx.conn() {
        use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Gone {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        // $1 library, $2..$3 the id range, $4 kind, $5 before, $6 spare
        // keepers, $7 now. Both tables are bounded by the range so each
        // batch reads its own keys and nothing before them.
        let due = "r.library_id = $1 AND r.id > $2 AND r.id <= $3 AND r.kind = $4 \
                 AND r.ended_at < $5 \
                 AND (r.amount_cents IS NULL OR r.amount_cents <= 0 OR r.settled_at IS NOT NULL) \
                 AND (r.amount_cents IS NULL OR r.settled_at IS NULL OR r.settled_at < $5)";
        let linked = "(NOT $6 OR l.patron_id NOT IN (SELECT id FROM patrons WHERE library_id = $1 AND keep_history))";
        let sql = if delete {
            format!(
                "DELETE FROM library_records r WHERE {due} AND EXISTS (SELECT 1 FROM record_links l \
                   WHERE l.library_id = $1 AND l.record_id = r.id AND {linked}) AND $7 IS NOT NULL RETURNING r.id"
            )
        } else {
            format!(
                "WITH gone AS (DELETE FROM record_links l USING library_records r \
                   WHERE l.library_id = $1 AND l.record_id > $2 AND l.record_id <= $3 \
                   AND r.id = l.record_id AND {due} AND {linked} RETURNING l.record_id AS id), \
                 cleared AS (UPDATE library_records r SET details_sealed = NULL, updated_at = $7 FROM gone \
                   WHERE r.library_id = $1 AND r.id = gone.id AND r.details_sealed IS NOT NULL RETURNING 1) \
                 SELECT id FROM gone"
            )
        };
        let rows: Vec<Gone> = diesel::sql_query(sql)
            .bind::<BigInt, _>(lib)
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(upto)
            .bind::<Text, _>(window.kind)
            .bind::<Timestamp, _>(window.before)
            .bind::<Bool, _>(window.spare_history_keepers)
            .bind::<Timestamp, _>(now)
            .load(c)?;
        return Ok(rows.into_iter().map(|g| g.id).collect());
    }
    let ids = due(tx, window, after, upto)?;
    if delete {
        crate::records::delete(tx, &ids)?;
        return Ok(ids);
    }
    crate::records::unlink(tx, &ids)?;
    // Most loans carry no free text: touching only those that do keeps the
    // wide rows unwritten.
    for chunk in ids.chunks(crate::records::ID_CHUNK) {
        diesel::update(
            library_records::table
                .filter(library_records::library_id.eq(lib))
                .filter(library_records::id.eq_any(chunk.to_vec()))
                .filter(library_records::details_sealed.is_not_null()),
        )
        .set((
            library_records::details_sealed.eq(None::<String>),
            library_records::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    }
    Ok(ids)
}

/// The scoped library's last retention report: when, whether a dry run, and the report as JSON.
pub fn last_run(tx: &mut LibraryTx<'_>) -> StoreResult<Option<(NaiveDateTime, bool, String)>> {
    let lib = tx.library_id().0;
    Ok(retention_runs::table
        .filter(retention_runs::library_id.eq(lib))
        .select((
            retention_runs::ran_at,
            retention_runs::dry_run,
            retention_runs::report,
        ))
        .first(tx.conn())
        .optional()?)
}

/// Keeps `report` (JSON) as the scoped library's last retention report.
pub fn set_last_run(
    tx: &mut LibraryTx<'_>,
    ran_at: NaiveDateTime,
    dry_run: bool,
    report: &str,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::delete(retention_runs::table.filter(retention_runs::library_id.eq(lib)))
        .execute(tx.conn())?;
    diesel::insert_into(retention_runs::table)
        .values((
            retention_runs::library_id.eq(lib),
            retention_runs::ran_at.eq(ran_at),
            retention_runs::dry_run.eq(dry_run),
            retention_runs::report.eq(report),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// Who holds the lease on `job`, and until when, if anyone ever took it.
pub fn lease(conn: &mut DbConn, job: &str) -> StoreResult<Option<(String, NaiveDateTime)>> {
    Ok(job_leases::table
        .filter(job_leases::job.eq(job))
        .select((job_leases::holder, job_leases::expires_at))
        .first(conn)
        .optional()?)
}

/// Takes or renews the lease on `job` for `holder` until `until`, unless
/// another holder's lease is still running at `now` (a holder the caller
/// knows to be gone, `gone`, counts as expired); whether it was taken.
pub fn take_lease(
    conn: &mut DbConn,
    job: &str,
    holder: &str,
    gone: Option<&str>,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> StoreResult<bool> {
    let renewed = diesel::update(
        job_leases::table.filter(job_leases::job.eq(job)).filter(
            job_leases::holder
                .eq(holder)
                .or(job_leases::expires_at.lt(now))
                .or(job_leases::holder.eq(gone.unwrap_or(holder))),
        ),
    )
    .set((
        job_leases::holder.eq(holder),
        job_leases::expires_at.eq(until),
    ))
    .execute(conn)?;
    if renewed > 0 {
        return Ok(true);
    }
    // Another runner may hold it, or have taken it a moment ago: then
    // nothing is inserted and the lease is not ours.
    let inserted = crate::on_backend!(conn, |c| diesel::insert_into(job_leases::table)
        .values((
            job_leases::job.eq(job),
            job_leases::holder.eq(holder),
            job_leases::expires_at.eq(until),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted > 0)
}

/// Gives up `holder`'s lease on `job`, if it still has it.
pub fn release_lease(conn: &mut DbConn, job: &str, holder: &str) -> StoreResult<()> {
    diesel::delete(
        job_leases::table
            .filter(job_leases::job.eq(job))
            .filter(job_leases::holder.eq(holder)),
    )
    .execute(conn)?;
    Ok(())
}

/// Patron sign-in sessions of the scoped library that expired or were
/// revoked before `before`: deleted with `apply`, else counted.
pub fn patron_sessions_ended(
    tx: &mut LibraryTx<'_>,
    before: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let ended = patron_sessions::table
        .filter(patron_sessions::library_id.eq(lib))
        .filter(
            patron_sessions::expires_at
                .lt(before)
                .or(patron_sessions::revoked_at.lt(before)),
        );
    if apply {
        Ok(diesel::delete(ended).execute(tx.conn())?)
    } else {
        Ok(count(ended.count().get_result(tx.conn())?))
    }
}

/// Email confirmation links of the scoped library that expired before
/// `before`, with the unconfirmed address they were for: dropped with `apply`, else counted.
pub fn email_links_expired(
    tx: &mut LibraryTx<'_>,
    before: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let expired = patrons::table
        .filter(patrons::library_id.eq(lib))
        .filter(patrons::email_token_expires_at.lt(before));
    if apply {
        Ok(diesel::update(expired)
            .set((
                patrons::pending_email_index.eq(None::<Vec<u8>>),
                patrons::pending_email_sealed.eq(None::<String>),
                patrons::email_token_hash.eq(None::<Vec<u8>>),
                patrons::email_token_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(tx.conn())?)
    } else {
        Ok(count(expired.count().get_result(tx.conn())?))
    }
}

/// Dead letters of the scoped library queued before `before`: their sealed
/// message and envelope emptied and their status `expired` (so they cannot
/// be retried empty) with `apply`, else counted.
pub fn dead_letters_expired(
    tx: &mut LibraryTx<'_>,
    before: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let lib = tx.library_id().0;
    let dead = outbox::table
        .filter(outbox::library_id.eq(lib))
        .filter(outbox::status.eq("dead"))
        .filter(outbox::created_at.lt(before));
    if !apply {
        return Ok(count(dead.count().get_result(tx.conn())?));
    }
    match tx.conn() {
        // The application role may not update the outbox; its function may.
        DbConn::Pg(c) => {
            #[derive(QueryableByName)]
            struct Expired {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let e: Expired = diesel::sql_query("SELECT outbox_expire_dead($1, $2) AS n")
                .bind::<diesel::sql_types::BigInt, _>(lib)
                .bind::<diesel::sql_types::Timestamp, _>(before)
                .get_result(c)?;
            Ok(count(e.n))
        }
        DbConn::Sqlite(c) => Ok(diesel::update(
            outbox::table
                .filter(outbox::library_id.eq(lib))
                .filter(outbox::status.eq("dead"))
                .filter(outbox::created_at.lt(before)),
        )
        .set((
            outbox::status.eq("expired"),
            outbox::message_sealed.eq(""),
            outbox::envelope_sealed.eq(""),
        ))
        .execute(c)?),
    }
}

/// Staff sign-in sessions (consortium-wide) that expired or were revoked
/// before `before`: deleted with `apply`, else counted.
pub fn staff_sessions_ended(
    conn: &mut DbConn,
    before: NaiveDateTime,
    apply: bool,
) -> StoreResult<usize> {
    let ended = sessions::table.filter(
        sessions::expires_at
            .lt(before)
            .or(sessions::revoked_at.lt(before)),
    );
    if apply {
        Ok(diesel::delete(ended).execute(conn)?)
    } else {
        Ok(count(ended.count().get_result(conn)?))
    }
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}
