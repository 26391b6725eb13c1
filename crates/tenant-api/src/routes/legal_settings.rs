//! What a library charges for legal requests:
//! `GET`/`PUT /api/v1/libraries/{library}/legal-settings`. Any staff reads
//! the hourly rate (the invoice shows it); only the library's admin sets it.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::{LibraryAdmin, LibraryStaff};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::legal_cost::{self, LegalSettings, SettingsInput};

/// The legal-settings endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show, update), components(schemas(LegalSettings, SettingsInput)))]
pub struct ApiDoc;

/// The library's hourly rate for staff time on legal requests.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-settings", tag = "legal",
    operation_id = "show_legal_settings", params(("library" = String, Path, description = "The library's slug", example = "riverside")),
    responses(
        (status = 200, description = "The hourly rate", body = LegalSettings),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn show(state: web::Data<AppState>, staff: LibraryStaff) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), staff.member());
    let settings = blocking(move || Ok(legal_cost::settings(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Sets the hourly rate; answers the settings as they now are.
#[utoipa::path(put, path = "/api/v1/libraries/{library}/legal-settings", tag = "legal",
    operation_id = "set_legal_settings", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = SettingsInput,
    responses(
        (status = 200, description = "The settings as they now are", body = LegalSettings),
        (status = 400, description = "`hourly_rate_cents` is missing or out of range", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<SettingsInput>,
) -> ApiResult<HttpResponse> {
    let (custody, who, input) = (state.custody.clone(), admin.0.member(), body.into_inner());
    let settings = blocking(move || Ok(legal_cost::set_settings(&custody, &who, input)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Registers the settings endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/legal-settings", get => show, put => update));
}
