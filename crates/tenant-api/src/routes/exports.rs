//! Exports for a purpose (#16): `GET
//! /api/v1/libraries/{library}/exports/{use_key}` (the library's admin), the
//! name and email of every patron the policy's optional use `use_key` may
//! reach, as JSON or `?format=csv`, leaving out those who opted out of it.
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use custody::exports::{self, UseContact, UseExport};

/// The export endpoint of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(for_use), components(schemas(UseExport, UseContact)))]
pub struct ApiDoc;
use serde::Deserialize;

/// `?format=json` (the default) or `csv`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `json` or `csv`.
    pub format: Option<String>,
}

/// The contacts a use may reach; 400 naming `use_key` when the library's
/// policy in force has no such use.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/exports/{use_key}", tag = "exports",
    operation_id = "export_for_use",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"),
        ("use_key" = String, Path, description = "An optional use of the library's policy in force", example = "reading_program"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`", pattern = "^(json|csv)$"),
    ),
    responses(
        (status = 200, description = "Name and email of every patron the use may reach (`Cache-Control: no-store`)", content(
            (UseExport = "application/json"),
            (String = "text/csv", example = "name,email\n"),
        )),
        (status = 400, description = "`format` is not json or csv, or the policy in force has no such use (`field`: `use_key`)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn for_use(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, String)>,
    q: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::Invalid {
                field: "format".into(),
                detail: "format is json or csv".into(),
            })
        }
    };
    let use_key = path.into_inner().1;
    let (custody, who, key) = (state.custody.clone(), admin.0.member(), use_key.clone());
    let export = blocking(move || Ok(exports::for_use(&custody, &who, &key)?)).await?;
    let mut res = HttpResponse::Ok();
    // Personal data: never kept by a cache on the way.
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if csv {
        // The key is lowercase letters, digits and _ (the policy named it).
        Ok(res
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}.csv\"",
                    admin.0.library.slug, export.use_view.key
                ),
            ))
            .body(exports::as_csv(&export)))
    } else {
        Ok(res.json(export))
    }
}

/// Registers the export endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/exports/{use_key}", get => for_use));
}
