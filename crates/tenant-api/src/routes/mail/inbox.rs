//! The director's inbox and triage: emailed requests for the consortium's
//! office, and those whose library could not be told.

use super::queue::{
    get_in, list_in, raw_in, reply_in, update_in, ChangeBody, ListQuery, ReplyBody,
};
use super::MailDirector;
use crate::error::ApiResult;
use crate::guards::DirectorAt;
#[allow(unused_imports)]
use crate::routes::Paged;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use notifier::requests::{MailRequestId, DIRECTOR_SCOPE};

/// The director's queues.
pub(crate) const DIRECTOR_QUEUES: [&str; 2] = ["inbox", "triage"];

/// `GET /api/v1/director/requests`
#[utoipa::path(get, path = "/api/v1/director/requests", tag = "mail", operation_id = "list_director_requests",
    summary = "The director's emailed requests (inbox and triage)", security(("bearer" = []), ("session_cookie" = [])), params(("queue" = Option<String>, Query, description = "Only this queue"), ("status" = Option<String>, Query, description = "`open`, or a comma-separated list of received, awaiting_confirmation, in_progress, done, rejected, lapsed"), ("due" = Option<String>, Query, description = "overdue, week or any"), ("order" = Option<String>, Query, description = "newest or overdue_first"), ("limit" = Option<String>, Query, description = "How many items, 1 to 200 (default 50)"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page")),
    responses((status = 200, description = "A page of requests", body = Paged<notifier::requests::MailRequest>)))]
pub async fn director_list(
    state: web::Data<AppState>,
    _director: MailDirector,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    list_in(&state, DIRECTOR_SCOPE, &q, &DIRECTOR_QUEUES).await
}

/// `GET /api/v1/director/requests/{id}`
#[utoipa::path(get, path = "/api/v1/director/requests/{id}", tag = "mail", operation_id = "get_director_request",
    summary = "One request with its history", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = notifier::requests::RequestDetail, example = json!({"id": 17, "queue": "inbox", "kind": "correct", "reason": "asks to correct an address", "status": "received", "owner_id": null, "due_at": "2026-03-30T23:59:59.000000Z", "sender": "reader@demo.custodian.test", "reply_to": null, "source": "email", "patron_id": null, "subject": "Please correct my address", "body": "My address changed.", "attachments": [], "confirm_expires_at": null, "reminded_at": null, "confirmed_at": null, "received_at": "2026-03-02T09:00:00.000000Z", "updated_at": "2026-03-02T09:00:00.000000Z", "history": []}))))]
pub async fn director_get(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    get_in(&state, DIRECTOR_SCOPE, id.into_inner(), director.0.id).await
}

/// `GET /api/v1/director/requests/{id}/message`
#[utoipa::path(get, path = "/api/v1/director/requests/{id}/message", tag = "mail", operation_id = "get_director_request_message",
    summary = "The request as it arrived (RFC 5322)", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The message", body = String, content_type = "message/rfc822")))]
pub async fn director_raw(
    state: web::Data<AppState>,
    DirectorAt(director, _): MailDirector,
    id: web::Path<MailRequestId>,
) -> ApiResult<HttpResponse> {
    raw_in(&state, DIRECTOR_SCOPE, id.into_inner(), director.0.id).await
}

/// `PATCH /api/v1/director/requests/{id}`
#[utoipa::path(patch, path = "/api/v1/director/requests/{id}", tag = "mail", operation_id = "update_director_request",
    summary = "Change a request's status, owner, due date; add a note", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The request's id")), request_body(content = super::queue::ChangeBody, content_type = "application/json"),
    responses((status = 200, description = "The request now", body = notifier::requests::RequestDetail), (status = 409, description = "The request cannot move to that status", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
#[utoipa::path(post, path = "/api/v1/director/requests/{id}/replies", tag = "mail", operation_id = "reply_director_request",
    summary = "Reply to the requester by email", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The request's id")), request_body(content = super::queue::ReplyBody, content_type = "application/json"),
    responses((status = 201, description = "Replied; the request now", body = notifier::requests::RequestDetail), (status = 409, description = "The request is closed", body = crate::openapi::Problem, content_type = "application/problem+json")))]
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
