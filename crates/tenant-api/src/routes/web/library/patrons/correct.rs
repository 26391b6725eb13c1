//! Correcting a patron's registration.

use super::{desk_of, purpose_of, stated, PurposeQuery};
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::paging::urlencode;
use crate::pages::patrons::{self as pages, Profile};
use crate::routes::blocking;
use crate::routes::patrons::{correction, Correction};
use crate::routes::web::{check_staff_form, page, refused, see_other};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::NaiveDate;
use custody::patrons::{self, PatronId};
use serde::Deserialize;

/// `GET …/patrons/{patron}/correct`: the correction form, filled with the patron's data.
pub async fn correct_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<PurposeQuery>,
) -> ApiResult<HttpResponse> {
    let id = PatronId(path.into_inner().1);
    let desk = desk_of(&req, &staff)?;
    let here = format!("{}/correct", desk.patron(id.0));
    let purpose = match stated(
        &desk,
        &here,
        "Correct a patron's data",
        q.purpose.as_deref(),
    )? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let shown = purpose.as_str().to_owned();
    let (custody, who) = (state.custody.clone(), staff.member());
    let file = blocking(move || Ok(patrons::read(&custody, &who, &purpose, id)?)).await?;
    let profile = Profile::of(&file.patron);
    Ok(page(pages::correct_page(
        &desk, id.0, &shown, &profile, &profile, None,
    )?))
}

/// The correction form as posted: the fields, and what they held when the form was shown.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectPost {
    csrf: String,
    purpose: String,
    name: String,
    address: String,
    email: String,
    phone: String,
    birth_date: String,
    guardian: String,
    contact_by: String,
    was_name: String,
    was_address: String,
    was_email: String,
    was_phone: String,
    was_birth_date: String,
    was_guardian: String,
    was_contact_by: String,
}

/// A field the staff member changed: `Some(None)` clears it.
fn changed(now: &str, was: &str) -> Option<Option<String>> {
    let (now, was) = (now.trim(), was.trim());
    (now != was).then(|| (!now.is_empty()).then(|| now.to_owned()))
}

/// The JSON endpoint's correction, holding only what the form changed.
fn correction_of(f: &CorrectPost) -> ApiResult<Correction> {
    let birth_date = match changed(&f.birth_date, &f.was_birth_date) {
        None => None,
        Some(None) => Some(None),
        Some(Some(d)) => Some(Some(NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(
            |_| ApiError::Invalid {
                field: "birth_date".into(),
                detail: "expected a date written year-month-day, such as 2014-05-30".into(),
            },
        )?)),
    };
    Ok(Correction {
        purpose: Some(f.purpose.clone()),
        // An emptied name is sent as empty, so the shared check refuses it.
        name: (f.name.trim() != f.was_name.trim()).then(|| f.name.clone()),
        address: changed(&f.address, &f.was_address),
        email: changed(&f.email, &f.was_email),
        phone: changed(&f.phone, &f.was_phone),
        birth_date,
        guardian: changed(&f.guardian, &f.was_guardian),
        contact_by: (f.contact_by != f.was_contact_by).then(|| f.contact_by.clone()),
    })
}

/// The correction form's field for a refusal, and the words shown beside it;
/// `None` when the refusal is not about the form (it becomes an error page).
fn correct_problem(e: &ApiError) -> Option<(&'static str, String)> {
    match e {
        ApiError::Invalid { field, detail } => {
            let field = match field.as_str() {
                "name" => "name",
                "address" => "address",
                "email" => "email",
                "phone" => "phone",
                "birth_date" => "birth_date",
                "guardian" => "guardian",
                "contact_by" => "contact_by",
                _ => return None,
            };
            Some((field, pages::sentence(detail)))
        }
        ApiError::GuardianConsentRequired(fields) => {
            let field = ["email", "phone", "address", "date of birth"]
                .into_iter()
                .find(|f| fields.contains(f))
                .map_or("name", |f| match f {
                    "date of birth" => "birth_date",
                    other => other,
                });
            Some((
                field,
                format!("This patron is under the library's age for these details: a guardian's consent must be on record before {fields} can be stored. Record the guardian's consent first."),
            ))
        }
        _ => None,
    }
}

/// `POST …/patrons/{patron}/correct`: corrects through the JSON endpoint's
/// check and custody call; 303 to the patron's page, or the form again with
/// the refusal beside its field, what was typed kept.
pub async fn correct(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    form: web::Form<CorrectPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = PatronId(path.into_inner().1);
    let f = form.into_inner();
    // The purpose came from the page itself: one that is not valid is not the form's error.
    purpose_of(Some(&f.purpose))?;
    let desk = desk_of(&req, &staff)?;
    let checked = correction_of(&f).and_then(correction);
    let outcome = match checked {
        Ok((purpose, change)) => {
            let (custody, who) = (state.custody.clone(), staff.member());
            blocking(move || Ok(patrons::correct(&custody, &who, &purpose, id, &change)?)).await
        }
        Err(e) => Err(e),
    };
    let e = match outcome {
        Ok(_) => {
            let to = format!(
                "{}?purpose={}&done=corrected",
                desk.patron(id.0),
                urlencode(&f.purpose)
            );
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let Some((field, text)) = correct_problem(&e) else {
        return Err(e);
    };
    let typed = Profile {
        name: f.name.clone(),
        address: f.address.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        birth_date: f.birth_date.clone(),
        guardian: f.guardian.clone(),
        contact_by: f.contact_by.clone(),
    };
    let was = Profile {
        name: f.was_name.clone(),
        address: f.was_address.clone(),
        email: f.was_email.clone(),
        phone: f.was_phone.clone(),
        birth_date: f.was_birth_date.clone(),
        guardian: f.was_guardian.clone(),
        contact_by: f.was_contact_by.clone(),
    };
    Ok(refused(
        e.status_code(),
        pages::correct_page(&desk, id.0, &f.purpose, &typed, &was, Some((field, &text)))?,
    ))
}
