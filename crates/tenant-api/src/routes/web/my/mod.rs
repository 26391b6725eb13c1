//! The patron's own pages under `/my` (besides sign-in and sign-out in
//! `patron.rs`). Each calls the function its JSON endpoint under
//! `/api/v1/patron/me` calls (`custody::me`, or the shared halves of
//! `routes::me`); the account page and the requests page call
//! `custody::me::overview` and `custody::me::own_requests`.

mod privacy;
mod settings;

use super::{page, patron_bar};
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::pages::my::{self as pages};
use crate::pages::paging::Pager;
use crate::routes::{blocking, me as me_api, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use custody::me;
use serde::Deserialize;
use settings::{
    delete_form, pin_changed, request_deletion, set_contact, set_history, set_pin, settings,
};

/// The name of the patron's library, for the header.
pub(super) async fn library_name(state: &AppState, patron: &Patron) -> ApiResult<String> {
    library_of(state, patron).await.map(|l| l.name)
}

/// The patron's library.
async fn library_of(state: &AppState, patron: &Patron) -> ApiResult<custody::Library> {
    let store = state.store.clone();
    let all = blocking(move || Ok(custody::libraries::all(&store)?)).await?;
    all.into_iter()
        .find(|l| l.id.0 == patron.library.0)
        .ok_or(ApiError::NotFound)
}

/// The header of the patron's pages.
pub(super) async fn bar(
    state: &AppState,
    req: &HttpRequest,
    patron: &Patron,
) -> ApiResult<crate::pages::layout::SessionBar> {
    let library = library_name(state, patron).await?;
    patron_bar(req, &library)
}

/// The patron's own account, as `GET /api/v1/patron/me` reads it.
pub(super) async fn profile(state: &AppState, patron: &Patron) -> ApiResult<me::Patron> {
    let (custody, who) = (state.custody.clone(), patron.own());
    blocking(move || Ok(me::profile(&custody, &who)?)).await
}

/// `/my`: everything held about the patron at a glance, with the notice of
/// a privacy policy change until dismissed and the opt-outs.
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let overview = blocking(move || Ok(me::overview(&custody, &who)?)).await?;
    let library = library_of(&state, &patron).await?;
    let bar = patron_bar(&req, &library.name)?;
    let flash = match q.done.as_deref() {
        Some("dismissed") => {
            Some("The notice is dismissed. The policy stays on the library's privacy page.")
        }
        Some("opt-outs") => Some("Your choices are saved and recorded with the policy's version."),
        _ => None,
    };
    Ok(page(pages::home(
        &overview,
        &library.name,
        &library.slug,
        flash,
        bar,
    )?))
}

/// `/my/records`: the patron's records a page at a time, as `GET /api/v1/patron/me/records` gives them.
pub async fn records(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = q.parse()?;
    let (custody, who) = (state.custody.clone(), patron.own());
    let (before, limit) = (paging.after, paging.limit);
    let items = blocking(move || Ok(me::own_records(&custody, &who, before, limit)?)).await?;
    let listed = Paged::new(items, &paging, |r: &me::Record| r.id);
    let pager = Pager::new(
        "/my/records",
        "",
        q.cursor.as_deref(),
        listed.next_cursor.as_deref(),
    );
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::records(&listed.items, &pager, bar)?))
}

/// `/my/export`: the same download as `GET /api/v1/patron/me/export`.
pub async fn export(state: web::Data<AppState>, patron: Patron) -> ApiResult<HttpResponse> {
    crate::routes::me_records::export(state, patron).await
}

/// `/my/access-log`: who saw the patron's data, as `GET /api/v1/patron/me/access-log` gives it.
pub async fn access_log(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let items = blocking(move || Ok(me::access_log(&custody, &who)?)).await?;
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::access_log(&items, bar)?))
}

/// `?done=` after a form: which fixed notice to show (never the query's own words).
#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `/my/requests`: the patron's own requests and where they stand.
pub async fn requests(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let items = blocking(move || Ok(me::own_requests(&custody, &who)?)).await?;
    let notice = match q.done.as_deref() {
        Some("deletion") => Some("Your request to delete your account is filed. Your library has it in its queue; it is listed below."),
        _ => None,
    };
    let bar = bar(&state, &req, &patron).await?;
    let caller = patron.clone();
    Ok(page(pages::requests(
        &items,
        |id| me_api::request_number(&caller, id),
        notice,
        bar,
    )?))
}

/// Registers the patron's pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/my", get => home))
        .service(resource!("/my/records", get => records))
        .service(resource!("/my/export", get => export))
        .service(resource!("/my/access-log", get => access_log))
        .service(resource!("/my/requests", get => requests))
        .service(resource!("/my/settings", get => settings))
        .service(resource!("/my/settings/history", post => set_history))
        .service(resource!("/my/settings/contact", post => set_contact))
        .service(resource!("/my/settings/pin", post => set_pin))
        .service(resource!("/my/settings/delete", get => delete_form, post => request_deletion))
        .service(resource!("/my/pin-changed", get => pin_changed))
        .service(resource!("/my/privacy/dismiss", post => privacy::dismiss))
        .service(resource!("/my/privacy/opt-outs", post => privacy::set_opt_outs));
}
