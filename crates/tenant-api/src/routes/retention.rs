//! A library's retention periods:
//! `GET`/`PUT /api/v1/libraries/{library}/retention`, its admin's alone.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::retention::{self, SettingsInput};
use serde::Deserialize;

/// The library's periods per record kind, with its policy's limits.
pub async fn show(state: web::Data<AppState>, admin: LibraryAdmin) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let settings = blocking(move || Ok(retention::settings(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Sets the periods (kinds not named take the policy's); answers them as they now are.
pub async fn update(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<SettingsInput>,
) -> ApiResult<HttpResponse> {
    let (custody, who, input) = (state.custody.clone(), admin.0.member(), body.into_inner());
    let settings = blocking(move || Ok(retention::set_settings(&custody, &who, &input)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// What a run asks: only count (the default), or do it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// Anonymize and delete what is due; without it nothing changes.
    #[serde(default)]
    pub apply: bool,
}

/// Runs retention in the admin's library now: counts what is due, or with
/// `apply` does it; answers the library's report.
pub async fn run(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<RunInput>,
) -> ApiResult<HttpResponse> {
    let (custody, who, apply) = (state.custody.clone(), admin.0.member(), body.apply);
    let report = blocking(move || Ok(retention::run_for_library(&custody, &who, apply)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"dry_run": !apply, "report": report})))
}

/// Registers the retention endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/retention", get => show, put => update));
    cfg.service(resource!("/libraries/{library}/retention/run", post => run));
}
