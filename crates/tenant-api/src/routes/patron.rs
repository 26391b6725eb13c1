//! Patron self-service: `/api/v1/libraries/{library}/patron/sign-in` and `/api/v1/patron/...`.

use super::auth::{removal_cookie, session_cookie, Attempt};
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::patron_auth::{self, PatronCaller, COOKIE};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use store::patrons;
use store::{libraries, Access, StoreError};

/// `POST …/patron/sign-in`
#[derive(Deserialize)]
pub struct PatronSignIn {
    card_number: String,
    pin: String,
}

#[derive(Serialize)]
struct PatronSignedIn {
    token: String,
    token_type: &'static str,
    #[serde(with = "store::time::rfc3339")]
    expires_at: NaiveDateTime,
    patron_id: i64,
}

/// Signs a patron in with card number and PIN at their library.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<PatronSignIn>,
) -> ApiResult<HttpResponse> {
    let slug = path.into_inner();
    let PatronSignIn { card_number, pin } = body.into_inner();
    if card_number.trim().is_empty() || pin.is_empty() {
        return Err(ApiError::Invalid {
            field: if card_number.trim().is_empty() {
                "card_number"
            } else {
                "pin"
            }
            .into(),
            detail: "card number and PIN are both required".into(),
        });
    }
    let card = format!("{slug}:{}", store::sealing::normalize_card(&card_number));
    let attempt = Attempt::new(&state, &req, "patron", &card);
    attempt.check(&state).await?;

    let store = state.store.clone();
    let keys = state.keys.clone();
    let hours = i64::from(state.settings.auth.session_hours);
    let outcome = state
        .hashing
        .run(move || {
            let library = match store.consortium(Access::Read, |c| libraries::by_slug(c, &slug)) {
                Ok(l) => l,
                Err(StoreError::NotFound) => {
                    passwords::check(&pin, None, false);
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            let found = match store.read(library.id, |tx| {
                patrons::pin_by_card(tx, &keys, &card_number)
            }) {
                Ok(f) => Some(f),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            // One verification whatever the outcome (see `passwords::check`).
            if !passwords::check(&pin, found.as_ref().map(|(_, h)| h.as_str()), true) {
                return Ok(None);
            }
            let Some((patron, _)) = found else {
                return Ok(None);
            };
            let (token, hash) = patron_auth::new_token(library.id);
            let now = Utc::now().naive_utc();
            let expires_at = now + chrono::Duration::hours(hours);
            store.write(library.id, |tx| {
                patrons::create_session(tx, &hash, patron, now, expires_at)
            })?;
            Ok(Some(PatronSignedIn {
                token,
                token_type: "Bearer",
                expires_at,
                patron_id: patron.0,
            }))
        })
        .await?;
    let Some(signed_in) = outcome else {
        attempt.failed(&state).await?;
        return Err(ApiError::BadPatronCredentials);
    };
    attempt.succeeded(&state).await?;
    let cookie = session_cookie(
        COOKIE,
        signed_in.token.clone(),
        hours,
        state.settings.server.cookies_secure(),
    );
    Ok(HttpResponse::Ok().cookie(cookie).json(signed_in))
}

/// Ends the patron's session.
pub async fn sign_out(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let store = state.store.clone();
    blocking(move || {
        let now = Utc::now().naive_utc();
        Ok(store.write(caller.library, |tx| {
            patrons::revoke_sessions(tx, caller.patron, Some(&caller.token_hash), now)
        })?)
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(COOKIE))
        .finish())
}

use crate::disclosure::{decide_and_record, Trace};
use policy::disclosure::{Basis, Decision, Relation, Request, Requester};
use policy::records::{FieldSet, KindSet};
use store::audit;
use store::patrons::{Patron, PatronChange};
use store::records::{self, Record};

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
async fn as_self<T, F>(
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
        store.write(caller.library, |tx| {
            let trace = Trace {
                actor: &subject,
                action,
                subject: &subject,
                purpose: "",
            };
            let today = Utc::now().date_naive();
            match decide_and_record(
                tx,
                profile,
                document,
                &self_request(&subject),
                &trace,
                today,
            )? {
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

/// `?cursor=` over the patron's own records.
#[derive(Deserialize)]
pub struct RecordsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The patron's own library records, newest first.
pub async fn my_records(
    state: web::Data<AppState>,
    caller: PatronCaller,
    q: web::Query<RecordsQuery>,
) -> ApiResult<HttpResponse> {
    let page = super::PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let id = caller.patron;
    let (before, limit) = (page.after, page.limit);
    let items = as_self(&state, &caller, "patron.self.records", move |tx, keys| {
        Ok(records::for_patron(tx, keys, id, before, limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(super::Paged::new(items, &page, |r: &Record| r.id)))
}

/// One entry of a patron's access log.
#[derive(Serialize)]
pub struct AccessEntry {
    #[serde(with = "store::time::rfc3339")]
    at: NaiveDateTime,
    who: String,
    action: String,
    purpose: String,
    decision: String,
    clause: String,
}

fn describe_actor(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("account", id)) => format!("library staff (account {id})"),
        Some(("vendor", id)) => format!("contracted vendor {id}"),
        Some(("patron", _)) => "a patron".into(),
        _ => actor.to_owned(),
    }
}

fn access_entries(
    tx: &mut store::LibraryTx<'_>,
    subject: &str,
    limit: i64,
) -> Result<Vec<AccessEntry>, ApiError> {
    let mut out = Vec::new();
    let mut before = None;
    // Entries the patron made themself are not "who looked at my records".
    while (out.len() as i64) < limit {
        let batch = audit::about(tx, subject, before, 500)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        out.extend(
            batch
                .into_iter()
                .filter(|e| e.actor != subject)
                .map(|e| AccessEntry {
                    at: e.at,
                    who: describe_actor(&e.actor),
                    action: e.action,
                    purpose: e.purpose,
                    decision: e.decision,
                    clause: e.clause,
                }),
        );
    }
    out.truncate(limit as usize);
    Ok(out)
}

/// Who looked at the patron's records, when and why (sealed legal requests excepted).
pub async fn access_log(
    state: web::Data<AppState>,
    caller: PatronCaller,
) -> ApiResult<HttpResponse> {
    let subject = caller.subject();
    let items = as_self(&state, &caller, "patron.self.access-log", move |tx, _| {
        access_entries(tx, &subject, 500)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Everything held about the patron, as one JSON document to download.
pub async fn export(state: web::Data<AppState>, caller: PatronCaller) -> ApiResult<HttpResponse> {
    let id = caller.patron;
    let subject = caller.subject();
    let lib = caller.library;
    let doc = as_self(&state, &caller, "patron.self.export", move |tx, keys| {
        let patron = patrons::get(tx, keys, id)?;
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = records::for_patron(tx, keys, id, before, 1000)?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            all.extend(page);
        }
        let consents = patrons::consents(tx, keys, id)?;
        let access = access_entries(tx, &subject, i64::MAX)?;
        Ok(serde_json::json!({
            "exported_at": store::time::format(&Utc::now().naive_utc()),
            "library_id": lib.0,
            "patron": patron,
            "records": all,
            "consents": consents,
            "access_log": access,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"my-library-data.json\"",
        ))
        .json(doc))
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

fn email_page(
    status: StatusCode,
    title: &str,
    message: &str,
    show_button: bool,
) -> ApiResult<HttpResponse> {
    let html = notifier::patron_email::EmailConfirmPage {
        title,
        message,
        show_button,
    }
    .render()
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(html))
}

fn email_link_page(
    link: Result<patrons::EmailLink, ApiError>,
    confirmed: bool,
) -> ApiResult<HttpResponse> {
    match link {
        Ok(patrons::EmailLink::Usable(..)) if confirmed => email_page(
            StatusCode::OK,
            "Your new email address is confirmed",
            "Your library will use this address from now on. You can close this page.",
            false,
        ),
        Ok(patrons::EmailLink::Usable(..)) => email_page(
            StatusCode::OK,
            "Confirm your new email address",
            "Press the button to use this address for your library account. Until you do, nothing changes.",
            true,
        ),
        Ok(patrons::EmailLink::Expired) => email_page(
            StatusCode::GONE,
            "This link has expired",
            "Your email address was not changed. Sign in and change it again to get a new link.",
            false,
        ),
        Err(ApiError::NotFound) => email_page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It has been used already, a newer link replaced it, or it was copied incompletely. Your email address was not changed by it.",
            false,
        ),
        Err(e) => Err(e),
    }
}

/// `GET /patron/email/confirm/{token}`: a page with a button; opening the link changes nothing.
pub async fn email_confirm_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let Some(library) = patron_auth::email_token_library(&token) else {
        return email_link_page(Err(ApiError::NotFound), false);
    };
    let (store, keys) = (state.store.clone(), state.keys.clone());
    let hash = passwords::token_hash(&token);
    let link = blocking(move || {
        let now = Utc::now().naive_utc();
        Ok(store
            .read(library, |tx| patrons::email_link(tx, &keys, &hash, now))
            .map_err(ApiError::from))
    })
    .await?;
    email_link_page(link, false)
}

/// `POST /patron/email/confirm/{token}`: puts the new address in force; the link is then spent.
pub async fn email_confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let Some(library) = patron_auth::email_token_library(&token) else {
        return email_link_page(Err(ApiError::NotFound), true);
    };
    let (store, keys) = (state.store.clone(), state.keys.clone());
    let hash = passwords::token_hash(&token);
    let link = blocking(move || {
        let now = Utc::now().naive_utc();
        Ok(store
            .write(library, |tx| {
                let link = patrons::confirm_email(tx, &keys, &hash, now)?;
                // A changed address is a change to identifying data: it goes in
                // the library's audit log like the PATCH that asked for it.
                if let patrons::EmailLink::Usable(id, _) = &link {
                    let subject = format!("patron:{}", id.0);
                    store::audit::append(
                        tx,
                        &store::audit::NewEntry {
                            actor: &subject,
                            action: "patron.self.email_confirmed",
                            subject: &subject,
                            purpose: "confirming a new email address",
                            decision: "allow",
                            clause: "custodian.patron.self",
                            sealed: false,
                        },
                        now,
                    )?;
                }
                Ok::<_, store::StoreError>(link)
            })
            .map_err(ApiError::from))
    })
    .await?;
    if let Ok(patrons::EmailLink::Usable(id, _)) = &link {
        tracing::info!(library = library.0, patron = id.0, "patron email confirmed");
    }
    email_link_page(link, true)
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
        Ok(patrons::set_keep_history(
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
