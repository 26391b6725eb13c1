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
#[derive(Deserialize)]
pub struct PatronSignIn {
    card_number: String,
    pin: String,
}

/// A patron session just opened.
#[derive(Serialize)]
pub(crate) struct PatronSignedIn {
    pub(crate) token: String,
    token_type: &'static str,
    #[serde(with = "custody::patron_sessions::rfc3339")]
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

/// Registers the patron's sign-in and sign-out under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patron/sign-in", post => sign_in))
        .service(resource!("/patron/sign-out", post => sign_out));
}
