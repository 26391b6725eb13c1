//! A library's vendor contracts and keys (its admins):
//! `/api/v1/libraries/{library}/vendors…`, and the public list of contracts
//! running today, `/api/v1/public/libraries/{library}/vendors`.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::{http::header, web, HttpResponse};
use custody::vendors::{self, ContractChange, NewContract};

/// Enters a contract; 201 with the contract.
pub async fn create(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    body: web::Json<NewContract>,
) -> ApiResult<HttpResponse> {
    let (custody, who, c) = (state.custody.clone(), admin.0.member(), body.into_inner());
    let made = blocking(move || Ok(vendors::create(&custody, &who, c)?)).await?;
    Ok(HttpResponse::Created().json(made))
}

/// The library's contracts.
pub async fn list(state: web::Data<AppState>, admin: LibraryAdmin) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let items = blocking(move || Ok(vendors::list(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// One contract.
pub async fn show(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let one = blocking(move || Ok(vendors::get(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(one))
}

/// Changes a contract; `contract_ends` may only move earlier (ending it early).
pub async fn patch(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    body: web::Json<ContractChange>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who, c) = (state.custody.clone(), admin.0.member(), body.into_inner());
    let one = blocking(move || Ok(vendors::patch(&custody, &who, id, c)?)).await?;
    Ok(HttpResponse::Ok().json(one))
}

/// Makes a key; 201, the secret shown this once.
pub async fn create_key(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let key = blocking(move || Ok(vendors::create_key(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(key))
}

/// A vendor's keys, with when each was last used.
pub async fn list_keys(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let items = blocking(move || Ok(vendors::list_keys(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Revokes a key at once; 204.
pub async fn revoke_key(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64, String)>,
) -> ApiResult<HttpResponse> {
    let (_, id, key) = path.into_inner();
    let (custody, who) = (state.custody.clone(), admin.0.member());
    blocking(move || Ok(vendors::revoke_key(&custody, &who, id, &key)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The library's contracts running today, with their privacy policies; no sign-in.
pub async fn public_list(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (custody, slug) = (state.custody.clone(), path.into_inner());
    let list = blocking(move || Ok(vendors::public_list(&custody, &slug)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `/libraries/{slug}/vendors`: the same list as a page; no sign-in.
pub async fn public_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (custody, slug) = (state.custody.clone(), path.into_inner());
    let list = blocking(move || Ok(vendors::public_list(&custody, &slug)?)).await?;
    Ok(HttpResponse::Ok().content_type(crate::pages::HTML).body(
        crate::pages::vendors::public_page(&list.library, &list.items)?,
    ))
}

/// Registers the public vendors page at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/vendors", get => public_page));
}

/// Registers the vendor endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/vendors", post => create, get => list))
        .service(resource!("/libraries/{library}/vendors/{id}", get => show, patch => patch))
        .service(resource!("/libraries/{library}/vendors/{id}/keys", post => create_key, get => list_keys))
        .service(resource!("/libraries/{library}/vendors/{id}/keys/{key}", delete => revoke_key))
        .service(resource!("/public/libraries/{library}/vendors", get => public_list));
}
