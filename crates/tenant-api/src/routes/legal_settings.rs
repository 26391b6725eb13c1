//! What a library charges for legal requests:
//! `GET`/`PUT /api/v1/libraries/{library}/legal-settings`. Any staff reads
//! the hourly rate (the invoice shows it); only the library's admin sets it.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::{LibraryAdmin, LibraryStaff};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::legal_cost::{self, SettingsInput};

/// The library's hourly rate for staff time on legal requests.
pub async fn show(state: web::Data<AppState>, staff: LibraryStaff) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), staff.member());
    let settings = blocking(move || Ok(legal_cost::settings(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Sets the hourly rate; answers the settings as they now are.
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
