//! Consents: a guardian's, needed before a minor's gated fields are stored, and
//! a patron's written consent to a disclosure.
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::routes::blocking;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use custody::{Purpose, Subject};
use policy::document::PolicyDocument;
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use serde::Deserialize;
use store::patrons::{self, NewConsent, PatronChange, PatronData};
use store::sealing::Keyring;
use store::LibraryTx;
use store::PatronId;

use super::ctx::Ctx;
/// A guardian's consent, as staff record it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianConsent {
    /// Who gave it.
    pub(super) given_by: String,
    /// What it covers.
    #[serde(default = "default_scope")]
    pub(super) scope: String,
}

fn default_scope() -> String {
    "registration and contact".into()
}
/// The guardian-gated fields this data would store, named for people; empty
/// for an adult, or when a guardian's consent is on record.
pub(crate) fn gated_fields(
    document: &PolicyDocument,
    data: &PatronData,
    consent_recorded: bool,
) -> String {
    let mut collecting = FieldSet::EMPTY;
    for (field, present) in [
        (Field::Name, !data.name.is_empty()),
        (Field::CardNumber, !data.card_number.is_empty()),
        (Field::Address, data.address.is_some()),
        (Field::Phone, data.phone.is_some()),
        (Field::Email, data.email.is_some()),
        (Field::DateOfBirth, data.birth_date.is_some()),
    ] {
        if present {
            collecting = collecting.with(field);
        }
    }
    let today = Utc::now().date_naive();
    let need = policy::minors::fields_needing_consent(
        document,
        data.birth_date,
        today,
        collecting,
        consent_recorded,
    );
    need.iter()
        .map(policy::minors::field_label)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn guardian_consent_in_force(
    tx: &mut LibraryTx<'_>,
    keys: &Keyring,
    patron: PatronId,
) -> ApiResult<bool> {
    let now = Utc::now().naive_utc();
    Ok(patrons::consents(tx, keys, patron)?
        .iter()
        .any(|c| c.kind == "guardian" && c.in_force(now)))
}
pub(crate) fn apply(data: &mut PatronData, c: &PatronChange) {
    if let Some(n) = &c.name {
        data.name = n.clone();
    }
    if let Some(v) = &c.address {
        data.address = v.clone();
    }
    if let Some(v) = &c.email {
        data.email = v.clone();
    }
    if let Some(v) = &c.phone {
        data.phone = v.clone();
    }
    if let Some(v) = c.birth_date {
        data.birth_date = v;
    }
    if let Some(v) = &c.guardian {
        data.guardian = v.clone();
    }
}
/// `POST …/patrons/{id}/consents`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    kind: String,
    given_by: String,
    #[serde(default = "default_scope")]
    scope: String,
    #[serde(default, with = "store::time::rfc3339_option")]
    expires_at: Option<NaiveDateTime>,
}

/// Records a guardian's consent or a patron's written consent.
pub async fn add_consent(
    state: web::Data<AppState>,
    access: LibraryAccess,
    path: web::Path<(String, i64)>,
    body: web::Json<ConsentBody>,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &access)?;
    let c = body.into_inner();
    if !["guardian", "disclosure"].contains(&c.kind.as_str()) {
        return Err(ApiError::Invalid {
            field: "kind".into(),
            detail: "expected guardian or disclosure".into(),
        });
    }
    if c.given_by.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "given_by".into(),
            detail: "name who gave the consent".into(),
        });
    }
    let id = PatronId(path.into_inner().1);
    let subject = Subject::Patron(id);
    let consent_id = blocking(move || {
        ctx.decided(
            "patron.consent",
            &subject,
            &Purpose::stated_by_custodian("recording a consent"),
            KindSet::of(&[RecordKind::CardRegistration]),
            FieldSet::of(&[Field::Name]),
            |tx, keys| {
                patrons::get(tx, keys, id)?;
                let new = NewConsent {
                    kind: &c.kind,
                    scope: &c.scope,
                    given_by: c.given_by.trim(),
                    granted_at: Utc::now().naive_utc(),
                    expires_at: c.expires_at,
                };
                Ok(patrons::add_consent(tx, keys, id, &new)?)
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": consent_id })))
}
