//! The consortium's member libraries, for the director: `/api/v1/libraries`.

use super::{blocking, PageQuery, Paged};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use store::libraries::{self, Library, NewLibrary};
use store::{security_log, Access, LibraryId, StoreError};

fn director_only(caller: &Caller) -> ApiResult<()> {
    if caller.is_director {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the consortium director manages member libraries",
        ))
    }
}

/// Lists member libraries.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    director_only(&caller)?;
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after.map(LibraryId), page.limit);
    let items =
        blocking(move || Ok(store.consortium(Access::Read, |c| libraries::list(c, after, limit))?))
            .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |l: &Library| l.id.0)))
}

/// `POST /api/v1/libraries`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Onboard {
    slug: String,
    name: String,
    jurisdiction: String,
}

/// The jurisdiction profiles custodian knows.
pub const JURISDICTIONS: [&str; 4] = ["missouri", "kansas", "north_carolina", "generic"];

/// Onboards a member library.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<Onboard>,
) -> ApiResult<HttpResponse> {
    director_only(&caller)?;
    let Onboard {
        slug,
        name,
        jurisdiction,
    } = body.into_inner();
    if !libraries::valid_slug(&slug) {
        return Err(ApiError::Invalid {
            field: "slug".into(),
            detail: "a slug is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit".into(),
        });
    }
    if name.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "name".into(),
            detail: "a library needs a name".into(),
        });
    }
    if !JURISDICTIONS.contains(&jurisdiction.as_str()) {
        return Err(ApiError::Invalid {
            field: "jurisdiction".into(),
            detail: format!("expected one of {}", JURISDICTIONS.join(", ")),
        });
    }
    let store = state.store.clone();
    let library = blocking(move || {
        store
            .consortium(Access::Write, |c| {
                libraries::create(
                    c,
                    &NewLibrary {
                        slug: &slug,
                        name: name.trim(),
                        jurisdiction: &jurisdiction,
                    },
                )
            })
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ApiError::Conflict("a library with this slug already exists".into())
                }
                other => other.into(),
            })
    })
    .await?;
    tracing::info!(library = %library.slug, "library onboarded");
    Ok(HttpResponse::Created().json(library))
}

/// `GET /api/v1/director/security-log`: refusals of callers in libraries they have no standing in, oldest first.
pub async fn security_log(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    if !caller.is_director {
        return Err(ApiError::Forbidden(
            "only the consortium director reads the consortium's security log",
        ));
    }
    let page = q.parse()?;
    let store = state.store.clone();
    let (after, limit) = (page.after, page.limit);
    let items = blocking(move || {
        Ok(store.read(LibraryId::CONSORTIUM, |tx| {
            security_log::list(tx, after, limit)
        })?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Paged::new(items, &page, |e: &security_log::Entry| e.id)))
}

/// Registers the consortium's libraries and its security log under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries", get => list, post => create))
        .service(resource!("/director/security-log", get => security_log));
}
