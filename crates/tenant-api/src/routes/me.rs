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

/// What a patron sees of their own record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnProfile {
    #[serde(flatten)]
    patron: Patron,
}

/// Everything custodian holds about the signed-in patron's account.
#[utoipa::path(get, path = "/api/v1/patron/me", tag = "patron", operation_id = "patron_profile",
    summary = "Everything held about the signed-in patron's account", security(("bearer" = []), ("patron_cookie" = [])),
    responses((status = 200, description = "The patron's record", body = OwnProfile, example = json!({"id": 55, "data": {"card_number": "29000100000055", "name": "Sam Example", "address": "1 Demo Street, Riverbend", "email": "sam.example@demo.custodian.test", "phone": null, "birth_date": null, "guardian": null}, "keep_history": false, "contact_by": "email", "deletion_requested_at": null, "created_at": "2026-01-05T09:00:00.000000Z", "updated_at": "2026-01-05T09:00:00.000000Z"}))))]
pub async fn me(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), caller.own());
    let patron = blocking(move || Ok(me::profile(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(OwnProfile { patron }))
}
/// `PATCH /api/v1/patron/me`: the contact data a patron may change themself.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "555-0100", "contact_by": "phone"}))]
pub struct ContactChange {
    /// Postal address; null clears it, absent leaves it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    address: Option<Option<String>>,
    /// A new email address, used once confirmed by the link sent to it; null clears it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>, format = Email)]
    email: Option<Option<String>>,
    /// Telephone number; null clears it.
    #[serde(default, with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    /// `email`, `phone`, `mail` or `none`; absent or null leaves it as it is.
    #[schema(schema_with = contact_choices)]
    contact_by: Option<String>,
}

/// `contact_by`'s schema, from the list `check_contact_by` holds it to.
fn contact_choices() -> utoipa::openapi::Object {
    crate::openapi::one_of_or_null(
        &super::CONTACT_CHOICES,
        "`email`, `phone`, `mail` or `none`; absent or null leaves it as it is.",
    )
}

/// Changes the patron's own contact data.
///
/// A new email address is not used for anything until the patron confirms it
/// by the single-use link sent to that address; until then the old one stays
/// in force and the new one shows as `pending_email`. Otherwise anyone could
/// name another person's address and have their mail filed with this library.
#[utoipa::path(patch, path = "/api/v1/patron/me", tag = "patron", operation_id = "patron_update_contact",
    summary = "Change one's own contact data", security(("bearer" = []), ("patron_cookie" = [])),
    request_body(content = ContactChange, content_type = "application/json"),
    responses((status = 200, description = "The changed record; `email_confirmation` says where the link went", body = UpdatedProfile)))]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<ContactChange>,
) -> ApiResult<HttpResponse> {
    let c = body.into_inner();
    let change = me::ContactChange {
        address: c.address,
        email: c.email,
        phone: c.phone,
        contact_by: c.contact_by,
    };
    let (patron, email_confirmation) = change_contact(&state, &caller, change).await?;
    Ok(HttpResponse::Ok().json(UpdatedProfile {
        profile: OwnProfile { patron },
        email_confirmation,
    }))
}

/// Checks and makes a patron's change of their own contact data, sending the
/// confirmation link for a new email address (`PATCH /api/v1/patron/me` and
/// the settings page both call it). Returns the profile after the change and,
/// when a link went out, what to tell the patron about it.
pub async fn change_contact(
    state: &AppState,
    caller: &PatronCaller,
    c: me::ContactChange,
) -> ApiResult<(Patron, Option<String>)> {
    super::check_email(c.email.as_ref().and_then(|e| e.as_deref()))?;
    super::check_contact_by(c.contact_by.as_deref())?;
    let change = me::ContactChange {
        email: c.email.map(|e| e.map(|e| e.trim().to_owned())),
        ..c
    };
    let room = state.mailroom.clone();
    let link_hours = i64::from(state.settings.auth.email_confirm_hours);
    let (custody, who) = (state.custody.clone(), caller.own());
    let (patron, sent) = blocking(move || {
        Ok(me::update_contact(
            &custody,
            &who,
            change,
            |tx, library, new| {
                let (token, token_hash) = patron_auth::new_email_token(library.id);
                let now = Utc::now().naive_utc();
                let expires_at = now + chrono::Duration::hours(link_hours);
                let rendered =
                    notifier::patron_email::render(&notifier::patron_email::EmailConfirm {
                        library: library.name.clone(),
                        link: format!("{}/patron/email/confirm/{token}", room.public_url()),
                        expires: expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    })
                    .map_err(|e| custody::CustodyError::Internal(e.to_string()))?;
                room.queue_in(tx, new, &rendered, now)
                    .map_err(|e| match e {
                        notifier::MailroomError::Store(s) => s.into(),
                        other => custody::CustodyError::Internal(other.to_string()),
                    })?;
                Ok(me::SentLink {
                    token_hash,
                    expires_at,
                })
            },
        )?)
    })
    .await?;
    let confirmation = sent.then(|| format!(
        "We sent a link to the new address. It takes the place of your current one when you open the link and confirm, within {link_hours} hours; until then your current address stays in force."
    ));
    if confirmation.is_some() {
        state.mailroom.waker().notify();
    }
    Ok((patron, confirmation))
}

/// The answer to a contact change: the profile, and what to do about a new email.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UpdatedProfile {
    #[serde(flatten)]
    profile: OwnProfile,
    /// What to do about a new email address, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    email_confirmation: Option<String>,
}

