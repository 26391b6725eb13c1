//! The patron's own pages under `/my` (besides sign-in and sign-out in
//! `patron.rs`). Each calls the function its JSON endpoint under
//! `/api/v1/patron/me` calls (`custody::me`, or the shared halves of
//! `routes::me`); the account page and the requests page call
//! `custody::me::overview` and `custody::me::own_requests`.

use super::{check_patron_form, page, patron_bar, refused, see_other};
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::pages::my::{self as pages, ContactForm};
use crate::pages::paging::Pager;
use crate::patron_auth::COOKIE;
use crate::routes::auth::removal_cookie;
use crate::routes::{blocking, me as me_api, PageQuery, Paged};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::me;
use serde::Deserialize;

/// The name of the patron's library, for the header.
async fn library_name(state: &AppState, patron: &Patron) -> ApiResult<String> {
    let store = state.store.clone();
    let all = blocking(move || Ok(custody::libraries::all(&store)?)).await?;
    all.into_iter()
        .find(|l| l.id.0 == patron.library.0)
        .map(|l| l.name)
        .ok_or(ApiError::NotFound)
}

/// The header of the patron's pages.
async fn bar(
    state: &AppState,
    req: &HttpRequest,
    patron: &Patron,
) -> ApiResult<crate::pages::layout::SessionBar> {
    let library = library_name(state, patron).await?;
    patron_bar(req, &library)
}

/// The patron's own account, as `GET /api/v1/patron/me` reads it.
async fn profile(state: &AppState, patron: &Patron) -> ApiResult<me::Patron> {
    let (custody, who) = (state.custody.clone(), patron.own());
    blocking(move || Ok(me::profile(&custody, &who)?)).await
}

/// `/my`: everything held about the patron at a glance.
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let overview = blocking(move || Ok(me::overview(&custody, &who)?)).await?;
    let library = library_name(&state, &patron).await?;
    let bar = patron_bar(&req, &library)?;
    Ok(page(pages::home(&overview, &library, bar)?))
}

/// `/my/records`: the patron's records a page at a time, as `GET /api/v1/patron/me/records` gives them.
pub async fn records(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = q.parse()?;
    let (custody, who) = (state.custody.clone(), patron.own());
    let (before, limit) = (paging.after, paging.limit);
    let items = blocking(move || Ok(me::own_records(&custody, &who, before, limit)?)).await?;
    let listed = Paged::new(items, &paging, |r: &me::Record| r.id);
    let pager = Pager::new(
        "/my/records",
        "",
        q.cursor.as_deref(),
        listed.next_cursor.as_deref(),
    );
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::records(&listed.items, &pager, bar)?))
}

/// `/my/export`: the same download as `GET /api/v1/patron/me/export`.
pub async fn export(state: web::Data<AppState>, patron: Patron) -> ApiResult<HttpResponse> {
    crate::routes::me_records::export(state, patron).await
}

/// `/my/access-log`: who saw the patron's data, as `GET /api/v1/patron/me/access-log` gives it.
pub async fn access_log(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let items = blocking(move || Ok(me::access_log(&custody, &who)?)).await?;
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::access_log(&items, bar)?))
}

/// `?done=` after a form: which fixed notice to show (never the query's own words).
#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `/my/requests`: the patron's own requests and where they stand.
pub async fn requests(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let (custody, who) = (state.custody.clone(), patron.own());
    let items = blocking(move || Ok(me::own_requests(&custody, &who)?)).await?;
    let notice = match q.done.as_deref() {
        Some("deletion") => Some("Your request to delete your account is filed. Your library has it in its queue; it is listed below."),
        _ => None,
    };
    let bar = bar(&state, &req, &patron).await?;
    let caller = patron.clone();
    Ok(page(pages::requests(
        &items,
        |id| me_api::request_number(&caller, id),
        notice,
        bar,
    )?))
}

