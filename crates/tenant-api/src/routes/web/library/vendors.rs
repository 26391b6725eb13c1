//! Pages: the library's vendor contracts for its admins
//! (`/libraries/{library}/vendors/manage`) and the form that adds one. The
//! work is `custody::vendors`, what the JSON endpoints (`routes::vendors`)
//! call. A contract's own page, its keys and its changes are `vendor`.

use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::pages::patrons::sentence;
use crate::pages::vendor_admin::{self as pages, form_field, Office, Typed};
use crate::routes::blocking;
use crate::routes::web::{check_staff_form, page, refused, see_other, staff_bar};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::vendors::{self, NewContract};
use serde::Deserialize;

/// Where a vendor page is, for `admin`.
pub(super) fn office_of(req: &HttpRequest, admin: &LibraryAdmin) -> ApiResult<Office> {
    let s = &admin.0;
    Ok(Office {
        slug: s.library.slug.clone(),
        library: s.library.name.clone(),
        bar: staff_bar(req, &s.caller, Some((s.role, &s.library.name)))?,
    })
}

/// `?done=`
#[derive(Deserialize)]
pub struct DoneQuery {
    pub(super) done: Option<String>,
}

async fn contracts(state: &AppState, admin: &LibraryAdmin) -> ApiResult<Vec<vendors::VendorView>> {
    let (custody, who) = (state.custody.clone(), admin.0.member());
    blocking(move || Ok(vendors::list(&custody, &who)?)).await
}

/// `GET /libraries/{library}/vendors/manage`: the contracts and the add form.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    q: web::Query<DoneQuery>,
) -> ApiResult<HttpResponse> {
    let items = contracts(&state, &admin).await?;
    let office = office_of(&req, &admin)?;
    let notice = match q.done.as_deref() {
        Some("added") => Some("The vendor was added."),
        _ => None,
    };
    let typed = Typed {
        contract_starts: chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string(),
        ..Typed::default()
    };
    Ok(page(pages::list_page(
        &office, &items, &typed, None, notice,
    )?))
}

/// The form as posted: `fields` comes once per ticked box, which
/// `web::Form` cannot read, so the body is read pair by pair.
fn typed_of(body: &[u8]) -> (String, Typed) {
    let mut csrf = String::new();
    let mut t = Typed::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf" => csrf = v,
            "name" => t.name = v,
            "service" => t.service = v,
            "privacy_policy_url" => t.privacy_policy_url = v,
            "contract_starts" => t.contract_starts = v,
            "contract_ends" => t.contract_ends = v,
            "fields" => t.fields.push(v),
            "purpose" => t.purpose = v,
            "erasure_contact" => t.erasure_contact = v,
            "use" => t.use_key = v,
            _ => {}
        }
    }
    (csrf, t)
}

/// The JSON endpoint's contract, from the form.
fn contract_of(t: &Typed) -> NewContract {
    NewContract {
        name: Some(t.name.clone()),
        service: Some(t.service.clone()),
        privacy_policy_url: Some(t.privacy_policy_url.clone()),
        contract_starts: Some(t.contract_starts.clone()),
        contract_ends: Some(t.contract_ends.clone()),
        fields: t.fields.clone(),
        purpose: Some(t.purpose.clone()),
        erasure_contact: Some(t.erasure_contact.clone()),
        use_key: Some(t.use_key.clone()),
    }
}

/// Words for a refused field, said to a librarian rather than a programmer.
pub(super) fn desk_words(field: &str, detail: &str) -> String {
    let date_format = detail.starts_with("give ");
    match field {
        "name" => "Enter the vendor's name, at most 200 characters.".into(),
        "service" => {
            "Enter the service the vendor provides, such as e-books, at most 200 characters.".into()
        }
        "privacy_policy_url" => {
            "Enter the address of the vendor's privacy policy, starting with https:// (or http://).".into()
        }
        "contract_starts" => {
            "Enter the contract's first day as year-month-day, such as 2026-01-01.".into()
        }
        "contract_ends" if date_format => {
            "Enter the contract's last day as year-month-day, such as 2027-12-31.".into()
        }
        "contract_ends" if detail.starts_with("the contract cannot end before it starts;") => {
            "The contract cannot end before it starts: give a last day on or after the first day."
                .into()
        }
        "fields" => "Tick only fields from the list.".into(),
        "purpose" => {
            "Say why the vendor checks cards, such as patron sign-in for e-book loans, at most 500 characters.".into()
        }
        "erasure_contact" => "Give the erasure contact in at most 320 characters.".into(),
        "use" => "Give the key of one of the privacy policy's optional uses, such as reading_program (lowercase letters, digits and _), or leave it empty.".into(),
        _ => sentence(detail),
    }
}

/// `POST /libraries/{library}/vendors/manage`: enters the contract through
/// the custody call the JSON endpoint makes; 303 to its page, or the form
/// again (400) with the refusal beside its field and everything typed kept.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: LibraryAdmin,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (csrf, typed) = typed_of(&body);
    check_staff_form(&req, &csrf)?;
    let (custody, who, c) = (state.custody.clone(), admin.0.member(), contract_of(&typed));
    let e = match blocking(move || Ok(vendors::create(&custody, &who, c)?)).await {
        Ok(made) => {
            let office = office_of(&req, &admin)?;
            let to = format!("{}?done=added", office.vendor(made.id));
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
    let items = contracts(&state, &admin).await?;
    let office = office_of(&req, &admin)?;
    Ok(refused(
        e.status_code(),
        pages::list_page(&office, &items, &typed, Some((input, &words)), None)?,
    ))
}

/// Registers these pages; the contract's own pages are `vendor`'s.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/vendors/manage", get => list, post => add));
    super::vendor::configure_root(cfg);
}
