//! A library's patrons, for its staff: `/api/v1/libraries/{library}/patrons`.
//!
//! Every read of a patron's data states a purpose and is decided by the
//! policy crate; the decision lands in the library's audit log in the same
//! transaction as the read.
mod consents;
pub(super) mod ctx;

pub use consents::{add_consent, ConsentBody, GuardianConsent};
pub(crate) use consents::{apply, gated_fields, guardian_consent_in_force};

use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use custody::Subject;
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use serde::Deserialize;
use store::patrons::{self, NewConsent, PatronChange, PatronData, PatronSummary};
use store::records::{self};
use store::PatronId;
use store::StoreError;

use ctx::{purpose_of, Ctx};
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
    access: LibraryAccess,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (card, email) = (q.card.clone(), q.email.clone());
    let fields = FieldSet::of(&[Field::Name, Field::CardNumber]);
    let kinds = KindSet::of(&[RecordKind::CardRegistration]);
    let items = blocking(move || {
        ctx.decided(
            "patron.search",
            &Subject::Nobody,
            &purpose,
            kinds,
            fields,
            |tx, keys| {
                Ok(match (card, email) {
                    (Some(card), _) => patrons::summary_by_card(tx, keys, &card)?,
                    (None, Some(email)) => patrons::by_email(tx, keys, &email)?,
                    (None, None) => patrons::list(tx, keys, page.after.map(PatronId), page.limit)?,
                })
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |p: &PatronSummary| p.id.0)))
}
/// `POST …/patrons`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    card_number: String,
    pin: String,
    name: String,
    address: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    birth_date: Option<NaiveDate>,
    guardian: Option<String>,
    /// A guardian's consent given at the desk with the registration.
    guardian_consent: Option<GuardianConsent>,
}
/// Registers a patron. Storing a guardian-gated field for a patron under the library's age needs a guardian's consent.
pub async fn register(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<Registration>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let r = body.into_inner();
    if r.card_number.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "card_number".into(),
            detail: "a card number is required".into(),
        });
    }
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
    let data = PatronData {
        card_number: r.card_number.trim().to_owned(),
        name: r.name.trim().to_owned(),
        address: r.address,
        email: r.email,
        phone: r.phone,
        birth_date: r.birth_date,
        guardian: r.guardian,
    };
    let consent = r.guardian_consent;
    let pin = r.pin;
    let patron = state
        .hashing
        .run(move || {
            let pin_hash = passwords::hash(&pin).map_err(ApiError::Internal)?;
            let (_, document) = ctx.policy()?;
            let gated = gated_fields(document, &data, consent.is_some());
            if !gated.is_empty() {
                return Err(ApiError::GuardianConsentRequired(gated));
            }
            let fields = FieldSet::of(&[
                Field::Name,
                Field::CardNumber,
                Field::Address,
                Field::Phone,
                Field::Email,
                Field::DateOfBirth,
            ]);
            ctx.decided(
                "patron.register",
                &Subject::Nobody,
                &custody::Purpose::stated_by_custodian("registration"),
                KindSet::of(&[RecordKind::CardRegistration]),
                fields,
                |tx, keys| {
                    let now = Utc::now().naive_utc();
                    let patron =
                        patrons::create(tx, keys, &data, &pin_hash, now).map_err(|e| match e {
                            StoreError::Conflict(_) => ApiError::Conflict(
                                "this card number is already registered at this library".into(),
                            ),
                            other => other.into(),
                        })?;
                    if let Some(c) = &consent {
                        let new = NewConsent {
                            kind: "guardian",
                            scope: &c.scope,
                            given_by: &c.given_by,
                            granted_at: now,
                            expires_at: None,
                        };
                        patrons::add_consent(tx, keys, patron.id, &new)?;
                    }
                    Ok(patron)
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(patron))
}
/// `?purpose=`
#[derive(Deserialize)]
pub struct Purpose {
    purpose: Option<String>,
}

/// One patron's data, for a stated purpose.
pub async fn read(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    q: web::Query<Purpose>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let id = PatronId(path.into_inner().1);
    let subject = Subject::Patron(id);
    let fields = FieldSet::of(&[
        Field::Name,
        Field::CardNumber,
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::DateOfBirth,
    ]);
    let patron = blocking(move || {
        ctx.decided(
            "patron.read",
            &subject,
            &purpose,
            KindSet::of(&[RecordKind::CardRegistration]),
            fields,
            |tx, keys| {
                let p = patrons::get(tx, keys, id)?;
                let consents = patrons::consents(tx, keys, id)?;
                Ok(serde_json::json!({ "patron": p, "consents": consents }))
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(patron))
}
/// `PATCH …/patrons/{id}`: absent fields stay, `null` clears.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    purpose: Option<String>,
    name: Option<String>,
    #[serde(default, with = "super::double_option")]
    address: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    email: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    phone: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    birth_date: Option<Option<NaiveDate>>,
    #[serde(default, with = "super::double_option")]
    guardian: Option<Option<String>>,
    contact_by: Option<String>,
}

/// Corrects a patron's data.
pub async fn correct(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<Correction>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let c = body.into_inner();
    let purpose = purpose_of(c.purpose.as_deref())?;
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
    let id = PatronId(path.into_inner().1);
    let subject = Subject::Patron(id);
    let fields = FieldSet::of(&[
        Field::Name,
        Field::CardNumber,
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::DateOfBirth,
    ]);
    let patron = blocking(move || {
        let (_, document) = ctx.policy()?;
        let document = document.clone();
        ctx.decided(
            "patron.correct",
            &subject,
            &purpose,
            KindSet::of(&[RecordKind::CardRegistration]),
            fields,
            |tx, keys| {
                let current = patrons::get(tx, keys, id)?;
                let mut after = current.data.clone();
                apply(&mut after, &change);
                let gated =
                    gated_fields(&document, &after, guardian_consent_in_force(tx, keys, id)?);
                if !gated.is_empty() {
                    return Err(ApiError::GuardianConsentRequired(gated));
                }
                Ok(patrons::update(
                    tx,
                    keys,
                    id,
                    &change,
                    Utc::now().naive_utc(),
                )?)
            },
        )
    })
    .await?;
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
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<Merge>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let keep = PatronId(path.into_inner().1);
    let duplicate = PatronId(body.duplicate_id);
    let purpose = purpose_of(
        body.purpose
            .as_deref()
            .or(Some("merging duplicate registrations")),
    )?;
    let subject = Subject::Patron(keep);
    let moved = blocking(move || {
        ctx.decided(
            "patron.merge",
            &subject,
            &purpose,
            KindSet::all(),
            FieldSet::all(),
            // The merge commits with the decision that allowed it, or neither does.
            |tx, _| Ok(patrons::merge(tx, keep, duplicate)?),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        serde_json::json!({ "kept": keep.0, "removed": duplicate.0, "records_moved": moved }),
    ))
}
/// Deletes a patron; their records are deleted or kept without the link, as the library's policy says per kind.
pub async fn delete(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    q: web::Query<Purpose>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let purpose = purpose_of(q.purpose.as_deref())?;
    let id = PatronId(path.into_inner().1);
    let subject = Subject::Patron(id);
    let report = blocking(move || {
        let (_, document) = ctx.policy()?;
        let schedule = *document.schedule();
        ctx.decided("patron.delete", &subject, &purpose, KindSet::all(), FieldSet::all(), |tx, keys| {
            patrons::get(tx, keys, id)?;
            let mut deleted = 0usize;
            let mut anonymized = 0usize;
            let mut before = None;
            let mut to_delete = Vec::new();
            loop {
                let page = records::for_patron(tx, keys, id, before, 1000)?;
                let Some(last) = page.last() else { break };
                before = Some(last.id);
                for r in page {
                    let deletes = r
                        .kind
                        .parse::<RecordKind>()
                        .ok()
                        .is_some_and(|k| schedule.rule(k).then == policy::retention::PurgeMethod::Delete);
                    if deletes {
                        to_delete.push(r.id);
                    } else {
                        anonymized += 1;
                    }
                }
            }
            deleted += records::delete(tx, &to_delete)?;
            patrons::delete(tx, id)?;
            Ok(serde_json::json!({ "deleted": true, "records_deleted": deleted, "records_kept_without_link": anonymized }))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
/// Registers the staff's patron endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patrons", get => search, post => register))
        .service(resource!("/libraries/{library}/patrons/{patron}", get => read, patch => correct, delete => delete))
        .service(resource!("/libraries/{library}/patrons/{patron}/consents", post => add_consent))
        .service(resource!("/libraries/{library}/patrons/{patron}/merge", post => merge));
}
