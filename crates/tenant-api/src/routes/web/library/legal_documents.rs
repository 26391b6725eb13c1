//! Pages: attaching a document to a legal request from its page
//! (`POST /libraries/{library}/legal/{id}/documents`, a multipart form with
//! the file) and the custodian's download. The work is
//! `custody::legal_documents`, what the JSON endpoints call.

use super::legal_request::render;
use crate::error::{ApiError, ApiResult};
use crate::guards::{Custodian, LibraryStaff};
use crate::routes::blocking;
use crate::routes::legal_documents::{download, media_type, within_limit};
use crate::routes::web::{check_staff_form, refused, see_other};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::legal_documents::{self, Upload, MAX_DOCUMENT_BYTES};
use futures_util::StreamExt;

/// The form as posted: its token and the file chosen.
#[derive(Default)]
struct Posted {
    csrf: String,
    name: String,
    content_type: Option<String>,
    content: Vec<u8>,
}

/// Reads the form's parts; the file is read up to one byte past the limit,
/// so an oversize file is refused without holding more of it.
async fn read_form(mut form: Multipart) -> ApiResult<Posted> {
    let broken = |_| ApiError::Body("the form could not be read; choose the file again".into());
    let mut posted = Posted::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(broken)?;
        let part = field.name().unwrap_or_default().to_owned();
        if part == "file" {
            posted.name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_owned();
            posted.content_type = field.content_type().map(|m| m.essence_str().to_owned());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            let room = match part.as_str() {
                "file" => MAX_DOCUMENT_BYTES + 1,
                _ => 4096,
            };
            let take = chunk.len().min(room.saturating_sub(bytes.len()));
            bytes.extend_from_slice(&chunk[..take]);
        }
        match part.as_str() {
            "csrf" => posted.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => posted.content = bytes,
            _ => {}
        }
    }
    Ok(posted)
}

/// `POST /libraries/{library}/legal/{id}/documents`: any staff of the library
/// attaches what was served; 303 to the request's page, or the page again
/// with the refusal beside the file field.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let posted = read_form(form).await?;
    check_staff_form(&req, &posted.csrf)?;
    let outcome = attach(&state, &staff, id, posted).await;
    let e = match outcome {
        Ok(()) => {
            let to = format!("/libraries/{}/legal/{id}?done=document", staff.library.slug);
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let words = match &e {
        ApiError::Invalid { detail, .. } => crate::pages::patrons::sentence(detail),
        ApiError::UnsupportedMediaType(_) => {
            "Choose a PDF, PNG, JPEG or plain-text file; scan a paper order to PDF.".to_owned()
        }
        ApiError::BodyTooLarge { .. } => {
            "The file is larger than 10 MiB; scan it at a lower resolution or in parts.".to_owned()
        }
        _ => return Err(e),
    };
    let html = render(&state, &req, &staff, id, ("", "", None), None, Some(&words)).await?;
    Ok(refused(e.status_code(), html))
}

/// Checks the file and hands it to custody.
async fn attach(state: &AppState, staff: &LibraryStaff, id: i64, p: Posted) -> ApiResult<()> {
    if p.content.is_empty() && p.name.is_empty() {
        return Err(ApiError::Invalid {
            field: "file".into(),
            detail: "choose the file of the document to attach".into(),
        });
    }
    within_limit(p.content.len())?;
    let kind = media_type(p.content_type.as_deref())?;
    let (custody, who) = (state.custody.clone(), staff.member());
    blocking(move || {
        legal_documents::attach(
            &custody,
            &who,
            id,
            Upload {
                name: &p.name,
                content_type: kind,
                content: &p.content,
            },
        )?;
        Ok(())
    })
    .await
}

/// `GET /libraries/{library}/legal/{id}/documents/{document}`: the custodian
/// downloads a document served with the request (the opening is audited).
pub async fn document(
    state: web::Data<AppState>,
    Custodian(staff): Custodian,
    path: web::Path<(String, i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (_, id, doc) = path.into_inner();
    let (custody, who) = (state.custody.clone(), staff.member());
    let (meta, bytes) =
        blocking(move || Ok(legal_documents::open(&custody, &who, id, doc)?)).await?;
    Ok(download(&meta.name, &meta.content_type, bytes))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource!("/libraries/{library}/legal/{id}/documents", post => upload)
            .app_data(web::PayloadConfig::new(crate::input::DOCUMENT_BODY_LIMIT)),
    )
    .service(resource!("/libraries/{library}/legal/{id}/documents/{document}", get => document));
}