/// `/my/settings`: history, contact data, PIN and deletion, each its own small form.
pub async fn settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let profile = profile(&state, &patron).await?;
    let notice = match q.done.as_deref() {
        Some("history-on") => Some("Checkout history is on.".to_owned()),
        Some("history-off") => Some(
            "Checkout history is off; the loans you returned are no longer linked to you."
                .to_owned(),
        ),
        Some("contact") => Some("Your contact data is saved.".to_owned()),
        Some("email") => Some(match &profile.pending_email {
            Some(new) => format!("We sent a link to {new}; your email changes when you open it."),
            None => "Your contact data is saved.".to_owned(),
        }),
        _ => None,
    };
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::settings(&profile, None, None, notice, bar)?))
}

/// The history form as posted.
#[derive(Deserialize)]
pub struct HistoryPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    keep_history: String,
}

/// Turns checkout history on or off (`PUT /api/v1/patron/me/history`'s function).
pub async fn set_history(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<HistoryPost>,
) -> ApiResult<HttpResponse> {
    check_patron_form(&req, &form.csrf)?;
    let keep = match form.keep_history.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(ApiError::Invalid {
                field: "keep_history".into(),
                detail: "expected on or off".into(),
            })
        }
    };
    let (custody, who) = (state.custody.clone(), patron.own());
    blocking(move || Ok(me::set_history(&custody, &who, keep)?)).await?;
    let to = if keep {
        "/my/settings?done=history-on"
    } else {
        "/my/settings?done=history-off"
    };
    Ok(see_other(to).finish())
}

/// The contact form as posted.
#[derive(Deserialize)]
pub struct ContactPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact_by: String,
}

/// An emptied field clears it; otherwise the value typed.
fn typed(v: &str) -> Option<Option<String>> {
    let v = v.trim();
    Some((!v.is_empty()).then(|| v.to_owned()))
}

/// Changes the contact data (`PATCH /api/v1/patron/me`'s function): a new
/// email address gets a confirmation link and changes only when it is opened.
pub async fn set_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<ContactPost>,
) -> ApiResult<HttpResponse> {
    check_patron_form(&req, &form.csrf)?;
    let change = me::ContactChange {
        email: typed(&form.email),
        phone: typed(&form.phone),
        address: typed(&form.address),
        contact_by: Some(form.contact_by.clone()),
    };
    match me_api::change_contact(&state, &patron, change).await {
        Ok((_, Some(_))) => Ok(see_other("/my/settings?done=email").finish()),
        Ok((_, None)) => Ok(see_other("/my/settings?done=contact").finish()),
        Err(e) => {
            let Some((field, text)) = settings_error(&e) else {
                return Err(e);
            };
            let profile = profile(&state, &patron).await?;
            let typed = ContactForm {
                email: &form.email,
                phone: &form.phone,
                address: &form.address,
                contact_by: &form.contact_by,
            };
            let bar = bar(&state, &req, &patron).await?;
            Ok(refused(
                e.status_code(),
                pages::settings(&profile, Some(typed), Some((field, &text)), None, bar)?,
            ))
        }
    }
}

/// The PIN form as posted.
#[derive(Deserialize)]
pub struct PinPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_pin: String,
    #[serde(default)]
    new_pin: String,
    #[serde(default)]
    new_pin_again: String,
}

/// Changes the PIN (`PUT /api/v1/patron/me/pin`'s function); every session
/// ends, so it leads to a page saying to sign in again.
pub async fn set_pin(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<PinPost>,
) -> ApiResult<HttpResponse> {
    check_patron_form(&req, &form.csrf)?;
    let PinPost {
        current_pin,
        new_pin,
        new_pin_again,
        ..
    } = form.into_inner();
    let outcome = if new_pin != new_pin_again {
        Err(ApiError::Invalid {
            field: "new_pin_again".into(),
            detail: "the two new PINs differ".into(),
        })
    } else {
        me_api::change_own_pin(&state, &patron, current_pin, new_pin).await
    };
    match outcome {
        Ok(()) => Ok(see_other("/my/pin-changed")
            .cookie(removal_cookie(COOKIE))
            .finish()),
        Err(e) => {
            let Some((field, text)) = settings_error(&e) else {
                return Err(e);
            };
            let profile = profile(&state, &patron).await?;
            let bar = bar(&state, &req, &patron).await?;
            Ok(refused(
                e.status_code(),
                pages::settings(&profile, None, Some((field, &text)), None, bar)?,
            ))
        }
    }
}

