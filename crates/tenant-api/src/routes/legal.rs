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
use custody::legal::{self, LegalRequestView, Registration};
use custody::legal_cost::{self, TimeInput};
use serde::Deserialize;

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
