//! Pages: patron search (purpose first) and a patron's page, with correct,
//! merge and delete behind their own confirmation steps; and registering a
//! patron at the desk.
//!
//! No page shows a patron's data before a purpose is chosen, and each read
//! goes through the custody function its JSON endpoint calls
//! (`routes::patrons`, `routes::records`), so the gate decides and audits it
//! with that purpose exactly as it does the JSON read. Another library's
//! patron is not found, like one that does not exist.

mod correct;
mod merge;
mod read;
mod register;

use correct::{correct, correct_form};
use merge::{delete, delete_confirm, merge, merge_confirm};
use read::{patron, search};
use register::{new_form, register};

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::patrons::{self as pages, Desk};
use crate::routes::web::{page, refused, staff_bar};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::patrons::STAFF_PURPOSES;
use custody::Purpose;
use serde::Deserialize;

/// How many records a patron's page shows at a time.
pub(super) const RECORDS_PER_PAGE: &str = "20";

/// What the purpose select says when no purpose, or one it does not offer, was chosen.
pub(super) const CHOOSE_A_PURPOSE: &str = "Choose why you need this patron's data. The purpose is kept in the library's audit log with the read.";

/// The purpose a page was given: one custody offers (so a page never shows
/// text typed into its address), checked as the JSON API checks it.
pub(super) fn purpose_of(raw: Option<&str>) -> Result<Purpose, ApiError> {
    let purpose = Purpose::parse(raw)?;
    if STAFF_PURPOSES.contains(&purpose.as_str()) {
        Ok(purpose)
    } else {
        Err(ApiError::Invalid {
            field: "purpose".into(),
            detail: "choose one of the purposes in the list".into(),
        })
    }
}

pub(super) fn desk_of(req: &HttpRequest, staff: &LibraryStaff) -> ApiResult<Desk> {
    Ok(Desk {
        slug: staff.library.slug.clone(),
        role: staff.role,
        bar: staff_bar(req, &staff.caller, Some((staff.role, &staff.library.name)))?,
    })
}

/// A patron page's purpose, or the page to answer instead: the purpose form
/// (200 when none was given yet, 400 with the refusal beside the field when
/// the one given is not valid). Either way no patron data is read.
pub(super) fn stated(
    desk: &Desk,
    here: &str,
    heading: &str,
    raw: Option<&str>,
) -> ApiResult<Result<Purpose, HttpResponse>> {
    let Some(raw) = raw else {
        return Ok(Err(page(pages::purpose_page(
            desk, here, heading, "", None,
        )?)));
    };
    match purpose_of(Some(raw)) {
        Ok(p) => Ok(Ok(p)),
        Err(e) => Ok(Err(refused(
            e.status_code(),
            pages::purpose_page(desk, here, heading, "", Some(CHOOSE_A_PURPOSE))?,
        ))),
    }
}

/// `?purpose=`
#[derive(Deserialize)]
pub struct PurposeQuery {
    pub(super) purpose: Option<String>,
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/patrons", get => search))
        // Before `patrons/{patron}`, which would take `new` for a patron id.
        .service(resource!("/libraries/{library}/patrons/new", get => new_form, post => register))
        .service(resource!("/libraries/{library}/patrons/{patron}", get => patron))
        .service(resource!("/libraries/{library}/patrons/{patron}/correct", get => correct_form, post => correct))
        .service(resource!("/libraries/{library}/patrons/{patron}/merge", get => merge_confirm, post => merge))
        .service(resource!("/libraries/{library}/patrons/{patron}/delete", get => delete_confirm, post => delete));
}
