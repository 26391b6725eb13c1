//! The vendors' own endpoint: `POST /api/v1/vendor/patron-status` with
//! `Authorization: Bearer cvk_….SECRET`, answered by the same
//! `custody::vendors::patron_status` as SIP2.
//!
//! Throttled like patron sign-in: failed keys per key id and client address,
//! wrong PINs per card and address, with `[auth]`'s limits (a 429 carries
//! Retry-After). Only failures count, so a vendor checking valid cards at
//! any rate is never throttled.
use super::auth::Attempt;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use custody::vendors::{self, PatronStatus};
use custody::CustodyError;
use serde::Deserialize;

/// `{card_number, pin?}`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"card_number": "29000000000001", "pin": "0000"}))]
pub struct StatusQuery {
    /// The card to check, spaces and dashes allowed.
    card_number: String,
    /// The patron's PIN, when the vendor checks it too.
    #[serde(default)]
    pin: Option<String>,
}

/// The vendor endpoint of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(patron_status), components(schemas(StatusQuery, PatronStatus)))]
pub struct ApiDoc;

/// A patron's status as the key's contract grants it.
#[utoipa::path(post, path = "/api/v1/vendor/patron-status", tag = "vendor-api",
    operation_id = "vendor_patron_status", request_body = StatusQuery,
    responses(
        (status = 200, description = "The patron's status, only the fields the contract grants (`Cache-Control: no-store`)", body = PatronStatus),
        (status = 400, description = "`card_number` is missing or empty", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "The key is missing, unknown, revoked, or its contract is not running", body = crate::openapi::Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 429, description = "Too many failed keys or PINs from this address", body = crate::openapi::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Password hashing is at capacity (a PIN was given), or the database is not answering", body = crate::openapi::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait, when hashing is at capacity"))),
    ),
    security(("vendor_key" = [])))]
pub async fn patron_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<StatusQuery>,
) -> ApiResult<HttpResponse> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let Some((key_id, secret)) = vendors::split_key(&presented) else {
        return Err(ApiError::VendorKeyInvalid);
    };
    let (key_id, secret) = (key_id.to_owned(), secret.to_owned());
    let StatusQuery { card_number, pin } = body.into_inner();
    if card_number.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "card_number".into(),
            detail: "give the card number to check".into(),
        });
    }
    let key_attempt = Attempt::new(&state, &req, "vendor-key", &key_id);
    key_attempt.check(&state).await?;
    let card_attempt = Attempt::new(
        &state,
        &req,
        "vendor-card",
        &format!("{key_id}:{}", store_card(&card_number)),
    );
    card_attempt.check(&state).await?;

    let custody = state.custody.clone();
    let with_pin = pin.is_some();
    let check = move || check(&custody, &key_id, &secret, &card_number, pin.as_deref());
    // A PIN costs an argon2id verification: it waits for the hashing pool like sign-in.
    let outcome = if with_pin {
        state.hashing.run(check).await?
    } else {
        super::blocking(check).await?
    };
    let status = match outcome {
        Ok(s) => s,
        Err(e) => {
            key_attempt.failed(&state).await?;
            return Err(e.into());
        }
    };
    if with_pin && !status.valid {
        card_attempt.failed(&state).await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(status))
}

type Checked = Result<vendors::PatronStatus, CustodyError>;

// The key's refusal is returned as a value, for the throttle to count it.
fn check(
    custody: &custody::Custody,
    key_id: &str,
    secret: &str,
    card: &str,
    pin: Option<&str>,
) -> ApiResult<Checked> {
    let caller = match vendors::authenticate(custody, key_id, secret) {
        Ok(c) => c,
        Err(e @ (CustodyError::VendorKeyInvalid | CustodyError::ContractNotRunning(_))) => {
            return Ok(Err(e))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Ok(vendors::patron_status(custody, &caller, card, pin)?))
}

// Counted under the card however it was typed.
fn store_card(card: &str) -> String {
    card.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Registers the vendor endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/vendor/patron-status", post => patron_status));
}
