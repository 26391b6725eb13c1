//! The public directory: search, one library, exports and pages for anyone.
//! Change submission for a library's admins and moderation for the director
//! live in [`moderation`].
//!
//! Every public answer carries an ETag (a hash of the body), honours
//! If-None-Match with 304, and says `Cache-Control`: shared caches may keep it
//! but must revalidate, so an approved change shows on the next request.

pub mod moderation;

use crate::error::{ApiError, ApiResult};
use crate::pages::{self, HTML};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use bytes::Bytes;
use directory::search::RawQuery;
use directory::service::Format;
use directory::DirectoryError;

/// What public responses may be kept for: always revalidate (cheap with the ETag).
const PUBLIC_CACHE: &str = "public, max-age=0, must-revalidate";

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid { field, detail } => ApiError::Invalid { field, detail },
            DirectoryError::NotFound => ApiError::NotFound,
            DirectoryError::Conflict(c) => ApiError::Conflict(c),
            DirectoryError::Store(s) => s.into(),
            DirectoryError::File { path, why } => ApiError::Internal(format!("{path}: {why}")),
            DirectoryError::Internal(why) => ApiError::Internal(why),
        }
    }
}

fn etag_of(body: &[u8]) -> String {
    directory::service::etag_of(body)
}

fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag.trim_start_matches("W/"))
}

/// A public answer with its validators.
fn public(req: &HttpRequest, status: StatusCode, content_type: &str, body: Bytes) -> HttpResponse {
    let etag = etag_of(&body);
    public_tagged(req, status, content_type, etag, body)
}

/// A public answer whose ETag was computed when it was cached.
fn public_tagged(
    req: &HttpRequest,
    status: StatusCode,
    content_type: &str,
    etag: String,
    body: Bytes,
) -> HttpResponse {
    if status == StatusCode::OK && not_modified(req, &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
            .finish();
    }
    HttpResponse::build(status)
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .body(body)
}

/// An error on a public route: problem+json as everywhere, never stored by caches.
fn public_error(e: ApiError) -> HttpResponse {
    uncached(e.error_response())
}

/// A page answering a mistake: shown, but never stored by caches.
fn uncached(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

fn public_result(r: ApiResult<HttpResponse>) -> HttpResponse {
    r.unwrap_or_else(public_error)
}

fn entry_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(ApiError::NotFound)
}

/// `GET /api/v1/directory/libraries`: search, ranked and paged.
///
/// A page asked for before with the same query string is answered from the
/// cache before the string is even parsed.
#[utoipa::path(get, path = "/api/v1/directory/libraries", tag = "directory", operation_id = "directory_search",
    summary = "Search the directory, ranked and paged", params(RawQuery),
    responses((status = 200, description = "A page of libraries", body = directory::search::Page, example = json!({"items": [{"id": 101, "name": "Riverbend Public Library", "address": "100 Main Street", "city": "Riverbend", "county": "Demo", "state": "MO", "zip": "65000", "phone": "555-0100", "website": "https://riverbend.demo.custodian.test", "email": "info@riverbend.demo.custodian.test", "hours": null, "services": null, "latitude": 38.5, "longitude": -92.2, "system_id": null, "parent_id": null, "member": true, "listed_name": "Riverbend Public Library", "opening_hours": null, "service_tags": []}], "next_cursor": null, "prev_cursor": null, "total": 1, "offset": 0, "units": "mi"})), (status = 304, description = "Not modified (If-None-Match matched the ETag)")))]
