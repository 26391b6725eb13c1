//! Sign-in, sign-out, and who am I.

use super::blocking;
use crate::auth::{Caller, COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::passwords;
use crate::state::AppState;
use crate::throttle;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use custody::accounts::{self, Me};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `POST /api/v1/auth/sign-in`
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"email": "admin.riverbend@demo.custodian.test", "password": "correct horse battery staple"}))]
pub struct SignIn {
    /// The account's sign-in address.
    #[schema(min_length = 1, max_length = 254, pattern = "\\S")]
    email: String,
    /// Its password.
    #[schema(min_length = 1, max_length = 1000)]
    password: String,
    /// The slug of the library to sign in to, needed only when the email and
    /// password open accounts of more than one library.
    #[serde(default)]
    library: Option<String>,
}

/// A staff session just opened: the token, when it ends, and who it is for.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SignedIn {
    /// The session token, for `Authorization: Bearer` (the cookie carries the same).
    pub(crate) token: String,
    /// Always `Bearer`.
    #[schema(value_type = String, example = "Bearer")]
    token_type: &'static str,
    /// When the session ends (RFC 3339, UTC).
    #[serde(with = "accounts::rfc3339")]
    expires_at: NaiveDateTime,
    /// Who signed in.
    pub(crate) account: Me,
}

/// One sign-in attempt's failure counters: its subject's (an account, or a
/// library card) and its client address's, with the limits from `[auth]`.
pub(crate) struct Attempt {
    subject_key: String,
    address_key: String,
    window: Duration,
    kind: &'static str,
}

impl Attempt {
    /// Counters for `subject` of `kind` (`account` or `patron`) from this request's client.
    pub(crate) fn new(state: &AppState, req: &HttpRequest, kind: &str, subject: &str) -> Self {
        // X-Forwarded-For only as far as trusted proxies wrote it: any client can forge it.
        let address = crate::client_ip::of_request(req, &state.trusted_proxies);
        Attempt {
            subject_key: throttle::key(kind, subject),
            address_key: throttle::key("address", &address),
            window: Duration::from_secs(state.settings.auth.failure_window_secs),
            kind: if kind == "patron" {
                "patron"
            } else {
                "account"
            },
        }
    }

    /// Refuses the attempt while either counter is at its limit.
    pub(crate) async fn check(&self, state: &AppState) -> ApiResult<()> {
        let auth = &state.settings.auth;
        let mut wait = None;
        for (key, limit) in [
            (&self.subject_key, auth.failures_per_account),
            (&self.address_key, auth.failures_per_address),
        ] {
            let blocked = state
                .throttle
                .blocked(key, limit, self.window)
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            wait = wait.max(blocked);
        }
        match wait {
            Some(d) => {
                crate::metrics::sign_in_refused(self.kind, true);
                Err(ApiError::Throttled {
                    retry_after_secs: d.as_secs().max(1),
                })
            }
            None => Ok(()),
        }
    }

    /// Counts a failure against both.
    pub(crate) async fn failed(&self, state: &AppState) -> ApiResult<()> {
        crate::metrics::sign_in_refused(self.kind, false);
        for key in [&self.subject_key, &self.address_key] {
            state
                .throttle
                .record_failure(key, self.window)
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        }
        Ok(())
    }

    /// Forgets the subject's failures (the address keeps its count).
    pub(crate) async fn succeeded(&self, state: &AppState) -> ApiResult<()> {
        state
            .throttle
            .clear(&self.subject_key)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))
    }
}

/// A session cookie: HttpOnly, SameSite=Strict, Secure behind TLS.
pub(crate) fn session_cookie(
    name: &'static str,
    token: String,
    hours: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::hours(hours))
        .finish()
}

/// A cookie that removes the session cookie `name` from the browser.
pub(crate) fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut gone = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    gone
}

/// Hash verifications every staff sign-in costs at least: an address with no
/// account, one, or accounts in two libraries take the same time; one with
/// more takes longer (about 20 ms a hash), a leak accepted for a rare case.
const SIGN_IN_VERIFICATIONS: usize = 2;

