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
#[utoipa::path(get, path = "/api/v1/libraries", tag = "libraries", operation_id = "list_member_libraries",
    summary = "The member libraries (director only)",
    params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of libraries", body = Paged<libraries::Library>, example = json!({"items": [{"id": 2, "slug": "riverbend", "name": "Riverbend Public Library", "jurisdiction": "missouri", "created_at": "2026-01-05T09:00:00.000000Z"}], "next_cursor": null}))))]
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "millbrook", "name": "Millbrook Public Library", "jurisdiction": "missouri"}))]
pub struct Onboard {
    /// The library's slug: lowercase letters, digits and dashes.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,62}$")]
    pub slug: String,
    /// Its name: not blank.
    #[schema(min_length = 1, pattern = "\\S")]
    pub name: String,
    /// Its jurisdiction profile, one of `custody::libraries::JURISDICTIONS`.
    #[schema(schema_with = jurisdictions)]
    pub jurisdiction: String,
}

/// `jurisdiction`'s schema: the profiles custody knows, from the same list it checks.
fn jurisdictions() -> utoipa::openapi::Object {
    crate::openapi::one_of(
        &custody::libraries::JURISDICTIONS,
        "Its jurisdiction profile.",
    )
}

/// Onboards a member library.
#[utoipa::path(post, path = "/api/v1/libraries", tag = "libraries", operation_id = "onboard_library",
    summary = "Onboard a member library (director only)",
    request_body(content = Onboard, content_type = "application/json"),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 201, description = "Onboarded", body = libraries::Library, example = json!({"id": 2, "slug": "riverbend", "name": "Riverbend Public Library", "jurisdiction": "missouri", "created_at": "2026-01-05T09:00:00.000000Z"})),
        (status = 409, description = "The slug is taken", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
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
#[utoipa::path(get, path = "/api/v1/director/security-log", tag = "libraries", operation_id = "security_log",
    summary = "Refused attempts to act in a library other than one's own (director only)",
    params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of entries", body = Paged<SecurityLogEntry>, example = json!({"items": [{"id": 1, "at": "2026-03-02T14:05:00.123456", "actor": "account:7", "library_id": 2, "action": "staff.manage", "clause": "custodian-tenant-isolation", "repeats": 1}], "next_cursor": null}))))]
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

/// The member libraries' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, security_log),
    components(schemas(Onboard, libraries::Library, SecurityLogEntry))
)]
pub struct ApiDoc;

/// Registers the consortium's libraries and its security log under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries", get => list, post => create))
        .service(resource!("/director/security-log", get => security_log));
}
