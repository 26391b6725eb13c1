//! Statistics that identify no one (#15):
//! `GET /api/v1/libraries/{library}/statistics` (the library's admins) and
//! `GET /api/v1/director/statistics` (the director, every library), with
//! `?from=&to=` (`YYYY-MM-DD`) and `?format=csv`. A count from 1 to 4 is
//! published as `null` with `"suppressed": true` (see `policy::statistics`).
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::{Director, LibraryAdmin};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use custody::statistics::{self, Report};
use serde::{Deserialize, Serialize};

/// `?from=&to=&format=`
#[derive(Deserialize)]
pub struct RangeQuery {
    /// The first day; two weeks before `to` when absent.
    pub from: Option<String>,
    /// The last day; today when absent.
    pub to: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

impl RangeQuery {
    /// The range asked for.
    pub fn range(&self) -> ApiResult<statistics::Range> {
        Ok(statistics::parse_range(
            self.from.as_deref(),
            self.to.as_deref(),
        )?)
    }

    fn csv(&self) -> ApiResult<bool> {
        match self.format.as_deref() {
            None | Some("") | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => Err(ApiError::Invalid {
                field: "format".into(),
                detail: "format is json or csv".into(),
            }),
        }
    }
}

/// The director's answer: every library's report.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DirectorStatistics)]
pub struct Libraries {
    /// One report per library, and `consortium` for pages that name none.
    libraries: Vec<Report>,
}

/// The statistics endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(library, director),
    components(schemas(
        Report,
        Libraries,
        statistics::DayCell,
        statistics::PageSeries,
        statistics::Series,
        policy::statistics::RangeTotal
    ))
)]
pub struct ApiDoc;

fn csv_response(name: &str, reports: &[Report]) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-statistics.csv\""),
        ))
        .content_type("text/csv; charset=utf-8")
        .body(statistics::csv(reports))
}

/// The library's counts per series and day.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/statistics", tag = "statistics",
    operation_id = "library_statistics",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"),
        ("from" = Option<String>, Query, description = "The first day, `YYYY-MM-DD`; two weeks before `to` when absent", format = Date),
        ("to" = Option<String>, Query, description = "The last day, `YYYY-MM-DD`; today when absent", format = Date),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`", pattern = "^(json|csv)?$"),
    ),
    responses(
        (status = 200, description = "The library's counts per series and day; 1 to 4 published as null (`Cache-Control: no-store`)", content(
            (Report = "application/json"),
            (String = "text/csv", example = "library,series,page,day,count,suppressed\n"),
        )),
        (status = 400, description = "`from`, `to` or `format` is not valid, or the range is longer than 366 days", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn library(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    q: web::Query<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let (range, csv) = (q.range()?, q.csv()?);
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let report = blocking(move || Ok(statistics::for_library(&custody, &who, range)?)).await?;
    if csv {
        return Ok(csv_response(&admin.0.library.slug, &[report]));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(report))
}

/// Every library's counts per series and day.
#[utoipa::path(get, path = "/api/v1/director/statistics", tag = "statistics",
    operation_id = "director_statistics",
    params(
        ("from" = Option<String>, Query, description = "The first day, `YYYY-MM-DD`; two weeks before `to` when absent", format = Date),
        ("to" = Option<String>, Query, description = "The last day, `YYYY-MM-DD`; today when absent", format = Date),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`", pattern = "^(json|csv)?$"),
    ),
    responses(
        (status = 200, description = "Every library's counts per series and day (`Cache-Control: no-store`)", content(
            (Libraries = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "`from`, `to` or `format` is not valid, or the range is longer than 366 days", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the consortium director", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn director(
    state: web::Data<AppState>,
    _director: Director,
    q: web::Query<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let (range, csv) = (q.range()?, q.csv()?);
    let custody = state.custody.clone();
    let libraries = blocking(move || Ok(statistics::for_director(&custody, range)?)).await?;
    if csv {
        return Ok(csv_response("consortium", &libraries));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Libraries { libraries }))
}

/// Registers the statistics endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/statistics", get => library))
        .service(resource!("/director/statistics", get => director));
}