/// `/my/pin-changed`: after a PIN change, where to sign in again.
pub async fn pin_changed() -> ApiResult<HttpResponse> {
    Ok(page(pages::pin_changed()?))
}

/// `/my/settings/delete`: what a deletion request does, and the button.
pub async fn delete_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
) -> ApiResult<HttpResponse> {
    let profile = profile(&state, &patron).await?;
    let bar = bar(&state, &req, &patron).await?;
    Ok(page(pages::delete_confirm(
        &profile,
        state.settings.requests.due_days,
        bar,
    )?))
}

/// The deletion form as posted.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Files the deletion request (`POST /api/v1/patron/me/deletion-request`'s function).
pub async fn request_deletion(
    state: web::Data<AppState>,
    req: HttpRequest,
    patron: Patron,
    form: web::Form<CsrfOnly>,
) -> ApiResult<HttpResponse> {
    check_patron_form(&req, &form.csrf)?;
    me_api::file_deletion_request(&state, &patron).await?;
    Ok(see_other("/my/requests?done=deletion").finish())
}

/// The field a refused settings form is about and what to tell the patron,
/// or `None` when the refusal is not about a field (it becomes an error page).
fn settings_error(e: &ApiError) -> Option<(&'static str, String)> {
    let field = |f: &str| -> Option<&'static str> {
        Some(match f {
            "email" => "email",
            "phone" => "phone",
            "address" => "address",
            "contact_by" => "contact_by",
            "current_pin" => "current_pin",
            "new_pin" => "new_pin",
            "new_pin_again" => "new_pin_again",
            _ => return None,
        })
    };
    match e {
        ApiError::Invalid { field: f, detail } => {
            let f = field(f)?;
            let text = match f {
                "email" => {
                    "Enter an email address such as name@example.org, or leave it empty.".to_owned()
                }
                "contact_by" => "Choose one of the ways listed.".to_owned(),
                "current_pin" => {
                    "The current PIN is not right. Type the PIN you sign in with now.".to_owned()
                }
                "new_pin" => format!("A PIN has {} to 64 characters.", me_api::MIN_PIN),
                "new_pin_again" => {
                    "The two new PINs differ. Type the same new PIN in both.".to_owned()
                }
                _ => detail.clone(),
            };
            Some((f, text))
        }
        ApiError::TooLong { field: f, max, .. } => {
            Some((field(f)?, format!("At most {max} characters. Shorten it.")))
        }
        ApiError::GuardianConsentRequired(fields) => {
            let f = ["email", "phone", "address"]
                .into_iter()
                .find(|f| fields.contains(f))
                .unwrap_or("email");
            Some((
                f,
                format!("Your library needs a guardian's consent before it keeps your {fields}. Ask your library to record it."),
            ))
        }
        _ => None,
    }
}

/// Registers the patron's pages.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/my", get => home))
        .service(resource!("/my/records", get => records))
        .service(resource!("/my/export", get => export))
        .service(resource!("/my/access-log", get => access_log))
        .service(resource!("/my/requests", get => requests))
        .service(resource!("/my/settings", get => settings))
        .service(resource!("/my/settings/history", post => set_history))
        .service(resource!("/my/settings/contact", post => set_contact))
        .service(resource!("/my/settings/pin", post => set_pin))
        .service(resource!("/my/settings/delete", get => delete_form, post => request_deletion))
        .service(resource!("/my/pin-changed", get => pin_changed));
}
