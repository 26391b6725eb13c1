//! Pages: the director corrects or retires any directory entry, imported
//! ones included. The work is `state.directory.director_edit` and `retire`,
//! what `PATCH /api/v1/directory/libraries/{id}` and its `/retire` call;
//! every version stays in the entry's history, shown on its page.

use crate::error::{ApiError, ApiResult};
use crate::guards::{DirectorAt, Moderation};
use crate::pages::directory::director::{self, Retirement, FIND};
use crate::pages::moderation::EntryForm;
use crate::routes::web::library::directory_entry::{form_field, patch_of, EntryPost};
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use directory::moderation::Patch;
use directory::search::RawQuery;
use directory::DirectoryError;
use serde::Deserialize;

/// `?q=&cursor=` on the search for an entry.
#[derive(Deserialize)]
pub struct FindQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// `?done=` on an entry's page, `?version=` on its forms.
#[derive(Deserialize)]
pub struct EntryQuery {
    done: Option<String>,
    version: Option<i64>,
}

/// The retirement form as posted.
#[derive(Deserialize)]
pub struct RetireForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

fn entry_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// `GET /director/directory`: every entry by name, town or ZIP code.
pub async fn find(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    q: web::Query<FindQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let text = q.q.unwrap_or_default();
    let bar = staff_bar(&req, &director.0, None)?;
    if text.trim().is_empty() {
        return Ok(page(director::find_page(&text, None, bar)?));
    }
    let raw = RawQuery {
        q: Some(text.clone()),
        member: Some("false".into()),
        limit: Some("50".into()),
        cursor: q.cursor,
        ..Default::default()
    };
    match state.directory.search(&raw).await {
        Ok((_, found)) => Ok(page(director::find_page(&text, Some(Ok(&found)), bar)?)),
        Err(DirectoryError::Invalid { detail, .. }) => Ok(refused(
            actix_web::http::StatusCode::BAD_REQUEST,
            director::find_page(&text, Some(Err(&detail)), bar)?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /director/directory/{id}`: the entry, its correction and retirement forms, its history.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    path: web::Path<String>,
    q: web::Query<EntryQuery>,
) -> ApiResult<HttpResponse> {
    let h = state.directory.history(entry_id(&path)?).await?;
    let notice = match q.done.as_deref() {
        Some("edited") => Some("The correction is published and kept in the entry's history."),
        Some("retired") => Some("The entry is retired: it is no longer listed."),
        _ => None,
    };
    let bar = staff_bar(&req, &director.0, None)?;
    let form = EntryForm::from_item(&h.entry);
    let retirement = Retirement {
        reason: "",
        error: None,
    };
    Ok(page(director::entry_page(
        &h, &form, retirement, notice, bar,
    )?))
}

/// `POST /director/directory/{id}?version=`: publishes the correction.
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    path: web::Path<String>,
    q: web::Query<EntryQuery>,
    form: web::Form<EntryPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = entry_id(&path)?;
    let h = state.directory.history(id).await?;
    let result = match patch_of(&form, &h.entry) {
        Err(e) => Err(e),
        Ok(patch) if patch == Patch::default() => Err(ApiError::Invalid {
            field: "name".into(),
            detail: "Nothing was changed: change at least one field, then publish.".into(),
        }),
        Ok(patch) => state
            .directory
            .director_edit(id, q.version, patch)
            .await
            .map_err(ApiError::from),
    };
    let e = match result {
        Ok(_) => return Ok(see_other(&format!("{FIND}/{id}?done=edited")).finish()),
        Err(e) => e,
    };
    let ApiError::Invalid { field, detail } = &e else {
        return Err(e);
    };
    let mut values = EntryForm::from_item(&h.entry).values;
    for (name, value) in values.iter_mut() {
        if let Some(typed) = form.value(name) {
            value.clone_from(typed);
        }
    }
    let form = EntryForm {
        values,
        error: Some((form_field(field), detail.clone())),
    };
    let bar = staff_bar(&req, &director.0, None)?;
    let retirement = Retirement {
        reason: "",
        error: None,
    };
    Ok(refused(
        e.status_code(),
        director::entry_page(&h, &form, retirement, None, bar)?,
    ))
}

/// `POST /director/directory/{id}/retire?version=`: takes the entry out of every list.
pub async fn retire(
    state: web::Data<AppState>,
    req: HttpRequest,
    DirectorAt(director, _): DirectorAt<Moderation>,
    path: web::Path<String>,
    q: web::Query<EntryQuery>,
    form: web::Form<RetireForm>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = entry_id(&path)?;
    let form = form.into_inner();
    let e = match state
        .directory
        .retire(id, q.version, form.reason.clone())
        .await
    {
        Ok(()) => return Ok(see_other(&format!("{FIND}/{id}?done=retired")).finish()),
        Err(DirectoryError::Invalid { detail, .. }) => detail,
        Err(e) => return Err(e.into()),
    };
    let h = state.directory.history(id).await?;
    let bar = staff_bar(&req, &director.0, None)?;
    let retirement = Retirement {
        reason: &form.reason,
        error: Some(&e),
    };
    Ok(refused(
        actix_web::http::StatusCode::BAD_REQUEST,
        director::entry_page(&h, &EntryForm::from_item(&h.entry), retirement, None, bar)?,
    ))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/director/directory", get => find))
        .service(resource!("/director/directory/{id}", get => show, post => edit))
        .service(resource!("/director/directory/{id}/retire", post => retire));
}
