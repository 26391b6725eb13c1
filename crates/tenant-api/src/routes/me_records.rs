//! What custodian holds about the signed-in patron: their records, who looked at them, and an export of it all.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::Patron;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::me::{self, Record};
use serde::Deserialize;

/// `?cursor=` over the patron's own records.
#[derive(Deserialize)]
pub struct RecordsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The patron's own library records, newest first.
pub async fn my_records(
    state: web::Data<AppState>,
    caller: Patron,
    q: web::Query<RecordsQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (custody, who) = (state.custody.clone(), caller.own());
    let (before, limit) = (page.after, page.limit);
    let items = blocking(move || Ok(me::own_records(&custody, &who, before, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &Record| r.id)))
}

/// Who looked at the patron's records, when and why (sealed legal requests excepted).
pub async fn access_log(state: web::Data<AppState>, caller: Patron) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), caller.own());
    let items = blocking(move || Ok(me::access_log(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Everything held about the patron, as one JSON document to download.
pub async fn export(state: web::Data<AppState>, caller: Patron) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), caller.own());
    let doc = blocking(move || Ok(me::export(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"my-library-data.json\"",
        ))
        .json(doc))
}

/// Registers the patron's records, export and access log under `/api/v1/patron/me`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/me/records", get => my_records))
        .service(resource!("/patron/me/export", get => export))
        .service(resource!("/patron/me/access-log", get => access_log));
}
