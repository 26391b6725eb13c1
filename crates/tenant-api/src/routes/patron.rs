//! Patron self-service: `/api/v1/libraries/{library}/patron/sign-in` and `/api/v1/patron/...`.

use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::patron_auth::{self, PatronCaller, COOKIE};
use crate::state::AppState;
use crate::throttle;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
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
    let auth = &state.settings.auth;
    let window = Duration::from_secs(auth.failure_window_secs);
    let card_key = throttle::key(
        "patron",
        &format!("{slug}:{}", card_number.replace([' ', '-'], "")),
    );
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let address_key = throttle::key("address", &address);
    let mut wait = None;
    for (key, limit) in [
        (&card_key, auth.failures_per_account),
        (&address_key, auth.failures_per_address),
    ] {
        let blocked = state
            .throttle
            .blocked(key, limit, window)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        wait = wait.max(blocked);
    }
    if let Some(d) = wait {
        return Err(ApiError::Throttled {
            retry_after_secs: d.as_secs().max(1),
        });
    }

    let store = state.store.clone();
    let keys = state.keys.clone();
    let hours = i64::from(auth.session_hours);
    let outcome = blocking(move || {
        let library = match store.consortium(Access::Read, |c| libraries::by_slug(c, &slug)) {
            Ok(l) => l,
            Err(StoreError::NotFound) => {
                passwords::verify_dummy(&pin);
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
        let patron = match found {
            Some((id, hash)) if passwords::verify(&pin, &hash) => id,
            Some(_) => return Ok(None),
            None => {
                passwords::verify_dummy(&pin);
                return Ok(None);
            }
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
        for key in [&card_key, &address_key] {
            state
                .throttle
                .record_failure(key, window)
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        }
        return Err(ApiError::BadPatronCredentials);
    };
    state
        .throttle
        .clear(&card_key)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let cookie = Cookie::build(COOKIE, signed_in.token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.server.secure_cookies)
        .max_age(CookieDuration::hours(hours))
        .finish();
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
    let mut gone = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}
