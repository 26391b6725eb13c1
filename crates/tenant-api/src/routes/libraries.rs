//! The consortium's member libraries, for the director: `/api/v1/libraries`.

use super::{blocking, PageQuery, Paged};
use crate::error::ApiResult;
use crate::guards::{DirectorAt, MemberLibraries, SecurityLog};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use custody::libraries::{self, Onboarding, SecurityLogEntry};
use serde::Deserialize;

pub use custody::libraries::JURISDICTIONS;

/// Lists member libraries.
pub async fn list(
    state: web::Data<AppState>,
    _director: DirectorAt<MemberLibraries>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
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
    /// The library's slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its jurisdiction profile.
    pub jurisdiction: String,
}

/// Onboards a member library.
pub async fn create(
    state: web::Data<AppState>,
    _director: DirectorAt<MemberLibraries>,
    body: web::Json<Onboard>,
) -> ApiResult<HttpResponse> {
    let library = onboard(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(library))
}

/// Onboards a member library: the JSON endpoint and the member libraries page both call this.
pub async fn onboard(state: &AppState, body: Onboard) -> ApiResult<libraries::Library> {
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
    // Its new directory entry shows in the public lists now, not at the cache's TTL.
    state.directory.changed(None).await?;
    tracing::info!(library = %library.slug, "library onboarded");
    Ok(library)
}

/// `GET /api/v1/director/security-log`: refusals of callers in libraries they have no standing in, oldest first.
pub async fn security_log(
    state: web::Data<AppState>,
    _director: DirectorAt<SecurityLog>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
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
