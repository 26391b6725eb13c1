//! A library's retention periods:
//! `GET`/`PUT /api/v1/libraries/{library}/retention`, its admin's alone.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::retention::{
    self, KindCounts, KindPeriod, LastRun, LibraryReport, PeriodInput, RetentionSettings,
    SettingsInput,
};
use serde::{Deserialize, Serialize};

/// A run's answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RetentionRun)]
pub struct RunAnswer {
    /// Whether nothing was changed (counts only).
    dry_run: bool,
    /// What the run counted or did in the admin's library.
    report: LibraryReport,
}

/// The retention endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(show, update, run),
    components(schemas(
        RetentionSettings,
        KindPeriod,
        LastRun,
        SettingsInput,
        PeriodInput,
        RunInput,
        RunAnswer,
        LibraryReport,
        KindCounts,
        policy::retention::PurgeMethod
    ))
)]
pub struct ApiDoc;

/// The library's periods per record kind, with its policy's limits.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/retention", tag = "retention",
    operation_id = "show_retention", params(("library" = String, Path, description = "The library's slug", example = "riverside")),
    responses(
        (status = 200, description = "The periods per record kind, with the policy's limits", body = RetentionSettings),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn show(state: web::Data<AppState>, admin: LibraryAdmin) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let settings = blocking(move || Ok(retention::settings(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Sets the periods (kinds not named take the policy's); answers them as they now are.
#[utoipa::path(put, path = "/api/v1/libraries/{library}/retention", tag = "retention",
    operation_id = "set_retention", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = SettingsInput,
    responses(
        (status = 200, description = "The periods as they now are", body = RetentionSettings),
        (status = 400, description = "A kind, a number of days or a method is not valid, or looser than the library's policy allows", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RetentionRunInput, example = json!({"apply": false}))]
pub struct RunInput {
    /// Anonymize and delete what is due; without it nothing changes.
    #[serde(default)]
    pub apply: bool,
}

/// Runs retention in the admin's library now: counts what is due, or with
/// `apply` does it; answers the library's report.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/retention/run", tag = "retention",
    operation_id = "run_retention", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = RunInput,
    responses(
        (status = 200, description = "What is due (`dry_run: true`) or what was done", body = RunAnswer),
        (status = 409, description = "Another retention run is under way", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn run(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<RunInput>,
) -> ApiResult<HttpResponse> {
    let (custody, who, apply) = (state.custody.clone(), admin.0.member(), body.apply);
    let report = blocking(move || Ok(retention::run_for_library(&custody, &who, apply)?)).await?;
    Ok(HttpResponse::Ok().json(RunAnswer {
        dry_run: !apply,
        report,
    }))
}

/// Registers the retention endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/retention", get => show, put => update));
    cfg.service(resource!("/libraries/{library}/retention/run", post => run));
}
