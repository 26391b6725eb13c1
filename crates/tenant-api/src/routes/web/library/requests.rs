//! Pages: the library's request queue (`/libraries/{library}/requests`)
//! and a request's page, behind `LibraryStaff`; another library's queue is
//! not found. The forms are shared with the director's inbox (`web::request_forms`).

use crate::error::ApiResult;
use crate::guards::LibraryStaff;
use crate::pages::nav;
use crate::pages::requests::Queue;
use crate::routes::mail::library_queue::LIBRARY_QUEUES;
use crate::routes::web::request_forms::{
    change, list, reply, show, ChangeForm, Done, ListParams, ReplyForm,
};
use crate::routes::web::{check_staff_form, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use notifier::requests::MailRequestId;

fn library_queue(staff: &LibraryStaff) -> Queue {
    let slug = &staff.library.slug;
    Queue {
        base: format!("/libraries/{slug}"),
        nav: nav::library(slug, staff.role),
        director: false,
        api: format!("/api/v1/libraries/{slug}"),
    }
}

fn bar(req: &HttpRequest, staff: &LibraryStaff) -> ApiResult<crate::pages::layout::SessionBar> {
    staff_bar(req, &staff.caller, Some((staff.role, &staff.library.name)))
}

/// `GET /libraries/{library}/requests`: the library's queue.
pub async fn queue_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    params: web::Query<ListParams>,
) -> ApiResult<HttpResponse> {
    let bar = bar(&req, &staff)?;
    let queue = library_queue(&staff);
    list(
        &state,
        &queue,
        staff.library.id,
        &LIBRARY_QUEUES,
        params.into_inner(),
        staff.caller.id,
        bar,
    )
    .await
}

/// `GET /libraries/{library}/requests/{id}`: a request of the library's queue.
pub async fn request_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
    done: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let bar = bar(&req, &staff)?;
    let queue = library_queue(&staff);
    let id = path.into_inner().1;
    show(
        &state,
        &queue,
        staff.library.id,
        id,
        staff.caller.id,
        &done,
        bar,
    )
    .await
}

/// `POST /libraries/{library}/requests/{id}/reply`
pub async fn reply_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
    form: web::Form<ReplyForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, form.token())?;
    let bar = bar(&req, &staff)?;
    let queue = library_queue(&staff);
    let id = path.into_inner().1;
    let (scope, me) = (staff.library.id, staff.caller.id);
    reply(&state, &queue, scope, id, me, form.into_inner(), bar).await
}

/// `POST /libraries/{library}/requests/{id}/change`
pub async fn change_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, MailRequestId)>,
    form: web::Form<ChangeForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, form.token())?;
    let bar = bar(&req, &staff)?;
    let queue = library_queue(&staff);
    let id = path.into_inner().1;
    let (scope, me) = (staff.library.id, staff.caller.id);
    change(&state, &queue, scope, id, me, form.into_inner(), bar).await
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/requests", get => queue_page))
        .service(resource!("/libraries/{library}/requests/{id}", get => request_page))
        .service(resource!("/libraries/{library}/requests/{id}/reply", post => reply_post))
        .service(resource!("/libraries/{library}/requests/{id}/change", post => change_post));
}
