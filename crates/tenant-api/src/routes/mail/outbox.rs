//! The director's view of the outbox: queued, sent and dead messages, and
//! putting a dead one back in the queue.

use super::{now, one_of, MailDirector};
use crate::error::ApiResult;
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// `?status=&limit=&cursor=`
#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /api/v1/director/outbox`: queued, sent and dead messages (masked recipients, no content).
pub async fn outbox(
    state: web::Data<AppState>,
    _director: MailDirector,
    q: web::Query<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.page.parse()?;
    let status = one_of(
        "status",
        q.status.as_deref(),
        &["pending", "sending", "sent", "dead"],
    )?;
    let room = state.mailroom.clone();
    let (limit, before) = (page.limit, page.after);
    let items = blocking(move || Ok(room.outbox(status.as_deref(), before, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |m| m.id)))
}

/// `POST /api/v1/director/outbox/{id}/retry`: a dead message goes back in the queue.
pub async fn retry(
    state: web::Data<AppState>,
    _director: MailDirector,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let room = state.mailroom.clone();
    let id = id.into_inner();
    let summary = blocking(move || Ok(room.retry(id, now())?)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Registers the outbox under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/outbox", get => outbox))
        .service(resource!("/director/outbox/{id}/retry", post => retry));
}