/// `PUT /api/v1/patron/me/pin`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_pin": "4321", "new_pin": "8765"}))]
pub struct PinChange {
    /// The PIN now.
    #[schema(max_length = 40)]
    current_pin: String,
    /// The new PIN, 4 to 40 characters (input.rs refuses a longer one first).
    #[schema(min_length = 4, max_length = 40)]
    new_pin: String,
}

/// The shortest PIN custodian accepts.
pub const MIN_PIN: usize = 4;

/// The answer to a PIN change.
#[derive(utoipa::ToSchema)]
pub struct PinChanged {
    /// Always true.
    pub changed: bool,
    /// What to do next.
    pub detail: String,
}

/// The answer to a history choice.
#[derive(utoipa::ToSchema)]
pub struct HistoryChanged {
    /// The choice now in force.
    pub keep_history: bool,
    /// How many returned loans were unlinked from the patron just now.
    pub unlinked_records: u64,
}

/// The answer to a deletion request.
#[derive(utoipa::ToSchema)]
pub struct DeletionRequested {
    /// Always true.
    pub requested: bool,
    /// The request's number, `R-<library>-<id>`.
    pub request: String,
    /// What happens next.
    pub detail: String,
}

/// Changes the patron's PIN after checking the current one; every session ends.
#[utoipa::path(put, path = "/api/v1/patron/me/pin", tag = "patron", operation_id = "patron_change_pin",
    summary = "Change one's PIN; every session ends", security(("bearer" = []), ("patron_cookie" = [])),
    request_body(content = PinChange, content_type = "application/json"),
    responses((status = 200, description = "Changed", body = PinChanged, example = json!({"changed": true, "detail": "Your PIN is changed. Sign in again with the new PIN."}))))]
pub async fn change_pin(
    state: web::Data<AppState>,
    caller: PatronCaller,
    body: web::Json<PinChange>,
) -> ApiResult<HttpResponse> {
    let PinChange {
        current_pin,
        new_pin,
    } = body.into_inner();
    change_own_pin(&state, &caller, current_pin, new_pin).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "changed": true, "detail": "Your PIN is changed. Sign in again with the new PIN." })))
}

/// Checks the new PIN's length and the current PIN, then changes it; every
/// session of the patron ends (`PUT /api/v1/patron/me/pin` and the settings page).
pub async fn change_own_pin(
    state: &AppState,
    caller: &PatronCaller,
    current_pin: String,
    new_pin: String,
) -> ApiResult<()> {
    // Characters, not bytes, at both ends: what the document's minLength and
    // maxLength count, and what a patron counts.
    let length = new_pin.chars().count();
    if !(MIN_PIN..=64).contains(&length) {
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
    .await
}

/// `PUT /api/v1/patron/me/history`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"keep_history": false}))]
pub struct HistoryChoice {
    /// Keep checkout history after return.
    keep_history: bool,
}

/// Turns checkout history on or off; off unlinks returned loans at once.
#[utoipa::path(put, path = "/api/v1/patron/me/history", tag = "patron", operation_id = "patron_set_history",
    summary = "Turn checkout history on or off", security(("bearer" = []), ("patron_cookie" = [])),
    request_body(content = HistoryChoice, content_type = "application/json"),
    responses((status = 200, description = "The choice in force", body = HistoryChanged, example = json!({"keep_history": false, "unlinked_records": 3}))))]
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
#[utoipa::path(post, path = "/api/v1/patron/me/deletion-request", tag = "patron", operation_id = "patron_request_deletion",
    summary = "Ask the library to delete one's account", security(("bearer" = []), ("patron_cookie" = [])),
    responses((status = 202, description = "Filed in the library's queue", body = DeletionRequested, example = json!({"requested": true, "request": "R-2-17", "detail": "Your library has your request and will delete your account and unlink your records. Deleted data may persist on backup media until those backups expire."}))))]
pub async fn request_deletion(
    state: web::Data<AppState>,
    caller: PatronCaller,
) -> ApiResult<HttpResponse> {
    let request = file_deletion_request(&state, &caller).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "requested": true,
        "request": request_number(&caller, request),
        "detail": DELETION_DETAIL,
    })))
}

/// What happens after a deletion request, as the patron reads it.
pub const DELETION_DETAIL: &str = "Your library has your request and will delete your account and unlink your records. Deleted data may persist on backup media until those backups expire.";

/// A request's number as the patron and staff quote it (`R-<library>-<id>`).
pub fn request_number(caller: &PatronCaller, request: i64) -> String {
    format!("R-{}-{request}", caller.library.0)
}

/// Files the patron's deletion request in the library's queue with the
/// configured deadline; returns its id (the JSON endpoint and the settings page).
pub async fn file_deletion_request(state: &AppState, caller: &PatronCaller) -> ApiResult<i64> {
    let due = chrono::Duration::days(state.settings.requests.due_days);
    let (custody, who) = (state.custody.clone(), caller.own());
    blocking(move || Ok(me::request_deletion(&custody, &who, due)?)).await
}
/// The patron's own operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(me, update_me, change_pin, set_history, request_deletion),
    components(schemas(
        OwnProfile,
        UpdatedProfile,
        ContactChange,
        PinChange,
        PinChanged,
        HistoryChoice,
        HistoryChanged,
        DeletionRequested,
        Patron,
        custody::patrons::PatronData
    ))
)]
pub struct ApiDoc;

/// Registers the patron's own endpoints under `/api/v1/patron/me`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/me", get => me, patch => update_me))
        .service(resource!("/patron/me/pin", put => change_pin))
        .service(resource!("/patron/me/history", put => set_history))
        .service(resource!("/patron/me/deletion-request", post => request_deletion));
}
