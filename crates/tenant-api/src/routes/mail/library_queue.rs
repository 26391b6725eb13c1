//! A member library's queue: the emailed requests routed to it and those its
//! patrons filed in the portal, worked by its staff. Every reading and
//! change is recorded in the library's audit log by the mailroom.

use super::queue::{
    get_in, list_in, raw_in, reply_in, update_in, ChangeBody, ListQuery, ReplyBody,
};
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use notifier::requests::MailRequestId;

/// A library's queue.
pub(crate) const LIBRARY_QUEUES: [&str; 1] = ["library"];

/// `GET /api/v1/libraries/{library}/requests`
pub async fn library_list(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, staff.library.id, &q, &LIBRARY_QUEUES).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}`
pub async fn library_get(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    get_in(&state, staff.library.id, id, staff.caller.id).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}/message`
pub async fn library_raw(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    raw_in(&state, staff.library.id, id, staff.caller.id).await
}

/// `PATCH /api/v1/libraries/{library}/requests/{id}`
pub async fn library_update(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    update_in(
        &state,
        staff.library.id,
        id,
        staff.caller.id,
        body.into_inner(),
    )
    .await
}

/// `POST /api/v1/libraries/{library}/requests/{id}/replies`
pub async fn library_reply(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    reply_in(
        &state,
        staff.library.id,
        id,
        staff.caller.id,
        body.into_inner(),
    )
    .await
}

/// Registers each library's queue under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/requests", get => library_list))
        .service(resource!("/libraries/{library}/requests/{id}", get => library_get, patch => library_update))
        .service(resource!("/libraries/{library}/requests/{id}/message", get => library_raw))
        .service(resource!("/libraries/{library}/requests/{id}/replies", post => library_reply));
}
