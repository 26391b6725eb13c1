//! A patron's session: `/api/v1/libraries/{library}/patron/sign-in` and `/api/v1/patron/sign-out`.
use super::auth::{removal_cookie, session_cookie, Attempt};
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::passwords;
use crate::patron_auth::{self, COOKIE};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use custody::patron_sessions::{self, CardHolder};
use custody::{CardNumber, PatronSelf};
use serde::{Deserialize, Serialize};

/// `POST …/patron/sign-in`
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"card_number": "29000100000055", "pin": "4321"}))]
pub struct PatronSignIn {
    /// The library card number.
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    card_number: String,
    /// The card's PIN.
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pin: String,
}

/// A patron session just opened.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PatronSignedIn {
    /// The session token, for `Authorization: Bearer` (the cookie carries the same).
    pub(crate) token: String,
    /// Always `Bearer`.
    #[schema(value_type = String, example = "Bearer")]
    token_type: &'static str,
    /// When the session ends (RFC 3339, UTC).
    #[serde(with = "custody::patron_sessions::rfc3339")]
    expires_at: NaiveDateTime,
    /// The patron's id in the library.
    patron_id: i64,
}

/// Signs a patron in with card number and PIN at their library.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/patron/sign-in", tag = "patron", operation_id = "patron_sign_in",
    summary = "A patron signs in with card number and PIN",
    description = "Sets the `custodian_patron` cookie and returns the same token for `Authorization: Bearer`. Repeated failures pause sign-in for the card and the client address.",
    params(("library" = String, Path, description = "The library's slug")),
    request_body(content = PatronSignIn, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in", body = PatronSignedIn, example = json!({"token": "cGF0cm9uLXRva2VuLWV4YW1wbGU", "token_type": "Bearer", "expires_at": "2026-03-02T22:05:00.000000Z", "patron_id": 55})),
        (status = 401, description = "Wrong card number or PIN (or no such library)", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "Sign-in paused after repeated failures (Retry-After)", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "Password hashing at capacity (Retry-After), or a dependency is down", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<PatronSignIn>,
) -> ApiResult<HttpResponse> {
    let slug = path.into_inner();
    let PatronSignIn { card_number, pin } = body.into_inner();
    let signed_in = open_patron_session(&state, &req, slug, card_number, pin).await?;
    let hours = i64::from(state.settings.auth.session_hours);
    let cookie = session_cookie(
        COOKIE,
        signed_in.token.clone(),
        hours,
        state.settings.server.cookies_secure(),
    );
    Ok(HttpResponse::Ok().cookie(cookie).json(signed_in))
}

/// Checks a card number and PIN at the library `slug` and opens a session:
/// the one patron sign-in the JSON endpoint and the sign-in page share.
pub(crate) async fn open_patron_session(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    card_number: String,
    pin: String,
) -> ApiResult<PatronSignedIn> {
    let card = match CardNumber::parse(&card_number) {
        Ok(card) if !pin.is_empty() => card,
        Ok(_) | Err(_) => {
            return Err(ApiError::Invalid {
                field: if card_number.trim().is_empty() {
                    "card_number"
                } else {
                    "pin"
                }
                .into(),
                detail: "card number and PIN are both required".into(),
            })
        }
    };
    let attempt = Attempt::new(
        state,
        req,
        "patron",
        &patron_sessions::attempt_key(&slug, &card),
    );
    attempt.check(state).await?;

    let custody = state.custody.clone();
    let hours = i64::from(state.settings.auth.session_hours);
    let outcome = state
        .hashing
        .run(move || {
            let (library, holder) = match patron_sessions::card_holder(&custody, &slug, &card)? {
                CardHolder::NoLibrary => {
                    passwords::check(&pin, None, false);
                    return Ok(None);
                }
                CardHolder::At { library, holder } => (library, holder),
            };
            // One verification whatever the outcome (see `passwords::check`).
            if !passwords::check(&pin, holder.as_ref().map(|(_, h)| h.as_str()), true) {
                return Ok(None);
            }
            let Some((patron, _)) = holder else {
                return Ok(None);
            };
            let (token, hash) = patron_auth::new_token(library);
            let now = Utc::now().naive_utc();
            let expires_at = now + chrono::Duration::hours(hours);
            let who = PatronSelf { library, patron };
            patron_sessions::start(&custody, &who, &hash, now, expires_at)?;
            Ok(Some(PatronSignedIn {
                token,
                token_type: "Bearer",
                expires_at,
                patron_id: patron.0,
            }))
        })
        .await?;
    let Some(signed_in) = outcome else {
        attempt.failed(state).await?;
        return Err(ApiError::BadPatronCredentials);
    };
    attempt.succeeded(state).await?;
    end_earlier_session(state, req).await?;
    Ok(signed_in)
}

/// Ends the patron session a browser's cookie still carries when someone
/// signs in there (see `auth::end_earlier_session`).
async fn end_earlier_session(state: &AppState, req: &HttpRequest) -> ApiResult<()> {
    let Some(old) = req
        .cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() <= 256)
    else {
        return Ok(());
    };
    let Some(library) = patron_auth::token_library(&old) else {
        return Ok(());
    };
    let custody = state.custody.clone();
    let hash = passwords::token_hash(&old);
    let idle = state.settings.auth.idle();
    blocking(move || {
        let now = Utc::now().naive_utc();
        if let Some(patron) = patron_sessions::patron_of(&custody, library, &hash, now, idle)? {
            patron_sessions::end(&custody, &PatronSelf { library, patron }, &hash, now)?;
        }
        Ok(())
    })
    .await
}

/// Ends the patron's session.
#[utoipa::path(post, path = "/api/v1/patron/sign-out", tag = "patron", operation_id = "patron_sign_out",
    summary = "End the patron's session", security(("bearer" = []), ("patron_cookie" = [])),
    responses((status = 204, description = "Signed out; the cookie is removed")))]
pub async fn sign_out(state: web::Data<AppState>, caller: Patron) -> ApiResult<HttpResponse> {
    close_patron_session(&state, &caller).await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(COOKIE))
        .finish())
}

/// Ends the patron's session: the one sign-out the JSON endpoint and the page share.
pub(crate) async fn close_patron_session(state: &AppState, caller: &Patron) -> ApiResult<()> {
    let custody = state.custody.clone();
    let caller = caller.clone();
    blocking(move || {
        let now = Utc::now().naive_utc();
        Ok(patron_sessions::end(
            &custody,
            &caller.own(),
            &caller.token_hash,
            now,
        )?)
    })
    .await?;
    Ok(())
}

/// Patron sign-in's operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(sign_in, sign_out),
    components(schemas(PatronSignIn, PatronSignedIn))
)]
pub struct ApiDoc;

/// Registers the patron's sign-in and sign-out under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patron/sign-in", post => sign_in))
        .service(resource!("/patron/sign-out", post => sign_out));
}
