//! Changes to the directory: a library's admins read their entry and propose
//! changes; the consortium director works the queue, approves or rejects,
//! and reads an entry's history.

use super::entry_id;
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::guards::{DirectorAt, Moderation};
use crate::routes::{Page, PageQuery, Paged};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use directory::moderation::Patch;
use policy::directory::{decide_entry, DirectoryDecision, EntryAction};
use serde::Deserialize;

/// The director at the directory's moderation queue.
pub type Moderator = DirectorAt<Moderation>;

fn entry_decision(access: &LibraryAccess, action: EntryAction) -> ApiResult<()> {
    match decide_entry(access.standing, action) {
        DirectoryDecision::Allow => Ok(()),
        DirectoryDecision::Forbidden(why) => Err(ApiError::Forbidden(why)),
        DirectoryDecision::Hidden => Err(ApiError::NotFound),
    }
}

/// `GET /api/v1/libraries/{library}/directory-entry`: the library's entry and its pending changes.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/directory-entry", tag = "moderation", operation_id = "own_directory_entry",
    summary = "The library's own directory entry and its pending change (library admin)", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug")),
    responses((status = 200, description = "The entry", body = Object)))]
pub async fn own_entry(
    state: web::Data<AppState>,
    access: LibraryAccess,
) -> ApiResult<HttpResponse> {
    entry_decision(&access, EntryAction::View)?;
    let own = state.directory.own_entry(access.library).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(own))
}

/// `POST /api/v1/libraries/{library}/directory-entry/changes`: propose a change for approval.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/directory-entry/changes", tag = "moderation", operation_id = "submit_directory_change",
    summary = "Submit a change to the library's entry for the director's approval", security(("bearer" = []), ("session_cookie" = [])), params(("library" = String, Path, description = "The library's slug")), request_body(content = directory::moderation::Patch, content_type = "application/json", description = "The fields to change"),
    responses((status = 202, description = "Submitted; waiting for approval", body = Object), (status = 409, description = "A change is already pending", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn submit_change(
    state: web::Data<AppState>,
    access: LibraryAccess,
    body: web::Json<Patch>,
) -> ApiResult<HttpResponse> {
    entry_decision(&access, EntryAction::Submit)?;
    let change = state
        .directory
        .submit(access.library, access.caller.id, body.into_inner())
        .await?;
    Ok(HttpResponse::Accepted().json(change))
}

/// `?status=&limit=&cursor=` on the moderation queue.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// pending (default), approved, rejected or all.
    pub status: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `GET /api/v1/directory/changes`: the director's queue.
#[utoipa::path(get, path = "/api/v1/directory/changes", tag = "moderation", operation_id = "list_directory_changes",
    summary = "The director's moderation queue", security(("bearer" = []), ("session_cookie" = [])), params(ChangesQuery),
    responses((status = 200, description = "A page of changes", body = Object)))]
pub async fn list_changes(
    state: web::Data<AppState>,
    _: Moderator,
    query: web::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None | Some("pending") => Some("pending".to_owned()),
        Some("all") => None,
        Some(s @ ("approved" | "rejected")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::Invalid {
                field: "status".into(),
                detail: format!("status must be pending, approved, rejected or all, got {other:?}"),
            })
        }
    };
    let page: Page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .parse()?;
    let items = state
        .directory
        .changes(status, page.after, page.limit)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(Paged::new(items, &page, |c| c.id)))
}

/// The director's decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why; required to reject.
    pub reason: Option<String>,
}

/// The director's rejection: unlike an approval, it must say why, since the
/// library admin has to act on it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The phone number is the branch's fax; give the front desk's number."}))]
pub struct Rejection {
    /// Why: not blank, at most 2000 characters.
    // Read as empty when missing, so that the answer is the moderation rule's
    // own ("a rejection needs a reason the library admin can act on"), not a
    // serde message; the document still says it is required.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 2000, pattern = "\\S")]
    pub reason: String,
}

fn change_id(raw: &str) -> ApiResult<i64> {
    entry_id(raw)
}

/// A reason longer than the audit log keeps is refused, not cut.
fn check_reason_length(reason: &str) -> ApiResult<()> {
    if reason.chars().count() > 2000 {
        return Err(ApiError::Invalid {
            field: "reason".into(),
            detail: "reason may have at most 2000 characters".into(),
        });
    }
    Ok(())
}

