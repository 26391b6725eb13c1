//! The custodian of records' register of legal requests, and the releases
//! each allowed request made into patrons' access logs.

use crate::encryption::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::ids::LibraryId;
use crate::schema::{
    legal_documents, legal_releases, legal_requests, legal_settings, legal_time, patron_consents,
};
use crate::sequence::{self, IdSpace};
use crate::tenant::LibraryTx;
use chrono::NaiveDateTime;
use diesel::prelude::*;

const REQUESTER_NAME: &str = "legal_requests.requester_name";
const REQUESTER_AGENCY: &str = "legal_requests.requester_agency";
const REQUESTER_EMAIL: &str = "legal_requests.requester_email";
const DOCUMENT_NAME: &str = "legal_documents.name";
const DOCUMENT_CONTENT: &str = "legal_documents.content";

fn seal(keys: &Keyring, lib: LibraryId, field: &str, v: &str) -> StoreResult<String> {
    keys.encrypt(lib, field, v)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

/// Opens an encrypted requester field. A row registered before migration
/// 000015 holds the value as it was typed (never in the `v1.` form), and
/// reads as it was rather than failing the whole register.
fn open(keys: &Keyring, lib: LibraryId, field: &str, v: String) -> StoreResult<String> {
    if !v.starts_with("v1.") {
        return Ok(v);
    }
    keys.decrypt(lib, field, &v)
        .map_err(|e| StoreError::Encryption(e.to_string()))
}

fn opened(keys: &Keyring, mut r: LegalRequest) -> StoreResult<LegalRequest> {
    let lib = LibraryId(r.library_id);
    r.requester_name = open(
        keys,
        lib,
        REQUESTER_NAME,
        std::mem::take(&mut r.requester_name),
    )?;
    r.requester_agency = open(
        keys,
        lib,
        REQUESTER_AGENCY,
        std::mem::take(&mut r.requester_agency),
    )?;
    r.requester_email = open(
        keys,
        lib,
        REQUESTER_EMAIL,
        std::mem::take(&mut r.requester_email),
    )?;
    Ok(r)
}

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
    /// For an emergency: whether someone's safety is in imminent danger.
    pub imminent_danger: bool,
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
    /// For an emergency: whether someone's safety is in imminent danger.
    pub imminent_danger: bool,
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

/// Registers a request as `received`, the requester's name, agency and
/// email encrypted; returns its id.
pub fn insert(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    new: &NewLegalRequest,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    let scope = tx.library_id();
    let lib = scope.0;
    let id = sequence::allocate(tx, IdSpace::LegalRequests, 1)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("no id for the legal request".into()))?;
    diesel::insert_into(legal_requests::table)
        .values((
            legal_requests::library_id.eq(lib),
            legal_requests::id.eq(id),
            legal_requests::instrument.eq(&new.instrument),
            legal_requests::requester_name.eq(seal(
                keys,
                scope,
                REQUESTER_NAME,
                &new.requester_name,
            )?),
            legal_requests::requester_agency.eq(seal(
                keys,
                scope,
                REQUESTER_AGENCY,
                &new.requester_agency,
            )?),
            legal_requests::requester_email.eq(seal(
                keys,
                scope,
                REQUESTER_EMAIL,
                &new.requester_email,
            )?),
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
            legal_requests::imminent_danger.eq(new.imminent_danger),
        ))
        .execute(tx.conn())?;
    Ok(id)
}

/// One request of the scoped library, its requester decrypted.
pub fn get(tx: &mut LibraryTx<'_>, keys: &Keyring, id: i64) -> StoreResult<LegalRequest> {
    let lib = tx.library_id().0;
    let r = legal_requests::table
        .filter(legal_requests::library_id.eq(lib))
        .filter(legal_requests::id.eq(id))
        .select(LegalRequest::as_select())
        .first(tx.conn())?;
    opened(keys, r)
}

/// Requests of the scoped library by id after `after`, optionally in one
/// status, their requesters decrypted.
pub fn list(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
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
    q.load(tx.conn())?
        .into_iter()
        .map(|r| opened(keys, r))
        .collect()
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

/// Whether request `request` has released anything before.
pub fn released_before(tx: &mut LibraryTx<'_>, request: i64) -> StoreResult<bool> {
    let lib = tx.library_id().0;
    let n: i64 = legal_releases::table
        .filter(legal_releases::library_id.eq(lib))
        .filter(legal_releases::legal_request_id.eq(request))
        .count()
        .get_result(tx.conn())?;
    Ok(n > 0)
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

/// Sets the scoped library's hourly rate for staff time on legal requests.
pub fn set_hourly_rate_cents(tx: &mut LibraryTx<'_>, cents: i64) -> StoreResult<()> {
    let lib = tx.library_id().0;
    // Delete-then-insert inside the library's transaction: one statement
    // shape on both backends, and no row exists until a library sets one.
    diesel::delete(legal_settings::table.filter(legal_settings::library_id.eq(lib)))
        .execute(tx.conn())?;
    diesel::insert_into(legal_settings::table)
        .values((
            legal_settings::library_id.eq(lib),
            legal_settings::legal_hourly_rate_cents.eq(cents),
        ))
        .execute(tx.conn())?;
    Ok(())
}

/// The patron a consent of the scoped library belongs to, with its kind, or
/// `None` when the library has no such consent.
pub fn consent_owner(tx: &mut LibraryTx<'_>, consent: i64) -> StoreResult<Option<(i64, String)>> {
    let lib = tx.library_id().0;
    Ok(patron_consents::table
        .filter(patron_consents::library_id.eq(lib))
        .filter(patron_consents::id.eq(consent))
        .select((patron_consents::patron_id, patron_consents::kind))
        .first(tx.conn())
        .optional()?)
}

/// A document attached to a legal request, as listed: never its content.
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    /// Its id.
    pub id: i64,
    /// The request it belongs to.
    pub legal_request_id: i64,
    /// Its file name, decrypted.
    pub name: String,
    /// `application/pdf`, `image/png`, `image/jpeg` or `text/plain`.
    pub content_type: String,
    /// Its length in bytes.
    pub size_bytes: i64,
    /// The staff account that attached it.
    pub uploaded_by: i64,
    /// When.
    pub uploaded_at: NaiveDateTime,
}

/// A document to attach.
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    /// The request it belongs to.
    pub legal_request_id: i64,
    /// Its file name.
    pub name: &'a str,
    /// Its media type.
    pub content_type: &'a str,
    /// Its bytes.
    pub content: &'a [u8],
    /// The staff account attaching it.
    pub uploaded_by: i64,
}

