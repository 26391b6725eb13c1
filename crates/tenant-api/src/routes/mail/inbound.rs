//! The mail gateway's door: one raw message in, and the director's ledger of
//! every message taken in and where it went.

use super::{now, one_of, MailDirector};
use crate::error::{ApiError, ApiResult};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use notifier::requests::Channel;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Compares the gateway's token without leaking its length or prefix through timing.
fn token_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `POST /api/v1/director/inbound-mail`: one raw RFC 5322 message from the
/// mail gateway, authenticated by `mail.inbound_token`. Answers only after
/// the message is stored, so a gateway that gets no 2xx keeps it and retries.
#[utoipa::path(post, path = "/api/v1/director/inbound-mail", tag = "mail", operation_id = "inbound_mail",
    summary = "The mail gateway hands over one raw message",
    description = "Answers only after the message is stored, so a gateway that gets no 2xx keeps it and retries. 404 while `mail.inbound_token` is not set.",
    security(("mail_gateway" = [])),
    request_body(content = String, content_type = "message/rfc822", description = "One RFC 5322 message"),
    responses(
        (status = 201, description = "Taken in", body = notifier::requests::Ingested, example = json!({"outcome": "request", "kind": "correct", "route": "director", "libraries": [], "reason": "asks to correct an address"})),
        (status = 200, description = "A message with this Message-ID was taken in before", body = notifier::requests::Ingested),
        (status = 404, description = "Inbound mail is not enabled (no mail.inbound_token)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The message is larger than mail.inbound_max_bytes", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not an email message", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn inbound(
    state: web::Data<AppState>,
    req: HttpRequest,
    mut body: web::Payload,
) -> ApiResult<HttpResponse> {
    let Some(expected) = state.settings.mail.inbound_token.as_ref() else {
        return Err(ApiError::NotFound);
    };
    let presented = crate::auth::bearer(&req).flatten().unwrap_or_default();
    if presented.is_empty() || !token_matches(&presented, expected.expose()) {
        return Err(ApiError::Unauthenticated);
    }
    let max = state.settings.mail.inbound_max_bytes;
    let mut raw = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::Body(e.to_string()))?;
        if raw.len() + chunk.len() > max {
            return Err(ApiError::TooLarge(format!(
                "the message is larger than mail.inbound_max_bytes ({max} bytes)"
            )));
        }
        raw.extend_from_slice(&chunk);
    }
    let room = state.mailroom.clone();
    let outcome = blocking(move || Ok(room.ingest(&raw, Channel::Gateway, now())?)).await?;
    let status = if outcome.outcome == "duplicate" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(outcome))
}

/// `?route=&limit=&cursor=`
#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    /// director, library or triage.
    pub route: Option<String>,
    /// The page.
    #[serde(flatten)]
    pub page: PageQuery,
}

/// A page of the inbound ledger: the JSON list and the ledger's page read it.
pub(crate) async fn ledger_page(
    state: &AppState,
    q: &LedgerQuery,
) -> ApiResult<Paged<notifier::Logged>> {
    let page = q.page.parse()?;
    let route = one_of(
        "route",
        q.route.as_deref(),
        &["director", "library", "triage"],
    )?;
    let room = state.mailroom.clone();
    let (limit, before) = (page.limit, page.after);
    let items = blocking(move || Ok(room.ledger(route.as_deref(), before, limit)?)).await?;
    Ok(Paged::new(items, &page, |l| l.id))
}

/// `GET /api/v1/director/inbound-mail`: every message taken in and where it
/// went; for a patron's request only the library, never what they wrote.
#[utoipa::path(get, path = "/api/v1/director/inbound-mail", tag = "mail", operation_id = "inbound_ledger",
    summary = "Every message taken in and where it went", security(("bearer" = []), ("session_cookie" = [])),
    params(("route" = Option<String>, Query, description = "director, library or triage"), ("limit" = Option<String>, Query, description = "How many items, 1 to 200 (default 50)"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page")),
    responses((status = 200, description = "A page of the ledger", body = Paged<notifier::Logged>)))]
pub async fn ledger(
    state: web::Data<AppState>,
    _director: MailDirector,
    q: web::Query<LedgerQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ledger_page(&state, &q).await?))
}

/// Registers the gateway's endpoint and the ledger under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/inbound-mail", post => inbound, get => ledger));
}
