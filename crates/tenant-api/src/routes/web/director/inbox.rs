//! Pages: the director's inbox and triage (`/director`), and a request's
//! page (`/director/requests/{id}`), with its reply, its move, and for an
//! organizational correction the form that files it as a directory change.

use crate::error::{ApiError, ApiResult};
use crate::pages::layout::SessionBar;
use crate::pages::nav;
use crate::pages::requests::{Queue, Typed};
use crate::routes::mail::inbox::DIRECTOR_QUEUES;
use crate::routes::mail::MailDirector;
use crate::routes::web::request_forms::{
    self as shared, form_error, ChangeForm, Done, ListParams, ReplyForm,
};
use crate::routes::web::{check_staff_form, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use directory::moderation::Patch;
use notifier::requests::{MailRequestId, DIRECTOR_SCOPE};
use serde::Deserialize;

fn director_queue() -> Queue {
    Queue {
        base: "/director".into(),
        nav: nav::director(),
        director: true,
        api: "/api/v1/director".into(),
    }
}

fn bar(req: &HttpRequest, director: &MailDirector) -> ApiResult<SessionBar> {
    staff_bar(req, &director.0 .0, None)
}

/// `GET /director`: the inbox and triage, overdue first.
pub async fn inbox_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    params: web::Query<ListParams>,
) -> ApiResult<HttpResponse> {
    let bar = bar(&req, &director)?;
    let me = director.0 .0.id;
    shared::list(
        &state,
        &director_queue(),
        DIRECTOR_SCOPE,
        &DIRECTOR_QUEUES,
        params.into_inner(),
        me,
        bar,
    )
    .await
}

/// `GET /director/requests/{id}`
pub async fn request_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    id: web::Path<MailRequestId>,
    done: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let bar = bar(&req, &director)?;
    let me = director.0 .0.id;
    let queue = director_queue();
    shared::show(
        &state,
        &queue,
        DIRECTOR_SCOPE,
        id.into_inner(),
        me,
        &done,
        bar,
    )
    .await
}

/// `POST /director/requests/{id}/reply`
pub async fn reply_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    id: web::Path<MailRequestId>,
    form: web::Form<ReplyForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, form.token())?;
    let bar = bar(&req, &director)?;
    let me = director.0 .0.id;
    let queue = director_queue();
    let id = id.into_inner();
    shared::reply(
        &state,
        &queue,
        DIRECTOR_SCOPE,
        id,
        me,
        form.into_inner(),
        bar,
    )
    .await
}

/// `POST /director/requests/{id}/change`
pub async fn change_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    id: web::Path<MailRequestId>,
    form: web::Form<ChangeForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, form.token())?;
    let bar = bar(&req, &director)?;
    let me = director.0 .0.id;
    let queue = director_queue();
    let id = id.into_inner();
    shared::change(
        &state,
        &queue,
        DIRECTOR_SCOPE,
        id,
        me,
        form.into_inner(),
        bar,
    )
    .await
}

/// The form that files an organizational correction as a directory change.
#[derive(Debug, Deserialize)]
pub struct EntryChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    library: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
}

impl EntryChangeForm {
    /// The directory change it asks for: one field of the entry.
    fn patch(&self) -> ApiResult<Patch> {
        let v = Some(self.value.trim().to_owned());
        let mut p = Patch::default();
        match self.field.as_str() {
            "name" => p.name = v,
            "address" => p.address = v,
            "city" => p.city = v,
            "phone" => p.phone = v,
            "email" => p.email = v,
            "website" => p.website = v,
            "hours" => p.hours = v,
            "services" => p.services = v,
            _ => {
                return Err(ApiError::Invalid {
                    field: "field".into(),
                    detail: "choose what to change in the entry".into(),
                })
            }
        }
        Ok(p)
    }
}

/// `POST /director/requests/{id}/directory-change`: files the correction as
/// a change to the library's directory entry, through the same moderation
/// as an admin's submission (`directory::Directory::submit`); it is then
/// approved in Directory changes.
pub async fn directory_change_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    director: MailDirector,
    id: web::Path<MailRequestId>,
    form: web::Form<EntryChangeForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let bar = bar(&req, &director)?;
    let me = director.0 .0.id;
    let queue = director_queue();
    let id = id.into_inner();
    let filed = match form.patch() {
        Ok(patch) => file_change(&state, &form.library, me, patch).await,
        Err(e) => Err(e),
    };
    match filed {
        Ok(()) => Ok(see_other(&format!("{}?done=filed", queue.request_path(id.0))).finish()),
        Err(e) => {
            let Some((_, text)) = form_error(&e, &["value"]) else {
                return Err(e);
            };
            let typed = Typed {
                entry_field: &form.field,
                entry_value: &form.value,
                error: Some(("value", text)),
                ..Typed::default()
            };
            shared::show_refused(&state, &queue, DIRECTOR_SCOPE, id, me, e, typed, bar).await
        }
    }
}

/// Submits `patch` for the library `slug`'s entry in the director's name.
async fn file_change(
    state: &AppState,
    slug: &str,
    by: notifier::requests::AccountId,
    patch: Patch,
) -> ApiResult<()> {
    let store = state.store.clone();
    let slug = slug.to_owned();
    let library = crate::routes::blocking(move || {
        custody::libraries::by_slug(&store, &slug).map_err(ApiError::from)
    })
    .await?;
    state.directory.submit(library, by, patch).await?;
    Ok(())
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director", get => inbox_page))
        .service(resource!("/director/requests/{id}", get => request_page))
        .service(resource!("/director/requests/{id}/reply", post => reply_post))
        .service(resource!("/director/requests/{id}/change", post => change_post))
        .service(
            resource!("/director/requests/{id}/directory-change", post => directory_change_post),
        );
}
