//! A library's vendor contracts and keys (its admins):
//! `/api/v1/libraries/{library}/vendors…`, and the public list of contracts
//! running today, `/api/v1/public/libraries/{library}/vendors`.
use super::blocking;
use crate::error::ApiResult;
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::{http::header, web, HttpResponse};
use custody::vendors::{
    self, ContractChange, KeyView, NewContract, NewKey, PublicVendor, PublicVendors, VendorView,
};
use serde::Serialize;

/// The library's contracts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VendorList {
    /// Every contract, running or not.
    pub items: Vec<VendorView>,
}

/// A contract's keys.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyList {
    /// Every key, revoked ones too.
    pub items: Vec<KeyView>,
}

/// The vendor endpoints of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create,
        list,
        show,
        patch,
        create_key,
        list_keys,
        revoke_key,
        public_list
    ),
    components(schemas(
        NewContract,
        ContractChange,
        VendorView,
        VendorList,
        NewKey,
        KeyView,
        KeyList,
        PublicVendor,
        PublicVendors
    ))
)]
pub struct ApiDoc;

/// Enters a contract; 201 with the contract.
#[utoipa::path(post, path = "/api/v1/libraries/{library}/vendors", tag = "vendors",
    operation_id = "create_vendor", params(("library" = String, Path, description = "The library's slug", example = "riverside")), request_body = NewContract,
    responses(
        (status = 201, description = "The contract as entered", body = VendorView),
        (status = 400, description = "A field is missing or not valid (named in `field`)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/libraries/{library}/vendors", tag = "vendors",
    operation_id = "list_vendors", params(("library" = String, Path, description = "The library's slug", example = "riverside")),
    responses(
        (status = 200, description = "Every contract of the library", body = VendorList),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, admin: LibraryAdmin) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let items = blocking(move || Ok(vendors::list(&custody, &who)?)).await?;
    Ok(HttpResponse::Ok().json(VendorList { items }))
}

/// One contract.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/vendors/{id}", tag = "vendors",
    operation_id = "show_vendor", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The contract's id")),
    responses(
        (status = 200, description = "The contract", body = VendorView),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[utoipa::path(patch, path = "/api/v1/libraries/{library}/vendors/{id}", tag = "vendors",
    operation_id = "change_vendor", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The contract's id")), request_body = ContractChange,
    responses(
        (status = 200, description = "The contract as it now is", body = VendorView),
        (status = 400, description = "A field is not valid, or `contract_ends` moves later", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/v1/libraries/{library}/vendors/{id}/keys", tag = "vendors",
    operation_id = "create_vendor_key", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The contract's id")),
    responses(
        (status = 201, description = "The new key; the secret is shown this once (`Cache-Control: no-store`)", body = NewKey),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/libraries/{library}/vendors/{id}/keys", tag = "vendors",
    operation_id = "list_vendor_keys", params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The contract's id")),
    responses(
        (status = 200, description = "The vendor's keys, without their secrets", body = KeyList),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract in this library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn list_keys(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let items = blocking(move || Ok(vendors::list_keys(&custody, &who, id)?)).await?;
    Ok(HttpResponse::Ok().json(KeyList { items }))
}

/// Revokes a key at once; 204.
#[utoipa::path(delete, path = "/api/v1/libraries/{library}/vendors/{id}/keys/{key}", tag = "vendors",
    operation_id = "revoke_vendor_key",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"), ("id" = i64, Path, description = "The contract's id"), ("key" = String, Path, description = "The key's id, `cvk_…`")),
    responses(
        (status = 204, description = "Revoked; the key stops working at once"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key of this contract", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/public/libraries/{library}/vendors", tag = "vendors",
    operation_id = "public_vendors", params(("library" = String, Path, description = "The library's slug", example = "riverside")),
    responses(
        (status = 200, description = "The contracts running today", body = PublicVendors),
        (status = 404, description = "No such library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
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
