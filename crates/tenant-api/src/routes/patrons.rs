//! A library's patrons, for its staff: `/api/v1/libraries/{library}/patrons`.
//!
//! The rules (purpose, gate, minors, retention) live in `custody::patrons`;
//! these handlers parse, take the `LibraryStaff` guard, make one custody call
//! and answer.
mod consents;

pub use consents::add_consent;
// The patron's own changes (`me`) pass the same minors rule.
pub use custody::patrons::{apply, gated_fields, guardian_consent_in_force};

use super::{blocking, PageQuery, Paged};
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::passwords;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use custody::consents::GuardianConsent;
use custody::patrons::{self, PatronChange, PatronId, PinHash, Registration, Search};
use custody::{CardNumber, Purpose};
use serde::Deserialize;

/// A patron's id as the path names it: `…/patrons/{patron}`.
type PatronPath = web::Path<(String, i64)>;

fn patron_in(path: PatronPath) -> PatronId {
    PatronId(path.into_inner().1)
}

/// `?card=&email=&purpose=&limit=&cursor=`
#[derive(Deserialize)]
pub struct SearchQuery {
    card: Option<String>,
    email: Option<String>,
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Finds patrons by card number or email (blind index), or lists them; cards shown by their last four only.
pub async fn search(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let purpose = Purpose::parse(q.purpose.as_deref())?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse()?;
    let how = match (q.card, q.email) {
        (Some(card), _) => Search::Card(card),
        (None, Some(email)) => Search::Email(email),
        (None, None) => Search::List {
            after: page.after.map(PatronId),
            limit: page.limit,
        },
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let items = blocking(move || Ok(patrons::search(&custody, &who, &purpose, how)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |p| p.id.0)))
}

/// `POST …/patrons`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    /// The library card number.
    pub card_number: String,
    /// The PIN, in clear until hashed.
    pub pin: String,
    /// Full name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Date of birth.
    pub birth_date: Option<NaiveDate>,
    /// Name and contact of the guardian of a minor.
    pub guardian: Option<String>,
    /// A guardian's consent given at the desk with the registration.
    pub guardian_consent: Option<GuardianConsent>,
}

/// Checks a registration (naming the field that is wrong) and turns it into
/// custody's registration and the PIN to hash; the JSON endpoint and the
/// registration page both check through here.
pub fn registration(r: RegistrationBody) -> ApiResult<(Registration, String)> {
    let card_number = CardNumber::parse(&r.card_number)?;
    if r.name.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "name".into(),
            detail: "a name is required".into(),
        });
    }
    if r.pin.chars().count() < super::me::MIN_PIN {
        return Err(ApiError::Invalid {
            field: "pin".into(),
            detail: format!("a PIN has at least {} characters", super::me::MIN_PIN),
        });
    }
    super::check_email(r.email.as_deref())?;
    let registration = Registration {
        card_number,
        name: r.name.trim().to_owned(),
        address: r.address,
        email: r.email,
        phone: r.phone,
        birth_date: r.birth_date,
        guardian: r.guardian,
        guardian_consent: r.guardian_consent,
    };
    Ok((registration, r.pin))
}

/// Registers a patron. Storing a guardian-gated field for a patron under the library's age needs a guardian's consent.
pub async fn register(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    body: web::Json<RegistrationBody>,
) -> ApiResult<HttpResponse> {
    let (registration, pin) = registration(body.into_inner())?;
    let patron = register_checked(&state, &staff, registration, pin).await?;
    Ok(HttpResponse::Created().json(patron))
}

/// Hashes the PIN off the request threads and registers the checked
/// registration; the JSON endpoint and the registration page both register through here.
pub async fn register_checked(
    state: &AppState,
    staff: &LibraryStaff,
    registration: Registration,
    pin: String,
) -> ApiResult<patrons::Patron> {
    let (custody, who) = (state.custody.clone(), staff.member());
    state
        .hashing
        .run(move || {
            let hash = PinHash::new(passwords::hash(&pin).map_err(ApiError::Internal)?);
            Ok(patrons::register(&custody, &who, registration, &hash)?)
        })
        .await
}

/// `?purpose=`
#[derive(Deserialize)]
pub struct PurposeQuery {
    purpose: Option<String>,
}

