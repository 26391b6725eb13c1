//! The yearly count of legal requests:
//! `GET /api/v1/libraries/{library}/legal-request-counts?year=2026`, for any
//! staff of the library. Counts only: no patron, no requester.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::legal_report::{self, CountRow, Totals, YearCounts};

/// The legal-request count's endpoint in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(counts), components(schemas(YearCounts, CountRow, Totals)))]
pub struct ApiDoc;
use serde::Deserialize;

/// `?year=`
#[derive(Deserialize)]
pub struct YearQuery {
    /// The calendar year; this one when absent.
    pub year: Option<String>,
}

/// The library's requests of the year by instrument and decision.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/legal-request-counts", tag = "legal",
    operation_id = "legal_request_counts",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("year" = Option<String>, Query, description = "The calendar year; this one when absent", example = "2026")),
    responses(
        (status = 200, description = "The year's requests by instrument and decision", body = YearCounts),
        (status = 400, description = "`year` is not a year custodian can count", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn counts(
    state: web::Data<AppState>,
    staff: LibraryStaff,
    q: web::Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    let year = legal_report::parse_year(q.year.as_deref())?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let counts = blocking(move || Ok(legal_report::counts(&custody, &who, year)?)).await?;
    Ok(HttpResponse::Ok().json(counts))
}

/// Registers the count's endpoint under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/legal-request-counts", get => counts));
}
