//! Pages: patron search (purpose first) and a patron's page, with correct,
//! merge and delete behind their own confirmation steps; and registering a
//! patron at the desk.
//!
//! No page shows a patron's data before a purpose is chosen, and each read
//! goes through the custody function its JSON endpoint calls
//! (`routes::patrons`, `routes::records`), so the gate decides and audits it
//! with that purpose exactly as it does the JSON read. Another library's
//! patron is not found, like one that does not exist.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::paging::urlencode;
use crate::pages::patrons::{self as pages, Desk, NewPatron, Profile, SearchForm};
use crate::routes::patrons::{
    correction, register_checked, registration as patron_registration, Correction, RegistrationBody,
};
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::NaiveDate;
use custody::consents::GuardianConsent;
use custody::patrons::{self, PatronId, Search, STAFF_PURPOSES};
use custody::Purpose;
use serde::Deserialize;

/// How many records a patron's page shows at a time.
const RECORDS_PER_PAGE: &str = "20";

/// What the purpose select says when no purpose, or one it does not offer, was chosen.
const CHOOSE_A_PURPOSE: &str = "Choose why you need this patron's data. The purpose is kept in the library's audit log with the read.";

/// The purpose a page was given: one custody offers (so a page never shows
/// text typed into its address), checked as the JSON API checks it.
fn purpose_of(raw: Option<&str>) -> Result<Purpose, ApiError> {
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

fn desk_of(req: &HttpRequest, staff: &LibraryStaff) -> ApiResult<Desk> {
    Ok(Desk {
        slug: staff.library.slug.clone(),
        role: staff.role,
        bar: staff_bar(req, &staff.caller, Some((staff.role, &staff.library.name)))?,
    })
}

/// A patron page's purpose, or the page to answer instead: the purpose form
/// (200 when none was given yet, 400 with the refusal beside the field when
/// the one given is not valid). Either way no patron data is read.
fn stated(
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

/// `?purpose=&q=&cursor=` (and, after a deletion or a registration, `done=` with the counts)
#[derive(Deserialize)]
pub struct SearchQuery {
    purpose: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    removed: Option<String>,
    kept: Option<String>,
}

/// The notice after a deletion: fixed words and the counts as numbers, never text from the address.
fn done_notice(q: &SearchQuery) -> Option<String> {
    if q.done.as_deref() == Some("registered") {
        return Some(
            "The patron was registered. Search their card number to open their record.".into(),
        );
    }
    if q.done.as_deref() != Some("deleted") {
        return None;
    }
    let count = |v: &Option<String>| v.as_deref().and_then(|n| n.parse::<u64>().ok());
    Some(match (count(&q.removed), count(&q.kept)) {
        (Some(removed), Some(kept)) => format!(
            "The patron's record was deleted: {removed} of their records deleted, {kept} kept without the link to them, as the retention schedule says."
        ),
        _ => "The patron's record was deleted.".into(),
    })
}

/// `GET /libraries/{library}/patrons`: the search form; patrons found once a purpose is given.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let desk = desk_of(&req, &staff)?;
    let typed = q.q.as_deref().unwrap_or("").trim().to_owned();
    let chosen = q.purpose.as_deref().unwrap_or("");
    if q.purpose.is_none() && q.q.is_none() {
        let form = SearchForm::default();
        return Ok(page(pages::search_page(
            &desk,
            &form,
            None,
            None,
            done_notice(&q),
        )?));
    }
    let purpose = match purpose_of(q.purpose.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            let form = SearchForm {
                purpose: chosen,
                q: &typed,
                error: Some(("purpose", CHOOSE_A_PURPOSE)),
            };
            return Ok(refused(
                e.status_code(),
                pages::search_page(&desk, &form, None, None, None)?,
            ));
        }
    };
    let page_q = PageQuery {
        limit: None,
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let how = if typed.is_empty() {
        Search::List {
            after: page_q.after.map(PatronId),
            limit: page_q.limit,
        }
    } else if typed.contains('@') {
        Search::Email(typed.clone())
    } else {
        Search::Card(typed.clone())
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let items = blocking(move || Ok(patrons::search(&custody, &who, &purpose, how)?)).await?;
    let found = Paged::new(items, &page_q, |p| p.id.0);
    let form = SearchForm {
        purpose: chosen,
        q: &typed,
        error: None,
    };
    Ok(page(pages::search_page(
        &desk,
        &form,
        Some((found.items, found.next_cursor)),
        q.cursor.as_deref(),
        None,
    )?))
}

/// `?purpose=&limit=&cursor=&done=`
#[derive(Deserialize)]
pub struct PatronQuery {
    purpose: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// `GET /libraries/{library}/patrons/{patron}`: a patron's profile, consents and
/// records, read (and audited) for the purpose given, as the JSON reads are.
pub async fn patron(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<PatronQuery>,
) -> ApiResult<HttpResponse> {
    let id = PatronId(path.into_inner().1);
    let desk = desk_of(&req, &staff)?;
    let here = desk.patron(id.0);
    let purpose = match stated(&desk, &here, "Open a patron's record", q.purpose.as_deref())? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let page_q = PageQuery {
        limit: Some(q.limit.clone().unwrap_or_else(|| RECORDS_PER_PAGE.into())),
        cursor: q.cursor.clone(),
    }
    .parse()?;
    // A page size asked for stays on the page links, as the JSON API's does.
    let limit_kept = q.limit.as_ref().map(|_| page_q.limit);
    let shown = purpose.as_str().to_owned();
    let (custody, who) = (state.custody.clone(), staff.member());
    let (before, limit) = (page_q.after, page_q.limit);
    let (file, items) = blocking(move || {
        Ok(patrons::read_with_records(
            &custody, &who, &purpose, id, before, limit,
        )?)
    })
    .await?;
    let recs = Paged::new(items, &page_q, |r| r.id);
    let notice = match q.done.as_deref() {
        Some("corrected") => Some("The correction was saved."),
        Some("merged") => Some("The duplicate registration was merged into this record."),
        _ => None,
    };
    Ok(page(pages::patron_page(
        &desk,
        &shown,
        &file.patron,
        &file.consents,
        &recs.items,
        limit_kept,
        q.cursor.as_deref(),
        recs.next_cursor.as_deref(),
        notice,
    )?))
}

/// `?purpose=`
#[derive(Deserialize)]
pub struct PurposeQuery {
    purpose: Option<String>,
}

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