/// One patron's data, for a stated purpose.
pub async fn read(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: PatronPath,
    q: web::Query<PurposeQuery>,
) -> ApiResult<HttpResponse> {
    let purpose = Purpose::parse(q.purpose.as_deref())?;
    let id = patron_in(path);
    let (custody, who) = (state.custody.clone(), staff.member());
    let file = blocking(move || Ok(patrons::read(&custody, &who, &purpose, id)?)).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "patron": file.patron, "consents": file.consents })))
}

/// `PATCH …/patrons/{id}`: absent fields stay, `null` clears.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// Why the data is read and changed.
    pub purpose: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New address, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    pub address: Option<Option<String>>,
    /// New email, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    pub email: Option<Option<String>>,
    /// New phone, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    pub phone: Option<Option<String>>,
    /// New date of birth, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    pub birth_date: Option<Option<NaiveDate>>,
    /// New guardian, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    pub guardian: Option<Option<String>>,
    /// How to be contacted.
    pub contact_by: Option<String>,
}

/// Checks a correction (the purpose first, then the fields, naming the one
/// that is wrong) and turns it into the change custody applies; the JSON
/// endpoint and the correction page both check through here.
pub fn correction(c: Correction) -> ApiResult<(Purpose, PatronChange)> {
    let purpose = Purpose::parse(c.purpose.as_deref())?;
    if matches!(&c.name, Some(n) if n.trim().is_empty()) {
        return Err(ApiError::Invalid {
            field: "name".into(),
            detail: "a name cannot be empty".into(),
        });
    }
    super::check_contact_by(c.contact_by.as_deref())?;
    let change = PatronChange {
        name: c.name.map(|n| n.trim().to_owned()),
        address: c.address,
        email: c.email,
        phone: c.phone,
        birth_date: c.birth_date,
        guardian: c.guardian,
        contact_by: c.contact_by,
    };
    super::check_email(change.email.as_ref().and_then(|e| e.as_deref()))?;
    Ok((purpose, change))
}

/// Corrects a patron's data.
pub async fn correct(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: PatronPath,
    body: web::Json<Correction>,
) -> ApiResult<HttpResponse> {
    let (purpose, change) = correction(body.into_inner())?;
    let id = patron_in(path);
    let (custody, who) = (state.custody.clone(), staff.member());
    let patron =
        blocking(move || Ok(patrons::correct(&custody, &who, &purpose, id, &change)?)).await?;
    Ok(HttpResponse::Ok().json(patron))
}

/// `POST …/patrons/{id}/merge`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    duplicate_id: i64,
    purpose: Option<String>,
}

/// Merges a duplicate registration into this patron.
pub async fn merge(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: PatronPath,
    body: web::Json<Merge>,
) -> ApiResult<HttpResponse> {
    let keep = patron_in(path);
    let duplicate = PatronId(body.duplicate_id);
    let purpose = Purpose::parse(
        body.purpose
            .as_deref()
            .or(Some("merging duplicate registrations")),
    )?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let moved =
        blocking(move || Ok(patrons::merge(&custody, &who, &purpose, keep, duplicate)?)).await?;
    Ok(HttpResponse::Ok().json(
        serde_json::json!({ "kept": keep.0, "removed": duplicate.0, "records_moved": moved }),
    ))
}

/// Deletes a patron; their records are deleted or kept without the link, as the library's policy says per kind.
pub async fn delete(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: PatronPath,
    q: web::Query<PurposeQuery>,
) -> ApiResult<HttpResponse> {
    let purpose = Purpose::parse(q.purpose.as_deref())?;
    let id = patron_in(path);
    let (custody, who) = (state.custody.clone(), staff.member());
    let done = blocking(move || Ok(patrons::delete(&custody, &who, &purpose, id)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "deleted": true,
        "records_deleted": done.records_deleted,
        "records_kept_without_link": done.records_kept_without_link,
        "vendors_told": done.vendors_told,
    })))
}

/// Registers the staff's patron endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patrons", get => search, post => register))
        .service(resource!("/libraries/{library}/patrons/{patron}", get => read, patch => correct, delete => delete))
        .service(resource!("/libraries/{library}/patrons/{patron}/consents", post => add_consent))
        .service(resource!("/libraries/{library}/patrons/{patron}/merge", post => merge));
}
