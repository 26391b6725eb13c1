//! The API's own description: `GET /api/v1/openapi.json` and the reference
//! page rendered from it at `GET /api/docs`.

use crate::error::ApiResult;
use actix_web::{http::header, web, HttpResponse};

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, serialized once.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    operation_id = "openapi_document",
    summary = "The OpenAPI 3.1 document of this API",
    responses(
        (status = 200, description = "This document", content_type = "application/json", body = Object),
    )
)]
pub async fn openapi_json() -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(crate::openapi::json_bytes()))
}

/// `GET /api/docs`: the readable reference, rendered from the same document.
pub async fn reference_page() -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type(crate::pages::HTML)
        .body(crate::pages::api_docs::page()?))
}

/// Registers `/openapi.json` under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/openapi.json", get => openapi_json));
}

/// Registers the reference page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/api/docs", get => reference_page));
}
