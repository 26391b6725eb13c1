//! Pages: the legal-request register (`/libraries/{library}/legal`), the
//! form staff register a request with, and the yearly count. The work is
//! `custody::legal` and `custody::legal_report`, what the JSON endpoints
//! (`routes::legal`, `routes::legal_report`) call. A request's own page is
//! `legal_request`.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryStaff;
use crate::pages::legal_register::{self as pages, form_field, Office, Typed};
use crate::pages::paging::{urlencode, Pager};
use crate::pages::patrons::sentence;
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::routes::{blocking, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::legal::{self, LegalRequestView, Registration, RequesterInput};
use custody::legal_report;
use serde::Deserialize;

/// Where a page of the register is, for `staff`.
pub(super) fn office_of(req: &HttpRequest, staff: &LibraryStaff) -> ApiResult<Office> {
    Ok(Office {
        slug: staff.library.slug.clone(),
        role: staff.role,
        bar: staff_bar(req, &staff.caller, Some((staff.role, &staff.library.name)))?,
    })
}

/// `?status=&cursor=&done=`
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// `GET /libraries/{library}/legal`: the register, any staff.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let status = q.status.filter(|s| !s.is_empty());
    let page_q = PageQuery {
        limit: None,
        cursor: q.cursor.clone(),
    }
    .parse()?;
    let (custody, who, wanted) = (state.custody.clone(), staff.member(), status.clone());
    let (after, limit) = (page_q.after, page_q.limit);
    let items = blocking(move || {
        Ok(legal::list(
            &custody,
            &who,
            wanted.as_deref(),
            after,
            limit,
        )?)
    })
    .await?;
    let paged = Paged::new(items, &page_q, |r: &LegalRequestView| r.id);
    let office = office_of(&req, &staff)?;
    let filters = status
        .as_deref()
        .map(|s| format!("status={}", urlencode(s)))
        .unwrap_or_default();
    let pager = Pager::new(
        &office.register(),
        &filters,
        q.cursor.as_deref(),
        paged.next_cursor.as_deref(),
    );
    let notice = match q.done.as_deref() {
        Some("registered") => {
            Some("The request was registered. The custodian of records decides it.")
        }
        _ => None,
    };
    Ok(page(pages::list_page(
        &office,
        status.as_deref().unwrap_or(""),
        &paged.items,
        pager,
        notice,
    )?))
}

async fn showing(state: &AppState, staff: &LibraryStaff) -> ApiResult<legal_report::Showing> {
    let (custody, who) = (state.custody.clone(), staff.member());
    blocking(move || Ok(legal_report::showing(&custody, &who)?)).await
}

/// `GET /libraries/{library}/legal/new`: the form, any staff.
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
) -> ApiResult<HttpResponse> {
    let showing = showing(&state, &staff).await?;
    let office = office_of(&req, &staff)?;
    let typed = Typed {
        instrument: "court_order".into(),
        ..Typed::default()
    };
    Ok(page(pages::new_page(&office, &showing, &typed, None)?))
}

/// The form as posted: `kinds` comes once per ticked box, which
/// `web::Form` cannot read, so the body is read pair by pair.
fn typed_of(body: &[u8]) -> (String, Typed) {
    let mut csrf = String::new();
    let mut t = Typed::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf" => csrf = v,
            "instrument" => t.instrument = v,
            "requester_name" => t.requester_name = v,
            "requester_agency" => t.requester_agency = v,
            "requester_email" => t.requester_email = v,
            "court" => t.court = v,
            "case_number" => t.case_number = v,
            "issued_on" => t.issued_on = v,
            "good_cause_shown" => t.good_cause_shown = !v.is_empty(),
            "patron_ids" => t.patron_ids = v,
            "kinds" => t.kinds.push(v),
            "from" => t.from = v,
            "to" => t.to = v,
            "non_disclosure_until" => t.non_disclosure_until = v,
            "consent_id" => t.consent_id = v,
            _ => {}
        }
    }
    (csrf, t)
}

