//! A library's audit log: `/api/v1/libraries/{library}/audit`.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::Custodian;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::audit::{self, Entry};

/// Lists the library's audit log (admins and the custodian of records).
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

/// Registers the audit endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/audit", get => audit_log));
}
