//! Pages: the library's directory entry and its changes (admins). The work
//! is `state.directory.own_entry` and `submit`, what the JSON endpoints call.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::moderation::{self, entry_fields, EntryForm};
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use directory::moderation::Patch;
use serde::Deserialize;

/// `?done=` on the page.
#[derive(Deserialize)]
pub struct EntryQuery {
    done: Option<String>,
}

/// The change form as posted: every field as the admin left it.
#[derive(Deserialize)]
pub struct EntryPost {
    #[serde(default)]
    pub(crate) csrf: String,
    name: Option<String>,
    address: Option<String>,
    city: Option<String>,
    county: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    email: Option<String>,
    hours: Option<String>,
    services: Option<String>,
    opening_hours: Option<String>,
}

impl EntryPost {
    /// The field `field` as posted.
    pub(crate) fn value(&self, field: &str) -> Option<&String> {
        match field {
            "name" => self.name.as_ref(),
            "address" => self.address.as_ref(),
            "city" => self.city.as_ref(),
            "county" => self.county.as_ref(),
            "state" => self.state.as_ref(),
            "zip" => self.zip.as_ref(),
            "phone" => self.phone.as_ref(),
            "website" => self.website.as_ref(),
            "email" => self.email.as_ref(),
            "hours" => self.hours.as_ref(),
            "services" => self.services.as_ref(),
            "opening_hours" => self.opening_hours.as_ref(),
            _ => None,
        }
    }
}

/// The fields the admin changed, as a patch: a field left as published is
/// not part of it. Weekly hours are read as data here, so a mistake in them
/// is shown beside the field.
pub(crate) fn patch_of(
    form: &EntryPost,
    current: &directory::search::Item,
) -> Result<Patch, ApiError> {
    let mut patch = Patch::default();
    for (name, _, now) in entry_fields(current) {
        let Some(typed) = form.value(name) else {
            continue;
        };
        let typed = typed.replace("\r\n", "\n");
        if typed.trim() == now.trim() {
            continue;
        }
        if name == "opening_hours" {
            patch.opening_hours = Some(directory::hours::OpeningHours::parse(&typed)?);
            continue;
        }
        let slot = match name {
            "name" => &mut patch.name,
            "address" => &mut patch.address,
            "city" => &mut patch.city,
            "county" => &mut patch.county,
            "state" => &mut patch.state,
            "zip" => &mut patch.zip,
            "phone" => &mut patch.phone,
            "website" => &mut patch.website,
            "email" => &mut patch.email,
            "hours" => &mut patch.hours,
            _ => &mut patch.services,
        };
        *slot = Some(typed);
    }
    Ok(patch)
}

fn here(admin: &LibraryAdmin) -> String {
    format!("/libraries/{}/directory-entry", admin.0.library.slug)
}

/// `GET /libraries/{library}/directory-entry`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<EntryQuery>,
) -> ApiResult<HttpResponse> {
    let s = &admin.0;
    let notice = match q.done.as_deref() {
        Some("submitted") => {
            Some("Your change was sent to the consortium director; it is published once approved.")
        }
        _ => None,
    };
    let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
    let own = state.directory.own_entry(s.library.clone()).await?;
    let form = EntryForm::from_item(&own.entry);
    Ok(page(moderation::entry_page(
        &s.library.slug,
        &s.library.name,
        &own,
        &form,
        notice,
        bar,
    )?))
}

/// The form's name for an error's `field` (the entry form's first field when it names none).
pub(crate) fn form_field(field: &str) -> &'static str {
    entry_fields(&directory::search::Item::default())
        .into_iter()
        .map(|(n, _, _)| n)
        .find(|n| *n == field)
        .unwrap_or("name")
}

/// `POST /libraries/{library}/directory-entry`: sends the change for approval.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    form: web::Form<EntryPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let s = &admin.0;
    let own = state.directory.own_entry(s.library.clone()).await?;
    let result = match patch_of(&form, &own.entry) {
        Err(e) => Err(e),
        Ok(patch) if patch == Patch::default() => Err(ApiError::Invalid {
            field: "name".into(),
            detail: "Nothing was changed: change at least one field, then send.".into(),
        }),
        Ok(patch) => state
            .directory
            .submit(s.library.clone(), s.caller.id, patch)
            .await
            .map_err(ApiError::from),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("{}?done=submitted", here(&admin))).finish()),
        Err(e) => {
            let ApiError::Invalid { field, detail } = &e else {
                return Err(e);
            };
            let mut values = EntryForm::from_item(&own.entry).values;
            for (name, value) in values.iter_mut() {
                if let Some(typed) = form.value(name) {
                    value.clone_from(typed);
                }
            }
            let form = EntryForm {
                values,
                error: Some((form_field(field), detail.clone())),
            };
            let bar = staff_bar(&req, &s.caller, Some((s.role, &s.library.name)))?;
            Ok(refused(
                e.status_code(),
                moderation::entry_page(&s.library.slug, &s.library.name, &own, &form, None, bar)?,
            ))
        }
    }
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/directory-entry", get => show, post => submit));
}
