//! A library's audit log: `/api/v1/libraries/{library}/audit`.
use super::patrons::ctx::worker;
use super::{blocking, PageQuery, Paged};
use crate::auth::LibraryAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use policy::staff::LibraryRole;
use store::audit;
/// Lists the library's audit log (admins and the custodian of records).
pub async fn audit_log(
    state: web::Data<AppState>,
    access: LibraryAccess,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let role = worker(&access)?;
    if role == LibraryRole::Staff {
        return Err(ApiError::Forbidden(
            "only a library admin or the custodian of records may read the audit log",
        ));
    }
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after, page.limit);
    let items =
        blocking(move || Ok(store.read(access.library.id, |tx| audit::list(tx, after, limit))?))
            .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |e: &audit::Entry| e.seq)))
}
/// Registers the audit endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/audit", get => audit_log));
}
