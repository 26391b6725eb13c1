//! The signed-in patron's own account: `/api/v1/patron/me`, its PIN, history choice and deletion request.
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron as PatronCaller;
use crate::passwords;
use crate::patron_auth;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use custody::me::{self, Patron};
use serde::{Deserialize, Serialize};
use store::patrons::{self, PatronChange};

/// What a patron sees of their own record.
#[derive(Serialize)]
pub struct OwnProfile {
    #[serde(flatten)]
    patron: Patron,
}

/// Everything custodian holds about the signed-in patron's account.
pub async fn me(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), caller.own());
    let patron = blocking(move || Ok(me::profile(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(OwnProfile { patron }))
}
/// `PATCH /api/v1/patron/me`: the contact data a patron may change themself.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    #[serde(default, with = "super::double_option")]
    address: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    email: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    phone: Option<Option<String>>,
    contact_by: Option<String>,
}

/// Changes the patron's own contact data.
///
/// A new email address is not used for anything until the patron confirms it
/// by the single-use link sent to that address; until then the old one stays
/// in force and the new one shows as `pending_email`. Otherwise anyone could
/// name another person's address and have their mail filed with this library.
pub async fn update_me(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<ContactChange>,
) -> ApiResult<HttpResponse> {
    let c = body.into_inner();
    super::check_email(c.email.as_ref().and_then(|e| e.as_deref()))?;
    super::check_contact_by(c.contact_by.as_deref())?;
    let requested_email = c.email.map(|e| e.map(|e| e.trim().to_owned()));
    let mut change = PatronChange {
        address: c.address,
        email: requested_email.clone(),
        phone: c.phone,
        contact_by: c.contact_by,
        ..Default::default()
    };
    let id = caller.patron;
    let room = state.mailroom.clone();
    let link_hours = i64::from(state.settings.auth.email_confirm_hours);
    let (custody, who) = (state.custody.clone(), caller.own());
    let (patron, confirmation) = as_patron_with_api_errors(
        custody,
        who,
        "patron.self.update",
        move |tx, keys, library, document| {
            let current = patrons::get(tx, keys, id)?;
            // The registration rule: a child's gated fields need a guardian's consent.
            let mut after = current.data.clone();
            super::patrons::apply(&mut after, &change);
            let consent = super::patrons::guardian_consent_in_force(tx, keys, id)?;
            let gated = super::patrons::gated_fields(document, &after, consent);
            if !gated.is_empty() {
                return Err(ApiError::GuardianConsentRequired(gated));
            }
            // Clearing the address, or restating the one in force, needs no proof.
            let pending = match &requested_email {
                Some(Some(new)) if !same_email(current.data.email.as_deref(), new) => {
                    change.email = None;
                    Some(new.clone())
                }
                _ => None,
            };
            let now = Utc::now().naive_utc();
            patrons::update(tx, keys, id, &change, now)?;
            let confirmation = match pending {
                Some(new) => {
                    let (token, hash) = patron_auth::new_email_token(library.id);
                    let expires_at = now + chrono::Duration::hours(link_hours);
                    patrons::request_email_change(tx, keys, id, &new, &hash, expires_at, now)?;
                    let rendered = notifier::patron_email::render(&notifier::patron_email::EmailConfirm {
                        library: library.name.clone(),
                        link: format!("{}/patron/email/confirm/{token}", room.public_url()),
                        expires: expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    })
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                    room.queue_in(tx, &new, &rendered, now)?;
                    Some(format!(
                        "We sent a link to the new address. It takes the place of your current one when you open the link and confirm, within {link_hours} hours; until then your current address stays in force."
                    ))
                }
                None => None,
            };
            Ok((patrons::get(tx, keys, id)?, confirmation))
        },
    )
    .await?;
    if confirmation.is_some() {
        state.mailroom.waker().notify();
    }
    Ok(HttpResponse::Ok().json(UpdatedProfile {
        profile: OwnProfile { patron },
        email_confirmation: confirmation,
    }))
}

