//! Pages: one legal request (`/libraries/{library}/legal/{id}`): its
//! details, the policy's reasoning and the Decide form for the custodian of
//! records, the package links after an allow, the staff time, and the
//! documents served. The work is `custody::legal`, `custody::legal_cost` and
//! `custody::legal_documents`, what the JSON endpoints call.

use super::legal::office_of;
use crate::error::{ApiError, ApiResult};
use crate::guards::{Custodian, LibraryStaff};
use crate::pages::legal_register::{self as pages, Sections};
use crate::pages::patrons::sentence;
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::legal;
use custody::legal_cost::{self, TimeInput};
use custody::legal_documents;
use policy::staff::LibraryRole;
use serde::Deserialize;

/// `?done=`
#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The time form as posted.
#[derive(Deserialize)]
pub struct TimePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    what: String,
}

/// The decide form as posted.
#[derive(Deserialize)]
pub struct TokenPost {
    #[serde(default)]
    csrf: String,
}

/// The request's page, with the time form as typed and a refusal beside it,
/// and a refusal beside the document form.
pub(super) async fn render(
    state: &AppState,
    req: &HttpRequest,
    staff: &LibraryStaff,
    id: i64,
    time: (&str, &str, Option<(&'static str, &str)>),
    notice: Option<&str>,
    upload_error: Option<&str>,
) -> ApiResult<String> {
    let (custody, who) = (state.custody.clone(), staff.member());
    let custodian = staff.role == LibraryRole::Custodian;
    let (request, documents, review) = blocking(move || {
        let request = legal::get(&custody, &who, id)?;
        let documents = legal_documents::list(&custody, &who, id)?;
        // The reasoning is the custodian's to read, before they decide; a
        // request the policy cannot read as it stands says why instead.
        let review = if custodian && request.status == "received" {
            Some(match legal::review(&custody, &who, id) {
                Ok(v) => Ok(v),
                Err(custody::CustodyError::Invalid { detail, .. }) => Err(sentence(&detail)),
                Err(e) => return Err(e.into()),
            })
        } else {
            None
        };
        Ok((request, documents, review))
    })
    .await?;
    let office = office_of(req, staff)?;
    pages::request_page(
        &office,
        &request,
        Sections {
            review,
            documents: &documents,
            time,
            notice,
            upload_error,
        },
    )
}

/// `GET /libraries/{library}/legal/{id}`: any staff of the library.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    path: web::Path<(String, i64)>,
    q: web::Query<DoneQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner().1;
    let notice = match q.done.as_deref() {
        Some("registered") => {
            Some("The request was registered. The custodian of records decides it.")
        }
        Some("decided") => Some("The decision is recorded; it is final."),
        Some("time") => Some("The time was recorded and added to the invoice."),
        Some("document") => {
            Some("The document was attached, encrypted; only the custodian of records opens it.")
        }
        _ => None,
    };
    Ok(page(
        render(&state, &req, &staff, id, ("", "", None), notice, None).await?,
    ))
}

/// `POST /libraries/{library}/legal/{id}/decision`: the custodian of records
/// decides (custody refuses anyone else, admins included); 303 to the page.
pub async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    Custodian(staff): Custodian,
    path: web::Path<(String, i64)>,
    form: web::Form<TokenPost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = path.into_inner().1;
    let (custody, who) = (state.custody.clone(), staff.member());
    blocking(move || Ok(legal::decide_request(&custody, &who, id)?)).await?;
    let to = format!("/libraries/{}/legal/{id}?done=decided", staff.library.slug);
    Ok(see_other(&to).finish())
}

/// `POST /libraries/{library}/legal/{id}/time`: the custodian records staff
/// time; the page again with the refusal beside its field when it is wrong.
pub async fn time(
    state: web::Data<AppState>,
    req: HttpRequest,
    Custodian(staff): Custodian,
    path: web::Path<(String, i64)>,
    form: web::Form<TimePost>,
) -> ApiResult<HttpResponse> {
    check_staff_form(&req, &form.csrf)?;
    let id = path.into_inner().1;
    let f = form.into_inner();
    let minutes = match f.minutes.trim().parse::<i64>() {
        Ok(n) => serde_json::Value::from(n),
        Err(_) => serde_json::Value::String(f.minutes.clone()),
    };
    let input = TimeInput {
        minutes: Some(minutes),
        what: Some(f.what.clone()),
        by: None,
    };
    let (custody, who) = (state.custody.clone(), staff.member());
    let e = match blocking(move || Ok(legal_cost::record_time(&custody, &who, id, input)?)).await {
        Ok(_) => {
            let to = format!("/libraries/{}/legal/{id}?done=time", staff.library.slug);
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let ApiError::Invalid { field, detail } = &e else {
        return Err(e);
    };
    let field = if field == "minutes" {
        "minutes"
    } else {
        "what"
    };
    let words = sentence(detail);
    let html = render(
        &state,
        &req,
        &staff,
        id,
        (&f.minutes, &f.what, Some((field, &words))),
        None,
        None,
    )
    .await?;
    Ok(refused(e.status_code(), html))
}

/// Registers these pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/legal/{id}", get => show))
        .service(resource!("/libraries/{library}/legal/{id}/decision", post => decide))
        .service(resource!("/libraries/{library}/legal/{id}/time", post => time));
}
