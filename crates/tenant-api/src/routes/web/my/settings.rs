//! `/my/settings`: checkout history, contact data (a new email confirmed by link), the PIN, and asking for deletion.

use super::super::{check_patron_form, page, refused, see_other};
use super::{bar, profile, Done};
use crate::error::{ApiError, ApiResult};
use crate::guards::Patron;
use crate::pages::my::{self as pages, ContactForm};
use crate::patron_auth::COOKIE;
use crate::routes::auth::removal_cookie;
use crate::routes::{blocking, me as me_api};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use custody::me;
use serde::Deserialize;

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
