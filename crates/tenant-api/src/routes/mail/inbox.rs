//! The director's inbox and triage: emailed requests for the consortium's
//! office, and those whose library could not be told.

use super::queue::{
    get_in, list_in, raw_in, reply_in, update_in, ChangeBody, ListQuery, ReplyBody,
};
use super::MailDirector;
use crate::error::ApiResult;
use crate::guards::DirectorAt;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use notifier::requests::{MailRequestId, DIRECTOR_SCOPE};

/// The director's queues.
pub(crate) const DIRECTOR_QUEUES: [&str; 2] = ["inbox", "triage"];

/// `GET /api/v1/director/requests`
pub async fn director_list(
    state: web::Data<AppState>,
    _director: MailDirector,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, DIRECTOR_SCOPE, &q, &DIRECTOR_QUEUES).await
}

/// `GET /api/v1/director/requests/{id}`
pub async fn director_get(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    get_in(&state, DIRECTOR_SCOPE, id.into_inner(), director.0.id).await
}

/// `GET /api/v1/director/requests/{id}/message`
pub async fn director_raw(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    raw_in(&state, DIRECTOR_SCOPE, id.into_inner(), director.0.id).await
}

/// `PATCH /api/v1/director/requests/{id}`
pub async fn director_update(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    update_in(&state, DIRECTOR_SCOPE, id, director.0.id, body.into_inner()).await
}

/// `POST /api/v1/director/requests/{id}/replies`
pub async fn director_reply(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    reply_in(&state, DIRECTOR_SCOPE, id, director.0.id, body.into_inner()).await
}

/// Registers the director's inbox under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/requests", get => director_list))
        .service(
            resource!("/director/requests/{id}", get => director_get, patch => director_update),
        )
        .service(resource!("/director/requests/{id}/message", get => director_raw))
        .service(resource!("/director/requests/{id}/replies", post => director_reply));
}
