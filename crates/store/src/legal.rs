//! The custodian of records' register of legal requests, and the releases
//! each allowed request made into patrons' access logs.

use crate::error::{StoreError, StoreResult};
use crate::schema::{legal_releases, legal_requests, legal_settings, legal_time};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A legal request as registered at the desk, already checked by custody.
#[derive(Debug, Clone)]
pub struct NewLegalRequest {
    /// `court_order`, `subpoena`, …
    pub instrument: String,
    /// Who serves it.
    pub requester_name: String,
    /// For which agency.
    pub requester_agency: String,
    /// Where to answer.
    pub requester_email: String,
    /// The issuing court.
    pub court: String,
    /// Its case number.
    pub case_number: String,
    /// The day it was issued (YYYY-MM-DD).
    pub issued_on: Option<String>,
    /// Whether a showing of good cause was made in court.
    pub good_cause_shown: bool,
    /// What the court found (`good_cause`, `necessary_for_public_safety`, …, `none`).
    pub finding: String,
    /// The patrons named, in this library.
    pub patron_ids: Vec<i64>,
    /// The record kinds asked for.
    pub kinds: Vec<String>,
    /// The first day of the period (YYYY-MM-DD).
    pub from_date: Option<String>,
    /// The last day of the period (YYYY-MM-DD).
    pub to_date: Option<String>,
    /// The last day of a non-disclosure order (YYYY-MM-DD).
    pub non_disclosure_until: Option<String>,
    /// The patron's consent, for `patron_consent`.
    pub consent_id: Option<i64>,
    /// The staff account that registered it.
    pub registered_by: i64,
}

/// A stored legal request.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = legal_requests)]
pub struct LegalRequest {
    /// Its library.
    pub library_id: i64,
    /// Its id.
    pub id: i64,
    /// The instrument.
    pub instrument: String,
    /// Who serves it.
    pub requester_name: String,
    /// For which agency.
    pub requester_agency: String,
    /// Where to answer.
    pub requester_email: String,
    /// The issuing court.
    pub court: String,
    /// Its case number.
    pub case_number: String,
    /// The day it was issued.
    pub issued_on: Option<String>,
    /// Whether good cause was shown.
    pub good_cause_shown: bool,
    /// What the court found.
    pub finding: String,
    /// The patrons named, comma-separated.
    pub patron_ids: String,
    /// The kinds asked for, comma-separated.
    pub kinds: String,
    /// The first day of the period.
    pub from_date: Option<String>,
    /// The last day of the period.
    pub to_date: Option<String>,
    /// The last day of a non-disclosure order.
    pub non_disclosure_until: Option<String>,
    /// The patron's consent.
    pub consent_id: Option<i64>,
    /// `received`, `allowed` or `denied`.
    pub status: String,
    /// Who registered it.
    pub registered_by: i64,
    /// When.
    pub created_at: NaiveDateTime,
    /// Who decided it.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<NaiveDateTime>,
    /// The clause code that decided it.
    pub clause: Option<String>,
    /// The denial reason code, for a denial.
    pub reason: Option<String>,
}

