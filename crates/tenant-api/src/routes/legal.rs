//! Legal requests for library records: `/api/v1/libraries/{library}/legal-requests`.
//!
//! Any staff member registers a request as it arrives and may read the
//! register; only a custodian of records decides (the policy crate rules) and
//! reads the package of an allowed request.
use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::{Custodian, LibraryStaff};
use crate::state::AppState;
use actix_web::{http::header, web, HttpResponse};
use custody::legal::{
    self, DecisionView, Identity, LegalRequestView, Package, Registration, RequesterInput,
};
use custody::legal_cost::{self, Invoice, InvoiceLine, TimeInput, TimeView};
use serde::Deserialize;

/// The legal-request endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(register, list, show, decide, review, package, time, invoice),
    components(schemas(
        Registration,
        RequesterInput,
        LegalRequestView,
        DecisionView,
        Package,
        Identity,
        TimeInput,
        TimeView,
        Invoice,
        InvoiceLine
    ))
)]
pub struct ApiDoc;

/// `?status=&limit=&cursor=`
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `?format=json|csv`
#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

/// Registers a request; 201 with its id and `status: "received"`.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/legal-requests", tag = "legal",
    operation_id = "register_legal_request", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = Registration,
    responses(
        (status = 201, description = "Registered, `status: \"received\"`", body = LegalRequestView),
        (status = 400, description = "A field is missing or not valid (named in `field`)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn register(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    body: web::Json<Registration>,
) -> ApiResult<HttpResponse> {
    let (custody, who, reg) = (state.custody.clone(), staff.member(), body.into_inner());
    let made = blocking(move || Ok(legal::register(&custody, &who, reg)?)).await?;
    Ok(HttpResponse::Created().json(made))
}

/// The library's requests, paged, optionally in one status.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests", tag = "legal",
    operation_id = "list_legal_requests",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"),
        ("status" = Option<String>, Query, description = "Only requests in this status", pattern = "^(received|allowed|denied)$"),
        ("limit" = Option<String>, Query, description = "Page size, a whole number from 1 to 200 (default 50)", example = "50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before"),
    ),
    responses(
        (status = 200, description = "One page of the register, newest first", body = Paged<LegalRequestView>),
        (status = 400, description = "`status`, `limit` or `cursor` is not valid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (custody, who, status) = (state.custody.clone(), staff.member(), q.status.clone());
    let (after, limit) = (page.after, page.limit);
    let items = blocking(move || {
        Ok(legal::list(
            &custody,
            &who,
            status.as_deref(),
            after,
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |r: &LegalRequestView| r.id)))
}

/// One request.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}", tag = "legal",
    operation_id = "show_legal_request", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id")),
    responses(
        (status = 200, description = "The request", body = LegalRequestView),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let one = blocking(move || Ok(legal::get(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(one))
}

/// The custodian of records decides; final.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/legal-requests/{id}/decision", tag = "legal",
    operation_id = "decide_legal_request", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id")),
    responses(
        (status = 200, description = "The decision, final and audited", body = DecisionView),
        (status = 403, description = "Not the library's custodian of records", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request has already been decided", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn decide(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let decided = blocking(move || Ok(legal::decide_request(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(decided))
}

/// What the policy would decide, for the custodian to read before deciding.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}/decision", tag = "legal",
    operation_id = "review_legal_request", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id")),
    responses(
        (status = 200, description = "What the policy decides (nothing is recorded)", body = DecisionView),
        (status = 403, description = "Not the library's custodian of records", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn review(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let view = blocking(move || Ok(legal::review(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The records an allowed request releases, as JSON or `?format=csv`.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}/package", tag = "legal",
    operation_id = "legal_request_package",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`", pattern = "^(json|csv)$"),
    ),
    responses(
        (status = 200, description = "Exactly what the request releases (`Cache-Control: no-store`)", content(
            (Package = "application/json"),
            (String = "text/csv", example = "patron_id,record_id,kind,occurred_at,ended_at,item,branch,status,amount_cents,details\n"),
        )),
        (status = 400, description = "`format` is not json or csv", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the library's custodian of records", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request has not been allowed", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn package(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(crate::error::ApiError::Invalid {
                field: "format".into(),
                detail: "format is json or csv".into(),
            })
        }
    };
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let pkg = blocking(move || Ok(legal::package(&custody, &who, id)?)).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if csv {
        Ok(res
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"legal-request-{id}.csv\""),
            ))
            .body(legal::package_csv(&pkg)))
    } else {
        Ok(res.json(pkg))
    }
}

/// Records the caller's own time spent on a request (any staff of the
/// library); 201 with the entry.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/legal-requests/{id}/time", tag = "legal",
    operation_id = "record_legal_request_time", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id")), request_body = TimeInput,
    responses(
        (status = 201, description = "The time entry", body = TimeView),
        (status = 400, description = "`minutes`, `what` or `by` is not valid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn time(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    body: web::Json<TimeInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who, input) = (state.custody.clone(), staff.member(), body.into_inner());
    let entry = blocking(move || Ok(legal_cost::record_time(&custody, &who, id, input)?)).await?;
    Ok(HttpResponse::Created().json(entry))
}

/// The invoice to the requester: JSON, or a printable page for
/// `Accept: text/html` or `?format=html`.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}/invoice", tag = "legal",
    operation_id = "legal_request_invoice",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id"),
        ("format" = Option<String>, Query, description = "`json` or `html`; without it, `Accept: text/html` chooses the page", pattern = "^(json|html)$"),
    ),
    responses(
        (status = 200, description = "The invoice to the requester (`Cache-Control: no-store`)", content(
            (Invoice = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "`format` is not json or html", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the library's custodian of records", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn invoice(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    custodian: Custodian,
    path: web::Path<(String, i64)>,
    q: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let html = match q.format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
        Some(_) => {
            return Err(crate::error::ApiError::Invalid {
                field: "format".into(),
                detail: "format is json or html".into(),
            })
        }
    };
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), custodian.0.member());
    let inv = blocking(move || Ok(legal_cost::invoice(&custody, &who, id)?)).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if html {
        Ok(res
            .content_type(crate::pages::HTML)
            .body(crate::pages::legal::invoice_page(inv)?))
    } else {
        Ok(res.json(inv))
    }
}

/// Registers the legal-request endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/legal-requests", post => register, get => list))
        .service(resource!("/libraries/{library}/legal-requests/{id}", get => show))
        .service(resource!("/libraries/{library}/legal-requests/{id}/decision", post => decide, get => review))
        .service(resource!("/libraries/{library}/legal-requests/{id}/package", get => package))
        .service(resource!("/libraries/{library}/legal-requests/{id}/time", post => time))
        .service(resource!("/libraries/{library}/legal-requests/{id}/invoice", get => invoice));
}
