//! The consortium's member libraries, for the director: `/api/v1/libraries`.

use super::{blocking, PageQuery, Paged};
use crate::error::{ApiError, ApiResult};
use crate::guards::Director;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::libraries::{self, Onboarding, SecurityLogEntry};
use serde::Deserialize;

pub use custody::libraries::JURISDICTIONS;

/// The director guard, refusing everybody else with `why`; an unauthenticated
/// caller still gets the guard's own answer.
fn director(guard: Result<Director, ApiError>, why: &'static str) -> ApiResult<Director> {
    guard.map_err(|e| match e {
        ApiError::Forbidden(_) => ApiError::Forbidden(why),
        other => other,
    })
}

const MANAGES_LIBRARIES: &str = "only the consortium director manages member libraries";

/// Lists member libraries.
pub async fn list(
    state: web::Data<AppState>,
    guard: Result<Director, ApiError>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    director(guard, MANAGES_LIBRARIES)?;
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after.map(libraries::LibraryId), page.limit);
    let items = blocking(move || Ok(libraries::list(&store, after, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |l: &libraries::Library| l.id.0)))
}

/// `POST /api/v1/libraries`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Onboard {
    slug: String,
    name: String,
    jurisdiction: String,
}

/// Onboards a member library.
pub async fn create(
    state: web::Data<AppState>,
    guard: Result<Director, ApiError>,
    body: web::Json<Onboard>,
) -> ApiResult<HttpResponse> {
    director(guard, MANAGES_LIBRARIES)?;
    let body = body.into_inner();
    let store = state.store.clone();
    let library = blocking(move || {
        let new = Onboarding {
            slug: &body.slug,
            name: &body.name,
            jurisdiction: &body.jurisdiction,
        };
        Ok(libraries::onboard(&store, &new)?)
    })
    .await?;
    tracing::info!(library = %library.slug, "library onboarded");
    Ok(HttpResponse::Created().json(library))
}

/// `GET /api/v1/director/security-log`: refusals of callers in libraries they have no standing in, oldest first.
pub async fn security_log(
    state: web::Data<AppState>,
    guard: Result<Director, ApiError>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    director(
        guard,
        "only the consortium director reads the consortium's security log",
    )?;
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after, page.limit);
    let items = blocking(move || Ok(libraries::security_log(&store, after, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |e: &SecurityLogEntry| e.id)))
}

/// Registers the consortium's libraries and its security log under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries", get => list, post => create))
        .service(resource!("/director/security-log", get => security_log));
}