impl LegalRequest {
    /// The patrons named.
    pub fn patrons(&self) -> Vec<i64> {
        self.patron_ids
            .split(',')
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// The kinds asked for.
    pub fn kind_names(&self) -> Vec<String> {
        self.kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Registers a request as `received`; returns its id.
pub fn insert(
    tx: &mut LibraryTx<'_>,
    new: &NewLegalRequest,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    let id = sequence::allocate(tx, IdSpace::LegalRequests, 1)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("no id for the legal request".into()))?;
    diesel::insert_into(legal_requests::table)
        .values((
            legal_requests::library_id.eq(lib),
            legal_requests::id.eq(id),
            legal_requests::instrument.eq(&new.instrument),
            legal_requests::requester_name.eq(&new.requester_name),
            legal_requests::requester_agency.eq(&new.requester_agency),
            legal_requests::requester_email.eq(&new.requester_email),
            legal_requests::court.eq(&new.court),
            legal_requests::case_number.eq(&new.case_number),
            legal_requests::issued_on.eq(&new.issued_on),
            legal_requests::good_cause_shown.eq(new.good_cause_shown),
            legal_requests::finding.eq(&new.finding),
            legal_requests::patron_ids.eq(join(&new.patron_ids)),
            legal_requests::kinds.eq(join(&new.kinds)),
            legal_requests::from_date.eq(&new.from_date),
            legal_requests::to_date.eq(&new.to_date),
            legal_requests::non_disclosure_until.eq(&new.non_disclosure_until),
            legal_requests::consent_id.eq(new.consent_id),
            legal_requests::status.eq("received"),
            legal_requests::registered_by.eq(new.registered_by),
            legal_requests::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// One request of the scoped library.
pub fn get(tx: &mut LibraryTx<'_>, id: i64) -> StoreResult<LegalRequest> {
    let lib = tx.library_id().0;
    Ok(legal_requests::table
        .filter(legal_requests::library_id.eq(lib))
        .filter(legal_requests::id.eq(id))
        .select(LegalRequest::as_select())
        .first(tx.conn())?)
}

/// Requests of the scoped library by id after `after`, optionally in one status.
pub fn list(
    tx: &mut LibraryTx<'_>,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<LegalRequest>> {
    let lib = tx.library_id().0;
    let mut q = legal_requests::table
        .filter(legal_requests::library_id.eq(lib))
        .filter(legal_requests::id.gt(after.unwrap_or(0)))
        .order(legal_requests::id)
        .limit(limit)
        .select(LegalRequest::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(legal_requests::status.eq(s.to_owned()));
    }
    Ok(q.load(tx.conn())?)
}

/// Records the decision on a request still `received`; a request already
/// decided answers [`StoreError::Conflict`], so a decision is final.
pub fn decide(
    tx: &mut LibraryTx<'_>,
    id: i64,
    allowed: bool,
    clause: &str,
    reason: Option<&str>,
    by: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    let n = diesel::update(
        legal_requests::table
            .filter(legal_requests::library_id.eq(lib))
            .filter(legal_requests::id.eq(id))
            .filter(legal_requests::status.eq("received")),
    )
    .set((
        legal_requests::status.eq(if allowed { "allowed" } else { "denied" }),
        legal_requests::decided_by.eq(Some(by)),
        legal_requests::decided_at.eq(Some(now)),
        legal_requests::clause.eq(Some(clause)),
        legal_requests::reason.eq(reason),
    ))
    .execute(tx.conn())?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "the legal request has already been decided".into(),
        ));
    }
    Ok(())
}

/// Notes that audit entry `seq` released records of `subject` under request `request`.
pub fn record_release(
    tx: &mut LibraryTx<'_>,
    request: i64,
    seq: i64,
    subject: &str,
) -> StoreResult<()> {
    let lib = tx.library_id().0;
    diesel::insert_into(legal_releases::table)
        .values((
            legal_releases::library_id.eq(lib),
            legal_releases::audit_seq.eq(seq),
            legal_releases::legal_request_id.eq(request),
            legal_releases::subject.eq(subject),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// Sealed audit entries about `subject` whose non-disclosure order ended by `today` (YYYY-MM-DD).
pub fn unsealed_releases(
    tx: &mut LibraryTx<'_>,
    subject: &str,
    today: &str,
) -> StoreResult<Vec<i64>> {
    let lib = tx.library_id().0;
    let lapsed: Vec<i64> = legal_requests::table
        .filter(legal_requests::library_id.eq(lib))
        .filter(legal_requests::non_disclosure_until.le(today))
        .select(legal_requests::id)
        .load(tx.conn())?;
    if lapsed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(legal_releases::table
        .filter(legal_releases::library_id.eq(lib))
        .filter(legal_releases::subject.eq(subject))
        .filter(legal_releases::legal_request_id.eq_any(lapsed))
        .select(legal_releases::audit_seq)
        .load(tx.conn())?)
}

/// The hourly rate charged for staff time when a library has set none.
pub const DEFAULT_HOURLY_RATE_CENTS: i64 = 2500;

/// Staff time spent on a legal request.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = legal_time)]
pub struct TimeEntry {
    /// Its id.
    pub id: i64,
    /// The request it was spent on.
    pub legal_request_id: i64,
    /// How long, in minutes.
    pub minutes: i64,
    /// What for.
    pub what: String,
    /// The staff account that spent it.
    pub by_account: i64,
    /// When it was recorded.
    pub created_at: NaiveDateTime,
}

/// Records `minutes` of staff time on request `request`; returns the entry.
pub fn add_time(
    tx: &mut LibraryTx<'_>,
    request: i64,
    minutes: i64,
    what: &str,
    by: i64,
    now: NaiveDateTime,
) -> StoreResult<TimeEntry> {
    let lib = tx.library_id().0;
    let id = sequence::allocate(tx, IdSpace::LegalTime, 1)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("no id for the time entry".into()))?;
    diesel::insert_into(legal_time::table)
        .values((
            legal_time::library_id.eq(lib),
            legal_time::id.eq(id),
            legal_time::legal_request_id.eq(request),
            legal_time::minutes.eq(minutes),
            legal_time::what.eq(what),
            legal_time::by_account.eq(by),
            legal_time::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(TimeEntry {
        id,
        legal_request_id: request,
        minutes,
        what: what.to_owned(),
        by_account: by,
        created_at: now,
    })
}

/// The time spent on request `request`, in the order it was recorded.
pub fn time_entries(tx: &mut LibraryTx<'_>, request: i64) -> StoreResult<Vec<TimeEntry>> {
    let lib = tx.library_id().0;
    Ok(legal_time::table
        .filter(legal_time::library_id.eq(lib))
        .filter(legal_time::legal_request_id.eq(request))
        .order(legal_time::id)
        .select(TimeEntry::as_select())
        .load(tx.conn())?)
}

/// The scoped library's hourly rate for staff time on legal requests, in
/// cents; [`DEFAULT_HOURLY_RATE_CENTS`] unless the library has set one.
pub fn hourly_rate_cents(tx: &mut LibraryTx<'_>) -> StoreResult<i64> {
    let lib = tx.library_id().0;
    Ok(legal_settings::table
        .filter(legal_settings::library_id.eq(lib))
        .select(legal_settings::legal_hourly_rate_cents)
        .first(tx.conn())
        .optional()?
        .unwrap_or(DEFAULT_HOURLY_RATE_CENTS))
}