pub async fn search(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let qs = req.query_string();
    if let Some(t) = state.directory.search_cached(qs).await {
        return public_tagged(&req, StatusCode::OK, "application/json", t.etag, t.body);
    }
    public_result(
        async {
            let query = web::Query::<RawQuery>::from_query(qs).map_err(|e| ApiError::Invalid {
                field: "query".into(),
                detail: format!("the query string could not be read: {e}"),
            })?;
            let t = state.directory.search_as(&query, qs).await?;
            Ok(public_tagged(
                &req,
                StatusCode::OK,
                "application/json",
                t.etag,
                t.body,
            ))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries.csv`: every match as CSV.
#[utoipa::path(get, path = "/api/v1/directory/libraries.csv", tag = "directory", operation_id = "directory_export_csv",
    summary = "Every match as CSV", params(RawQuery),
    responses((status = 200, description = "CSV, one library a row", body = String, content_type = "text/csv"), (status = 304, description = "Not modified (If-None-Match matched the ETag)")))]
pub async fn export_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RawQuery>,
) -> HttpResponse {
    public_result(
        async {
            let t = state.directory.export_tagged(&query, Format::Csv).await?;
            let mut res = public_tagged(
                &req,
                StatusCode::OK,
                "text/csv; charset=utf-8",
                t.etag,
                t.body,
            );
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                header::HeaderValue::from_static("attachment; filename=\"libraries.csv\""),
            );
            Ok(res)
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries.jsonld`: every match as a schema.org graph.
#[utoipa::path(get, path = "/api/v1/directory/libraries.jsonld", tag = "directory", operation_id = "directory_export_jsonld",
    summary = "Every match as a schema.org graph", params(RawQuery),
    responses((status = 200, description = "JSON-LD", body = Object, content_type = "application/ld+json"), (status = 304, description = "Not modified (If-None-Match matched the ETag)")))]
pub async fn export_jsonld(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RawQuery>,
) -> HttpResponse {
    public_result(
        async {
            let t = state
                .directory
                .export_tagged(&query, Format::JsonLd)
                .await?;
            Ok(public_tagged(
                &req,
                StatusCode::OK,
                "application/ld+json",
                t.etag,
                t.body,
            ))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries/{id}`.
#[utoipa::path(get, path = "/api/v1/directory/libraries/{id}", tag = "directory", operation_id = "directory_entry",
    summary = "One library", params(("id" = i64, Path, description = "The directory entry's id")),
    responses((status = 200, description = "The library", body = directory::service::Detail), (status = 304, description = "Not modified (If-None-Match matched the ETag)"), (status = 404, description = "No such entry", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn read(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    public_result(
        async {
            let id = entry_id(&path)?;
            let t = state.directory.entry_tagged(id).await?;
            Ok(public_tagged(
                &req,
                StatusCode::OK,
                "application/json",
                t.etag,
                t.body,
            ))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries/{id}/jsonld`: schema.org `Library`.
#[utoipa::path(get, path = "/api/v1/directory/libraries/{id}/jsonld", tag = "directory", operation_id = "directory_entry_jsonld",
    summary = "One library as schema.org Library", params(("id" = i64, Path, description = "The directory entry's id")),
    responses((status = 200, description = "JSON-LD", body = Object, content_type = "application/ld+json"), (status = 304, description = "Not modified (If-None-Match matched the ETag)"), (status = 404, description = "No such entry", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn read_jsonld(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    public_result(
        async {
            let d = state.directory.entry(entry_id(&path)?).await?;
            let body = directory::export::jsonld_one(&d.item, state.directory.base());
            Ok(public(
                &req,
                StatusCode::OK,
                "application/ld+json",
                body.into(),
            ))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries/{id}/vcard`: a vCard 4.0.
#[utoipa::path(get, path = "/api/v1/directory/libraries/{id}/vcard", tag = "directory", operation_id = "directory_entry_vcard",
    summary = "One library as a vCard 4.0", params(("id" = i64, Path, description = "The directory entry's id")),
    responses((status = 200, description = "vCard", body = String, content_type = "text/vcard"), (status = 304, description = "Not modified (If-None-Match matched the ETag)"), (status = 404, description = "No such entry", body = crate::openapi::Problem, content_type = "application/problem+json")))]
pub async fn read_vcard(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    public_result(
        async {
            let d = state.directory.entry(entry_id(&path)?).await?;
            let body = directory::export::vcard(&d.item, state.directory.base());
            let mut res = public(
                &req,
                StatusCode::OK,
                "text/vcard; charset=utf-8",
                body.into(),
            );
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                header::HeaderValue::from_str(&format!(
                    "attachment; filename=\"library-{}.vcf\"",
                    d.item.id
                ))
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            Ok(res)
        }
        .await,
    )
}

/// `GET /directory`: the search page; the consortium's members unless `member=false`.
pub async fn page_search(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    // Parsed by hand so a bad parameter is shown on the page, not as JSON.
    let mut raw = web::Query::<RawQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    if raw.member.as_deref().is_none_or(|m| m.trim().is_empty()) {
        raw.member = Some("true".into());
    }
    let rendered = match state.directory.search(&raw).await {
        Ok((_, page)) => pages::directory::search_page(&raw, Ok(&page))
            .map(|html| public(&req, StatusCode::OK, HTML, html.into())),
        Err(DirectoryError::Invalid { field, detail }) => {
            pages::directory::search_page(&raw, Err((&field, &detail)))
                .map(|html| uncached(public(&req, StatusCode::BAD_REQUEST, HTML, html.into())))
        }
        Err(e) => Err(e.into()),
    };
    public_result(rendered)
}

/// `?from=` on a library's page: the search it was reached from.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FromQuery {
    /// The search's query string.
    pub from: Option<String>,
}

/// `GET /directory/{id}`: one library's page.
pub async fn page_detail(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let found = match entry_id(&path) {
        Ok(id) => state.directory.entry(id).await,
        Err(_) => Err(DirectoryError::NotFound),
    };
    // Re-read as a search, so only the search's own parameters go back into the link.
    let from = web::Query::<FromQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().from)
        .and_then(|f| web::Query::<RawQuery>::from_query(&f).ok())
        .map(web::Query::into_inner);
    let rendered = match found {
        Ok(d) => {
            let jsonld = directory::export::jsonld_one(&d.item, state.directory.base());
            pages::directory::detail_page(&d, &String::from_utf8_lossy(&jsonld), from.as_ref())
                .map(|html| public(&req, StatusCode::OK, HTML, html.into()))
        }
        Err(DirectoryError::NotFound) => pages::directory::not_found_page()
            .map(|html| uncached(public(&req, StatusCode::NOT_FOUND, HTML, html.into()))),
        Err(e) => Err(e.into()),
    };
    public_result(rendered)
}

/// Registers the directory's pages at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/directory", get => page_search))
        .service(resource!("/directory/{id}", get => page_detail));
}

/// The directory's operations, public and the director's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        search,
        export_csv,
        export_jsonld,
        read,
        read_jsonld,
        read_vcard,
        moderation::own_entry,
        moderation::submit_change,
        moderation::list_changes,
        moderation::approve,
        moderation::reject,
        moderation::history,
        moderation::edit,
        moderation::retire,
    ),
    components(schemas(
        directory::search::Page,
        directory::search::Item,
        directory::service::Detail,
        directory::hours::OpeningHours,
        directory::hours::Rule,
        directory::hours::Exception,
        directory::moderation::Patch,
        moderation::Rejection,
        moderation::Retirement
    ))
)]
pub struct ApiDoc;

/// Registers the directory's API under `/api/v1/directory` (a scope of its
/// own, registered before the rest so a cached read is matched at once),
/// its moderation included.
pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries", get => search))
        .service(resource!("/libraries.csv", get => export_csv))
        .service(resource!("/libraries.jsonld", get => export_jsonld))
        .service(resource!("/libraries/{id}", get => read, patch => moderation::edit))
        .service(resource!("/libraries/{id}/jsonld", get => read_jsonld))
        .service(resource!("/libraries/{id}/vcard", get => read_vcard))
        .configure(moderation::configure_director);
}

/// Registers a library's own entry under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(moderation::configure);
}