/// Signs in with email and password; sets the session cookie and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", operation_id = "staff_sign_in",
    summary = "Sign in with email and password",
    description = "Sets the `custodian_session` cookie and returns the same token for `Authorization: Bearer`. Repeated failures pause sign-in for the account and the client address.",
    request_body(content = SignIn, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in", body = SignedIn, example = json!({"token": "c2Vzc2lvbi10b2tlbi1leGFtcGxl", "token_type": "Bearer", "expires_at": "2026-03-02T22:05:00.000000Z", "account": {"id": 3, "email": "admin.riverbend@demo.custodian.test", "display_name": "Riverbend Admin", "is_director": false, "libraries": [{"slug": "riverbend", "name": "Riverbend Public Library", "role": "admin"}]}})),
        (status = 400, description = "Email or password missing, or more than one library matches without `library`", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Sign-in paused after repeated failures (Retry-After)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Password hashing at capacity (Retry-After), or a dependency is down", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignIn>,
) -> ApiResult<HttpResponse> {
    let SignIn {
        email,
        password,
        library,
    } = body.into_inner();
    let signed_in = open_staff_session(&state, &req, email, password, library).await?;
    let hours = i64::from(state.settings.auth.session_hours);
    let cookie = session_cookie(
        COOKIE,
        signed_in.token.clone(),
        hours,
        state.settings.server.cookies_secure(),
    );
    Ok(HttpResponse::Ok().cookie(cookie).json(signed_in))
}

/// Checks an email and password and opens a session: the one sign-in the
/// JSON endpoint and the sign-in page share (throttling, timing, refusals).
pub(crate) async fn open_staff_session(
    state: &AppState,
    req: &HttpRequest,
    email: String,
    password: String,
    library: Option<String>,
) -> ApiResult<SignedIn> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(ApiError::Invalid {
            field: if email.trim().is_empty() {
                "email"
            } else {
                "password"
            }
            .into(),
            detail: "email and password are both required".into(),
        });
    }
    let attempt = Attempt::new(state, req, "account", &accounts::normalize_email(&email));
    attempt.check(state).await?;

    let store = state.store.clone();
    let hours = i64::from(state.settings.auth.session_hours);
    let outcome = state.hashing.run(move || {
        let found = accounts::sign_in_candidates(&store, &email, library.as_deref())?;
        // The time a sign-in takes must not tell how many libraries have an
        // account with this address (adding staff does not tell either), so
        // every sign-in verifies at least SIGN_IN_VERIFICATIONS hashes, dummies
        // making up the difference.
        for _ in found.len()..SIGN_IN_VERIFICATIONS {
            passwords::verify_dummy(&password);
        }
        let mut matching: Vec<_> = found
            .into_iter()
            .filter(|a| passwords::verify(&password, &a.password_hash) && !a.disabled)
            .collect();
        if matching.len() > 1 {
            return Err(ApiError::Invalid {
                field: "library".into(),
                detail: "this email and password open accounts in more than one library; send \"library\" with the slug of the library to sign in to".into(),
            });
        }
        let Some(account) = matching.pop() else {
            return Ok(None);
        };
        let (token, hash) = passwords::new_token();
        let now = Utc::now().naive_utc();
        let expires_at = now + chrono::Duration::hours(hours);
        let me = accounts::open_session(&store, &account, &hash, now, expires_at)?;
        Ok(Some(SignedIn {
            token,
            token_type: "Bearer",
            expires_at,
            account: me,
        }))
    })
    .await?;

    let Some(signed_in) = outcome else {
        attempt.failed(state).await?;
        tracing::info!("sign-in refused");
        return Err(ApiError::BadCredentials);
    };
    attempt.succeeded(state).await?;
    end_earlier_session(state, req).await?;
    tracing::info!(account = signed_in.account.id, "signed in");
    Ok(signed_in)
}

/// Ends the session a browser's cookie still carries when someone signs in
/// there: the new session gets a fresh token (a value set before sign-in is
/// never adopted), and the one before it, perhaps someone else's on a shared
/// computer, does not live on beside it.
async fn end_earlier_session(state: &AppState, req: &HttpRequest) -> ApiResult<()> {
    let Some(old) = req
        .cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 256)
    else {
        return Ok(());
    };
    let store = state.store.clone();
    let hash = passwords::token_hash(&old);
    blocking(move || {
        Ok(accounts::close_session(
            &store,
            &hash,
            Utc::now().naive_utc(),
        )?)
    })
    .await
}

/// Revokes the session or token this request carries and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", operation_id = "staff_sign_out",
    summary = "End this session",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Signed out; the cookie is removed")))]
pub async fn sign_out(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    close_staff_session(&state, &caller).await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(COOKIE))
        .finish())
}

/// Ends the caller's session: the one sign-out the JSON endpoint and the page share.
pub(crate) async fn close_staff_session(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let store = state.store.clone();
    let hash = caller.token_hash.clone();
    blocking(move || {
        let now = Utc::now().naive_utc();
        Ok(accounts::close_session(&store, &hash, now)?)
    })
    .await?;
    tracing::info!(account = caller.id.0, "signed out");
    Ok(())
}

/// The signed-in account and the libraries it works in.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", operation_id = "staff_whoami",
    summary = "Who am I",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The signed-in account", body = Me, example = json!({"id": 3, "email": "admin.riverbend@demo.custodian.test", "display_name": "Riverbend Admin", "is_director": false, "libraries": [{"slug": "riverbend", "name": "Riverbend Public Library", "role": "admin"}]}))))]
pub async fn whoami(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = state.store.clone();
    let me = blocking(move || Ok(accounts::whoami(&store, caller.id)?)).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Staff sign-in's operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(sign_in, sign_out, whoami),
    components(schemas(SignIn, SignedIn, Me, custody::accounts::Membership))
)]
pub struct ApiDoc;

/// Registers staff sign-in, sign-out and who-am-I under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/auth/sign-in", post => sign_in))
        .service(resource!("/auth/sign-out", post => sign_out))
        .service(resource!("/auth/me", get => whoami));
}
