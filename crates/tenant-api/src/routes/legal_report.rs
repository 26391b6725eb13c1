//! The yearly count of legal requests:
//! `GET /api/v1/libraries/{library}/legal-request-counts?year=2026`, for any
//! staff of the library. Counts only: no patron, no requester.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::legal_report;
use serde::Deserialize;

/// `?year=`
#[derive(Deserialize)]
pub struct YearQuery {
    /// The calendar year; this one when absent.
    pub year: Option<String>,
}

/// The library's requests of the year by instrument and decision.
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