/// `POST /api/v1/directory/changes/{id}/approve`: publish it now.
///
/// The body is optional: approving needs nothing said, so an empty body (or
/// none) approves, and `{"reason": "..."}` records why.
#[utoipa::path(post, path = "/api/v1/directory/changes/{id}/approve", tag = "moderation", operation_id = "approve_directory_change",
    summary = "Publish a change now; a body `{\"reason\": …}` is optional", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The change's id")),
    responses((status = 200, description = "The change, approved", body = Object), (status = 409, description = "The change is no longer pending, or the entry changed since", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn approve(
    state: web::Data<AppState>,
    DirectorAt(director, _): Moderator,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = change_id(&path)?;
    let decision: Decision = if body.iter().all(u8::is_ascii_whitespace) {
        Decision { reason: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Invalid {
            field: "body".into(),
            detail: format!("expected nothing, or JSON such as {{\"reason\": \"...\"}}: {e}"),
        })?
    };
    let view = approve_change(&state, &director, id, decision.reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Approves and publishes change `id`, recording the reason if one is given:
/// the JSON endpoint and the moderation page both call this.
pub async fn approve_change(
    state: &AppState,
    director: &crate::guards::Director,
    id: i64,
    reason: Option<String>,
) -> ApiResult<directory::moderation::ChangeView> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    if let Some(r) = &reason {
        check_reason_length(r)?;
    }
    Ok(state.directory.approve(id, director.0.id, reason).await?)
}

/// `POST /api/v1/directory/changes/{id}/reject`: refuse it, saying why.
#[utoipa::path(post, path = "/api/v1/directory/changes/{id}/reject", tag = "moderation", operation_id = "reject_directory_change",
    summary = "Reject a change, saying why", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The change's id")), request_body(content = Rejection, content_type = "application/json"),
    responses((status = 200, description = "The change, rejected", body = Object), (status = 409, description = "The change is no longer pending", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn reject(
    state: web::Data<AppState>,
    DirectorAt(director, _): Moderator,
    path: web::Path<String>,
    body: web::Json<Rejection>,
) -> ApiResult<HttpResponse> {
    let id = change_id(&path)?;
    let reason = body.into_inner().reason;
    let view = reject_change(&state, &director, id, reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Rejects change `id` with the director's reason (required): the JSON
/// endpoint and the moderation page both call this.
pub async fn reject_change(
    state: &AppState,
    director: &crate::guards::Director,
    id: i64,
    reason: String,
) -> ApiResult<directory::moderation::ChangeView> {
    check_reason_length(&reason)?;
    Ok(state.directory.reject(id, director.0.id, reason).await?)
}

/// `GET /api/v1/directory/libraries/{id}/history`: every version and change, for the director.
#[utoipa::path(get, path = "/api/v1/directory/libraries/{id}/history", tag = "moderation", operation_id = "directory_entry_history",
    summary = "An entry's history of versions", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The directory entry's id")),
    responses((status = 200, description = "The history", body = Object)))]
pub async fn history(
    state: web::Data<AppState>,
    _: Moderator,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let h = state.directory.history(entry_id(&path)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(h))
}

/// `?version=` on the director's edits: the version the director saw.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// The entry's version when the director read it; a newer one answers 409.
    pub version: Option<i64>,
}

/// `PATCH /api/v1/directory/libraries/{id}`: the director corrects any entry,
/// imported ones included; published at once and kept in its history.
#[utoipa::path(patch, path = "/api/v1/directory/libraries/{id}", tag = "moderation", operation_id = "edit_directory_entry",
    summary = "The director corrects an entry; published at once", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The directory entry's id"), VersionQuery), request_body(content = directory::moderation::Patch, content_type = "application/json", description = "The fields to change"),
    responses((status = 200, description = "The entry now", body = Object), (status = 409, description = "The entry changed since `version`", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn edit(
    state: web::Data<AppState>,
    _: Moderator,
    path: web::Path<String>,
    q: web::Query<VersionQuery>,
    body: web::Json<Patch>,
) -> ApiResult<HttpResponse> {
    let item = state
        .directory
        .director_edit(entry_id(&path)?, q.version, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// The body of a retirement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Why (closed, merged, a duplicate): kept in the entry's history; not blank.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    /// The version the director saw.
    pub version: Option<i64>,
}

/// `POST /api/v1/directory/libraries/{id}/retire`: the director takes an
/// entry out of every list; its page says so and its history stays.
#[utoipa::path(post, path = "/api/v1/directory/libraries/{id}/retire", tag = "moderation", operation_id = "retire_directory_entry",
    summary = "Take an entry out of every list", security(("bearer" = []), ("session_cookie" = [])), params(("id" = i64, Path, description = "The directory entry's id")), request_body(content = Retirement, content_type = "application/json"),
    responses((status = 204, description = "Retired"), (status = 409, description = "The entry changed since `version`, or is retired", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn retire(
    state: web::Data<AppState>,
    _: Moderator,
    path: web::Path<String>,
    body: web::Json<Retirement>,
) -> ApiResult<HttpResponse> {
    let id = entry_id(&path)?;
    let b = body.into_inner();
    state.directory.retire(id, b.version, b.reason).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the director's routes under `/api/v1/directory`.
pub fn configure_director(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{id}/history", get => history))
        .service(resource!("/libraries/{id}/retire", post => retire))
        .service(resource!("/changes", get => list_changes))
        .service(resource!("/changes/{id}/approve", post => approve))
        .service(resource!("/changes/{id}/reject", post => reject));
}

/// Registers a library's own entry under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/directory-entry", get => own_entry))
        .service(resource!("/libraries/{library}/directory-entry/changes", post => submit_change));
}