type DocRow = (i64, i64, String, String, i64, i64, NaiveDateTime);

fn doc_meta(keys: &Keyring, lib: LibraryId, row: DocRow) -> StoreResult<DocumentMeta> {
    let (id, legal_request_id, name, content_type, size_bytes, uploaded_by, uploaded_at) = row;
    Ok(DocumentMeta {
        id,
        legal_request_id,
        name: keys
            .decrypt(lib, DOCUMENT_NAME, &name)
            .map_err(|e| StoreError::Encryption(e.to_string()))?,
        content_type,
        size_bytes,
        uploaded_by,
        uploaded_at,
    })
}

/// Attaches a document to a request, its name and content encrypted; returns its metadata.
pub fn insert_document(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    new: &NewDocument<'_>,
    now: NaiveDateTime,
) -> StoreResult<DocumentMeta> {
    let scope = tx.library_id();
    let id = sequence::allocate(tx, IdSpace::LegalDocuments, 1)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("no id for the document".into()))?;
    let content = keys
        .encrypt_bytes(scope, DOCUMENT_CONTENT, new.content)
        .map_err(|e| StoreError::Encryption(e.to_string()))?;
    let size = i64::try_from(new.content.len())
        .map_err(|_| StoreError::Conflict("the document is too large".into()))?;
    diesel::insert_into(legal_documents::table)
        .values((
            legal_documents::library_id.eq(scope.0),
            legal_documents::id.eq(id),
            legal_documents::legal_request_id.eq(new.legal_request_id),
            legal_documents::name_sealed.eq(seal(keys, scope, DOCUMENT_NAME, new.name)?),
            legal_documents::content_type.eq(new.content_type),
            legal_documents::size_bytes.eq(size),
            legal_documents::content_sealed.eq(content),
            legal_documents::uploaded_by.eq(new.uploaded_by),
            legal_documents::uploaded_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(DocumentMeta {
        id,
        legal_request_id: new.legal_request_id,
        name: new.name.to_owned(),
        content_type: new.content_type.to_owned(),
        size_bytes: size,
        uploaded_by: new.uploaded_by,
        uploaded_at: now,
    })
}

/// The documents attached to request `request`, oldest first, without their content.
pub fn documents(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    request: i64,
) -> StoreResult<Vec<DocumentMeta>> {
    let scope = tx.library_id();
    let rows: Vec<DocRow> = legal_documents::table
        .filter(legal_documents::library_id.eq(scope.0))
        .filter(legal_documents::legal_request_id.eq(request))
        .order(legal_documents::id)
        .select((
            legal_documents::id,
            legal_documents::legal_request_id,
            legal_documents::name_sealed,
            legal_documents::content_type,
            legal_documents::size_bytes,
            legal_documents::uploaded_by,
            legal_documents::uploaded_at,
        ))
        .load(tx.conn())?;
    rows.into_iter().map(|r| doc_meta(keys, scope, r)).collect()
}

/// One document of request `request`, with its content decrypted.
pub fn document(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    request: i64,
    id: i64,
) -> StoreResult<(DocumentMeta, Vec<u8>)> {
    let scope = tx.library_id();
    let (id, req, name, content_type, size, by, at, content): (
        i64,
        i64,
        String,
        String,
        i64,
        i64,
        NaiveDateTime,
        Vec<u8>,
    ) = legal_documents::table
        .filter(legal_documents::library_id.eq(scope.0))
        .filter(legal_documents::legal_request_id.eq(request))
        .filter(legal_documents::id.eq(id))
        .select((
            legal_documents::id,
            legal_documents::legal_request_id,
            legal_documents::name_sealed,
            legal_documents::content_type,
            legal_documents::size_bytes,
            legal_documents::uploaded_by,
            legal_documents::uploaded_at,
            legal_documents::content_sealed,
        ))
        .first(tx.conn())?;
    let meta = doc_meta(keys, scope, (id, req, name, content_type, size, by, at))?;
    let bytes = keys
        .decrypt_bytes(scope, DOCUMENT_CONTENT, &content)
        .map_err(|e| StoreError::Encryption(e.to_string()))?;
    Ok((meta, bytes))
}
