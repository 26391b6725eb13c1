//! Registering a patron at the desk.

use super::desk_of;
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::patrons::{self as pages, NewPatron};
use crate::routes::patrons::{
    register_checked, registration as patron_registration, RegistrationBody,
};
use crate::routes::web::{check_staff_form, page, refused, see_other};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::NaiveDate;
use custody::consents::GuardianConsent;
use serde::Deserialize;

/// `GET /libraries/{library}/patrons/new`: the registration form.
pub async fn new_form(req: HttpRequest, staff: LibraryStaff) -> ApiResult<HttpResponse> {
    let desk = desk_of(&req, &staff)?;
    Ok(page(pages::new_patron_page(
        &desk,
        &NewPatron::default(),
        None,
    )?))
}

/// The registration form as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPost {
    csrf: String,
    card_number: String,
    pin: String,
    name: String,
    address: String,
    email: String,
    phone: String,
    birth_date: String,
    guardian: String,
    consent_by: String,
}

/// An optional text field: empty is none.
fn given(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The JSON endpoint's registration body, from the form.
fn registration_of(f: NewPost) -> ApiResult<RegistrationBody> {
    let birth_date = match given(&f.birth_date) {
        None => None,
        Some(d) => {
            Some(
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| ApiError::Invalid {
                    field: "birth_date".into(),
                    detail: "expected a date written year-month-day, such as 2014-05-30".into(),
                })?,
            )
        }
    };
    Ok(RegistrationBody {
        card_number: f.card_number.trim().to_owned(),
        pin: f.pin,
        name: f.name,
        address: given(&f.address),
        email: given(&f.email),
        phone: given(&f.phone),
        birth_date,
        guardian: given(&f.guardian),
        guardian_consent: given(&f.consent_by).map(|given_by| GuardianConsent {
            given_by,
            // What the JSON API records when a consent names no scope.
            scope: "registration and contact".into(),
        }),
    })
}

/// The registration form's field for a refusal, and the words beside it.
fn new_problem(e: &ApiError) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => {
            let field = match field.as_str() {
                "card_number" => "card_number",
                "pin" => "pin",
                "name" => "name",
                "email" => "email",
                "birth_date" => "birth_date",
                _ => return None,
            };
            Some((field, pages::sentence(detail)))
        }
        ApiError::Conflict(what) => Some(("card_number", pages::sentence(what))),
        ApiError::GuardianConsentRequired(fields) => Some((
            "consent_by",
            format!("This patron is under the library's age: a guardian's consent is needed before {fields} can be stored. Say who gave it, or leave those fields empty."),
        )),
        _ => None,
    }
}

/// `POST /libraries/{library}/patrons/new`: registers through the JSON
/// endpoint's check and custody call; 303 to the search, or the form again
/// with the refusal beside its field (what was typed kept, the PIN never).
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    form: web::Form<NewPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let f = form.into_inner();
    let typed = NewPatron {
        card_number: f.card_number.clone(),
        name: f.name.clone(),
        address: f.address.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        birth_date: f.birth_date.clone(),
        guardian: f.guardian.clone(),
        consent_by: f.consent_by.clone(),
    };
    let outcome = match registration_of(f).and_then(patron_registration) {
        Ok((registration, pin)) => register_checked(&state, &staff, registration, pin).await,
        Err(e) => Err(e),
    };
    let e = match outcome {
        Ok(_) => {
            let to = format!("/libraries/{}/patrons?done=registered", staff.library.slug);
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let Some((field, text)) = new_problem(&e) else {
        return Err(e);
    };
    let desk = desk_of(&req, &staff)?;
    Ok(refused(
        e.status_code(),
        pages::new_patron_page(&desk, &typed, Some((field, &text)))?,
    ))
}
