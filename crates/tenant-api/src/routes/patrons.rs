//! A library's patrons, for its staff: `/api/v1/libraries/{library}/patrons`.
//!
//! The rules (purpose, gate, minors, retention) live in `custody::patrons`;
//! these handlers parse, take the `LibraryStaff` guard, make one custody call
//! and answer.
mod answers;
mod consents;

use answers::{Merged, PatronDeleted, PatronFile};
pub use consents::add_consent;
use consents::ConsentAdded;
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
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Find the patron with this card number.
    card: Option<String>,
    /// Find patrons with this email address.
    email: Option<String>,
    /// Why staff look (stated for the audit log).
    purpose: Option<String>,
    /// How many items, 1 to 200 (default 50), when listing.
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Finds patrons by card number or email (blind index), or lists them; cards shown by their last four only.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/patrons", tag = "patrons", operation_id = "search_patrons",
    summary = "Find patrons by card or email, or list them", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), SearchQuery),
    responses((status = 200, description = "A page of patrons, cards by their last four", body = Paged<custody::patrons::PatronSummary>, example = json!({"items": [{"id": 55, "card_last4": "0055", "name": "Sam Example"}], "next_cursor": null}))))]
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"card_number": "29000100000077", "pin": "4321", "name": "Robin Example", "email": "robin.example@demo.custodian.test"}))]
pub struct RegistrationBody {
    /// The library card number: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub card_number: String,
    /// The PIN, in clear until hashed: `me::MIN_PIN` (4) to 40 characters
    /// (input.rs's maximum for a PIN).
    #[schema(min_length = 4, max_length = 40)]
    pub pin: String,
    /// Full name: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Email address.
    #[schema(format = Email)]
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
#[utoipa::path(post, path = "/api/v1/libraries/{library}/patrons", tag = "patrons", operation_id = "register_patron",
    summary = "Register a patron", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug")),
    request_body(content = RegistrationBody, content_type = "application/json"),
    responses((status = 201, description = "Registered", body = custody::me::Patron, example = json!({"id": 55, "data": {"card_number": "29000100000055", "name": "Sam Example", "address": "1 Demo Street, Riverbend", "email": "sam.example@demo.custodian.test", "phone": null, "birth_date": null, "guardian": null}, "keep_history": false, "contact_by": "email", "deletion_requested_at": null, "created_at": "2026-01-05T09:00:00.000000Z", "updated_at": "2026-01-05T09:00:00.000000Z"})), (status = 409, description = "The card is taken, or a minor needs a guardian's consent", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurposeQuery {
    /// Why staff read the patron's data (stated for the audit log).
    purpose: Option<String>,
}

/// One patron's data, for a stated purpose.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/patrons/{patron}", tag = "patrons", operation_id = "read_patron",
    summary = "A patron's file, with a stated purpose (audited)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id"), PurposeQuery),
    responses((status = 200, description = "The patron and their consents", body = PatronFile, example = json!({"patron": {"id": 55, "data": {"card_number": "29000100000055", "name": "Sam Example", "address": "1 Demo Street, Riverbend", "email": "sam.example@demo.custodian.test", "phone": null, "birth_date": null, "guardian": null}, "keep_history": false, "contact_by": "email", "deletion_requested_at": null, "created_at": "2026-01-05T09:00:00.000000Z", "updated_at": "2026-01-05T09:00:00.000000Z"}, "consents": []}))))]
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
    Ok(HttpResponse::Ok().json(PatronFile {
        patron: file.patron,
        consents: file.consents,
    }))
}

/// `PATCH …/patrons/{id}`: absent fields stay, `null` clears.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"purpose": "the patron asked at the desk", "phone": "555-0100"}))]
pub struct Correction {
    /// Why the data is read and changed: required, kept in the audit log
    /// (`Purpose::parse`: not blank, at most 500 characters).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500, pattern = "\\S")]
    pub purpose: Option<String>,
    /// New name: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub name: Option<String>,
    /// New address, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// New email, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    /// New phone, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New date of birth, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<chrono::NaiveDate>)]
    pub birth_date: Option<Option<NaiveDate>>,
    /// New guardian, or `Some(None)` to clear it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub guardian: Option<Option<String>>,
    /// How to be contacted.
    #[schema(schema_with = contact_choices)]
    pub contact_by: Option<String>,
}

/// `contact_by`'s schema, from the list `check_contact_by` holds it to.
fn contact_choices() -> utoipa::openapi::Object {
    crate::openapi::one_of_or_null(
        &super::CONTACT_CHOICES,
        "How to be contacted: `email`, `phone`, `mail` or `none`.",
    )
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
#[utoipa::path(patch, path = "/api/v1/libraries/{library}/patrons/{patron}", tag = "patrons", operation_id = "correct_patron",
    summary = "Correct a patron's data (null clears a field)", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id")),
    request_body(content = Correction, content_type = "application/json"),
    responses((status = 200, description = "The corrected record", body = custody::me::Patron), (status = 409, description = "A minor needs a guardian's consent first", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_id": 56}))]
pub struct Merge {
    /// The duplicate registration to merge into this patron.
    duplicate_id: i64,
    /// Why (default: merging duplicate registrations); when given, not blank.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    purpose: Option<String>,
}

/// Merges a duplicate registration into this patron.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/patrons/{patron}/merge", tag = "patrons", operation_id = "merge_patrons",
    summary = "Merge a duplicate registration into this patron", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id")),
    request_body(content = Merge, content_type = "application/json"),
    responses((status = 200, description = "Merged", body = Merged, example = json!({"kept": 55, "removed": 56, "records_moved": 4})), (status = 409, description = "The two cannot be merged", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
    Ok(HttpResponse::Ok().json(Merged {
        kept: keep.0,
        removed: duplicate.0,
        records_moved: moved,
    }))
}

/// Deletes a patron; their records are deleted or kept without the link, as the library's policy says per kind.
#[utoipa::path(delete, path = "/api/v1/libraries/{library}/patrons/{patron}", tag = "patrons", operation_id = "delete_patron",
    summary = "Delete a patron; records are deleted or unlinked as the policy says per kind", security(("bearer" = []), ("session_cookie" = [])),
    params(("library" = String, Path, description = "The library's slug"), ("patron" = i64, Path, description = "The patron's id"), PurposeQuery),
    responses((status = 200, description = "Deleted", body = PatronDeleted, example = json!({"deleted": true, "records_deleted": 3, "records_kept_without_link": 1, "vendors_told": 0}))))]
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
    Ok(HttpResponse::Ok().json(PatronDeleted {
        deleted: true,
        records_deleted: done.records_deleted,
        records_kept_without_link: done.records_kept_without_link,
        vendors_told: done.vendors_told,
    }))
}

/// The staff's patron operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(search, register, read, correct, merge, delete, consents::add_consent),
    components(schemas(
        custody::patrons::PatronSummary,
        RegistrationBody,
        GuardianConsent,
        PatronFile,
        Correction,
        Merge,
        Merged,
        PatronDeleted,
        ConsentAdded,
        custody::consents::Consent
    ))
)]
pub struct ApiDoc;

/// Registers the staff's patron endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patrons", get => search, post => register))
        .service(resource!("/libraries/{library}/patrons/{patron}", get => read, patch => correct, delete => delete))
        .service(resource!("/libraries/{library}/patrons/{patron}/consents", post => add_consent))
        .service(resource!("/libraries/{library}/patrons/{patron}/merge", post => merge));
}
