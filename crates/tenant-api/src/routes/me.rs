//! The signed-in patron's own account: `/api/v1/patron/me`, its PIN, history choice and deletion request.
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::patron_auth::{self, PatronCaller};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use custody::gate::{decide_and_record, Ask};
use custody::{Actor, Purpose, Subject};
use policy::disclosure::{Basis, Decision, Relation, Request, Requester};
use policy::records::{FieldSet, KindSet};
use serde::{Deserialize, Serialize};
use store::patrons;
use store::patrons::{Patron, PatronChange};
use store::{libraries, Access};
/// The patron asking about themself, having proved it with card and PIN.
fn self_request(subject: &str) -> Request<'_> {
    Request {
        requester: Requester::Patron,
        requester_id: subject,
        relation: Relation::Subject,
        kinds: KindSet::all(),
        fields: FieldSet::all(),
        basis: Basis::PatronSelf {
            identity_verified: true,
        },
    }
}

/// Runs `f` in the patron's library scope after the policy allowed `action` (and the decision was recorded).
pub(super) async fn as_self<T, F>(
    state: &web::Data<AppState>,
    caller: &PatronCaller,
    action: &'static str,
    f: F,
) -> ApiResult<T>
where
    F: FnOnce(&mut store::LibraryTx<'_>, &store::sealing::Keyring) -> Result<T, ApiError>
        + Send
        + 'static,
    T: Send + 'static,
{
    as_self_under_policy(state, caller, action, move |tx, keys, _, _| f(tx, keys)).await
}

/// [`as_self`], with the library and its policy document handed to `f` as well.
async fn as_self_under_policy<T, F>(
    state: &web::Data<AppState>,
    caller: &PatronCaller,
    action: &'static str,
    f: F,
) -> ApiResult<T>
where
    F: FnOnce(
            &mut store::LibraryTx<'_>,
            &store::sealing::Keyring,
            &policy::document::PolicyDocument,
            &libraries::Library,
        ) -> Result<T, ApiError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let store = state.store.clone();
    let keys = state.keys.clone();
    let policies = state.policies.clone();
    let caller = caller.clone();
    blocking(move || {
        let library = store.consortium(Access::Read, |c| libraries::by_id(c, caller.library))?;
        let (profile, document) = policies.of(&library.jurisdiction).ok_or_else(|| {
            ApiError::Internal(format!(
                "no policy for jurisdiction {}",
                library.jurisdiction
            ))
        })?;
        let subject = caller.subject();
        let (actor, about) = (Actor::Patron(caller.patron), Subject::Patron(caller.patron));
        let purpose = Purpose::stated_by_custodian("");
        store.write(caller.library, |tx| {
            let ask = Ask {
                actor: &actor,
                action,
                subject: &about,
                purpose: &purpose,
                request: self_request(&subject),
            };
            let today = Utc::now().date_naive();
            match decide_and_record(tx, profile, document, &ask, today)? {
                Decision::Allow { .. } => f(tx, &keys, document, &library),
                Decision::Deny { reason, .. } => Err(ApiError::Refused(reason.text())),
            }
        })
    })
    .await
}
/// What a patron sees of their own record.
#[derive(Serialize)]
pub struct OwnProfile {
    #[serde(flatten)]
    patron: Patron,
}

/// Everything custodian holds about the signed-in patron's account.
pub async fn me(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let id = caller.patron;
    let patron = as_self(&state, &caller, "patron.self.read", move |tx, keys| {
        Ok(patrons::get(tx, keys, id)?)
    })
    .await?;
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
    let (patron, confirmation) = as_self_under_policy(
        &state,
        &caller,
        "patron.self.update",
        move |tx, keys, document, library| {
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
    let id = caller.patron;
    let permit = state.hashing.enter().await?;
    as_self(&state, &caller, "patron.self.pin", move |tx, keys| {
        let _permit = permit;
        let patron = patrons::get(tx, keys, id)?;
        let (_, hash) = patrons::pin_by_card(tx, keys, &patron.data.card_number)?;
        if !passwords::verify(&current_pin, &hash) {
            return Err(ApiError::Invalid {
                field: "current_pin".into(),
                detail: "the current PIN is not right".into(),
            });
        }
        let now = Utc::now().naive_utc();
        patrons::set_pin(tx, id, &new_hash, now)?;
        patrons::revoke_sessions(tx, id, None, now)?;
        Ok(())
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
    let id = caller.patron;
    let unlinked = as_self(&state, &caller, "patron.self.history", move |tx, _| {
        Ok(custody::patrons::set_keep_history(
            tx,
            id,
            keep,
            Utc::now().naive_utc(),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "keep_history": keep, "unlinked_records": unlinked })))
}

/// Records the patron's request to delete their account; the library acts on it.
pub async fn request_deletion(
    state: web::Data<AppState>,
    caller: PatronCaller,
) -> ApiResult<HttpResponse> {
    let id = caller.patron;
    let due_days = state.settings.requests.due_days;
    // The request goes in the library's queue like an emailed one, in the
    // same transaction as the timestamp, so staff see it with a deadline.
    let request = as_self(
        &state,
        &caller,
        "patron.self.deletion-request",
        move |tx, keys| {
            let now = Utc::now().naive_utc();
            patrons::request_deletion(tx, id, now)?;
            let email = patrons::get(tx, keys, id)?.data.email.unwrap_or_default();
            Ok(store::requests::file_portal_deletion(
                tx,
                keys,
                id.0,
                &email,
                now + chrono::Duration::days(due_days),
                now,
            )?)
        },
    )
    .await?;
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
