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
use custody::legal_documents::{self, Upload, CONTENT_TYPES, MAX_DOCUMENT_BYTES};
use serde::Deserialize;

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
pub async fn list(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    let items = blocking(move || Ok(legal_documents::list(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// One document's bytes, for the custodian of records; the opening is audited.
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
