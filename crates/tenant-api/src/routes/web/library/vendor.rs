//! Pages: one vendor contract (`/libraries/{library}/vendors/manage/{id}`)
//! for the library's admin: its facts and keys, ending it early, its erasure
//! contact, creating a key (shown once) and revoking one. The work is
//! `custody::vendors`, what the JSON endpoints (`routes::vendors`) call.

use super::vendors::{desk_words, office_of, DoneQuery};
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::vendor_admin::{self as pages, Changes};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::vendors::{self, ContractChange};
use serde::Deserialize;

/// A form carrying only the session's token.
#[derive(Deserialize)]
pub struct TokenPost {
    #[serde(default)]
    csrf: String,
}

/// "End the contract early" as posted.
#[derive(Deserialize)]
pub struct EndPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contract_ends: String,
}

/// The erasure contact as posted.
#[derive(Deserialize)]
pub struct ErasurePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    erasure_contact: String,
}

/// The contract's page, with a form as typed and a refusal beside it.
async fn render(
    state: &AppState,
    req: &HttpRequest,
    admin: &LibraryAdmin,
    id: i64,
    changes: Changes<'_>,
    notice: Option<&str>,
) -> ApiResult<String> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let (vendor, keys) = blocking(move || {
        let vendor = vendors::get(&custody, &who, id)?;
        let keys = vendors::list_keys(&custody, &who, id)?;
        Ok((vendor, keys))
    })
    .await?;
    let office = office_of(req, admin)?;
    pages::vendor_page(&office, &vendor, &keys, &changes, notice)
}

/// `GET /libraries/{library}/vendors/manage/{id}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    q: web::Query<DoneQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let notice = match q.done.as_deref() {
        Some("added") => Some("The vendor was added. Create a key for its service below."),
        Some("ended") => Some("The contract's last day was changed."),
        Some("contact") => Some("The erasure contact was saved."),
        Some("revoked") => Some("The key was revoked; it no longer works."),
        _ => None,
    };
    Ok(page(
        render(&state, &req, &admin, id, Changes::default(), notice).await?,
    ))
}

/// A change through `vendors::patch`: 303 to the page with `done`, or the
/// page again with the refusal beside the form it came from.
async fn change(
    state: &AppState,
    req: &HttpRequest,
    admin: &LibraryAdmin,
    id: i64,
    c: ContractChange,
    done: &str,
    typed: Changes<'_>,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let e = match blocking(move || Ok(vendors::patch(&custody, &who, id, c)?)).await {
        Ok(_) => {
            let to = format!("{}?done={done}", office_of(req, admin)?.vendor(id));
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let ApiError::Invalid { field, detail } = &e else {
        return Err(e);
    };
    let input = if field == "erasure_contact" {
        "erasure_contact"
    } else {
        "contract_ends"
    };
    let words = desk_words(field, detail);
    let changes = Changes {
        error: Some((input, &words)),
        ..typed
    };
    let html = render(state, req, admin, id, changes, None).await?;
    Ok(refused(e.status_code(), html))
}

/// `POST …/manage/{id}/end`: moves the contract's last day earlier.
pub async fn end(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<EndPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = path.into_inner().1;
    let c = ContractChange {
        contract_ends: Some(form.contract_ends.clone()),
        ..ContractChange::default()
    };
    let typed = Changes {
        contract_ends: &form.contract_ends,
        ..Changes::default()
    };
    change(&state, &req, &admin, id, c, "ended", typed).await
}

/// `POST …/manage/{id}/erasure-contact`: sets or clears the erasure contact.
pub async fn erasure_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<ErasurePost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = path.into_inner().1;
    let c = ContractChange {
        erasure_contact: Some(form.erasure_contact.clone()),
        ..ContractChange::default()
    };
    let typed = Changes {
        erasure_contact: Some(&form.erasure_contact),
        ..Changes::default()
    };
    change(&state, &req, &admin, id, c, "contact", typed).await
}

/// `POST …/manage/{id}/keys`: makes a key; the answer (201, never stored
/// by a cache) shows it this once.
pub async fn create_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64)>,
    form: web::Form<TokenPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), admin.0.member());
    let (vendor, key) = blocking(move || {
        let key = vendors::create_key(&custody, &who, id)?;
        Ok((vendors::get(&custody, &who, id)?, key))
    })
    .await?;
    let office = office_of(&req, &admin)?;
    // `refused` sends Cache-Control: no-store, which this page must have.
    Ok(refused(
        StatusCode::CREATED,
        pages::key_page(&office, &vendor, &key)?,
    ))
}

/// `POST …/manage/{id}/keys/{key}/revoke`: revokes the key at once.
pub async fn revoke_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    path: web::Path<(String, i64, String)>,
    form: web::Form<TokenPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let (_, id, key) = path.into_inner();
    let (custody, who) = (state.custody.clone(), admin.0.member());
    blocking(move || Ok(vendors::revoke_key(&custody, &who, id, &key)?)).await?;
    let to = format!("{}?done=revoked", office_of(&req, &admin)?.vendor(id));
    Ok(see_other(&to).finish())
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/vendors/manage/{id}", get => show))
        .service(resource!("/libraries/{library}/vendors/manage/{id}/end", post => end))
        .service(
            resource!("/libraries/{library}/vendors/manage/{id}/erasure-contact", post => erasure_contact),
        )
        .service(resource!("/libraries/{library}/vendors/manage/{id}/keys", post => create_key))
        .service(
            resource!("/libraries/{library}/vendors/manage/{id}/keys/{key}/revoke", post => revoke_key),
        );
}
