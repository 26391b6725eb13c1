//! A library's audit log: `/api/v1/libraries/{library}/audit`.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::Custodian;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::audit::{self, Entry};

/// Lists the library's audit log (admins and the custodian of records).
#[utoipa::path(get, path = "/api/v1/libraries/{library}/audit", tag = "audit", operation_id = "audit_log",
    summary = "The library's audit log (custodian of records)",
    params(("library" = String, Path, description = "The library's slug"), PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of entries", body = Paged<Entry>, example = json!({"items": [{"library_id": 2, "seq": 41, "at": "2026-03-02T14:05:00.123456Z", "actor": "account:3", "action": "patron.read", "subject": "patron:55", "purpose": "card renewal at the desk", "decision": "allow", "clause": "mo-182.817-library-operations", "sealed": false}], "next_cursor": null}))))]
pub async fn audit_log(
    state: web::Data<AppState>,
    Custodian(staff): Custodian,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.parse()?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let (after, limit) = (page.after, page.limit);
    let items = blocking(move || {
        Ok(audit::search(
            &custody,
            &who,
            &audit::Filter::default(),
            after,
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |e: &Entry| e.seq)))
}

/// The audit log's operations.
#[derive(utoipa::OpenApi)]
#[openapi(paths(audit_log), components(schemas(Entry)))]
pub struct ApiDoc;

/// Registers the audit endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/audit", get => audit_log));
}
