//! What custodian holds about the signed-in patron: their records, who looked at them, and an export of it all.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::Patron;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::me::{self, Record};
use serde::Deserialize;

/// `?cursor=` over the patron's own records.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The patron's own library records, newest first.
#[utoipa::path(get, path = "/api/v1/patron/me/records", tag = "patron", operation_id = "patron_records",
    summary = "The library records linked to the signed-in patron, newest first", security(("bearer" = []), ("patron_cookie" = [])),
    params(RecordsQuery),
    responses((status = 200, description = "A page of records", body = Paged<Record>, example = json!({"items": [{"id": 901, "kind": "circulation", "source": "ils", "external_id": "loan-901", "occurred_at": "2026-02-01T10:00:00.000000Z", "ended_at": null, "item": "Item 31234", "branch": "Main", "status": "out", "amount_cents": null, "settled_at": null, "details": null, "patron_id": 55}], "next_cursor": null}))))]
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
/// The patron's access log.
#[derive(utoipa::ToSchema)]
pub struct AccessLog {
    /// Every access, newest first (at most 500).
    pub items: Vec<custody::audit::AccessEntry>,
}

/// Everything about the patron, as one JSON document.
#[derive(utoipa::ToSchema)]
pub struct OwnExport {
    /// When it was made (RFC 3339).
    pub exported_at: String,
    /// The library's id.
    pub library_id: i64,
    /// The patron's record.
    pub patron: custody::me::Patron,
    /// Every linked record.
    pub records: Vec<Record>,
    /// The consents recorded.
    pub consents: Vec<custody::me::ConsentRecord>,
    /// Every access to the patron's data that is not sealed.
    pub access_log: Vec<custody::audit::AccessEntry>,
}

#[utoipa::path(get, path = "/api/v1/patron/me/access-log", tag = "patron", operation_id = "patron_access_log",
    summary = "Who accessed the patron's records, and why", security(("bearer" = []), ("patron_cookie" = [])),
    responses((status = 200, description = "The access log", body = AccessLog, example = json!({"items": [{"at": "2026-03-02T14:05:00.123456Z", "who": "library staff (account 12)", "action": "patron.read", "purpose": "card renewal at the desk", "decision": "allow", "clause": "mo-182.817-library-operations"}]}))))]
pub async fn access_log(state: web::Data<AppState>, caller: Patron) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), caller.own());
    let items = blocking(move || Ok(me::access_log(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Everything held about the patron, as one JSON document to download.
#[utoipa::path(get, path = "/api/v1/patron/me/export", tag = "patron", operation_id = "patron_export",
    summary = "Everything held about the patron, as a download", security(("bearer" = []), ("patron_cookie" = [])),
    responses((status = 200, description = "The export (Content-Disposition: attachment)", body = OwnExport)))]
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

/// The patron's records' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(my_records, access_log, export),
    components(schemas(
        Record,
        AccessLog,
        OwnExport,
        custody::audit::AccessEntry,
        custody::me::ConsentRecord
    ))
)]
pub struct ApiDoc;

/// Registers the patron's records, export and access log under `/api/v1/patron/me`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/patron/me/records", get => my_records))
        .service(resource!("/patron/me/export", get => export))
        .service(resource!("/patron/me/access-log", get => access_log));
}
