//! The director's view of the outbox: queued, sent and dead messages, and
//! putting a dead one back in the queue.

use super::{now, one_of, MailDirector};
use crate::error::ApiResult;
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// `?status=&limit=&cursor=`
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    /// pending, sending, sent or dead.
    pub status: Option<String>,
    /// The page.
    #[serde(flatten)]
    pub page: PageQuery,
}

/// A page of the outbox: the JSON list and the dead letters' page read it.
pub(crate) async fn outbox_page(
    state: &AppState,
    q: &OutboxQuery,
) -> ApiResult<Paged<notifier::OutboxLetter>> {
    let page = q.page.parse()?;
    let status = one_of(
        "status",
        q.status.as_deref(),
        &["pending", "sending", "sent", "dead", "expired"],
    )?;
    let room = state.mailroom.clone();
    let (limit, before) = (page.limit, page.after);
    let items = blocking(move || Ok(room.outbox(status.as_deref(), before, limit)?)).await?;
    Ok(Paged::new(items, &page, |m| m.id))
}

/// Puts a dead letter back in the queue: the JSON retry and the page's button.
pub(crate) async fn retry_letter(state: &AppState, id: i64) -> ApiResult<notifier::OutboxLetter> {
    let room = state.mailroom.clone();
    blocking(move || Ok(room.retry(id, now())?)).await
}

/// `GET /api/v1/director/outbox`: queued, sent and dead messages (masked recipients, no content).
#[utoipa::path(get, path = "/api/v1/director/outbox", tag = "mail", operation_id = "list_outbox",
    summary = "Outgoing mail, newest first; recipients masked", security(("bearer" = []), ("session_cookie" = [])),
    params(("status" = Option<String>, Query, description = "pending, sending, sent, dead or expired"), ("limit" = Option<String>, Query, description = "How many items, 1 to 200 (default 50)"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page")),
    responses((status = 200, description = "A page of letters", body = Paged<notifier::OutboxLetter>, example = json!({"items": [{"id": 5, "library_id": 0, "message_id": "<5.outbox@demo.custodian.test>", "template": "request_received", "recipient_hint": "r…@demo.custodian.test", "status": "sent", "attempts": 1, "next_attempt_at": "2026-03-02T09:00:00.000000Z", "last_error": null, "created_at": "2026-03-02T09:00:00.000000Z", "sent_at": "2026-03-02T09:00:01.000000Z"}], "next_cursor": null}))))]
pub async fn outbox(
    state: web::Data<AppState>,
    _director: MailDirector,
    q: web::Query<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(outbox_page(&state, &q).await?))
}

/// `POST /api/v1/director/outbox/{id}/retry`: a dead message goes back in the queue.
#[utoipa::path(post, path = "/api/v1/director/outbox/{id}/retry", tag = "mail", operation_id = "retry_outbox_letter",
    summary = "Send a dead or expired letter again", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The letter's id")),
    responses((status = 200, description = "The letter, queued again", body = notifier::OutboxLetter), (status = 409, description = "The letter cannot be retried in its state", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn retry(
    state: web::Data<AppState>,
    _director: MailDirector,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(retry_letter(&state, id.into_inner()).await?))
}

/// Registers the outbox under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/outbox", get => outbox))
        .service(resource!("/director/outbox/{id}/retry", post => retry));
}
