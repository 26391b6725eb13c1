//! Pages: the library's retention periods and the last run (admins). The
//! work is `custody::retention::settings` and `set_settings`, what the JSON
//! endpoint calls.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::retention::{field_ids, form_field, settings_page};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::retention::{self, kind_label, PeriodInput, SettingsInput};
use policy::records::RecordKind;
use serde::Deserialize;
use std::collections::HashMap;

/// `?done=` on the page.
#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn here(admin: &LibraryAdmin) -> String {
    format!("/libraries/{}/retention", admin.0.library.slug)
}

/// `GET /libraries/{library}/retention`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<DoneQuery>,
) -> ApiResult<HttpResponse> {
    let s = &admin.0;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("The retention periods were saved. The next run applies them."),
        _ => None,
    };
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    let (custody, who) = (state.custody.clone(), s.member());
    let settings = blocking(move || Ok(retention::settings(&custody, &who)?)).await?;
    Ok(page(settings_page(
        &s.library.slug,
        &s.library.name,
        &settings,
        None,
        None,
        notice,
        bar,
    )?))
}

/// The form as periods, or the first field that is not a number.
fn input_of(form: &HashMap<String, String>) -> Result<SettingsInput, ApiError> {
    let mut input = SettingsInput::default();
    for kind in RecordKind::ALL {
        let (days_id, then_id) = field_ids(kind);
        let typed = form.get(&days_id).map(|d| d.trim()).unwrap_or_default();
        let days = typed.parse::<i64>().map_err(|_| ApiError::Invalid {
            field: format!("kinds.{}.days", kind.as_str()),
            detail: format!(
                "{}: enter the number of days as digits, such as 30 (0 means at once).",
                kind_label(kind)
            ),
        })?;
        let then = form.get(&then_id).cloned().unwrap_or_default();
        input
            .kinds
            .insert(kind.as_str().to_owned(), PeriodInput { days, then });
    }
    Ok(input)
}

/// `POST /libraries/{library}/retention`: saves the periods, or re-shows
/// the form with what was typed and what to change.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    form: web::Form<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let form = form.into_inner();
    check_staff_form(
        &req,
        form.get("csrf").map(String::as_str).unwrap_or_default(),
    )?;
    let s = &admin.0;
    let result = match input_of(&form) {
        Ok(input) => {
            let (custody, who) = (state.custody.clone(), s.member());
            blocking(move || Ok(retention::set_settings(&custody, &who, &input)?)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("{}?done=saved", here(&admin))).finish()),
        Err(e) => {
            let ApiError::Invalid { field, detail } = &e else {
                return Err(e);
            };
            let (custody, who) = (state.custody.clone(), s.member());
            let settings = blocking(move || Ok(retention::settings(&custody, &who)?)).await?;
            let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
            Ok(refused(
                e.status_code(),
                settings_page(
                    &s.library.slug,
                    &s.library.name,
                    &settings,
                    Some(&form),
                    Some((form_field(field), detail.clone())),
                    None,
                    bar,
                )?,
            ))
        }
    }
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/retention", get => show, post => save));
}
