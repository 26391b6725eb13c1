//! The documents served with a legal request (the order, the warrant, a
//! signed consent): `/api/v1/libraries/{library}/legal-requests/{id}/documents`.
//!
//! The body is the file itself, sent with its own `Content-Type` and its
//! name as `?name=`; no multipart, so a desk scanner's script can send it with
//! one curl call. Any staff member attaches and lists; only the custodian of
//! records opens one (custody refuses anyone else, and audits each opening).
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use custody::legal_documents::{self, DocumentView, Upload, CONTENT_TYPES, MAX_DOCUMENT_BYTES};
use serde::{Deserialize, Serialize};

/// A request's documents.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    /// Each document's listing, never its content.
    pub items: Vec<DocumentView>,
}

/// The legal-document endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(attach, list, open),
    components(schemas(DocumentView, DocumentList))
)]
pub struct ApiDoc;

/// `?name=`
#[derive(Deserialize)]
pub struct NameQuery {
    name: Option<String>,
}

/// The media type sent, refused with 415 unless it is one custodian keeps.
pub fn media_type(content_type: Option<&str>) -> ApiResult<&'static str> {
    content_type
        .and_then(legal_documents::accepted_type)
        .ok_or_else(|| {
            let (last, rest) = CONTENT_TYPES.split_last().unwrap_or((&"", &[]));
            ApiError::UnsupportedMediaType(format!("{} or {last}", rest.join(", ")))
        })
}

/// Refuses a document over the limit with 413 before custody sees it.
pub fn within_limit(len: usize) -> ApiResult<()> {
    if len > MAX_DOCUMENT_BYTES {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(())
}

/// Attaches a document; 201 with its listing (never its content).
#[utoipa::path(post, path = "/api/v1/libraries/{library}/legal-requests/{id}/documents", tag = "legal",
    operation_id = "attach_legal_document",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id"),
        ("name" = String, Query, description = "The file's name, kept without its folders", example = "order-26-CV-0042.pdf"),
    ),
    request_body(description = "The file itself, at most 10 MiB, with its own Content-Type", content(
        ("application/pdf"), ("image/png"), ("image/jpeg"), ("text/plain"),
    )),
    responses(
        (status = 201, description = "Attached; `Location` is the document's address", body = DocumentView,
            headers(("Location" = String, description = "The document's address"))),
        (status = 400, description = "`name` is missing or not valid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The document is larger than 10 MiB", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The Content-Type is not one custodian keeps", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn attach(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<NameQuery>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let kind = media_type(
        req.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    within_limit(body.len())?;
    let name = q.into_inner().name.unwrap_or_default();
    let (custody, who) = (state.custody.clone(), staff.member());
    let made = blocking(move || {
        Ok(legal_documents::attach(
            &custody,
            &who,
            id,
            Upload {
                name: &name,
                content_type: kind,
                content: &body,
            },
        )?)
    })
    .await?;
    let at = format!(
        "/api/v1/libraries/{}/legal-requests/{id}/documents/{}",
        staff.library.slug, made.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, at))
        .json(made))
}

/// The request's documents, without their content.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}/documents", tag = "legal",
    operation_id = "list_legal_documents", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id")),
    responses(
        (status = 200, description = "The request's documents, without their content", body = DocumentList),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let items = blocking(move || Ok(legal_documents::list(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(DocumentList { items }))
}

/// One document's bytes, for the custodian of records; the opening is audited.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-requests/{id}/documents/{document}", tag = "legal",
    operation_id = "open_legal_document",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The legal request's id"), ("document" = i64, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The file as an attachment, in its own media type (`Cache-Control: no-store`)", content(
            ("application/pdf"), ("image/png"), ("image/jpeg"), ("text/plain"),
        )),
        (status = 403, description = "Not the library's custodian of records", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document of this request", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn open(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (_, id, doc) = path.into_inner();
    let (custody, who) = (state.custody.clone(), staff.member());
    let (meta, bytes) =
        blocking(move || Ok(legal_documents::open(&custody, &who, id, doc)?)).await?;
    Ok(download(&meta.name, &meta.content_type, bytes))
}

/// A document as a download: never cached, never shown inline.
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> HttpResponse {
    // The stored name is cleaned at attach time; quotes are dropped so the
    // header stays well formed.
    let name: String = name.chars().filter(|c| *c != '"').collect();
    HttpResponse::Ok()
        .content_type(content_type.to_owned())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// Registers the document endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource!("/libraries/{library}/legal-requests/{id}/documents", post => attach, get => list)
            .app_data(web::PayloadConfig::new(crate::input::DOCUMENT_BODY_LIMIT)),
    )
    .service(resource!("/libraries/{library}/legal-requests/{id}/documents/{document}", get => open));
}