/// The answer to a contact change: the profile, and what to do about a new email.
#[derive(Serialize)]
struct UpdatedProfile {
    #[serde(flatten)]
    profile: OwnProfile,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_confirmation: Option<String>,
}

fn same_email(current: Option<&str>, new: &str) -> bool {
    current.is_some_and(|c| c.trim().eq_ignore_ascii_case(new.trim()))
}
/// `PUT /api/v1/patron/me/pin`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinChange {
    current_pin: String,
    new_pin: String,
}

/// The shortest PIN custodian accepts.
pub const MIN_PIN: usize = 4;

/// Changes the patron's PIN after checking the current one; every session ends.
pub async fn change_pin(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<PinChange>,
) -> ApiResult<HttpResponse> {
    let PinChange {
        current_pin,
        new_pin,
    } = body.into_inner();
    if new_pin.chars().count() < MIN_PIN || new_pin.len() > 64 {
        return Err(ApiError::Invalid {
            field: "new_pin".into(),
            detail: format!("a PIN has {MIN_PIN} to 64 characters"),
        });
    }
    let new_hash = state
        .hashing
        .run(move || passwords::hash(&new_pin).map_err(ApiError::Internal))
        .await?;
    let (custody, who) = (state.custody.clone(), caller.own());
    let permit = state.hashing.enter().await?;
    blocking(move || {
        // Checking the current PIN is password work: it holds a hashing permit.
        let _permit = permit;
        Ok(me::change_pin(&custody, &who, &new_hash, |stored| {
            passwords::verify(&current_pin, stored)
        })?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "changed": true, "detail": "Your PIN is changed. Sign in again with the new PIN." })))
}

/// `PUT /api/v1/patron/me/history`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryChoice {
    keep_history: bool,
}

/// Turns checkout history on or off; off unlinks returned loans at once.
pub async fn set_history(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<HistoryChoice>,
) -> ApiResult<HttpResponse> {
    let keep = body.keep_history;
    let (custody, who) = (state.custody.clone(), caller.own());
    let unlinked = blocking(move || Ok(me::set_history(&custody, &who, keep)?)).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "keep_history": keep, "unlinked_records": unlinked })))
}

/// Records the patron's request to delete their account; the library acts on it.
pub async fn request_deletion(
    state: web::Data<AppState>,
    caller: PatronCaller,
) -> ApiResult<HttpResponse> {
    let due = chrono::Duration::days(state.settings.requests.due_days);
    let (custody, who) = (state.custody.clone(), caller.own());
    let request = blocking(move || Ok(me::request_deletion(&custody, &who, due)?)).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "requested": true,
        "request": format!("R-{}-{request}", caller.library.0),
        "detail": "Your library has your request and will delete your account and unlink your records. Deleted data may persist on backup media until those backups expire.",
    })))
}
/// Registers the patron's own endpoints under `/api/v1/patron/me`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/me", get => me, patch => update_me))
        .service(resource!("/patron/me/pin", put => change_pin))
        .service(resource!("/patron/me/history", put => set_history))
        .service(resource!("/patron/me/deletion-request", post => request_deletion));
}

/// [`custody::Custody::as_patron`] for an act whose own errors are the API's;
/// the gate sees a failure, so the transaction rolls back all the same.
async fn as_patron_with_api_errors<T, F>(
    custody: custody::Custody,
    who: custody::PatronSelf,
    action: &'static str,
    act: F,
) -> ApiResult<T>
where
    F: FnOnce(
            &mut store::LibraryTx<'_>,
            &store::sealing::Keyring,
            &store::libraries::Library,
            &policy::document::PolicyDocument,
        ) -> Result<T, ApiError>
        + Send
        + 'static,
    T: Send + 'static,
{
    blocking(move || {
        let mut failed = None;
        let outcome = custody.as_patron(&who, action, |tx, keys, library, document| {
            act(tx, keys, library, document).map_err(|e| {
                failed = Some(e);
                custody::CustodyError::Internal("the act failed".into())
            })
        });
        match (outcome, failed) {
            (_, Some(e)) => Err(e),
            (Ok(value), None) => Ok(value),
            (Err(e), None) => Err(e.into()),
        }
    })
    .await
}
