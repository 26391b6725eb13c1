//! Pages: `/libraries/{library}/statistics` (the library's admins) and
//! `/director/statistics` (the director), the same custody reports as
//! `GET /api/v1/…/statistics`, with a from/to form and a CSV link.

use crate::error::{ApiError, ApiResult};
use crate::guards::{Director, LibraryAdmin};
use crate::pages::nav;
use crate::pages::statistics::{self as pages, RangeForm};
use crate::routes::blocking;
use crate::routes::statistics::RangeQuery;
use crate::routes::web::{page, refused, staff_bar};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use custody::statistics;

/// The range asked for, or the form to show again with what was typed and why not.
fn range_of(q: &RangeQuery) -> Result<statistics::Range, RangeForm> {
    q.range().map_err(|e| {
        let error = match e {
            ApiError::Invalid { field, detail } => {
                let field = if field == "to" { "to" } else { "from" };
                (field, format!("{}.", capitalized(&detail)))
            }
            other => ("from", other.to_string()),
        };
        RangeForm {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            error: Some(error),
        }
    })
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `GET /libraries/{library}/statistics?from=&to=`
pub async fn library(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let staff = &admin.0;
    let bar = staff_bar(&req, &staff.caller, Some((staff.role, &staff.library.name)))?;
    let links = nav::library(&staff.library.slug, staff.role);
    let range = match range_of(&q) {
        Ok(range) => range,
        Err(form) => {
            let html = pages::library_page(links, bar, &staff.library.slug, &form, None)?;
            return Ok(refused(StatusCode::BAD_REQUEST, html));
        }
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let report = blocking(move || Ok(statistics::for_library(&custody, &who, range)?)).await?;
    let form = RangeForm::showing(range);
    Ok(page(pages::library_page(
        links,
        bar,
        &staff.library.slug,
        &form,
        Some(&report),
    )?))
}

/// `GET /director/statistics?from=&to=`
pub async fn director(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: Director,
    q: web::Query<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let bar = staff_bar(&req, &director.0, None)?;
    let range = match range_of(&q) {
        Ok(range) => range,
        Err(form) => {
            let html = pages::director_page(nav::director(), bar, &form, &[])?;
            return Ok(refused(StatusCode::BAD_REQUEST, html));
        }
    };
    let custody = state.custody.clone();
    let reports = blocking(move || Ok(statistics::for_director(&custody, range)?)).await?;
    let form = RangeForm::showing(range);
    Ok(page(pages::director_page(
        nav::director(),
        bar,
        &form,
        &reports,
    )?))
}

/// Registers the statistics pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/statistics", get => library))
        .service(resource!("/director/statistics", get => director));
}
