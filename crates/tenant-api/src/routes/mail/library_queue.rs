//! A member library's queue: the emailed requests routed to it and those its
//! patrons filed in the portal, worked by its staff. Every reading and
//! change is recorded in the library's audit log by the mailroom.

use super::queue::{
    get_in, list_in, raw_in, reply_in, update_in, ChangeBody, ListQuery, ReplyBody,
};
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
#[allow(unused_imports)]
use crate::routes::Paged;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use notifier::requests::MailRequestId;

/// A library's queue.
pub(crate) const LIBRARY_QUEUES: [&str; 1] = ["library"];

/// `GET /api/v1/libraries/{library}/requests`
#[utoipa::path(get, path = "/api/v1/libraries/{library}/requests", tag = "mail", operation_id = "list_library_requests",
    summary = "The library's emailed requests", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug"), ("queue" = Option<String>, Query, description = "Only this queue"), ("status" = Option<String>, Query, description = "`open`, or a comma-separated list of received, awaiting_confirmation, in_progress, done, rejected, lapsed"), ("due" = Option<String>, Query, description = "overdue, week or any"), ("order" = Option<String>, Query, description = "newest or overdue_first"), ("limit" = Option<String>, Query, description = "How many items, 1 to 200 (default 50)"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page")),
    responses((status = 200, description = "A page of requests", body = Paged<notifier::requests::MailRequest>)))]
pub async fn library_list(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, staff.library.id, &q, &LIBRARY_QUEUES).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}`
#[utoipa::path(get, path = "/api/v1/libraries/{library}/requests/{id}", tag = "mail", operation_id = "get_library_request",
    summary = "One request with its history", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug"), ("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = notifier::requests::RequestDetail)))]
pub async fn library_get(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    get_in(&state, staff.library.id, id, staff.caller.id).await
}

/// `GET /api/v1/libraries/{library}/requests/{id}/message`
#[utoipa::path(get, path = "/api/v1/libraries/{library}/requests/{id}/message", tag = "mail", operation_id = "get_library_request_message",
    summary = "The request as it arrived (RFC 5322)", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug"), ("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The message", body = String, content_type = "message/rfc822")))]
pub async fn library_raw(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    raw_in(&state, staff.library.id, id, staff.caller.id).await
}

/// `PATCH /api/v1/libraries/{library}/requests/{id}`
#[utoipa::path(patch, path = "/api/v1/libraries/{library}/requests/{id}", tag = "mail", operation_id = "update_library_request",
    summary = "Change a request's status, owner, due date; add a note", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug"), ("id" = i64, Path, description = "The request's id")), request_body(content = super::queue::ChangeBody, content_type = "application/json"),
    responses((status = 200, description = "The request now", body = notifier::requests::RequestDetail), (status = 409, description = "The request cannot move to that status", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[utoipa::path(post, path = "/api/v1/libraries/{library}/requests/{id}/replies", tag = "mail", operation_id = "reply_library_request",
    summary = "Reply to the requester by email", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug"), ("id" = i64, Path, description = "The request's id")), request_body(content = super::queue::ReplyBody, content_type = "application/json"),
    responses((status = 201, description = "Replied; the request now", body = notifier::requests::RequestDetail), (status = 409, description = "The request is closed", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
