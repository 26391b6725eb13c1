//! The public directory: search, one library, exports and pages for anyone;
//! change submission for a library's admins; moderation for the director.
//!
//! Every public answer carries an ETag (a hash of the body), honours
//! If-None-Match with 304, and says `Cache-Control`: shared caches may keep it
//! but must revalidate, so an approved change shows on the next request.

use crate::auth::{Caller, LibraryAccess};
use crate::error::{ApiError, ApiResult};
use crate::routes::{Page, PageQuery, Paged};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use bytes::Bytes;
use directory::moderation::Patch;
use directory::search::RawQuery;
use directory::service::Format;
use directory::DirectoryError;
use policy::directory::{decide_entry, may_moderate, DirectoryDecision, EntryAction};
use serde::Deserialize;
use sha2::{Digest, Sha256};

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
    format!("W/\"{}\"", hex::encode(&Sha256::digest(body)[..16]))
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
    let mut res = e.error_response();
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
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RawQuery>,
) -> HttpResponse {
    public_result(
        async {
            let (_, body) = state.directory.search_json(&query).await?;
            Ok(public(&req, StatusCode::OK, "application/json", body))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries.csv`: every match as CSV.
pub async fn export_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RawQuery>,
) -> HttpResponse {
    public_result(
        async {
            let body = state.directory.export(&query, Format::Csv).await?;
            let mut res = public(&req, StatusCode::OK, "text/csv; charset=utf-8", body);
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
pub async fn export_jsonld(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RawQuery>,
) -> HttpResponse {
    public_result(
        async {
            let body = state.directory.export(&query, Format::JsonLd).await?;
            Ok(public(&req, StatusCode::OK, "application/ld+json", body))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries/{id}`.
pub async fn read(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    public_result(
        async {
            let id = entry_id(&path)?;
            let body = state.directory.entry_json(id).await?;
            Ok(public(&req, StatusCode::OK, "application/json", body))
        }
        .await,
    )
}

/// `GET /api/v1/directory/libraries/{id}/jsonld`: schema.org `Library`.
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

const HTML: &str = "text/html; charset=utf-8";

/// `GET /directory`: the search page.
pub async fn page_search(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    // Parsed by hand so a bad parameter is shown on the page, not as JSON.
    let raw = web::Query::<RawQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    match state.directory.search(&raw).await {
        Ok((_, page)) => {
            let html = directory::html::search_page(&raw, Ok(&page));
            public(&req, StatusCode::OK, HTML, html.into())
        }
        Err(DirectoryError::Invalid { field, detail }) => {
            let html = directory::html::search_page(&raw, Err((&field, &detail)));
            let mut res = public(&req, StatusCode::BAD_REQUEST, HTML, html.into());
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(e) => public_error(e.into()),
    }
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
    match found {
        Ok(d) => {
            let jsonld = directory::export::jsonld_one(&d.item, state.directory.base());
            let html = directory::html::detail_page(&d, &String::from_utf8_lossy(&jsonld));
            public(&req, StatusCode::OK, HTML, html.into())
        }
        Err(DirectoryError::NotFound) => {
            let mut res = public(
                &req,
                StatusCode::NOT_FOUND,
                HTML,
                directory::html::not_found_page().into(),
            );
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(e) => public_error(e.into()),
    }
}

fn entry_decision(access: &LibraryAccess, action: EntryAction) -> ApiResult<()> {
    match decide_entry(access.standing, action) {
        DirectoryDecision::Allow => Ok(()),
        DirectoryDecision::Forbidden(why) => Err(ApiError::Forbidden(why)),
        DirectoryDecision::Hidden => Err(ApiError::NotFound),
    }
}

/// `GET /api/v1/libraries/{library}/directory-entry`: the library's entry and its pending changes.
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

fn director(caller: &Caller) -> ApiResult<()> {
    if may_moderate(caller.is_director) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the consortium director moderates the directory",
        ))
    }
}

/// `?status=&limit=&cursor=` on the moderation queue.
#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    /// pending (default), approved, rejected or all.
    pub status: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `GET /api/v1/directory/changes`: the director's queue.
pub async fn list_changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why; required to reject.
    pub reason: Option<String>,
}

fn change_id(raw: &str) -> ApiResult<i64> {
    entry_id(raw)
}

/// `POST /api/v1/directory/changes/{id}/approve`: publish it now.
///
/// The body is optional: approving needs nothing said, so an empty body (or
/// none) approves, and `{"reason": "..."}` records why.
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let id = change_id(&path)?;
    let decision: Decision = if body.iter().all(u8::is_ascii_whitespace) {
        Decision { reason: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Invalid {
            field: "body".into(),
            detail: format!("expected nothing, or JSON such as {{\"reason\": \"...\"}}: {e}"),
        })?
    };
    let reason = decision.reason.filter(|r| !r.trim().is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(ApiError::Invalid {
            field: "reason".into(),
            detail: "reason may have at most 2000 characters".into(),
        });
    }
    let view = state.directory.approve(id, caller.id, reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/directory/changes/{id}/reject`: refuse it, saying why.
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<Decision>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let id = change_id(&path)?;
    let reason = body.into_inner().reason.unwrap_or_default();
    if reason.chars().count() > 2000 {
        return Err(ApiError::Invalid {
            field: "reason".into(),
            detail: "reason may have at most 2000 characters".into(),
        });
    }
    let view = state.directory.reject(id, caller.id, reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/v1/directory/libraries/{id}/history`: every version and change, for the director.
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    director(&caller)?;
    let h = state.directory.history(entry_id(&path)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(h))
}

/// Registers the directory's pages at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/directory", get => page_search))
        .service(resource!("/directory/{id}", get => page_detail));
}

/// Registers the directory's API under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/directory/libraries", get => search))
        .service(resource!("/directory/libraries.csv", get => export_csv))
        .service(resource!("/directory/libraries.jsonld", get => export_jsonld))
        .service(resource!("/directory/libraries/{id}", get => read))
        .service(resource!("/directory/libraries/{id}/jsonld", get => read_jsonld))
        .service(resource!("/directory/libraries/{id}/vcard", get => read_vcard))
        .service(resource!("/directory/libraries/{id}/history", get => history))
        .service(resource!("/directory/changes", get => list_changes))
        .service(resource!("/directory/changes/{id}/approve", post => approve))
        .service(resource!("/directory/changes/{id}/reject", post => reject))
        .service(resource!("/libraries/{library}/directory-entry", get => own_entry))
        .service(resource!("/libraries/{library}/directory-entry/changes", post => submit_change));
}
