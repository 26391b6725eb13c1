//! Merging duplicate registrations and deleting a patron, each behind a confirmation step.

use super::{desk_of, purpose_of, stated, PurposeQuery};
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::paging::urlencode;
use crate::pages::patrons::{self as pages};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use custody::patrons::{self, PatronId};
use serde::Deserialize;

/// `?purpose=&card=`
#[derive(Deserialize)]
pub struct MergeQuery {
    purpose: Option<String>,
    card: Option<String>,
}

/// `GET …/patrons/{patron}/merge`: asks for the duplicate's card, then says
/// exactly what merging it into this patron will do, before anything changes.
pub async fn merge_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<MergeQuery>,
) -> ApiResult<HttpResponse> {
    let id = PatronId(path.into_inner().1);
    let desk = desk_of(&req, &staff)?;
    let here = format!("{}/merge", desk.patron(id.0));
    let q = q.into_inner();
    let purpose = match stated(
        &desk,
        &here,
        "Merge a duplicate registration",
        q.purpose.as_deref(),
    )? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let shown = purpose.as_str().to_owned();
    let card = q.card.as_deref().map(str::trim).map(str::to_owned);
    let (custody, who) = (state.custody.clone(), staff.member());
    let wanted = card.clone().filter(|c| !c.is_empty());
    let (keep, found) = blocking(move || {
        Ok(patrons::merge_preview(
            &custody, &who, &purpose, id, wanted,
        )?)
    })
    .await?;
    let typed = card.as_deref().unwrap_or("");
    let problem = match (&card, found.as_ref()) {
        (None, _) => None,
        (Some(c), _) if c.is_empty() => {
            Some("Enter the card number of the duplicate registration.")
        }
        (Some(_), None) => {
            Some("No patron of this library has that card number. Check it and try again.")
        }
        (Some(_), Some(d)) if d.id == id => {
            Some("That is this patron's own card. Enter the card of the other registration.")
        }
        (Some(_), Some(d)) => {
            return Ok(page(pages::merge_page(
                &desk,
                &shown,
                &keep.patron,
                typed,
                Some(d),
                None,
            )?))
        }
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(refused(
        status,
        pages::merge_page(&desk, &shown, &keep.patron, typed, None, problem)?,
    ))
}

/// The merge confirmation as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergePost {
    csrf: String,
    purpose: String,
    duplicate_id: String,
}

/// `POST …/patrons/{patron}/merge`: merges the duplicate through the JSON endpoint's custody call.
pub async fn merge(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    form: web::Form<MergePost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let keep = PatronId(path.into_inner().1);
    let purpose = purpose_of(Some(&form.purpose))?;
    let duplicate = form
        .duplicate_id
        .trim()
        .parse::<i64>()
        .map(PatronId)
        .map_err(|_| ApiError::Invalid {
            field: "duplicate_id".into(),
            detail: "expected the id of the patron to merge".into(),
        })?;
    let to = format!(
        "/libraries/{}/patrons/{}?purpose={}&done=merged",
        staff.library.slug,
        keep.0,
        urlencode(purpose.as_str())
    );
    let (custody, who) = (state.custody.clone(), staff.member());
    blocking(move || Ok(patrons::merge(&custody, &who, &purpose, keep, duplicate)?)).await?;
    Ok(see_other(&to).finish())
}

/// `GET …/patrons/{patron}/delete`: the confirmation step, naming the patron.
pub async fn delete_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<PurposeQuery>,
) -> ApiResult<HttpResponse> {
    let id = PatronId(path.into_inner().1);
    let desk = desk_of(&req, &staff)?;
    let here = format!("{}/delete", desk.patron(id.0));
    let purpose = match stated(
        &desk,
        &here,
        "Delete a patron's record",
        q.purpose.as_deref(),
    )? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let shown = purpose.as_str().to_owned();
    let (custody, who) = (state.custody.clone(), staff.member());
    let file = blocking(move || Ok(patrons::read(&custody, &who, &purpose, id)?)).await?;
    Ok(page(pages::delete_page(&desk, &shown, &file.patron)?))
}

/// A form that carries its token and the purpose (the deletion).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PurposePost {
    csrf: String,
    purpose: String,
}

/// `POST …/patrons/{patron}/delete`: deletes through the JSON endpoint's
/// custody call; 303 to the search, saying what became of the records.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    form: web::Form<PurposePost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = PatronId(path.into_inner().1);
    let purpose = purpose_of(Some(&form.purpose))?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let done = blocking(move || Ok(patrons::delete(&custody, &who, &purpose, id)?)).await?;
    let to = format!(
        "/libraries/{}/patrons?done=deleted&removed={}&kept={}",
        staff.library.slug, done.records_deleted, done.records_kept_without_link
    );
    Ok(see_other(&to).finish())
}