fn given(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

fn invalid(field: &str, detail: &str) -> ApiError {
    ApiError::Invalid {
        field: field.into(),
        detail: detail.into(),
    }
}

/// The JSON endpoint's registration, from the form.
fn registration_of(t: &Typed) -> ApiResult<Registration> {
    let patron_ids = t
        .patron_ids
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            invalid(
                "patron_ids",
                "patron numbers are whole numbers, such as 12, 15",
            )
        })?;
    let consent_id = match given(&t.consent_id) {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| invalid("consent_id", "a consent number is a whole number"))?,
        ),
    };
    Ok(Registration {
        instrument: Some(t.instrument.clone()),
        requester: Some(RequesterInput {
            name: Some(t.requester_name.clone()),
            agency: given(&t.requester_agency),
            email: given(&t.requester_email),
        }),
        court: given(&t.court),
        case_number: given(&t.case_number),
        issued_on: given(&t.issued_on),
        good_cause_shown: t.good_cause_shown,
        finding: None,
        patron_ids,
        kinds: t.kinds.clone(),
        from: given(&t.from),
        to: given(&t.to),
        non_disclosure_until: given(&t.non_disclosure_until),
        consent_id,
        imminent_danger: false,
    })
}

/// Words for a refused field, said to the person at the desk.
fn desk_words(field: &str, detail: &str) -> String {
    match field {
        "requester.name" => "Name who serves the request.".into(),
        "patron_ids" if detail.starts_with("name at least") => {
            "Name at least one patron by their patron number.".into()
        }
        "kinds" if detail.starts_with("name at least") => {
            "Tick at least one kind of record.".into()
        }
        _ => sentence(detail),
    }
}

/// `POST /libraries/{library}/legal/new`: registers through the custody call
/// the JSON endpoint makes; 303 to the register, or the form again with the
/// refusal beside its field and everything typed kept.
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (csrf, typed) = typed_of(&body);
    check_staff_form(&req, &csrf)?;
    let outcome = match registration_of(&typed) {
        Ok(reg) => {
            let (custody, who) = (state.custody.clone(), staff.member());
            blocking(move || Ok(legal::register(&custody, &who, reg)?)).await
        }
        Err(e) => Err(e),
    };
    let e = match outcome {
        Ok(made) => {
            let to = format!(
                "/libraries/{}/legal/{}?done=registered",
                staff.library.slug, made.id
            );
            return Ok(see_other(&to).finish());
        }
        Err(e) => e,
    };
    let ApiError::Invalid { field, detail } = &e else {
        return Err(e);
    };
    let Some(input) = form_field(field) else {
        return Err(e);
    };
    let words = desk_words(field, detail);
    let showing = showing(&state, &staff).await?;
    let office = office_of(&req, &staff)?;
    Ok(refused(
        e.status_code(),
        pages::new_page(&office, &showing, &typed, Some((input, &words)))?,
    ))
}

/// `?year=`
#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<String>,
}

/// `GET /libraries/{library}/legal/counts?year=`: the yearly count, any staff.
pub async fn counts(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: LibraryStaff,
    q: web::Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    let year = legal_report::parse_year(q.year.as_deref().filter(|y| !y.is_empty()))?;
    let (custody, who) = (state.custody.clone(), staff.member());
    let counts = blocking(move || Ok(legal_report::counts(&custody, &who, year)?)).await?;
    let office = office_of(&req, &staff)?;
    Ok(page(pages::counts_page(
        &office,
        counts,
        legal_report::this_year(),
    )?))
}

/// Registers these pages; `new` and `counts` before `{id}`, which would take them.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/legal", get => list))
        .service(resource!("/libraries/{library}/legal/new", get => new_form, post => register))
        .service(resource!("/libraries/{library}/legal/counts", get => counts));
    super::legal_request::configure_root(cfg);
}
